import { and, eq } from 'drizzle-orm';
import type { Db } from '../context.js';
import { domains, projects, users } from './schema.js';

export type DomainRow = typeof domains.$inferSelect;
export type ProjectRow = typeof projects.$inferSelect;
export type UserRow = typeof users.$inferSelect;

export async function getDomain(db: Db, id: string): Promise<DomainRow | undefined> {
  const [row] = await db.select().from(domains).where(eq(domains.id, id)).limit(1);
  return row;
}

export async function getDomainByName(db: Db, name: string): Promise<DomainRow | undefined> {
  const [row] = await db.select().from(domains).where(eq(domains.name, name)).limit(1);
  return row;
}

/** A domain named by id or by name (Keystone accepts either). */
export async function findDomain(
  db: Db,
  ref: { id?: string; name?: string } | undefined,
): Promise<DomainRow | undefined> {
  if (ref?.id) return getDomain(db, ref.id);
  if (ref?.name) return getDomainByName(db, ref.name);
  return undefined;
}

export async function getProject(db: Db, id: string): Promise<ProjectRow | undefined> {
  const [row] = await db.select().from(projects).where(eq(projects.id, id)).limit(1);
  return row;
}

export async function findProject(
  db: Db,
  ref: { id?: string; name?: string; domain?: { id?: string; name?: string } },
): Promise<ProjectRow | undefined> {
  if (ref.id) return getProject(db, ref.id);
  if (!ref.name) return undefined;
  const domain = await findDomain(db, ref.domain);
  if (!domain) return undefined;
  const [row] = await db
    .select()
    .from(projects)
    .where(and(eq(projects.domainId, domain.id), eq(projects.name, ref.name)))
    .limit(1);
  return row;
}

export async function getUser(db: Db, id: string): Promise<UserRow | undefined> {
  const [row] = await db.select().from(users).where(eq(users.id, id)).limit(1);
  return row;
}

export async function findUser(
  db: Db,
  ref: { id?: string; name?: string; domain?: { id?: string; name?: string } },
): Promise<UserRow | undefined> {
  if (ref.id) return getUser(db, ref.id);
  if (!ref.name) return undefined;
  const domain = await findDomain(db, ref.domain);
  if (!domain) return undefined;
  const [row] = await db
    .select()
    .from(users)
    .where(and(eq(users.domainId, domain.id), eq(users.name, ref.name)))
    .limit(1);
  return row;
}
