import type { FastifyInstance, FastifyRequest } from 'fastify';
import { formatVersion, MAX_VERSION, MIN_VERSION } from '../http/microversion.js';
import { baseUrl } from '../http/nova-request.js';
import { extensionRoutes } from './extensions.routes.js';

const UPDATED = '2013-07-23T11:33:21Z';

/** The legacy v2.0 API: Nova still lists it first (SUPPORTED, no microversions) and serves its document at /v2. */
function v20(req: FastifyRequest, detail: boolean) {
  return {
    id: 'v2.0',
    status: 'SUPPORTED',
    version: '',
    min_version: '',
    updated: '2011-01-21T11:33:21Z',
    links: [
      { rel: 'self', href: `${baseUrl(req)}/v2/` },
      ...(detail ? [{ rel: 'describedby', type: 'text/html', href: 'http://docs.openstack.org/' }] : []),
    ],
    ...(detail
      ? {
          'media-types': [
            { base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2' },
          ],
        }
      : {}),
  };
}

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
 * as Nova and Tempest's schema, not Glance's 300; v2.0 first, as Nova),
 * `GET /v2.1` describes v2.1 and `GET /v2` the legacy v2.0. Also the fixed
 * extension list Nova still serves (`/v2.1/extensions`).
 */
export function versionRoutes(app: FastifyInstance): void {
  app.get('/', { config: { auth: false } }, async (req) => ({
    versions: [v20(req, false), v21(req, false)],
  }));
  app.get('/v2.1', { config: { auth: false } }, async (req) => ({ version: v21(req, true) }));
  app.get('/v2', { config: { auth: false } }, async (req) => ({ version: v20(req, true) }));
  extensionRoutes(app);
}
