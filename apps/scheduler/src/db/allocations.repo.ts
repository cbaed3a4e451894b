import { isUniqueViolation } from '@kumo/db';
import type { ServerGroupRef } from '../domain/host-state.js';
import { type InventoryState, type ResourceClass, type Resources, requested } from '../domain/resources.js';
import { type Client, type Pool, Rollback, withTx, withTxOr } from './tx.js';

export interface ClaimInput {
  consumerId: string;
  providerId: string;
  resources: Resources;
  projectId: string;
  userId: string;
  group?: ServerGroupRef;
  /** Drop the consumer's current allocations in the same transaction (resize/rebuild on a given host). */
  replace?: boolean;
  /** The group to record when `group` is not given (kept across a replace). */
  groupId?: string | null;
}

/** New usage of the classes a claim or release touched, per provider. */
export type UsageUpdate = { providerId: string; resourceClass: ResourceClass; used: number }[];

export type ClaimOutcome =
  | { ok: true; usage: UsageUpdate }
  | { ok: false; reason: 'capacity'; inventories: Partial<Record<ResourceClass, InventoryState>> }
  | { ok: false; reason: 'group'; detail: string }
  | { ok: false; reason: 'exists' };

export interface ConsumerAllocations {
  consumerId: string;
  providerId: string;
  projectId: string;
  userId: string;
  groupId: string | null;
  resources: Resources;
}

const HARD = new Set(['affinity', 'anti-affinity']);

const usageOf = (rows: { provider_id: string; resource_class: ResourceClass; used: number }[]): UsageUpdate =>
  rows.map((r) => ({ providerId: r.provider_id, resourceClass: r.resource_class, used: r.used }));

/** Hosts holding the other members of a group → how many members each. */
export async function groupHosts(
  db: Pool | Client,
  groupId: string,
  exceptConsumer: string,
): Promise<Map<string, number>> {
  const r = await db.query(
    `SELECT provider_id, count(DISTINCT consumer_id)::int AS n FROM scheduler.allocations
     WHERE group_id = $1 AND consumer_id <> $2 GROUP BY provider_id`,
    [groupId, exceptConsumer],
  );
  return new Map(r.rows.map((x) => [x.provider_id as string, x.n as number]));
}

async function releaseIn(db: Pool | Client, consumerId: string): Promise<UsageUpdate> {
  // one statement: the allocation rows and the usage they held go together
  const r = await db.query(
    `WITH del AS (
       DELETE FROM scheduler.allocations WHERE consumer_id = $1
       RETURNING provider_id, resource_class, amount)
     UPDATE scheduler.inventories i SET used = i.used - d.amount
     FROM (SELECT * FROM del ORDER BY provider_id, resource_class) d
     WHERE i.provider_id = d.provider_id AND i.resource_class = d.resource_class
     RETURNING i.provider_id, i.resource_class, i.used`,
    [consumerId],
  );
  return usageOf(r.rows);
}

/**
 * The claim itself, one statement: lock the provider's inventory rows (in
 * class order, so claims never deadlock), check that every class fits on the
 * locked — latest — rows, and only then add to the usage counters and write
 * the allocation rows. Nothing is written unless everything fits; a second
 * claim on the same rows waits for the lock and then sees the new usage.
 */
async function claimIn(db: Pool | Client, input: ClaimInput, groupId: string | null): Promise<ClaimOutcome> {
  const want = requested(input.resources);
  if (want.length === 0) return { ok: true, usage: [] };
  const params: unknown[] = [input.providerId, input.consumerId, input.projectId, input.userId, groupId];
  const values = want.map(([rc, n]) => {
    params.push(rc, n);
    return `($${params.length - 1}::text, $${params.length}::int)`;
  });
  let row: { ok: boolean; usage: { provider_id: string; resource_class: ResourceClass; used: number }[] };
  try {
    const r = await db.query(
      `WITH want(rc, amount) AS (VALUES ${values.join(', ')}),
       locked AS (
         SELECT i.resource_class, w.amount,
                (w.amount >= i.min_unit AND w.amount <= i.max_unit AND w.amount % i.step_size = 0
                 AND i.used + w.amount <= floor((i.total - i.reserved) * i.allocation_ratio)) AS fits
         FROM scheduler.inventories i JOIN want w ON i.resource_class = w.rc
         WHERE i.provider_id = $1
         ORDER BY i.resource_class
         FOR UPDATE OF i),
       ok AS (SELECT count(*) FILTER (WHERE fits) = ${want.length} AS all_fit FROM locked),
       upd AS (
         UPDATE scheduler.inventories i SET used = i.used + l.amount
         FROM locked l, ok
         WHERE ok.all_fit AND i.provider_id = $1 AND i.resource_class = l.resource_class
         RETURNING i.provider_id, i.resource_class, i.used),
       ins AS (
         INSERT INTO scheduler.allocations
           (consumer_id, resource_class, provider_id, amount, project_id, user_id, group_id)
         SELECT $2::uuid, w.rc, $1, w.amount, $3, $4, $5::uuid FROM want w, ok WHERE ok.all_fit
         RETURNING 1)
       SELECT (SELECT all_fit FROM ok) AS ok,
              (SELECT coalesce(json_agg(upd), '[]'::json) FROM upd) AS usage,
              (SELECT count(*) FROM ins) AS inserted`,
      params,
    );
    row = r.rows[0];
  } catch (err) {
    if (isUniqueViolation(err)) return { ok: false, reason: 'exists' };
    throw err;
  }
  if (!row.ok) return { ok: false, reason: 'capacity', inventories: {} };
  return { ok: true, usage: usageOf(row.usage) };
}

/**
 * Claim resources on one provider, atomically (see claimIn). A hard
 * server-group policy is checked under an advisory lock on the group, in the
 * same transaction, so two members cannot both pass the check and collide; a
 * replace drops the consumer's allocations in that transaction too.
 */
export async function claim(pool: Pool, input: ClaimInput): Promise<ClaimOutcome> {
  const g = input.group;
  const groupId = g?.id ?? input.groupId ?? null;
  const hard = g !== undefined && HARD.has(g.policy);
  const out =
    !hard && !input.replace
      ? await claimIn(pool, input, groupId)
      : await withTxOr<ClaimOutcome, ClaimOutcome>(pool, async (c) => {
          const released = input.replace ? await releaseIn(c, input.consumerId) : [];
          if (g && hard) {
            await c.query("SELECT pg_advisory_xact_lock(hashtextextended('kumo-server-group:' || $1, 0))", [
              g.id,
            ]);
            const hosts = await groupHosts(c, g.id, input.consumerId);
            const here = hosts.get(input.providerId) ?? 0;
            const max = g.maxServerPerHost ?? 1;
            if (g.policy === 'anti-affinity' && here >= max)
              throw new Rollback<ClaimOutcome>({
                ok: false,
                reason: 'group',
                detail: `host ${input.providerId} already holds ${here} member(s) of anti-affinity group ${g.id}`,
              });
            if (g.policy === 'affinity' && hosts.size > 0 && here === 0)
              throw new Rollback<ClaimOutcome>({
                ok: false,
                reason: 'group',
                detail: `the members of affinity group ${g.id} are on ${[...hosts.keys()].join(', ')}`,
              });
          }
          const r = await claimIn(c, input, groupId);
          if (!r.ok) throw new Rollback(r);
          return { ok: true, usage: [...released, ...r.usage] };
        });
  if (out.ok || out.reason !== 'capacity') return out;
  return { ...out, inventories: await inventoriesOf(pool, input.providerId) };
}

export async function inventoriesOf(
  pool: Pool,
  providerId: string,
): Promise<Partial<Record<ResourceClass, InventoryState>>> {
  const r = await pool.query('SELECT * FROM scheduler.inventories WHERE provider_id = $1', [providerId]);
  return Object.fromEntries(
    r.rows.map((x) => [
      x.resource_class,
      {
        total: x.total,
        reserved: x.reserved,
        allocationRatio: x.allocation_ratio,
        minUnit: x.min_unit,
        maxUnit: x.max_unit,
        stepSize: x.step_size,
        used: x.used,
      },
    ]),
  );
}

/** Drop a consumer's allocations (idempotent): the usage it changed (empty when there were none). */
export function release(pool: Pool, consumerId: string): Promise<UsageUpdate> {
  return withTx(pool, (c) => releaseIn(c, consumerId));
}

export async function getAllocations(
  pool: Pool,
  consumerId: string,
): Promise<ConsumerAllocations | undefined> {
  const r = await pool.query('SELECT * FROM scheduler.allocations WHERE consumer_id = $1', [consumerId]);
  const first = r.rows[0];
  if (!first) return undefined;
  return {
    consumerId,
    providerId: first.provider_id,
    projectId: first.project_id,
    userId: first.user_id,
    groupId: first.group_id,
    resources: Object.fromEntries(r.rows.map((x) => [x.resource_class, x.amount])),
  };
}
