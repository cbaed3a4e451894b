import { sql } from 'drizzle-orm';
import { boolean, index, integer, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { network, standardColumns } from './columns.js';

/** Neutron security groups. One `default` group per project (partial unique index). */
export const securityGroups = network.table(
  'security_groups',
  {
    ...standardColumns(),
    stateful: boolean('stateful').notNull().default(true),
  },
  (t) => [
    index('security_groups_project_idx').on(t.projectId),
    uniqueIndex('security_groups_default_uq').on(t.projectId).where(sql`name = 'default'`),
  ],
);

/** Security group rules (no name/tags in Neutron views, but standard columns keep revision/timestamps). */
export const securityGroupRules = network.table(
  'security_group_rules',
  {
    ...standardColumns(),
    securityGroupId: text('security_group_id')
      .notNull()
      .references(() => securityGroups.id, { onDelete: 'cascade' }),
    direction: text('direction').notNull(),
    ethertype: text('ethertype').notNull(),
    protocol: text('protocol'),
    portRangeMin: integer('port_range_min'),
    portRangeMax: integer('port_range_max'),
    remoteIpPrefix: text('remote_ip_prefix'),
    normalizedCidr: text('normalized_cidr'),
    remoteGroupId: text('remote_group_id'),
  },
  (t) => [
    index('security_group_rules_sg_idx').on(t.securityGroupId),
    index('security_group_rules_remote_idx').on(t.remoteGroupId),
    index('security_group_rules_project_idx').on(t.projectId),
  ],
);
