import { randomUUID } from 'node:crypto';
import { pgCode } from '@kumo/db';
import { conflict, invalid, notFound } from '@kumo/service-kit';
import { type Client, type Pool, withTx } from './tx.js';

export const AZ_KEY = 'availability_zone';

export interface AggregateRow {
  id: string;
  seq: number;
  name: string;
  metadata: Record<string, string>;
  hosts: string[];
  createdAt: Date;
  updatedAt: Date | null;
}

const COLUMNS = `a.id, a.seq, a.name, a.metadata, a.created_at, a.updated_at,
  COALESCE((SELECT array_agg(ah.provider_id ORDER BY ah.provider_id)
            FROM scheduler.aggregate_hosts ah WHERE ah.aggregate_id = a.id), '{}') AS hosts`;

// biome-ignore lint/suspicious/noExplicitAny: a pg row
const rowOf = (r: any): AggregateRow => ({
  id: r.id,
  seq: r.seq,
  name: r.name,
  metadata: r.metadata ?? {},
  hosts: r.hosts ?? [],
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** `ref` is the aggregate's UUID or its integer id (Nova's `id`). */
const whereRef = (ref: string) =>
  /^\d{1,9}$/.test(ref) ? { sql: 'a.seq = $1::int', arg: ref } : { sql: 'a.id::text = lower($1)', arg: ref };

export async function listAggregates(pool: Pool | Client): Promise<AggregateRow[]> {
  const r = await pool.query(`SELECT ${COLUMNS} FROM scheduler.aggregates a ORDER BY a.seq`);
  return r.rows.map(rowOf);
}

export async function findAggregate(pool: Pool | Client, ref: string): Promise<AggregateRow | undefined> {
  const w = whereRef(ref);
  const r = await pool.query(`SELECT ${COLUMNS} FROM scheduler.aggregates a WHERE ${w.sql}`, [w.arg]);
  return r.rows[0] ? rowOf(r.rows[0]) : undefined;
}

/**
 * Every aggregate change runs under one advisory lock: the zone rules (a host
 * is in at most one zone) look across aggregates, so changes are serialised.
 */
async function locked<T>(
  pool: Pool,
  ref: string | undefined,
  fn: (c: Client, a?: AggregateRow) => Promise<T>,
) {
  return withTx(pool, async (c) => {
    await c.query(`SELECT pg_advisory_xact_lock(hashtext('kumo-scheduler-aggregates'))`);
    if (ref === undefined) return fn(c);
    const a = await findAggregate(c, ref);
    if (!a) throw notFound(`Aggregate ${ref} could not be found.`);
    return fn(c, a);
  });
}

const nameTaken = (name: string) => conflict(`Aggregate ${name} already exists.`);

/** The zones (other than `except`'s) each of `hosts` already has through an aggregate. */
async function otherZones(c: Client, hosts: string[], except: string): Promise<Map<string, string>> {
  const r = await c.query(
    `SELECT ah.provider_id, a.metadata->>'availability_zone' AS zone
       FROM scheduler.aggregate_hosts ah JOIN scheduler.aggregates a ON a.id = ah.aggregate_id
      WHERE ah.provider_id = ANY($1::text[]) AND a.id <> $2 AND a.metadata ? 'availability_zone'`,
    [hosts, except],
  );
  return new Map(r.rows.map((x) => [x.provider_id as string, x.zone as string]));
}

/** Nova's rule: changing a zone is refused while its hosts are in another zone or run servers. */
async function checkZoneChange(c: Client, a: AggregateRow, zone: string | null, action: string) {
  if ((a.metadata[AZ_KEY] ?? null) === zone || a.hosts.length === 0) return;
  const others = [...(await otherZones(c, a.hosts, a.id)).entries()].filter(([, z]) => z !== zone);
  if (others.length > 0)
    throw invalid(
      `Cannot ${action} aggregate ${a.seq}. Reason: One or more hosts already in availability zone(s) ${others.map(([, z]) => z).join(', ')}.`,
    );
  const used = await c.query(
    'SELECT 1 FROM scheduler.allocations WHERE provider_id = ANY($1::text[]) LIMIT 1',
    [a.hosts],
  );
  if ((used.rowCount ?? 0) > 0)
    throw invalid(
      `Cannot ${action} aggregate ${a.seq}. Reason: One or more hosts contain instances in this zone.`,
    );
}

export async function createAggregate(pool: Pool, name: string, zone: string | null): Promise<AggregateRow> {
  const id = randomUUID();
  try {
    await pool.query(`INSERT INTO scheduler.aggregates (id, name, metadata) VALUES ($1, $2, $3)`, [
      id,
      name,
      zone === null ? {} : { [AZ_KEY]: zone },
    ]);
  } catch (err) {
    if (pgCode(err) === '23505') throw nameTaken(name);
    throw err;
  }
  return (await findAggregate(pool, id))!;
}

export async function updateAggregate(
  pool: Pool,
  ref: string,
  patch: { name?: string; zone?: string | null },
): Promise<AggregateRow> {
  return locked(pool, ref, async (c, a) => {
    const meta = { ...a!.metadata };
    if (patch.zone !== undefined) {
      await checkZoneChange(c, a!, patch.zone, 'update');
      if (patch.zone === null) delete meta[AZ_KEY];
      else meta[AZ_KEY] = patch.zone;
    }
    try {
      await c.query(
        `UPDATE scheduler.aggregates SET name = COALESCE($2, name), metadata = $3, updated_at = now()
          WHERE id = $1`,
        [a!.id, patch.name ?? null, meta],
      );
    } catch (err) {
      if (pgCode(err) === '23505') throw nameTaken(patch.name ?? a!.name);
      throw err;
    }
    return (await findAggregate(c, a!.id))!;
  });
}

/** Keys set to null are removed; others are set. */
export async function setAggregateMetadata(
  pool: Pool,
  ref: string,
  metadata: Record<string, string | null>,
): Promise<AggregateRow> {
  return locked(pool, ref, async (c, a) => {
    if (Object.hasOwn(metadata, AZ_KEY)) await checkZoneChange(c, a!, metadata[AZ_KEY] ?? null, 'update');
    const meta = { ...a!.metadata };
    for (const [k, v] of Object.entries(metadata)) {
      if (v === null) delete meta[k];
      else meta[k] = v;
    }
    await c.query('UPDATE scheduler.aggregates SET metadata = $2, updated_at = now() WHERE id = $1', [
      a!.id,
      meta,
    ]);
    return (await findAggregate(c, a!.id))!;
  });
}

export async function deleteAggregate(pool: Pool, ref: string): Promise<void> {
  await locked(pool, ref, async (c, a) => {
    if (a!.hosts.length > 0)
      throw invalid(`Cannot remove aggregate ${a!.seq}. Reason: Host aggregate is not empty.`);
    await c.query('DELETE FROM scheduler.aggregates WHERE id = $1', [a!.id]);
  });
}

export async function addAggregateHost(pool: Pool, ref: string, host: string): Promise<AggregateRow> {
  return locked(pool, ref, async (c, a) => {
    const p = await c.query('SELECT 1 FROM scheduler.resource_providers WHERE id = $1', [host]);
    if ((p.rowCount ?? 0) === 0) throw notFound(`Compute host ${host} could not be found.`);
    if (a!.hosts.includes(host)) throw conflict(`Aggregate ${a!.seq} already has host ${host}.`);
    const zone = a!.metadata[AZ_KEY];
    if (zone !== undefined) {
      const other = (await otherZones(c, [host], a!.id)).get(host);
      if (other !== undefined && other !== zone)
        throw invalid(
          `Cannot add host to aggregate ${a!.seq}. Reason: One or more hosts already in availability zone(s) ${other}.`,
        );
    }
    await c.query('INSERT INTO scheduler.aggregate_hosts (aggregate_id, provider_id) VALUES ($1, $2)', [
      a!.id,
      host,
    ]);
    await c.query('UPDATE scheduler.aggregates SET updated_at = now() WHERE id = $1', [a!.id]);
    return (await findAggregate(c, a!.id))!;
  });
}

export async function removeAggregateHost(pool: Pool, ref: string, host: string): Promise<AggregateRow> {
  return locked(pool, ref, async (c, a) => {
    const r = await c.query(
      'DELETE FROM scheduler.aggregate_hosts WHERE aggregate_id = $1 AND provider_id = $2',
      [a!.id, host],
    );
    if ((r.rowCount ?? 0) === 0)
      throw notFound(`Cannot remove host ${host} in aggregate ${a!.seq}: host not found.`);
    await c.query('UPDATE scheduler.aggregates SET updated_at = now() WHERE id = $1', [a!.id]);
    return (await findAggregate(c, a!.id))!;
  });
}
