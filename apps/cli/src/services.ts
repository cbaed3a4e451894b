import type { CatalogService } from '@kumo/identity';
import type { KumoConfig } from './config.js';

/**
 * The services this build of Kumo runs, for `kumo up` and the catalog. The
 * catalog only lists services that actually answer, so clients never discover
 * a dead endpoint (ADR 0006). The scheduler's API is Kumo-native (not the
 * placement API), so it is not in the OpenStack catalog.
 */
export function catalogServices(cfg: KumoConfig): CatalogService[] {
  return [
    {
      type: 'identity',
      name: 'keystone',
      description: 'Kumo identity (Keystone v3)',
      url: `${cfg.urls.identity}/v3`,
    },
    { type: 'image', name: 'glance', description: 'Kumo image (Glance v2)', url: cfg.urls.image },
    { type: 'network', name: 'neutron', description: 'Kumo network (Neutron v2.0)', url: cfg.urls.network },
    {
      type: 'compute',
      name: 'nova',
      description: 'Kumo compute (Nova v2.1)',
      url: `${cfg.urls.compute}/v2.1`,
    },
  ];
}
