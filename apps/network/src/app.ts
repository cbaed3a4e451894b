import { createServiceApp, KumoError, type TokenValidator } from '@kumo/service-kit';
import type { FastifyInstance, HTTPMethods } from 'fastify';
import type { NetworkContext } from './context.js';
import { floatingIpsRoutes } from './routes/floating-ips.routes.js';
import { ipAvailabilityRoutes } from './routes/ip-availability.routes.js';
import { metaRoutes } from './routes/meta.routes.js';
import { networksRoutes } from './routes/networks.routes.js';
import { portsRoutes } from './routes/ports.routes.js';
import { quotasRoutes } from './routes/quotas.routes.js';
import { routersRoutes } from './routes/routers.routes.js';
import { securityGroupRulesRoutes } from './routes/security-group-rules.routes.js';
import { securityGroupsRoutes } from './routes/security-groups.routes.js';
import { subnetpoolsRoutes } from './routes/subnetpools.routes.js';
import { subnetsRoutes } from './routes/subnets.routes.js';
import { tagsRoutes } from './routes/tags.routes.js';

export interface NetworkAppOptions {
  validator: TokenValidator;
  authUri?: string;
  readiness?: () => Promise<void>;
}

const METHODS: HTTPMethods[] = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH'];

/** The network (Neutron v2.0) app. Never listens: the caller does, tests inject. */
export function buildNetworkApp(ctx: NetworkContext, opts: NetworkAppOptions): FastifyInstance {
  const app = createServiceApp({
    service: 'network',
    logger: ctx.log,
    errorFormat: 'neutron',
    validator: opts.validator,
    authUri: opts.authUri,
    readiness: opts.readiness,
  });
  // every path answers 405 to the methods it does not serve (Neutron's routes do), not 404
  const seen = new Map<string, Set<string>>();
  app.addHook('onRoute', (r) => {
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    const set = seen.get(r.url) ?? new Set<string>();
    for (const m of methods) set.add(m);
    seen.set(r.url, set);
  });
  metaRoutes(app, ctx);
  networksRoutes(app, ctx);
  subnetsRoutes(app, ctx);
  subnetpoolsRoutes(app, ctx);
  portsRoutes(app, ctx);
  tagsRoutes(app, ctx);
  quotasRoutes(app, ctx);
  ipAvailabilityRoutes(app, ctx);
  securityGroupsRoutes(app, ctx);
  securityGroupRulesRoutes(app, ctx);
  routersRoutes(app, ctx);
  floatingIpsRoutes(app, ctx);
  for (const [url, methods] of [...seen]) {
    if (url === '/healthz' || url === '/readyz' || url === '/metrics' || url === '*') continue;
    const missing = METHODS.filter((m) => !methods.has(m));
    if (!missing.length) continue;
    const allow = [...methods].filter((m) => m !== 'HEAD').join(', ');
    app.route({
      method: missing,
      url,
      handler: async () => {
        throw new KumoError('method_not_allowed', `The method is not allowed for the requested URL.`, {
          type: 'HTTPMethodNotAllowed',
          headers: { allow },
        });
      },
    });
  }
  return app;
}
