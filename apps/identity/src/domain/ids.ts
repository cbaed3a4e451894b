import { randomUUID } from 'node:crypto';

/** Keystone-style ids: 32 lowercase hex characters. */
export const newId = (): string => randomUUID().replace(/-/g, '');
