import type { FastifyInstance } from 'fastify';
import type { NetworkContext } from '../context.js';
import { addTag, findTagged, removeTag, replaceTags, TAGGED, type Tagged } from '../db/tags.repo.js';
import { badRequest, notFoundOf, policyDenied } from '../domain/errors.js';
import { MAX_TAGS, validTag, validTags } from '../domain/standard-attrs.js';
import { type Caller, callerFrom } from './common.js';

type Params = { Params: { coll: string; id: string; tag?: string } };

function collectionOf(name: string): Tagged {
  const t = TAGGED[name];
  if (!t) throw notFoundOf('HTTPNotFound', `The resource could not be found: ${name}`);
  return t;
}

/** The tagged row if the caller sees it (404 otherwise) and may change it (`write`: owner or admin). */
async function target(ctx: NetworkContext, c: Caller, t: Tagged, id: string, write: boolean) {
  const row = await findTagged(ctx.db, t, id, t.visible(c.projectId, c.isAdmin));
  if (!row) throw notFoundOf(t.notFoundType, `${t.singular} ${id} could not be found.`);
  if (write && !c.isAdmin && row.projectId !== c.projectId) throw policyDenied('update_tags');
  return row;
}

/** Neutron's tag API for every tagged collection: /v2.0/{collection}/{id}/tags[/{tag}]. */
export function tagsRoutes(app: FastifyInstance, ctx: NetworkContext): void {
  for (const coll of Object.keys(TAGGED)) {
    const base = `/v2.0/${coll}/:id/tags`;
    app.get<Params>(base, async (req) => {
      const t = collectionOf(coll);
      const row = await target(ctx, callerFrom(ctx, req), t, req.params.id, false);
      return { tags: row.tags };
    });

    app.put<Params>(base, async (req) => {
      const t = collectionOf(coll);
      const body = req.body as { tags?: unknown } | undefined;
      if (!body || typeof body !== 'object' || !('tags' in body))
        throw badRequest("Invalid input: 'tags' is required.");
      const tags = validTags(body.tags);
      await target(ctx, callerFrom(ctx, req), t, req.params.id, true);
      const after = await replaceTags(ctx.db, t, req.params.id, tags);
      if (!after) throw notFoundOf(t.notFoundType, `${t.singular} ${req.params.id} could not be found.`);
      return { tags: after };
    });

    app.delete<Params>(base, async (req, reply) => {
      const t = collectionOf(coll);
      await target(ctx, callerFrom(ctx, req), t, req.params.id, true);
      await replaceTags(ctx.db, t, req.params.id, []);
      return reply.code(204).send();
    });

    app.get<Params>(`${base}/:tag`, async (req, reply) => {
      const t = collectionOf(coll);
      const row = await target(ctx, callerFrom(ctx, req), t, req.params.id, false);
      if (!row.tags.includes(req.params.tag!)) {
        throw notFoundOf(
          'TagNotFound',
          `Tag ${req.params.tag} could not be found for ${coll} ${req.params.id}.`,
        );
      }
      return reply.code(204).send();
    });

    app.put<Params>(`${base}/:tag`, async (req, reply) => {
      const t = collectionOf(coll);
      const tag = validTag(req.params.tag);
      const row = await target(ctx, callerFrom(ctx, req), t, req.params.id, true);
      if (!row.tags.includes(tag)) {
        if (row.tags.length >= MAX_TAGS)
          throw badRequest(`Invalid input for tags. Reason: at most ${MAX_TAGS} tags.`);
        await addTag(ctx.db, t, req.params.id, tag);
      }
      return reply.code(201).send();
    });

    app.delete<Params>(`${base}/:tag`, async (req, reply) => {
      const t = collectionOf(coll);
      await target(ctx, callerFrom(ctx, req), t, req.params.id, true);
      if (!(await removeTag(ctx.db, t, req.params.id, req.params.tag!))) {
        throw notFoundOf(
          'TagNotFound',
          `Tag ${req.params.tag} could not be found for ${coll} ${req.params.id}.`,
        );
      }
      return reply.code(204).send();
    });
  }
}
