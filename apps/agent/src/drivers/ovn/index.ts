export { OvnNetworkDriver, type OvnNetworkOptions, tapName } from './ovn-network.driver.js';
