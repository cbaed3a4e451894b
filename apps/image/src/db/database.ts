import type { Pool } from '@kumo/db';
import { drizzle } from 'drizzle-orm/node-postgres';
import type { ImageDb } from './images.repo.js';
import * as schema from './schema.js';

export const openImageDb = (pool: Pool): ImageDb => drizzle(pool, { schema });
