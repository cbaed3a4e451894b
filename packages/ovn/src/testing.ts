// Test helpers: simulated hosts (network namespaces with their own OVS + ovn-controller) and
// VM stand-ins, and a whole simulated cloud (underlay + OVN central + hosts).

export {
  type AddVmOptions,
  createSimHosts,
  createSimUnderlay,
  type SimHost,
  type SimHosts,
  type SimHostsOptions,
  type SimUnderlay,
  type SimVm,
  simHostsMissing,
} from './sim-host.testing.js';
export { createSimCloud, type SimCloud, simCloudMissing } from './sim-host-cloud.testing.js';
