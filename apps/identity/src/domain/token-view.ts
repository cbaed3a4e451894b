import type { TokenData } from '@kumo/service-kit';
import { keystoneTime } from '../http/views.js';
import type { CatalogEntry } from './catalog-cache.js';

/** The `token` object of Keystone's token responses. */
export function tokenView(t: TokenData, catalog: CatalogEntry[] | undefined) {
  const view: Record<string, unknown> = {
    methods: t.methods,
    user: {
      id: t.user.id,
      name: t.user.name,
      domain: t.user.domain,
      password_expires_at: t.user.passwordExpiresAt
        ? keystoneTime(Date.parse(t.user.passwordExpiresAt))
        : null,
    },
    audit_ids: t.auditIds,
    expires_at: keystoneTime(t.expiresAt),
    issued_at: keystoneTime(t.issuedAt),
  };
  if (t.project) {
    view.project = { id: t.project.id, name: t.project.name, domain: t.project.domain };
    // Keystone's trust-scoped token has no is_domain
    if (!t.trust) view.is_domain = false;
  }
  if (t.trust) {
    view['OS-TRUST:trust'] = {
      id: t.trust.id,
      impersonation: t.trust.impersonation,
      trustee_user: { id: t.trust.trusteeUserId },
      trustor_user: { id: t.trust.trustorUserId },
    };
  }
  if (t.domain) view.domain = t.domain;
  if (t.system) view.system = { all: true };
  const scoped = Boolean(t.project || t.domain || t.system || t.trust);
  if (scoped) view.roles = t.roles;
  if (catalog && scoped) view.catalog = catalog;
  if (t.applicationCredential) {
    view.application_credential = {
      id: t.applicationCredential.id,
      name: t.applicationCredential.name,
      restricted: t.applicationCredential.restricted,
    };
  }
  return view;
}
