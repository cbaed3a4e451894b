import { KumoError } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** A compute API microversion, e.g. 2.73 → { major: 2, minor: 73 }. */
export interface Microversion {
  major: number;
  minor: number;
}

export const MIN_VERSION: Microversion = { major: 2, minor: 1 };
/** The newest microversion whose request and response shapes Kumo implements. */
export const MAX_VERSION: Microversion = { major: 2, minor: 92 };

export const formatVersion = (v: Microversion) => `${v.major}.${v.minor}`;

declare module 'fastify' {
  interface FastifyRequest {
    /** The negotiated compute microversion of this request. */
    microversion: Microversion;
  }
}

const cmp = (a: Microversion, b: Microversion) => a.major - b.major || a.minor - b.minor;

export function parseVersion(s: string): Microversion | undefined {
  const m = /^(\d{1,3})\.(\d{1,4})$/.exec(s.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

/**
 * The version a request asks for: `OpenStack-API-Version: compute 2.N` wins
 * over the legacy `X-OpenStack-Nova-API-Version: 2.N`; `latest` is the newest;
 * none is 2.1. Malformed → 400; outside [2.1, MAX] → 406 (as Nova).
 */
export function negotiate(headers: Record<string, string | string[] | undefined>): Microversion {
  const raw = pickHeader(headers);
  if (raw === undefined) return MIN_VERSION;
  if (raw.toLowerCase() === 'latest') return MAX_VERSION;
  const v = parseVersion(raw);
  if (!v) throw new KumoError('invalid', `Invalid API version request: '${raw}'.`);
  if (cmp(v, MIN_VERSION) < 0 || cmp(v, MAX_VERSION) > 0)
    throw new KumoError(
      'not_acceptable',
      `Version ${raw} is not supported by the API. Minimum is ${formatVersion(MIN_VERSION)} and maximum is ${formatVersion(MAX_VERSION)}.`,
    );
  return v;
}

function pickHeader(headers: Record<string, string | string[] | undefined>): string | undefined {
  const one = (h: string | string[] | undefined) => (Array.isArray(h) ? h.join(',') : h);
  const modern = one(headers['openstack-api-version']);
  if (modern !== undefined) {
    // "compute 2.73" — possibly several services listed, comma separated
    for (const part of modern.split(',')) {
      const [svc, ver] = part.trim().split(/\s+/);
      if (svc?.toLowerCase() === 'compute' && ver) return ver;
    }
  }
  const legacy = one(headers['x-openstack-nova-api-version']);
  return legacy?.trim() || undefined;
}

/** True when the request's microversion is at least `v` ("2.47"). */
export function atLeast(req: Pick<FastifyRequest, 'microversion'>, v: string): boolean {
  const want = parseVersion(v);
  if (!want) throw new Error(`bad version literal ${v}`);
  return cmp(req.microversion, want) >= 0;
}

/**
 * Negotiate every request's microversion and echo it in the response headers
 * (both forms, plus `Vary`), as Nova does. Register before the routes.
 */
export function registerMicroversions(app: FastifyInstance): void {
  app.decorateRequest('microversion', null as unknown as Microversion);
  app.addHook('onRequest', async (req, reply) => {
    req.microversion = MIN_VERSION;
    const v = negotiate(req.headers);
    req.microversion = v;
    const s = formatVersion(v);
    reply.header('OpenStack-API-Version', `compute ${s}`);
    reply.header('X-OpenStack-Nova-API-Version', s);
    reply.header('Vary', 'OpenStack-API-Version, X-OpenStack-Nova-API-Version');
  });
}
