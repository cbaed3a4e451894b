/** gRPC status codes compute cares about (same numbers as @grpc/grpc-js `status`). */
export const GRPC = {
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

/** An agent call's failure as compute reads it. */
export interface AgentFailure {
  /** The gRPC status code, when the error came from an agent call. */
  code: number | undefined;
  /** The agent's message (the status details), without gRPC's "14 UNAVAILABLE:" prefix. */
  message: string;
  /** The host did not answer (down, unreachable, timed out): retry later rather than give up. */
  unreachable: boolean;
  notFound: boolean;
}

/** Read any error thrown by an agent call (gRPC ServiceError, in-process error or a KumoError from the connector). */
export function agentFailure(err: unknown): AgentFailure {
  const e = (err ?? {}) as { code?: unknown; details?: unknown; message?: unknown; kind?: unknown };
  const code = typeof e.code === 'number' ? e.code : undefined;
  const message =
    typeof e.details === 'string' && e.details
      ? e.details
      : typeof e.message === 'string'
        ? e.message
        : String(err);
  const unreachable =
    code === GRPC.UNAVAILABLE ||
    code === GRPC.DEADLINE_EXCEEDED ||
    (code === undefined && e.kind === 'unavailable');
  return { code, message, unreachable, notFound: code === GRPC.NOT_FOUND };
}

/** An error shaped like a grpc-js ServiceError (used by the in-process agent). */
export function serviceError(code: number, details: string): Error & { code: number; details: string } {
  return Object.assign(new Error(`${code} ${details}`), { code, details });
}
