import type { Pool } from '@kumo/db';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';

/** The network service's database handle (queries are built from the tables in schema*.ts). */
export type NetworkDb = NodePgDatabase;
/** A transaction on it. */
export type NetworkTx = Parameters<Parameters<NetworkDb['transaction']>[0]>[0];
/** Either: repository functions that may run inside or outside a transaction take this. */
export type Executor = NetworkDb | NetworkTx;

export const openNetworkDb = (pool: Pool): NetworkDb => drizzle(pool);
