import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-openstack-request-id';
const VALID = /^req-[0-9a-f-]{36}$/;

/** Take the caller's request id when it has OpenStack's shape, else make one. */
export function requestIdFrom(header: string | string[] | undefined): string {
  const v = Array.isArray(header) ? header[0] : header;
  return v && VALID.test(v) ? v : `req-${randomUUID()}`;
}
