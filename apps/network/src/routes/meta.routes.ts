import type { FastifyInstance } from 'fastify';
import type { NetworkContext } from '../context.js';
import { notFoundOf } from '../domain/errors.js';
import { EXTENSIONS, findExtension } from '../domain/extensions.js';

/** The collections of API v2.0, for GET /v2.0/. */
const RESOURCES = [
  ['network', 'networks'],
  ['subnet', 'subnets'],
  ['port', 'ports'],
  ['security_group', 'security-groups'],
  ['security_group_rule', 'security-group-rules'],
  ['router', 'routers'],
  ['floatingip', 'floatingips'],
  ['quota', 'quotas'],
] as const;

/** Version discovery (no token needed), the extension list and availability zones. */
export function metaRoutes(app: FastifyInstance, ctx: NetworkContext): void {
  app.get('/', { config: { auth: false } }, async () => ({
    versions: [{ id: 'v2.0', status: 'CURRENT', links: [{ href: `${ctx.baseUrl}/v2.0/`, rel: 'self' }] }],
  }));

  app.get('/v2.0', { config: { auth: false } }, async () => ({
    resources: RESOURCES.map(([name, collection]) => ({
      name,
      collection,
      links: [{ href: `${ctx.baseUrl}/v2.0/${collection}`, rel: 'self' }],
    })),
  }));

  app.get('/v2.0/extensions', async () => ({ extensions: EXTENSIONS }));

  app.get<{ Params: { alias: string } }>('/v2.0/extensions/:alias', async (req) => {
    const e = findExtension(req.params.alias);
    if (!e) throw notFoundOf('ExtensionNotFound', `Extension with alias ${req.params.alias} does not exist`);
    return { extension: e };
  });

  // Kumo has no Neutron agents (L2/L3/DHCP are OVN's, on every chassis): the `agent` extension is
  // not listed, and the collection is empty for everyone, as Neutron's is for non-admins.
  app.get('/v2.0/agents', async () => ({ agents: [] }));

  app.get('/v2.0/availability_zones', async () => ({
    availability_zones: [
      { name: 'nova', resource: 'network', state: 'available' },
      { name: 'nova', resource: 'router', state: 'available' },
    ],
  }));
}
