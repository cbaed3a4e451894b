import type { FastifyInstance, FastifyRequest } from 'fastify';
import { formatVersion, MAX_VERSION, MIN_VERSION } from '../http/microversion.js';
import { baseUrl } from '../http/nova-request.js';

const UPDATED = '2013-07-23T11:33:21Z';

function v21(req: FastifyRequest, detail: boolean) {
  return {
    id: 'v2.1',
    status: 'CURRENT',
    version: formatVersion(MAX_VERSION),
    min_version: formatVersion(MIN_VERSION),
    updated: UPDATED,
    links: [
      { rel: 'self', href: `${baseUrl(req)}/v2.1/` },
      ...(detail ? [{ rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' }] : []),
    ],
    ...(detail
      ? {
          'media-types': [
            { base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' },
          ],
        }
      : {}),
  };
}

/**
 * The version documents, without a token: `GET /` lists the API versions (200
 * as Nova and Tempest's schema, not Glance's 300), `GET /v2.1` describes v2.1.
 */
export function versionRoutes(app: FastifyInstance): void {
  app.get('/', { config: { auth: false } }, async (req) => ({ versions: [v21(req, false)] }));
  app.get('/v2.1', { config: { auth: false } }, async (req) => ({ version: v21(req, true) }));
}
