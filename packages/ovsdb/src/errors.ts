import type { Json } from './values.js';

/** Base class of every error this package throws. */
export class OvsdbError extends Error {
  override name = 'OvsdbError';
}

/** The connection is down (closed, never established, or declared dead by the keepalive). */
export class OvsdbConnectionError extends OvsdbError {
  override name = 'OvsdbConnectionError';
}

/** A JSON-RPC level error (the `error` member of a response), e.g. an unknown database. */
export class OvsdbRpcError extends OvsdbError {
  override name = 'OvsdbRpcError';
  constructor(
    readonly method: string,
    readonly error: Json,
  ) {
    super(`OVSDB ${method} failed: ${describeRpcError(error)}`);
  }
}

/** A transaction that did not commit: which operation failed, with the server's error and details. */
export class OvsdbTransactionError extends OvsdbError {
  override name = 'OvsdbTransactionError';
  constructor(
    readonly database: string,
    /** Index of the failed operation, or -1 when the commit itself failed (e.g. referential integrity). */
    readonly opIndex: number,
    /** Short description of the failed operation (`insert Port`), or `commit`. */
    readonly opSummary: string,
    readonly error: string,
    readonly details: string | undefined,
  ) {
    super(
      `OVSDB transaction on ${database} failed at ${opIndex >= 0 ? `op ${opIndex} (${opSummary})` : opSummary}: ` +
        `${error}${details ? ` — ${details}` : ''}`,
    );
  }
}

function describeRpcError(error: Json): string {
  if (typeof error === 'string') return error;
  if (error && typeof error === 'object' && !Array.isArray(error)) {
    const e = typeof error.error === 'string' ? error.error : JSON.stringify(error);
    const d = typeof error.details === 'string' ? ` — ${error.details}` : '';
    return e + d;
  }
  return JSON.stringify(error);
}
