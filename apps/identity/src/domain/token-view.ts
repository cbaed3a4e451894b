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
    view.is_domain = false;
  }
  if (t.domain) view.domain = t.domain;
  if (t.system) view.system = { all: true };
  if (t.project || t.domain || t.system) view.roles = t.roles;
  if (catalog && (t.project || t.domain || t.system)) view.catalog = catalog;
  if (t.applicationCredential) {
    view.application_credential = {
      id: t.applicationCredential.id,
      name: t.applicationCredential.name,
      restricted: t.applicationCredential.restricted,
    };
  }
  return view;
}
