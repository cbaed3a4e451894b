import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../context.js';
import type { ConfigValue } from '../domain/domain-config-options.js';
import { domainConfigs } from './schema.js';

export interface ConfigOption {
  group: string;
  option: string;
  value: ConfigValue;
  sensitive: boolean;
}

export interface ConfigFilter {
  group?: string;
  option?: string;
  /** true: only sensitive options; false: only readable ones; undefined: both. */
  sensitive?: boolean;
}

/** jsonb: a JSON null must be written as the literal, not as SQL NULL (the column is NOT NULL). */
const jsonValue = (v: ConfigValue) => sql`${JSON.stringify(v)}::jsonb`;

function where(domainId: string, f: ConfigFilter): SQL | undefined {
  return and(
    eq(domainConfigs.domainId, domainId),
    f.group === undefined ? undefined : eq(domainConfigs.group, f.group),
    f.option === undefined ? undefined : eq(domainConfigs.option, f.option),
    f.sensitive === undefined ? undefined : eq(domainConfigs.sensitive, f.sensitive),
  );
}

export async function listConfigOptions(
  db: Db,
  domainId: string,
  f: ConfigFilter = {},
): Promise<ConfigOption[]> {
  const rows = await db
    .select()
    .from(domainConfigs)
    .where(where(domainId, f))
    .orderBy(domainConfigs.group, domainConfigs.option);
  return rows.map((r) => ({
    group: r.group,
    option: r.option,
    value: r.value as ConfigValue,
    sensitive: r.sensitive,
  }));
}

/** Replace a domain's whole configuration (Keystone's create: no conflict, the old one goes). */
export async function replaceConfig(db: Db, domainId: string, options: ConfigOption[]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(domainConfigs).where(eq(domainConfigs.domainId, domainId));
    if (options.length > 0)
      await tx
        .insert(domainConfigs)
        .values(options.map((o) => ({ domainId, ...o, value: jsonValue(o.value) })));
  });
}

/** Create or overwrite the given options, leaving the others as they are. */
export async function upsertConfigOptions(db: Db, domainId: string, options: ConfigOption[]): Promise<void> {
  if (options.length === 0) return;
  await db
    .insert(domainConfigs)
    .values(options.map((o) => ({ domainId, ...o, value: jsonValue(o.value) })))
    .onConflictDoUpdate({
      target: [domainConfigs.domainId, domainConfigs.group, domainConfigs.option],
      set: { value: sql`excluded.value`, sensitive: sql`excluded.sensitive` },
    });
}

export async function deleteConfigOptions(db: Db, domainId: string, f: ConfigFilter = {}): Promise<void> {
  await db.delete(domainConfigs).where(where(domainId, f));
}
