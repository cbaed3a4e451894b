export * from './bridge-network.driver.js';
