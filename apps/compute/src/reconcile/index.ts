export * from './power-state.js';
export * from './power-sync.js';
