/**
 * Typed business errors. Domain code throws these; one renderer per OpenStack
 * error format (see render-error.ts) turns them into HTTP responses.
 */
export type ErrorKind =
  | 'invalid'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'over_quota'
  | 'too_large'
  | 'unsupported_media'
  | 'not_acceptable'
  | 'unavailable'
  | 'internal';

export const statusOfKind: Record<ErrorKind, number> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  not_acceptable: 406,
  conflict: 409,
  too_large: 413,
  unsupported_media: 415,
  over_quota: 413,
  unavailable: 503,
  internal: 500,
};

export class KumoError extends Error {
  readonly kind: ErrorKind;
  /** A machine-readable type name (Neutron's `type`, e.g. NetworkNotFound). */
  readonly type: string | undefined;
  readonly headers: Record<string, string>;

  constructor(
    kind: ErrorKind,
    message: string,
    opts: { type?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'KumoError';
    this.kind = kind;
    this.type = opts.type;
    this.headers = opts.headers ?? {};
  }

  get status(): number {
    return statusOfKind[this.kind];
  }
}

export const invalid = (message: string, type?: string) => new KumoError('invalid', message, { type });
export const unauthenticated = (message = 'The request you have made requires authentication.') =>
  new KumoError('unauthenticated', message);
export const forbidden = (message = 'You are not authorized to perform the requested action.') =>
  new KumoError('forbidden', message);
export const notFound = (what: string, id?: string, type?: string) =>
  new KumoError('not_found', id === undefined ? what : `Could not find ${what}: ${id}.`, { type });
export const conflict = (message: string, type?: string) => new KumoError('conflict', message, { type });
export const overQuota = (message: string) => new KumoError('over_quota', message);
export const unavailable = (message: string) => new KumoError('unavailable', message);

export const isKumoError = (e: unknown): e is KumoError => e instanceof KumoError;
