import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../context.js';
import {
  assignments,
  domains,
  endpoints,
  impliedRoles,
  projects,
  regions,
  roles,
  services,
  users,
} from '../db/schema.js';
import { newId } from './ids.js';
import { hashPassword, type ScryptParams, verifyPassword } from './passwords.js';

/** The user Kumo's services authenticate as when they call each other. */
export const SERVICE_USER = 'kumo-service';

/** A service the all-in-one runs, for the catalog. */
export interface CatalogService {
  type: string;
  name: string;
  description: string;
  /** Full URL per interface (identity: http://host:5000/v3). */
  url: string;
}

export interface BootstrapInput {
  adminPassword: string;
  demoPassword: string;
  /** The password of `kumo-service`, the user services call each other as (admin + service on project `service`). */
  servicePassword?: string;
  region: string;
  services: CatalogService[];
  scrypt: ScryptParams;
}

export interface BootstrapResult {
  adminUserId: string;
  adminProjectId: string;
  demoUserId: string;
  demoProjectId: string;
}

async function ensureRole(db: Db, name: string): Promise<string> {
  const existing = await db.query.roles.findFirst({
    where: (r) => and(eq(r.name, name), isNull(r.domainId)),
  });
  if (existing) return existing.id;
  const id = newId();
  await db.insert(roles).values({ id, name }).onConflictDoNothing();
  return (await db.query.roles.findFirst({ where: (r) => and(eq(r.name, name), isNull(r.domainId)) }))!.id;
}

async function ensureProject(db: Db, name: string, description: string): Promise<string> {
  await db
    .insert(projects)
    .values({ id: newId(), name, domainId: 'default', description })
    .onConflictDoNothing();
  return (await db.query.projects.findFirst({
    where: (p) => and(eq(p.domainId, 'default'), eq(p.name, name)),
  }))!.id;
}

async function ensureUser(
  db: Db,
  name: string,
  password: string,
  projectId: string,
  scrypt: ScryptParams,
): Promise<string> {
  const existing = await db.query.users.findFirst({
    where: (u) => and(eq(u.domainId, 'default'), eq(u.name, name)),
  });
  if (existing) {
    // keep the user, but make the configured password work (the operator may have changed it)
    if (!existing.passwordHash || !(await verifyPassword(password, existing.passwordHash))) {
      await db
        .update(users)
        .set({
          passwordHash: await hashPassword(password, scrypt),
          passwordCreatedAt: new Date(),
          enabled: true,
        })
        .where(eq(users.id, existing.id));
    }
    return existing.id;
  }
  const id = newId();
  await db.insert(users).values({
    id,
    name,
    domainId: 'default',
    defaultProjectId: projectId,
    passwordHash: await hashPassword(password, scrypt),
    passwordCreatedAt: new Date(),
  });
  return id;
}

async function grant(
  db: Db,
  actorId: string,
  targetType: 'project' | 'domain' | 'system',
  targetId: string,
  roleId: string,
) {
  await db
    .insert(assignments)
    .values({ actorType: 'user', actorId, targetType, targetId, roleId })
    .onConflictDoNothing();
}

/**
 * Make the cloud usable, idempotently: the Default domain, the admin/member/
 * reader/service roles (admin implies member implies reader), the admin and
 * service projects, the admin user (admin on its project and on the system), a
 * demo project with a member user, the region and the service catalog.
 */
export async function bootstrapIdentity(db: Db, input: BootstrapInput): Promise<BootstrapResult> {
  await db
    .insert(domains)
    .values({ id: 'default', name: 'Default', description: 'The default domain' })
    .onConflictDoNothing();
  const admin = await ensureRole(db, 'admin');
  const member = await ensureRole(db, 'member');
  const reader = await ensureRole(db, 'reader');
  const service = await ensureRole(db, 'service');
  await db
    .insert(impliedRoles)
    .values([
      { priorRoleId: admin, impliedRoleId: member },
      { priorRoleId: member, impliedRoleId: reader },
    ])
    .onConflictDoNothing();

  const adminProjectId = await ensureProject(db, 'admin', 'Bootstrap project for the cloud administrator');
  const serviceProjectId = await ensureProject(db, 'service', 'Project of the Kumo service users');
  const demoProjectId = await ensureProject(db, 'demo', 'A project for a first try');
  const adminUserId = await ensureUser(db, 'admin', input.adminPassword, adminProjectId, input.scrypt);
  const demoUserId = await ensureUser(db, 'demo', input.demoPassword, demoProjectId, input.scrypt);
  await grant(db, adminUserId, 'project', adminProjectId, admin);
  await grant(db, adminUserId, 'system', 'all', admin);
  await grant(db, adminUserId, 'project', serviceProjectId, admin);
  await grant(db, demoUserId, 'project', demoProjectId, member);
  if (input.servicePassword) {
    const serviceUserId = await ensureUser(
      db,
      SERVICE_USER,
      input.servicePassword,
      serviceProjectId,
      input.scrypt,
    );
    await grant(db, serviceUserId, 'project', serviceProjectId, admin);
    await grant(db, serviceUserId, 'project', serviceProjectId, service);
  }

  await db.insert(regions).values({ id: input.region, description: '' }).onConflictDoNothing();
  for (const s of input.services) {
    let svc = await db.query.services.findFirst({ where: (x) => eq(x.type, s.type) });
    if (!svc) {
      [svc] = await db
        .insert(services)
        .values({ id: newId(), type: s.type, name: s.name, description: s.description })
        .returning();
    }
    for (const iface of ['public', 'internal', 'admin'] as const) {
      const ep = await db.query.endpoints.findFirst({
        where: (e) => and(eq(e.serviceId, svc!.id), eq(e.interface, iface), eq(e.regionId, input.region)),
      });
      if (!ep)
        await db
          .insert(endpoints)
          .values({ id: newId(), serviceId: svc!.id, interface: iface, url: s.url, regionId: input.region });
      else if (ep.url !== s.url)
        await db.update(endpoints).set({ url: s.url }).where(eq(endpoints.id, ep.id));
    }
  }
  return { adminUserId, adminProjectId, demoUserId, demoProjectId };
}
