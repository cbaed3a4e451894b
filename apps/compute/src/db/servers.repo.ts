import { randomUUID } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { QuotaResource } from '../config.js';
import type { Db } from '../context.js';
import { fitCount, quotaExceeded } from '../domain/server-quota.js';
import type { FlavorSnapshot } from '../domain/server-record.js';
import { insertAction } from './instance-actions.repo.js';
import {
  limitsFor,
  lockProjectQuota,
  type Queryable,
  serverLimitsFor,
  usageFor,
} from './quota-usage.repo.js';
import {
  flavorExtraSpecs,
  flavorProjects,
  flavors,
  keypairs,
  serverGroups,
  serverMetadata,
  servers,
  serverTags,
} from './schema.js';
import { insertServerTask } from './tasks.repo.js';

export type ServerRow = typeof servers.$inferSelect;
export type ServerInsert = typeof servers.$inferInsert;

/** A server by id; soft-deleted ones only when asked. */
export async function getServer(
  db: Queryable,
  id: string,
  opts: { includeDeleted?: boolean } = {},
): Promise<ServerRow | undefined> {
  const [row] = await db
    .select()
    .from(servers)
    .where(and(eq(servers.id, id), opts.includeDeleted ? undefined : isNull(servers.deletedAt)));
  return row;
}

/** The flavor as servers embed it, when it exists and the project may use it. */
export async function findFlavor(
  db: Queryable,
  id: string,
  access: { projectId: string; isAdmin: boolean },
): Promise<FlavorSnapshot | undefined> {
  const [f] = await db.select().from(flavors).where(eq(flavors.id, id));
  if (!f) return undefined;
  if (!f.isPublic && !access.isAdmin) {
    const [p] = await db
      .select()
      .from(flavorProjects)
      .where(and(eq(flavorProjects.flavorId, id), eq(flavorProjects.projectId, access.projectId)));
    if (!p) return undefined;
  }
  const specs = await db.select().from(flavorExtraSpecs).where(eq(flavorExtraSpecs.flavorId, id));
  return {
    id: f.id,
    name: f.name,
    vcpus: f.vcpus,
    ramMb: f.ramMb,
    diskGb: f.diskGb,
    ephemeralGb: f.ephemeralGb,
    swapMb: f.swapMb,
    extraSpecs: Object.fromEntries(specs.map((s) => [s.key, s.value])),
  };
}

/** The caller's keypair by name. */
export async function findKeypair(
  db: Queryable,
  userId: string,
  name: string,
): Promise<{ name: string; publicKey: string } | undefined> {
  const [k] = await db
    .select({ name: keypairs.name, publicKey: keypairs.publicKey })
    .from(keypairs)
    .where(and(eq(keypairs.userId, userId), eq(keypairs.name, name)));
  return k;
}

export async function findServerGroup(
  db: Queryable,
  id: string,
): Promise<{ id: string; projectId: string; policy: string } | undefined> {
  const [g] = await db
    .select({ id: serverGroups.id, projectId: serverGroups.projectId, policy: serverGroups.policy })
    .from(serverGroups)
    .where(eq(serverGroups.id, id));
  return g;
}

export interface CreateServersInput {
  projectId: string;
  userId: string;
  requestId: string;
  /** Everything the servers share (flavor, image, key, networks, …). */
  common: Omit<ServerInsert, 'id' | 'name' | 'hostname' | 'launchIndex' | 'projectId' | 'userId'>;
  /** One entry per server up to max_count; only as many as the quota allows are created. */
  candidates: { id: string; name: string; hostname: string }[];
  minCount: number;
  metadata: Record<string, string>;
  tags: string[];
  groupId?: string;
  quotaDefaults: Record<QuotaResource, number>;
  buildParams: (serverId: string) => Record<string, unknown>;
}

/**
 * Creates servers in one transaction: quota check under the project's
 * advisory lock, server rows (building/scheduling), metadata, tags, the
 * `create` instance action and the `build` outbox task of each.
 */
export async function createServers(
  db: Db,
  input: CreateServersInput,
): Promise<{ rows: ServerRow[]; taskIds: string[] }> {
  return db.transaction(async (tx) => {
    await lockProjectQuota(tx, input.projectId);
    const usage = await usageFor(tx, input.projectId);
    const limits = await serverLimitsFor(tx, input.projectId, input.quotaDefaults);
    const flavor = input.common.flavor;
    const count = fitCount(
      usage,
      limits,
      { cores: flavor.vcpus, ram: flavor.ramMb },
      input.minCount,
      input.candidates.length,
    );
    if (input.groupId) {
      const { server_group_members: limit } = await limitsFor(tx, input.projectId, input.quotaDefaults, [
        'server_group_members',
      ] as const);
      const [m] = await tx
        .select({ n: sql<number>`count(*)::int` })
        .from(servers)
        .where(and(eq(servers.serverGroupId, input.groupId), isNull(servers.deletedAt)));
      const members = Number(m?.n ?? 0);
      if (limit >= 0 && members + count > limit)
        throw quotaExceeded('server_group_members', count, members, limit);
    }
    const now = new Date();
    const values: ServerInsert[] = input.candidates.slice(0, count).map((c, i) => ({
      ...input.common,
      id: c.id,
      name: c.name,
      hostname: c.hostname,
      launchIndex: i,
      projectId: input.projectId,
      userId: input.userId,
      serverGroupId: input.groupId ?? null,
      createdAt: now,
      updatedAt: now,
    }));
    const rows = await tx.insert(servers).values(values).returning();
    const meta = Object.entries(input.metadata);
    if (meta.length)
      await tx
        .insert(serverMetadata)
        .values(rows.flatMap((r) => meta.map(([key, value]) => ({ serverId: r.id, key, value }))));
    if (input.tags.length)
      await tx
        .insert(serverTags)
        .values(rows.flatMap((r) => input.tags.map((tag) => ({ serverId: r.id, tag }))));
    const taskIds: string[] = [];
    for (const r of rows) {
      const actionId = await insertAction(tx, {
        serverId: r.id,
        requestId: input.requestId,
        action: 'create',
        projectId: input.projectId,
        userId: input.userId,
      });
      taskIds.push(
        await insertServerTask(tx, {
          serverId: r.id,
          kind: 'build',
          params: input.buildParams(r.id),
          requestId: input.requestId,
          actionId,
        }),
      );
    }
    return { rows, taskIds };
  });
}

/** Changes plain fields of a live server (name, description, access IPs, …); bumps updated_at. */
export async function updateServerFields(
  db: Queryable,
  id: string,
  set: Partial<Pick<ServerInsert, 'name' | 'hostname' | 'description' | 'accessIpv4' | 'accessIpv6'>>,
): Promise<ServerRow | undefined> {
  const [row] = await db
    .update(servers)
    .set({ ...set, updatedAt: new Date() })
    .where(and(eq(servers.id, id), isNull(servers.deletedAt)))
    .returning();
  return row;
}

/** Admin reset: vm_state to active or error, no task in flight. */
export async function resetServerState(db: Queryable, id: string, vmState: 'active' | 'error') {
  const [row] = await db
    .update(servers)
    .set({ vmState, taskState: null, updatedAt: new Date() })
    .where(and(eq(servers.id, id), isNull(servers.deletedAt)))
    .returning();
  return row;
}

/** Ids for new servers (exported so tests and callers never depend on the generator). */
export const newServerId = () => randomUUID();

/** Reservation ids as Nova writes them: r-xxxxxxxx. */
export const newReservationId = () => `r-${randomUUID().replace(/-/g, '').slice(0, 8)}`;
