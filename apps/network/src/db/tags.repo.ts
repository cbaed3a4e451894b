import { type AnyColumn, and, eq, type SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Executor } from './database.js';
import { visibleNetworks } from './networks.repo.js';
import { visiblePorts } from './ports.repo.js';
import { networks, ports, subnets } from './schema.js';
import { floatingIps, routers } from './schema-l3.js';
import { securityGroups } from './schema-security.js';
import { subnetpools } from './schema-subnetpools.js';
import { visibleSubnetpools } from './subnetpools.repo.js';
import { visibleSubnets } from './subnets.repo.js';

/** A tagged collection: its table, standard columns and who sees its rows. */
export interface Tagged {
  table: PgTable;
  id: AnyColumn;
  projectId: AnyColumn;
  tags: AnyColumn;
  revisionNumber: AnyColumn;
  updatedAt: AnyColumn;
  notFoundType: string;
  singular: string;
  visible: (projectId: string | undefined, isAdmin: boolean) => SQL | undefined;
}

const own =
  (col: AnyColumn) =>
  (projectId: string | undefined, isAdmin: boolean): SQL | undefined =>
    isAdmin ? undefined : projectId === undefined ? sql`false` : eq(col, projectId);

const cols = <
  T extends {
    id: AnyColumn;
    projectId: AnyColumn;
    tags: AnyColumn;
    revisionNumber: AnyColumn;
    updatedAt: AnyColumn;
  },
>(
  t: T,
) => ({
  id: t.id,
  projectId: t.projectId,
  tags: t.tags,
  revisionNumber: t.revisionNumber,
  updatedAt: t.updatedAt,
});

/** Collections with tags, by URL segment. */
export const TAGGED: Record<string, Tagged> = {
  networks: {
    table: networks,
    ...cols(networks),
    notFoundType: 'NetworkNotFound',
    singular: 'Network',
    visible: visibleNetworks,
  },
  subnets: {
    table: subnets,
    ...cols(subnets),
    notFoundType: 'SubnetNotFound',
    singular: 'Subnet',
    visible: visibleSubnets,
  },
  ports: {
    table: ports,
    ...cols(ports),
    notFoundType: 'PortNotFound',
    singular: 'Port',
    visible: visiblePorts,
  },
  'security-groups': {
    table: securityGroups,
    ...cols(securityGroups),
    notFoundType: 'SecurityGroupNotFound',
    singular: 'Security group',
    visible: own(securityGroups.projectId),
  },
  routers: {
    table: routers,
    ...cols(routers),
    notFoundType: 'RouterNotFound',
    singular: 'Router',
    visible: own(routers.projectId),
  },
  subnetpools: {
    table: subnetpools,
    ...cols(subnetpools),
    notFoundType: 'SubnetPoolNotFound',
    singular: 'Subnet pool',
    visible: visibleSubnetpools,
  },
  floatingips: {
    table: floatingIps,
    ...cols(floatingIps),
    notFoundType: 'FloatingIPNotFound',
    singular: 'Floating IP',
    visible: own(floatingIps.projectId),
  },
};

export async function findTagged(
  db: Executor,
  t: Tagged,
  id: string,
  scope: SQL | undefined,
): Promise<{ projectId: string; tags: string[] } | undefined> {
  const [row] = await db
    .select({ projectId: sql<string>`${t.projectId}`, tags: sql<string[]>`${t.tags}` })
    .from(t.table)
    .where(scope ? and(eq(t.id, id), scope) : eq(t.id, id));
  return row;
}

async function setRaw(
  db: Executor,
  t: Tagged,
  id: string,
  expr: SQL,
  where?: SQL,
): Promise<string[] | undefined> {
  const res = await db.execute<{ tags: string[] }>(sql`
    UPDATE ${t.table} SET ${sql.identifier(t.tags.name)} = ${expr},
      ${sql.identifier(t.revisionNumber.name)} = ${t.revisionNumber} + 1,
      ${sql.identifier(t.updatedAt.name)} = now()
    WHERE ${t.id} = ${id}${where ? sql` AND ${where}` : sql``}
    RETURNING ${sql.identifier(t.tags.name)} AS tags`);
  return res.rows[0]?.tags;
}

export const replaceTags = (db: Executor, t: Tagged, id: string, tags: string[]) =>
  setRaw(
    db,
    t,
    id,
    sql`ARRAY[${sql.join(
      tags.map((x) => sql`${x}`),
      sql`, `,
    )}]::text[]`,
  );

/** Add one tag (no change when present); undefined when the row is gone. */
export const addTag = (db: Executor, t: Tagged, id: string, tag: string) =>
  setRaw(db, t, id, sql`array_append(${t.tags}, ${tag}::text)`, sql`NOT (${tag}::text = ANY(${t.tags}))`);

/** Remove one tag; undefined when the row is gone or lacked it. */
export const removeTag = (db: Executor, t: Tagged, id: string, tag: string) =>
  setRaw(db, t, id, sql`array_remove(${t.tags}, ${tag}::text)`, sql`${tag}::text = ANY(${t.tags})`);
