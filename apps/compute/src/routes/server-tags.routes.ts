import { invalid, KumoError } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import { TooManyTags, tagsOf, writeTags } from '../db/server-metadata.repo.js';
import type { ServerRow } from '../db/servers.repo.js';
import { invalidState } from '../domain/server-states.js';
import { isObj, MAX_TAGS, notFoundServer, tagField, tagsField } from '../domain/server-validation.js';
import { atLeast } from '../http/microversion.js';
import { baseUrl } from '../http/nova-request.js';
import { loadServer } from './server-common.js';

type IdReq = FastifyRequest<{ Params: { id: string } }>;
type TagReq = FastifyRequest<{ Params: { id: string; tag: string } }>;

const EDITABLE = new Set(['active', 'paused', 'suspended', 'stopped']);

function checkEditable(row: ServerRow, what: string) {
  if (!EDITABLE.has(row.vmState)) throw invalidState(what, row.id, 'vm_state', row.vmState);
  if (row.taskState !== null) throw invalidState(what, row.id, 'task_state', row.taskState);
}

/** Server tags exist from 2.26; below it the resource is not there (Nova's 404). */
function requireTags(req: FastifyRequest) {
  if (!atLeast(req, '2.26')) throw new KumoError('not_found', 'The resource could not be found.');
}

const tooMany = () => invalid(`The number of tags exceeds the per-server limit ${MAX_TAGS}`);

async function guardedWrite(ctx: ComputeContext, id: string, op: Parameters<typeof writeTags>[2]) {
  try {
    const res = await writeTags(ctx.db, id, op);
    if (!res) throw notFoundServer(id);
    return res;
  } catch (err) {
    if (err instanceof TooManyTags) throw tooMany();
    throw err;
  }
}

export function serverTagRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  app.get('/v2.1/servers/:id/tags', async (req: IdReq) => {
    requireTags(req);
    const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-server-tags:index');
    return { tags: (await tagsOf(ctx.db, [row.id])).get(row.id) ?? [] };
  });

  app.put('/v2.1/servers/:id/tags', async (req: IdReq) => {
    requireTags(req);
    if (!isObj(req.body) || req.body.tags === undefined)
      throw invalid("Invalid input for field/attribute tags: 'tags' is a required property");
    const tags = tagsField(req.body.tags);
    const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-server-tags:update_all');
    checkEditable(row, 'update tags');
    return { tags: (await guardedWrite(ctx, row.id, { replace: tags })).tags };
  });

  app.delete('/v2.1/servers/:id/tags', async (req: IdReq, reply) => {
    requireTags(req);
    const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-server-tags:delete_all');
    checkEditable(row, 'delete tags');
    await guardedWrite(ctx, row.id, { clear: true });
    return reply.code(204).send();
  });

  app.get('/v2.1/servers/:id/tags/:tag', async (req: TagReq, reply) => {
    requireTags(req);
    const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-server-tags:show');
    const tags = (await tagsOf(ctx.db, [row.id])).get(row.id) ?? [];
    if (!tags.includes(req.params.tag))
      throw new KumoError('not_found', `Tag ${req.params.tag} could not be found for server ${row.id}.`);
    return reply.code(204).send();
  });

  app.put('/v2.1/servers/:id/tags/:tag', async (req: TagReq, reply) => {
    requireTags(req);
    const tag = tagField(req.params.tag);
    const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-server-tags:update');
    checkEditable(row, 'update tag');
    const res = await guardedWrite(ctx, row.id, { add: tag });
    reply.header('location', `${baseUrl(req)}/v2.1/servers/${row.id}/tags/${encodeURIComponent(tag)}`);
    return reply.code(res.added ? 201 : 204).send();
  });

  app.delete('/v2.1/servers/:id/tags/:tag', async (req: TagReq, reply) => {
    requireTags(req);
    const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-server-tags:delete');
    checkEditable(row, 'delete tag');
    const res = await guardedWrite(ctx, row.id, { remove: req.params.tag });
    if (res.absent)
      throw new KumoError('not_found', `Tag ${req.params.tag} could not be found for server ${row.id}.`);
    return reply.code(204).send();
  });
}
