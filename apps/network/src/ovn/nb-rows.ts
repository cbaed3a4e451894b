import type { Value } from '@kumo/ovsdb';
import type { SyncKind } from '../domain/sync.js';

/** The OVN northbound tables Kumo writes. */
export type NbTable =
  | 'Logical_Switch'
  | 'Logical_Switch_Port'
  | 'DHCP_Options'
  | 'Port_Group'
  | 'ACL'
  | 'Logical_Router'
  | 'Logical_Router_Port'
  | 'Gateway_Chassis'
  | 'Logical_Router_Static_Route'
  | 'NAT';

export const NB_DB = 'OVN_Northbound';

export const NB_TABLES: readonly NbTable[] = [
  'Logical_Switch',
  'Logical_Switch_Port',
  'DHCP_Options',
  'Port_Group',
  'ACL',
  'Logical_Router',
  'Logical_Router_Port',
  'Gateway_Chassis',
  'Logical_Router_Static_Route',
  'NAT',
];

/** Root tables; every other table's rows live only while a parent references them (strongly). */
export const ROOT_TABLES: ReadonlySet<NbTable> = new Set([
  'Logical_Switch',
  'DHCP_Options',
  'Port_Group',
  'Logical_Router',
]);

/** Where rows of a table can be referenced from (parent table, column), for membership repair. */
export const CONTAINERS: Readonly<Partial<Record<NbTable, readonly [NbTable, string][]>>> = {
  Logical_Switch_Port: [
    ['Logical_Switch', 'ports'],
    ['Port_Group', 'ports'],
  ],
  ACL: [['Port_Group', 'acls']],
  Logical_Router_Port: [['Logical_Router', 'ports']],
  Gateway_Chassis: [['Logical_Router_Port', 'gateway_chassis']],
  Logical_Router_Static_Route: [['Logical_Router', 'static_routes']],
  NAT: [['Logical_Router', 'nat']],
};

/** Columns Kumo owns per table: a change by someone else to one of them makes Kumo re-sync the row. */
export const MANAGED_COLUMNS: Readonly<Record<NbTable, readonly string[]>> = {
  Logical_Switch: ['name', 'external_ids', 'other_config'],
  Logical_Switch_Port: [
    'name',
    'type',
    'addresses',
    'port_security',
    'options',
    'enabled',
    'external_ids',
    'dhcpv4_options',
    'dhcpv6_options',
  ],
  DHCP_Options: ['cidr', 'options', 'external_ids'],
  Port_Group: ['name', 'external_ids'],
  ACL: ['priority', 'direction', 'match', 'action', 'external_ids'],
  Logical_Router: ['name', 'enabled', 'options', 'external_ids'],
  Logical_Router_Port: ['name', 'mac', 'networks', 'options', 'enabled', 'external_ids'],
  Gateway_Chassis: ['name', 'chassis_name', 'priority', 'external_ids'],
  Logical_Router_Static_Route: ['ip_prefix', 'nexthop', 'external_ids'],
  NAT: ['type', 'external_ip', 'logical_ip', 'logical_port', 'external_mac', 'external_ids'],
};

/** external_ids keys marking a row as Kumo's: the owning Neutron object and the row's id within it. */
export const OWNER_KEY = 'kumo:owner';
export const RID_KEY = 'kumo:rid';

/** What owns NB rows: one Neutron object, or the global drop port group. */
export type OwnerKind = SyncKind | 'global';
export const GLOBAL_DROP_OWNER = 'global:neutron_pg_drop';

export const ownerKey = (kind: OwnerKind, id: string): string => `${kind}:${id}`;

export function parseOwner(owner: string): { kind: OwnerKind; id: string } | undefined {
  const i = owner.indexOf(':');
  if (i <= 0) return undefined;
  const kind = owner.slice(0, i);
  const kinds: OwnerKind[] = ['network', 'port', 'security_group', 'router', 'floating_ip', 'global'];
  if (!kinds.includes(kind as OwnerKind)) return undefined;
  return { kind: kind as OwnerKind, id: owner.slice(i + 1) };
}

/** A reference to a Kumo row: owner key + row id. */
export interface RowRef {
  owner: string;
  rid: string;
}

/** A container the row must be in: a row of this owner (by rid) or a root row found by name. */
export interface Placement {
  table: NbTable;
  column: string;
  parent: { rid: string } | { name: string };
  /** Required: a missing parent is an error (retried); otherwise the membership is skipped. */
  required: boolean;
}

/** One NB row as Kumo wants it. `columns` are compared and written; other columns are left alone. */
export interface DesiredRow {
  table: NbTable;
  /** Stable id of the row within its owner (stored in external_ids kumo:rid). */
  rid: string;
  columns: Record<string, Value>;
  /** Reference columns written as a whole; a target that does not exist (yet) is left out. */
  refs?: Record<string, RowRef[]>;
  parents?: Placement[];
}

// ---- Neutron's OVN naming ----
export const lsName = (networkId: string) => `neutron-${networkId}`;
export const lrName = (routerId: string) => `neutron-${routerId}`;
export const lrpName = (portId: string) => `lrp-${portId}`;
export const pgName = (sgId: string) => `pg_${sgId.replace(/-/g, '_')}`;
export const PG_DROP = 'neutron_pg_drop';
export const localnetName = (networkId: string) => `provnet-${networkId}`;
