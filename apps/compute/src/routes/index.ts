import type { FastifyInstance } from 'fastify';
import type { ComputeContext } from '../context.js';
import { adminRoutes } from './admin.routes.js';
import { availabilityZoneRoutes } from './availability-zones.routes.js';
import { flavorRoutes } from './flavors.routes.js';
import { flavorAccessRoutes } from './flavors-access.routes.js';
import { flavorExtraSpecRoutes } from './flavors-extra-specs.routes.js';
import { hypervisorRoutes } from './hypervisors.routes.js';
import { imageRoutes } from './images.routes.js';
import { keypairRoutes } from './keypairs.routes.js';
import { limitRoutes } from './limits.routes.js';
import { novaFloatingIpRoutes } from './nova-floating-ips.routes.js';
import { novaNetworkRoutes } from './nova-networks.routes.js';
import { novaSecurityGroupRoutes } from './nova-security-groups.routes.js';
import { quotaRoutes } from './quotas.routes.js';
import { serverGroupRoutes } from './server-groups.routes.js';
import { serverRoutes } from './servers.routes.js';
import { serviceRoutes } from './services.routes.js';
import { usageRoutes } from './usage.routes.js';
import { versionRoutes } from './versions.routes.js';

/** Every compute (Nova v2.1) route; paths are absolute (`/v2.1/...`). */
export function computeRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  versionRoutes(app);
  flavorRoutes(app, ctx);
  flavorAccessRoutes(app, ctx);
  flavorExtraSpecRoutes(app, ctx);
  keypairRoutes(app, ctx);
  serverGroupRoutes(app, ctx);
  quotaRoutes(app, ctx);
  limitRoutes(app, ctx);
  availabilityZoneRoutes(app, ctx);
  hypervisorRoutes(app, ctx);
  serviceRoutes(app, ctx);
  usageRoutes(app, ctx);
  adminRoutes(app, ctx);
  serverRoutes(app, ctx);
  imageRoutes(app, ctx);
  novaSecurityGroupRoutes(app, ctx);
  novaFloatingIpRoutes(app, ctx);
  novaNetworkRoutes(app, ctx);
}
