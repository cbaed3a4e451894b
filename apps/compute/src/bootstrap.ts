import type pg from 'pg';

/** The flavors a fresh cloud starts with (Nova's classic m1 set, plus a nano one for tests and small hosts). */
export const DEFAULT_FLAVORS = [
  { id: '0', name: 'm1.nano', vcpus: 1, ramMb: 128, diskGb: 1 },
  { id: '1', name: 'm1.tiny', vcpus: 1, ramMb: 512, diskGb: 1 },
  { id: '2', name: 'm1.small', vcpus: 1, ramMb: 2048, diskGb: 20 },
  { id: '3', name: 'm1.medium', vcpus: 2, ramMb: 4096, diskGb: 40 },
  { id: '4', name: 'm1.large', vcpus: 4, ramMb: 8192, diskGb: 80 },
] as const;

/** Create the default flavors that are missing (by name or id); returns the names created. Idempotent. */
export async function seedFlavors(pool: pg.Pool): Promise<string[]> {
  const created: string[] = [];
  for (const f of DEFAULT_FLAVORS) {
    const r = await pool.query(
      `INSERT INTO compute.flavors (id, name, vcpus, ram_mb, disk_gb)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [f.id, f.name, f.vcpus, f.ramMb, f.diskGb],
    );
    if (r.rowCount) created.push(f.name);
  }
  return created;
}
