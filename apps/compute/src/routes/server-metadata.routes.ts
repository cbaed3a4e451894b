import { invalid, KumoError } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import { limitsFor } from '../db/quota-usage.repo.js';
import { deleteMetadataKey, metadataOf, writeMetadata } from '../db/server-metadata.repo.js';
import type { ServerRow } from '../db/servers.repo.js';
import { checkLock, invalidState } from '../domain/server-states.js';
import { isObj, metadataField, notFoundServer } from '../domain/server-validation.js';
import { loadServer } from './server-common.js';

type IdReq = FastifyRequest<{ Params: { id: string } }>;
type KeyReq = FastifyRequest<{ Params: { id: string; key: string } }>;

const EDITABLE = new Set(['active', 'paused', 'suspended', 'stopped']);

/** Nova's guard on metadata changes: not locked, a settled server in one of these vm_states. */
function checkEditable(row: ServerRow, admin: boolean, what: string) {
  checkLock(row, admin);
  if (!EDITABLE.has(row.vmState)) throw invalidState(what, row.id, 'vm_state', row.vmState);
  if (row.taskState !== null) throw invalidState(what, row.id, 'task_state', row.taskState);
}

const itemNotFound = () => new KumoError('not_found', 'Metadata item was not found');

function metadataBody(body: unknown, key: 'metadata' | 'meta'): Record<string, string> {
  if (!isObj(body) || body[key] === undefined)
    throw invalid(`Invalid input for field/attribute ${key}: '${key}' is a required property`);
  return metadataField(key, body[key]);
}

export function serverMetadataRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  const limitOf = async (projectId: string) =>
    (await limitsFor(ctx.db, projectId, ctx.settings.quotaDefaults, ['metadata_items'] as const))
      .metadata_items;

  const write = async (req: IdReq, rule: string, items: Record<string, string>, replace: boolean) => {
    const { row, admin } = await loadServer(ctx, req, req.params.id, rule);
    checkEditable(row, admin, 'update metadata');
    const all = await writeMetadata(ctx.db, row.id, items, { replace, limit: await limitOf(row.projectId) });
    if (!all) throw notFoundServer(req.params.id);
    return all;
  };

  app.get('/v2.1/servers/:id/metadata', async (req: IdReq) => {
    const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:server-metadata:index');
    return { metadata: (await metadataOf(ctx.db, [row.id])).get(row.id) ?? {} };
  });

  app.post('/v2.1/servers/:id/metadata', async (req: IdReq) => ({
    metadata: await write(
      req,
      'os_compute_api:server-metadata:create',
      metadataBody(req.body, 'metadata'),
      false,
    ),
  }));

  app.put('/v2.1/servers/:id/metadata', async (req: IdReq) => ({
    metadata: await write(
      req,
      'os_compute_api:server-metadata:update_all',
      metadataBody(req.body, 'metadata'),
      true,
    ),
  }));

  app.get('/v2.1/servers/:id/metadata/:key', async (req: KeyReq) => {
    const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:server-metadata:show');
    const value = (await metadataOf(ctx.db, [row.id])).get(row.id)?.[req.params.key];
    if (value === undefined) throw itemNotFound();
    return { meta: { [req.params.key]: value } };
  });

  app.put('/v2.1/servers/:id/metadata/:key', async (req: KeyReq) => {
    const meta = metadataBody(req.body, 'meta');
    const keys = Object.keys(meta);
    if (keys.length > 1) throw invalid('Request body contains too many items');
    if (keys[0] !== req.params.key) throw invalid('Request body and URI mismatch');
    await write(req, 'os_compute_api:server-metadata:update', meta, false);
    return { meta };
  });

  app.delete('/v2.1/servers/:id/metadata/:key', async (req: KeyReq, reply) => {
    const { row, admin } = await loadServer(ctx, req, req.params.id, 'os_compute_api:server-metadata:delete');
    checkEditable(row, admin, 'delete metadata');
    const res = await deleteMetadataKey(ctx.db, row.id, req.params.key);
    if (res === 'gone') throw notFoundServer(req.params.id);
    if (!res) throw itemNotFound();
    return reply.code(204).send();
  });
}
