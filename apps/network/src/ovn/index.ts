// Neutron → OVN northbound: the mapping, the per-object writer and the full reconciler.
export type { MappingOptions } from './desired.js';
export type {
  FloatingIpModel,
  NetModel,
  NetworkType,
  OvnModels,
  OvnStateSource,
  PortModel,
  RouterModel,
  SecurityGroupModel,
  SecurityGroupRuleModel,
  SubnetModel,
} from './model.js';
export { snapshotSource } from './model.js';
export type { SyncCounts } from './nb-plan.js';
export { lrName, lrpName, lsName, PG_DROP, pgName } from './nb-rows.js';
export type { SyncLog, WriterStats } from './ovn-nb.writer.js';
export { createOvnSync, type OvnSync, type OvnSyncOptions } from './ovn-sync.js';
export type { ReconcileResult } from './reconciler.js';
