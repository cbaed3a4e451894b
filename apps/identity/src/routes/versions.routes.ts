import type { FastifyInstance } from 'fastify';
import { baseUrl } from '../http/views.js';

const version = (base: string) => ({
  id: 'v3.14',
  status: 'stable',
  updated: '2020-04-07T00:00:00Z',
  links: [{ rel: 'self', href: `${base}/v3/` }],
  'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
});

/** Version discovery: GET / lists versions (300 Multiple Choices), GET /v3 describes v3. */
export function versionRoutes(app: FastifyInstance): void {
  app.get('/', { config: { auth: false } }, async (req, reply) =>
    reply.code(300).send({ versions: { values: [version(baseUrl(req))] } }),
  );
  app.get('/v3', { config: { auth: false } }, async (req) => ({ version: version(baseUrl(req)) }));
}
