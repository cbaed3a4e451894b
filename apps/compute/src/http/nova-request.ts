import { invalid } from '@kumo/service-kit';
import type { FastifyRequest } from 'fastify';
import type { z } from 'zod';

/**
 * Request helpers shared by the compute routes: body validation with Nova's
 * messages, query parameters, paging (`limit`/`marker`) and `links`.
 */

/** Validate a JSON body against a zod schema; a mismatch is Nova's 400 naming the field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body))
    throw invalid('The request body must be a JSON object.');
  const res = schema.safeParse(body);
  if (!res.success) {
    const issue = res.error.issues[0]!;
    const field = issue.path.map(String).join('/') || 'body';
    throw invalid(`Invalid input for field/attribute ${field}. ${issue.message}`);
  }
  return res.data;
}

/** A query parameter as a string (the last one when repeated, as webob does), or undefined. */
export function q(req: FastifyRequest, name: string): string | undefined {
  const v = (req.query as Record<string, unknown> | undefined)?.[name];
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return v === undefined ? undefined : String(v);
}

/** oslo's strict bool_from_string: a value it cannot read is a 400 naming the parameter. */
export function qBool(req: FastifyRequest, name: string): boolean | undefined {
  const v = q(req, name);
  if (v === undefined) return undefined;
  const s = v.trim().toLowerCase();
  if (['1', 't', 'true', 'on', 'y', 'yes'].includes(s)) return true;
  if (['0', 'f', 'false', 'off', 'n', 'no'].includes(s)) return false;
  throw invalid(`Invalid value '${v}' for query parameter ${name}: expected a boolean.`);
}

/** A non-negative integer query parameter. */
export function qInt(req: FastifyRequest, name: string, min = 0): number | undefined {
  const v = q(req, name);
  if (v === undefined) return undefined;
  if (!/^\s*-?\d{1,15}\s*$/.test(v)) throw invalid(`${name} param must be an integer`);
  const n = Number(v);
  if (n < min) throw invalid(`${name} param must be ${min === 0 ? 'positive' : `at least ${min}`}`);
  return n;
}

export const MAX_LIMIT = 1000;

/** Nova's `limit` and `marker`: a non-negative integer, 0 or absent meaning the maximum (1000). */
export function paging(req: FastifyRequest): { limit: number; marker: string | undefined } {
  const limit = qInt(req, 'limit');
  return { limit: limit ? Math.min(limit, MAX_LIMIT) : MAX_LIMIT, marker: q(req, 'marker') };
}

/** The URL clients used to reach us (for `links`). */
export function baseUrl(req: FastifyRequest): string {
  const host = req.headers['x-forwarded-host'] ?? req.headers.host ?? 'localhost';
  const proto = req.headers['x-forwarded-proto'] ?? req.protocol;
  return `${proto}://${host}`;
}

export interface Link {
  rel: string;
  href: string;
  type?: string;
}

/** Nova's `self` and `bookmark` links of a resource at `/<collection>/<id>`. */
export function resourceLinks(req: FastifyRequest, collection: string, id: string): Link[] {
  const base = baseUrl(req);
  const path = `${collection}/${encodeURIComponent(id)}`;
  return [
    { rel: 'self', href: `${base}/v2.1/${path}` },
    { rel: 'bookmark', href: `${base}/${path}` },
  ];
}

/**
 * `<collection>_links` with a `next` link when the page is full: the same
 * query with `marker` set to the last item's id.
 */
export function nextLinks(
  req: FastifyRequest,
  pageSize: number,
  limit: number,
  lastMarker: string | undefined,
): Link[] | undefined {
  if (lastMarker === undefined || pageSize === 0 || pageSize < limit) return undefined;
  const url = new URL(req.url, baseUrl(req));
  url.searchParams.set('limit', String(limit));
  url.searchParams.set('marker', lastMarker);
  return [{ rel: 'next', href: `${baseUrl(req)}${url.pathname}?${url.searchParams.toString()}` }];
}

/** Nova's timestamps: `2013-07-23T11:33:21.000000` (no zone) in most bodies. */
export const novaTime = (d: Date | null | undefined): string | null =>
  d ? d.toISOString().replace(/\.(\d{3})Z$/, '.$1000') : null;
