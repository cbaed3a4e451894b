import { status } from '@grpc/grpc-js';
import { isKumoError } from '@kumo/service-kit';
import { z } from 'zod';
import type { DriverErrorKind } from '../drivers/ids.js';

/** DriverError kinds → gRPC status codes, in one place. */
export const codeOfKind: Record<DriverErrorKind, status> = {
  invalid: status.INVALID_ARGUMENT,
  not_found: status.NOT_FOUND,
  conflict: status.FAILED_PRECONDITION,
  unavailable: status.UNAVAILABLE,
  no_space: status.RESOURCE_EXHAUSTED,
  internal: status.INTERNAL,
};

const kumoKindCode: Record<string, status> = {
  invalid: status.INVALID_ARGUMENT,
  unauthenticated: status.UNAUTHENTICATED,
  forbidden: status.PERMISSION_DENIED,
  not_found: status.NOT_FOUND,
  conflict: status.FAILED_PRECONDITION,
  over_quota: status.RESOURCE_EXHAUSTED,
  unavailable: status.UNAVAILABLE,
};

export interface RpcStatus {
  code: status;
  details: string;
}

function isDriverError(err: unknown): err is { kind: DriverErrorKind; message: string } {
  return (
    err instanceof Error &&
    err.name === 'DriverError' &&
    Object.hasOwn(codeOfKind, (err as { kind?: string }).kind ?? '')
  );
}

/** Anything thrown → a status. Unknown errors say nothing of their insides. */
export function toStatus(err: unknown, requestId: string): RpcStatus {
  if (isDriverError(err)) return { code: codeOfKind[err.kind], details: err.message };
  if (err instanceof z.ZodError)
    return { code: status.INVALID_ARGUMENT, details: err.issues[0]?.message ?? 'invalid request' };
  if (isKumoError(err)) return { code: kumoKindCode[err.kind] ?? status.INTERNAL, details: err.message };
  return { code: status.INTERNAL, details: `internal error (request ${requestId})` };
}
