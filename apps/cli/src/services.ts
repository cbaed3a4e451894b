import type { CatalogService } from '@kumo/identity';
import type { KumoConfig } from './config.js';

/**
 * The services this build of Kumo runs, for `kumo up` and the catalog. Later
 * services (compute, image, network, ...) plug in here; the catalog only lists
 * services that actually answer, so clients never discover a dead endpoint.
 */
export function catalogServices(cfg: KumoConfig): CatalogService[] {
  return [
    {
      type: 'identity',
      name: 'keystone',
      description: 'Kumo identity (Keystone v3)',
      url: `${cfg.identityUrl}/v3`,
    },
  ];
}
