import { and, eq, type SQL } from 'drizzle-orm';
import type { Db } from '../context.js';
import { domains, users } from './schema.js';

/** A user with what authentication needs to know about its domain. */
export interface AuthUser {
  id: string;
  name: string;
  enabled: boolean;
  domainId: string;
  domainName: string;
  domainEnabled: boolean;
  passwordHash: string | null;
  passwordExpiresAt: Date | null;
  lockedUntil: Date | null;
  failedAuthCount: number;
  defaultProjectId: string | null;
  options: Record<string, unknown>;
}

/** One query: the user by id, or by name in a domain given by id or name, joined with its domain. */
export async function findAuthUser(
  db: Db,
  ref: { id?: string; name?: string; domain?: { id?: string; name?: string } },
): Promise<AuthUser | undefined> {
  let where: SQL | undefined;
  if (ref.id) where = eq(users.id, ref.id);
  else if (ref.name && ref.domain?.id)
    where = and(eq(users.name, ref.name), eq(users.domainId, ref.domain.id));
  else if (ref.name && ref.domain?.name)
    where = and(eq(users.name, ref.name), eq(domains.name, ref.domain.name));
  if (!where) return undefined;
  const [row] = await db
    .select({
      id: users.id,
      name: users.name,
      enabled: users.enabled,
      domainId: users.domainId,
      domainName: domains.name,
      domainEnabled: domains.enabled,
      passwordHash: users.passwordHash,
      passwordExpiresAt: users.passwordExpiresAt,
      lockedUntil: users.lockedUntil,
      failedAuthCount: users.failedAuthCount,
      defaultProjectId: users.defaultProjectId,
      options: users.options,
    })
    .from(users)
    .innerJoin(domains, eq(domains.id, users.domainId))
    .where(where)
    .limit(1);
  return row;
}
