import type { FastifyRequest } from 'fastify';

/** Keystone writes times as 2015-02-24T13:54:48.000000Z. */
export const keystoneTime = (d: Date | number): string =>
  new Date(d).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

/** The URL clients used to reach us, for `links`. */
export function baseUrl(req: FastifyRequest): string {
  const host = req.headers['x-forwarded-host'] ?? req.headers.host ?? 'localhost';
  const proto = req.headers['x-forwarded-proto'] ?? req.protocol;
  return `${proto}://${host}`;
}

export const selfLink = (req: FastifyRequest, path: string) => ({ self: `${baseUrl(req)}${path}` });

export const listLinks = (req: FastifyRequest) => ({
  self: `${baseUrl(req)}${req.url}`,
  previous: null,
  next: null,
});

/** Query string value as string (first of repeated), or undefined. */
export function q(req: FastifyRequest, name: string): string | undefined {
  const v = (req.query as Record<string, unknown> | undefined)?.[name];
  if (Array.isArray(v)) return v[0] === undefined ? undefined : String(v[0]);
  return v === undefined ? undefined : String(v);
}

/** Keystone boolean query values: anything but 0/false/no/off is true; an empty value is true. */
export function qBool(req: FastifyRequest, name: string): boolean | undefined {
  const v = q(req, name);
  if (v === undefined) return undefined;
  return !['0', 'false', 'no', 'off', 'f', 'n'].includes(v.toLowerCase());
}
