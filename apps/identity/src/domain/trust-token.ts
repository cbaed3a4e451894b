import { forbidden, KumoError, type RoleRef, type TokenData, type TrustRef } from '@kumo/service-kit';
import type { IdentityContext } from '../context.js';
import { findAuthUser } from '../db/auth-user.repo.js';
import { projectScope } from '../db/project-scope.js';
import { consumeTrustUse, getLiveTrust, trustRoleClosure } from '../db/trusts.repo.js';

const denied = (message = 'The request you have made requires authentication.') =>
  new KumoError('unauthenticated', message);

/** What a trust contributes to a token. */
export interface TrustScope {
  trust: TrustRef;
  project?: NonNullable<TokenData['project']>;
  roles: RoleRef[];
  /** The trustor, when the token impersonates it. */
  impersonated?: TokenData['user'];
  /** The trust's expiry (ms), which caps the token's. */
  expiresAt: number | null;
  /** The trust has limited uses: take one when the token is issued. */
  limited: boolean;
}

/**
 * Scope a token to an OS-TRUST trust, as Keystone: only the trustee may use
 * it; a deleted, expired or used-up trust is a 401; the trustor must still be
 * enabled and still hold every delegated role (with what they imply) on the
 * trust's project.
 */
export async function scopeToTrust(
  ctx: IdentityContext,
  authenticatedUserId: string,
  trustId: string,
): Promise<TrustScope> {
  const trust = await getLiveTrust(ctx.db, trustId);
  if (!trust) throw denied(`Could not find trust: ${trustId}.`);
  if (trust.trusteeUserId !== authenticatedUserId) throw forbidden('User is not a trustee.');
  const trustor = await findAuthUser(ctx.db, { id: trust.trustorUserId });
  if (!trustor?.domainEnabled) throw denied('The trustor is gone or its domain is disabled.');
  if (!trustor.enabled) throw forbidden('Trustor is disabled.');

  const ref: TrustRef = {
    id: trust.id,
    impersonation: trust.impersonation,
    trustorUserId: trust.trustorUserId,
    trusteeUserId: trust.trusteeUserId,
  };
  const out: TrustScope = {
    trust: ref,
    roles: [],
    expiresAt: trust.expiresAt?.getTime() ?? null,
    limited: trust.remainingUses !== null,
  };
  if (trust.impersonation)
    out.impersonated = {
      id: trustor.id,
      name: trustor.name,
      domain: { id: trustor.domainId, name: trustor.domainName },
      passwordExpiresAt: trustor.passwordExpiresAt?.toISOString() ?? null,
    };
  if (trust.projectId === null) return out;

  // One round trip: the project, its domain and the trustor's current effective roles on it.
  const p = await projectScope(ctx.pool, trust.trustorUserId, { id: trust.projectId });
  if (!p) throw denied('Could not find the project of the trust.');
  if (!p.enabled || !p.domainEnabled) throw denied('The project of the trust is disabled.');
  const held = new Set(p.roles.map((r) => r.id));
  const closure = await trustRoleClosure(ctx.db, trust.id);
  // Domain-specific roles never appear in tokens; they only confer what they imply.
  const global = closure.filter((r) => r.domainId === null);
  if (global.some((r) => !held.has(r.id))) throw forbidden('Trustee has no delegated roles.');
  out.project = { id: p.id, name: p.name, domain: { id: p.domainId, name: p.domainName } };
  out.roles = global.map((r) => ({ id: r.id, name: r.name }));
  if (out.roles.length === 0) throw forbidden('Trustee has no delegated roles.');
  return out;
}

/** Take one use of a limited trust, once everything else about the token is settled. */
export async function takeTrustUse(ctx: IdentityContext, s: TrustScope): Promise<void> {
  if (!s.limited) return;
  if (!(await consumeTrustUse(ctx.db, s.trust.id)))
    throw forbidden(`No remaining uses for trust: ${s.trust.id}.`);
}
