import type { HostState } from '../domain/host-state.js';
import type { InventoryLimits, ResourceClass } from '../domain/resources.js';
import { RESOURCE_CLASSES } from '../domain/resources.js';
import { type Pool, withTx } from './tx.js';

export interface ProviderRow extends HostState {
  agentVersion: string | null;
  inventory: Record<string, unknown>;
  registeredAt: number;
  customTraits: Set<string>;
}

export interface ProviderUpsert {
  id: string;
  hostname: string;
  address: string;
  agentVersion: string | null;
  hypervisor: string;
  arch: string;
  inventory: Record<string, unknown>;
  at: number;
  inventories: Record<ResourceClass, InventoryLimits>;
  traits: string[];
}

/** Registration: upsert the provider, its inventories (keeping operator overrides) and its own traits. */
export async function upsertProvider(pool: Pool, p: ProviderUpsert): Promise<void> {
  await withTx(pool, async (c) => {
    await c.query(
      `INSERT INTO scheduler.resource_providers
         (id, hostname, address, agent_version, hypervisor, arch, inventory, registered_at, last_heartbeat_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
       ON CONFLICT (id) DO UPDATE SET hostname = EXCLUDED.hostname, address = EXCLUDED.address,
         agent_version = EXCLUDED.agent_version, hypervisor = EXCLUDED.hypervisor, arch = EXCLUDED.arch,
         inventory = EXCLUDED.inventory, last_heartbeat_at = EXCLUDED.last_heartbeat_at, updated_at = now()`,
      [p.id, p.hostname, p.address, p.agentVersion, p.hypervisor, p.arch, p.inventory, new Date(p.at)],
    );
    const params: unknown[] = [p.id];
    const rows = RESOURCE_CLASSES.map((rc) => {
      const i = p.inventories[rc];
      const b = params.length;
      params.push(rc, i.total, i.reserved, i.allocationRatio, i.minUnit, i.maxUnit, i.stepSize);
      return `($1, $${b + 1}, $${b + 2}::int, $${b + 3}::int, $${b + 4}::float8, $${b + 5}::int, $${b + 6}::int, $${b + 7}::int)`;
    });
    await c.query(
      `INSERT INTO scheduler.inventories
         (provider_id, resource_class, total, reserved, allocation_ratio, min_unit, max_unit, step_size)
       VALUES ${rows.join(', ')}
       ON CONFLICT (provider_id, resource_class) DO UPDATE SET total = EXCLUDED.total,
         min_unit = EXCLUDED.min_unit, max_unit = EXCLUDED.max_unit, step_size = EXCLUDED.step_size,
         reserved = CASE WHEN inventories.overridden THEN inventories.reserved ELSE EXCLUDED.reserved END,
         allocation_ratio = CASE WHEN inventories.overridden THEN inventories.allocation_ratio
                                 ELSE EXCLUDED.allocation_ratio END`,
      params,
    );
    await c.query(
      `DELETE FROM scheduler.provider_traits WHERE provider_id = $1 AND NOT custom AND trait <> ALL($2::text[])`,
      [p.id, p.traits],
    );
    await c.query(
      `INSERT INTO scheduler.provider_traits (provider_id, trait, custom)
       SELECT $1, t, false FROM unnest($2::text[]) t ON CONFLICT DO NOTHING`,
      [p.id, p.traits],
    );
  });
}

export async function heartbeatProvider(
  pool: Pool,
  id: string,
  at: number,
): Promise<ProviderRow | undefined> {
  const r = await pool.query(
    'UPDATE scheduler.resource_providers SET last_heartbeat_at = $2 WHERE id = $1 RETURNING *',
    [id, new Date(at)],
  );
  return r.rows[0] ? providerOf(r.rows[0]) : undefined;
}

// biome-ignore lint/suspicious/noExplicitAny: a pg row
const providerOf = (r: any): ProviderRow => ({
  id: r.id,
  hostname: r.hostname,
  address: r.address,
  agentVersion: r.agent_version,
  arch: r.arch,
  hypervisor: r.hypervisor,
  inventory: r.inventory ?? {},
  enabled: r.enabled,
  disabledReason: r.disabled_reason,
  availabilityZone: r.effective_zone ?? r.availability_zone,
  registeredAt: r.registered_at.getTime(),
  lastHeartbeatAt: r.last_heartbeat_at.getTime(),
  traits: new Set(),
  customTraits: new Set(),
  inventories: {},
});

const LEAN_COLUMNS = `id, hostname, address, agent_version, arch, hypervisor, enabled, disabled_reason,
  availability_zone, registered_at, last_heartbeat_at`;

/** A host's zone: that of an aggregate holding it with an `availability_zone`, else its own. */
const EFFECTIVE_ZONE = `(SELECT a.metadata->>'availability_zone'
    FROM scheduler.aggregate_hosts ah JOIN scheduler.aggregates a ON a.id = ah.aggregate_id
   WHERE ah.provider_id = resource_providers.id AND a.metadata ? 'availability_zone'
   ORDER BY a.seq LIMIT 1) AS effective_zone`;

/** Every provider (or one) with its inventories, usage and traits; `lean` leaves the agent's report out. */
export async function loadProviders(
  pool: Pool,
  id?: string,
  opts: { lean?: boolean } = {},
): Promise<ProviderRow[]> {
  const where = id === undefined ? '' : 'WHERE provider_id = $1';
  const args = id === undefined ? [] : [id];
  const cols = `${opts.lean ? LEAN_COLUMNS : '*'}, ${EFFECTIVE_ZONE}`;
  const [ps, invs, traits] = await Promise.all([
    pool.query(
      `SELECT ${cols} FROM scheduler.resource_providers ${id === undefined ? '' : 'WHERE id = $1'}`,
      args,
    ),
    pool.query(`SELECT * FROM scheduler.inventories ${where}`, args),
    pool.query(`SELECT * FROM scheduler.provider_traits ${where}`, args),
  ]);
  const byId = new Map<string, ProviderRow>();
  for (const r of ps.rows) byId.set(r.id, providerOf(r));
  for (const r of invs.rows) {
    const p = byId.get(r.provider_id);
    if (!p) continue;
    p.inventories[r.resource_class as ResourceClass] = {
      total: r.total,
      reserved: r.reserved,
      allocationRatio: r.allocation_ratio,
      minUnit: r.min_unit,
      maxUnit: r.max_unit,
      stepSize: r.step_size,
      used: r.used,
    };
  }
  for (const r of traits.rows) {
    const p = byId.get(r.provider_id);
    if (!p) continue;
    p.traits.add(r.trait);
    if (r.custom) p.customTraits.add(r.trait);
  }
  return [...byId.values()];
}

export interface ProviderPatch {
  enabled?: boolean;
  disabledReason?: string | null;
  availabilityZone?: string;
  reserved?: Partial<Record<ResourceClass, number>>;
  allocationRatios?: Partial<Record<ResourceClass, number>>;
}

/** An operator's change to a host; false when there is no such host. */
export async function updateProvider(pool: Pool, id: string, p: ProviderPatch): Promise<boolean> {
  return withTx(pool, async (c) => {
    const r = await c.query(
      `UPDATE scheduler.resource_providers SET
         enabled = COALESCE($2, enabled),
         disabled_reason = CASE WHEN $3::boolean THEN $4 WHEN $2 IS TRUE THEN NULL ELSE disabled_reason END,
         availability_zone = COALESCE($5, availability_zone), updated_at = now()
       WHERE id = $1`,
      [
        id,
        p.enabled ?? null,
        p.disabledReason !== undefined,
        p.disabledReason ?? null,
        p.availabilityZone ?? null,
      ],
    );
    if ((r.rowCount ?? 0) === 0) return false;
    for (const rc of RESOURCE_CLASSES) {
      const reserved = p.reserved?.[rc];
      const ratio = p.allocationRatios?.[rc];
      if (reserved === undefined && ratio === undefined) continue;
      await c.query(
        `UPDATE scheduler.inventories SET reserved = COALESCE($3, reserved),
           allocation_ratio = COALESCE($4, allocation_ratio), overridden = true
         WHERE provider_id = $1 AND resource_class = $2`,
        [id, rc, reserved ?? null, ratio ?? null],
      );
    }
    return true;
  });
}

/** Replace the operator's traits of a host; false when there is no such host. */
export async function setCustomTraits(pool: Pool, id: string, traits: string[]): Promise<boolean> {
  return withTx(pool, async (c) => {
    const r = await c.query('SELECT 1 FROM scheduler.resource_providers WHERE id = $1 FOR UPDATE', [id]);
    if ((r.rowCount ?? 0) === 0) return false;
    await c.query('DELETE FROM scheduler.provider_traits WHERE provider_id = $1 AND custom', [id]);
    await c.query(
      `INSERT INTO scheduler.provider_traits (provider_id, trait, custom)
       SELECT $1, t, true FROM unnest($2::text[]) t
       ON CONFLICT (provider_id, trait) DO UPDATE SET custom = true`,
      [id, traits],
    );
    return true;
  });
}
