/** What a Kumo token says about its bearer. Encrypted into the token itself, so
 * any service can validate a token without a database read. */
export interface RoleRef {
  id: string;
  name: string;
}

export interface NamedRef {
  id: string;
  name: string;
}

export interface TokenData {
  methods: string[];
  user: NamedRef & { domain: NamedRef; passwordExpiresAt?: string | null };
  /** Exactly one of project, domain, system is set for a scoped token; none for unscoped. */
  project?: NamedRef & { domain: NamedRef; isDomain?: boolean };
  domain?: NamedRef;
  system?: boolean;
  roles: RoleRef[];
  /** [own audit id, chain audit id] as Keystone. */
  auditIds: string[];
  issuedAt: number;
  expiresAt: number;
  applicationCredential?: NamedRef & { restricted: boolean };
  /** Set on a token obtained through an OS-TRUST trust (its project is the trust's). */
  trust?: TrustRef;
}

/** The trust a token was issued from; `user` is the trustor when impersonating, else the trustee. */
export interface TrustRef {
  id: string;
  impersonation: boolean;
  trustorUserId: string;
  trusteeUserId: string;
}

export type Scope = 'project' | 'domain' | 'system' | 'unscoped';

export const scopeOf = (t: TokenData): Scope =>
  t.project ? 'project' : t.domain ? 'domain' : t.system ? 'system' : 'unscoped';

export const hasRole = (t: TokenData, name: string): boolean => t.roles.some((r) => r.name === name);
