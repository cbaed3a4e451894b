export * from './network.client.js';
