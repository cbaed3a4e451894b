// Running OVN and Open vSwitch daemons: OVN central (NB/SB ovsdb-server + ovn-northd) and a
// host's chassis (ovsdb-server + ovs-vswitchd + ovn-controller). Filled in by central.ts / chassis.ts.
export {
  ensureOvnCentral,
  OVN_NB_SCHEMA,
  OVN_SB_SCHEMA,
  type OvnCentral,
  type OvnCentralOptions,
  ovnCentralMissing,
  startOvnCentral,
} from './central.js';
export {
  type Chassis,
  type ChassisDaemon,
  type ChassisOptions,
  chassisEnv,
  chassisMissing,
  ensureChassis,
  startChassis,
  stopChassis,
  VSWITCH_SCHEMA,
} from './chassis.js';
export {
  type BridgeSpec,
  deletePort,
  ensureBridge,
  ensureOpenVswitchRow,
  ensurePort,
  getOvsExternalIds,
  listInterfaces,
  type OvsInterface,
  type PortSpec,
  setOvsExternalIds,
  waitInterfaceReady,
} from './chassis-ovsdb.js';
export {
  type DatapathProbe,
  type DatapathType,
  detectDatapath,
  kernelDatapathAvailable,
  resolveDatapath,
} from './datapath.js';
