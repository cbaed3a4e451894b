import { openServiceBase, Policy, type ServiceRuntime } from '@kumo/service-kit';
import type { FastifyInstance } from 'fastify';
import { buildNetworkApp } from './app.js';
import { defaultMtuOf, type NetworkConfig } from './config.js';
import type { NetworkContext } from './context.js';
import { openNetworkDb } from './db/database.js';
import { dbOvnSource } from './db/ovn-state.repo.js';
import { networkPolicyDefaults } from './domain/policy-defaults.js';
import { type NetworkSync, noSync } from './domain/sync.js';
import { createOvnSync, type OvnSync } from './ovn/index.js';

export interface NetworkService {
  app: FastifyInstance;
  ctx: NetworkContext;
  /** The OVN northbound writer + reconciler, when KUMO_OVN_NB_CONNECTION is set. */
  ovn: OvnSync | undefined;
  close(): Promise<void>;
}

export interface NetworkServiceOptions {
  /** Where committed changes are announced (the OVN writer); default: nowhere. */
  sync?: NetworkSync;
  /** Pool size (default 10). */
  poolMax?: number;
}

/** Build the network service on the shared runtime: database, policy, app. Does not listen. */
export async function createNetworkService(
  rt: ServiceRuntime,
  env: NetworkConfig,
  opts: NetworkServiceOptions = {},
): Promise<NetworkService> {
  const base = await openServiceBase(rt, 'network', { poolMax: opts.poolMax });
  let ovn: OvnSync | undefined;
  try {
    const db = openNetworkDb(base.pool);
    if (env.KUMO_OVN_NB_CONNECTION && !opts.sync) {
      ovn = await createOvnSync({
        nbConnection: env.KUMO_OVN_NB_CONNECTION,
        source: dbOvnSource(db),
        log: rt.log.child({ component: 'ovn' }),
        gatewayChassis: env.KUMO_OVN_GATEWAY_CHASSIS,
        resyncIntervalMs: env.KUMO_OVN_RESYNC_INTERVAL_MS,
      });
    }
    const ctx: NetworkContext = {
      log: rt.log,
      db,
      policy: new Policy(networkPolicyDefaults),
      sync: opts.sync ?? ovn?.sync ?? noSync,
      tunnelType: env.KUMO_NETWORK_TUNNEL_TYPE,
      defaultMtu: env.KUMO_NETWORK_MTU ?? defaultMtuOf(env.KUMO_NETWORK_TUNNEL_TYPE),
      baseUrl: rt.urls.network.replace(/\/+$/, ''),
    };
    const app = buildNetworkApp(ctx, {
      validator: base.validation.validator,
      authUri: `${rt.urls.identity.replace(/\/+$/, '')}/v3`,
      readiness: async () => {
        await base.pool.query('SELECT 1');
      },
    });
    return {
      app,
      ctx,
      ovn,
      async close() {
        await app.close();
        await ovn?.close();
        await base.close();
      },
    };
  } catch (err) {
    await ovn?.close();
    await base.close();
    throw err;
  }
}
