export * from './download.js';
export * from './local-storage.driver.js';
export * from './qemu-img.js';
