import type { NetworkClient } from '@kumo/network';
import { callerOf, forbidden, invalid, isKumoError, KumoError } from '@kumo/service-kit';
import type { FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import { atLeast } from '../http/microversion.js';

/** Helpers of the nova-network proxy APIs (Nova forwards them to Neutron until 2.36). */

export const resourceNotFound = () => new KumoError('not_found', 'The resource could not be found.');

/** The network service for a proxy API: 404 from 2.36 (Nova removed them) or without a network service. */
export function proxyNetwork(ctx: ComputeContext, req: FastifyRequest, maxVersion = '2.36'): NetworkClient {
  if (atLeast(req, maxVersion) || !ctx.network) throw resourceNotFound();
  return ctx.network;
}

export const tokenOf = (req: FastifyRequest) => req.authToken ?? '';

/** Authorize a proxy rule (target: the caller's project). */
export function authorizeProxy(ctx: ComputeContext, req: FastifyRequest, rule: string): void {
  const tok = callerOf(req);
  ctx.policy.authorize(rule, tok, { project_id: tok.project?.id ?? '' });
}

/**
 * Neutron's errors as Nova's proxy reports them: conflicts (in use, exists,
 * the default group) are 400, over quota 403, not found 404 with `notFound`'s message.
 */
export async function proxied<T>(p: Promise<T>, notFound?: () => KumoError): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if (!isKumoError(err)) throw err;
    if (err.kind === 'not_found' && notFound) throw notFound();
    if (err.kind === 'conflict' && err.type === 'OverQuota')
      throw forbidden(`Quota exceeded, too many resources: ${err.message}`);
    if (err.kind === 'conflict') throw invalid(err.message);
    throw err;
  }
}

/** Nova's check of a security group name or description: a string, stripped, at most 255 characters. */
export function sgProperty(v: unknown, what: 'name' | 'description', min: number): string {
  if (typeof v !== 'string') throw invalid(`Security group ${what} is not a string or unicode`);
  // Nova checks the stripped value but keeps the one it was given (Tempest sends ' name ')
  const s = v.trim();
  if (s.length < min || s.length > 255)
    throw invalid(`Security group ${what} should be between ${min} and 255 characters.`);
  return v;
}
