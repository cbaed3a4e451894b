import type { FastifyInstance } from 'fastify';
import type { ImageContext } from '../context.js';
import { imageSchema, imagesSchema, memberSchema, membersSchema } from '../domain/json-schemas.js';
import { versionsDocument } from '../domain/versions.js';

const SCHEMAS: Record<string, unknown> = {
  image: imageSchema,
  images: imagesSchema,
  member: memberSchema,
  members: membersSchema,
};

/** Version discovery (no token, as Glance), JSON schemas and the import info document. */
export function metaRoutes(app: FastifyInstance, ctx: ImageContext): void {
  for (const url of ['/', '/versions']) {
    app.get(url, { config: { auth: false } }, async (_req, reply) =>
      reply.code(300).send(versionsDocument(ctx.baseUrl)),
    );
  }
  for (const [name, schema] of Object.entries(SCHEMAS)) {
    app.get(`/v2/schemas/${name}`, async () => schema);
  }
  app.get('/v2/info/import', async () => ({
    'import-methods': {
      description: 'Import methods available.',
      type: 'array',
      value: [],
    },
  }));
}
