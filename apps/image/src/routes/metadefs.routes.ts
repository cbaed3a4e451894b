import { KumoError } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ImageContext } from '../context.js';
import {
  createItems,
  createNamespace,
  deleteItems,
  deleteNamespace,
  getItem,
  getNamespace,
  listItems,
  listNamespaces,
  updateItem,
  updateNamespace,
} from '../db/metadefs.repo.js';
import {
  body,
  itemView,
  METADEF_SCHEMAS,
  type MetadefKind,
  type MetadefNamespace,
  namespaceView,
  parseItem,
  parseNamespace,
  propertiesView,
  resourceTypesView,
  validName,
} from '../domain/metadefs.js';
import { caller } from './access.js';

type NsParams = { Params: { ns: string } };
type ItemParams = { Params: { ns: string; name: string } };

const PATHS: { path: string; kind: MetadefKind; label: string }[] = [
  { path: 'objects', kind: 'object', label: 'Metadata definition object' },
  { path: 'properties', kind: 'property', label: 'Metadata definition property' },
  { path: 'tags', kind: 'tag', label: 'Metadata definition tag' },
  { path: 'resource_types', kind: 'rta', label: 'Resource type association' },
];

/** Glance's metadata definitions catalog (`/v2/metadefs`): namespaces and what they hold. */
export function metadefsRoutes(app: FastifyInstance, ctx: ImageContext): void {
  const who = (req: FastifyRequest) => {
    const c = caller(ctx, req);
    ctx.policy.authorize('get_metadef', c.token, {});
    return { c, project: c.project, isAdmin: c.isAdmin };
  };
  const writer = (req: FastifyRequest) => {
    const w = who(req);
    ctx.policy.authorize('modify_metadef', w.c.token, {});
    return w;
  };
  const namespaceOf = async (req: FastifyRequest, ns: string): Promise<MetadefNamespace> => {
    const n = await getNamespace(ctx.db, ns, who(req));
    if (!n) throw new KumoError('not_found', `Metadata definition namespace=${ns} was not found.`);
    return n;
  };

  for (const name of Object.keys(METADEF_SCHEMAS))
    app.get(`/v2/schemas/metadefs/${name}`, async () => METADEF_SCHEMAS[name]);

  app.get('/v2/metadefs/resource_types', async (req) => {
    who(req);
    return resourceTypesView();
  });

  app.get('/v2/metadefs/namespaces', async (req) => {
    const q = req.query as { visibility?: string; resource_types?: string };
    const all = await listNamespaces(ctx.db, who(req), q.visibility);
    let shown = all;
    if (q.resource_types) {
      const wanted = new Set(q.resource_types.split(','));
      const keep = await Promise.all(
        all.map(async (n) => (await listItems(ctx.db, n.namespace, 'rta')).some((r) => wanted.has(r.name))),
      );
      shown = all.filter((_, i) => keep[i]);
    }
    return {
      namespaces: shown.map((n) => namespaceView(n)),
      first: '/v2/metadefs/namespaces',
      schema: '/v2/schemas/metadefs/namespaces',
    };
  });

  app.post('/v2/metadefs/namespaces', async (req, reply) => {
    const w = writer(req);
    const raw = body(req.body);
    const fields = parseNamespace(raw);
    const items: { kind: MetadefKind; name: string; body: Record<string, unknown> }[] = [];
    const nested = (key: string, kind: MetadefKind) => {
      const v = raw[key];
      if (v === undefined) return;
      if (kind === 'property') {
        if (v === null || typeof v !== 'object' || Array.isArray(v))
          throw new KumoError('invalid', `Invalid '${key}': expected an object.`);
        for (const [name, def] of Object.entries(v))
          items.push({ kind, ...parseItem(kind, { ...body(def), name }) });
        return;
      }
      if (!Array.isArray(v)) throw new KumoError('invalid', `Invalid '${key}': expected an array.`);
      for (const x of v) items.push({ kind, ...parseItem(kind, body(x)) });
    };
    nested('resource_type_associations', 'rta');
    nested('objects', 'object');
    nested('properties', 'property');
    nested('tags', 'tag');
    const made = await createNamespace(ctx.db, fields, w.project ?? null, items);
    if (!made)
      throw new KumoError('conflict', `Metadata definition namespace=${fields.namespace} already exists.`);
    return reply.code(201).send(namespaceView(made, await listItems(ctx.db, made.namespace)));
  });

  app.get<NsParams>('/v2/metadefs/namespaces/:ns', async (req) => {
    const n = await namespaceOf(req, req.params.ns);
    return namespaceView(n, await listItems(ctx.db, n.namespace));
  });

  app.put<NsParams>('/v2/metadefs/namespaces/:ns', async (req) => {
    writer(req);
    const n = await namespaceOf(req, req.params.ns);
    const raw = body(req.body);
    const next = await updateNamespace(
      ctx.db,
      n.namespace,
      parseNamespace({ namespace: n.namespace, ...raw }),
    );
    if (next === 'conflict')
      throw new KumoError(
        'conflict',
        `Metadata definition namespace=${String(raw.namespace)} already exists.`,
      );
    if (!next)
      throw new KumoError('not_found', `Metadata definition namespace=${n.namespace} was not found.`);
    return namespaceView(next);
  });

  app.delete<NsParams>('/v2/metadefs/namespaces/:ns', async (req, reply) => {
    writer(req);
    const n = await namespaceOf(req, req.params.ns);
    const res = await deleteNamespace(ctx.db, n.namespace);
    if (res === 'protected')
      throw new KumoError('forbidden', `Namespace ${n.namespace} is protected and cannot be deleted.`);
    if (res === 'missing')
      throw new KumoError('not_found', `Metadata definition namespace=${n.namespace} was not found.`);
    return reply.code(204).send();
  });

  for (const { path, kind, label } of PATHS) {
    const base = `/v2/metadefs/namespaces/:ns/${path}`;
    const notFound = (ns: string, name: string) =>
      new KumoError('not_found', `${label} ${name} not found in namespace ${ns}.`);
    const exists = (ns: string, name: string) =>
      new KumoError('conflict', `${label} ${name} already exists in namespace ${ns}.`);

    app.get<NsParams>(base, async (req) => {
      const n = await namespaceOf(req, req.params.ns);
      const items = await listItems(ctx.db, n.namespace, kind);
      switch (kind) {
        case 'property':
          return { properties: propertiesView(items) };
        case 'object':
          return { objects: items.map(itemView), schema: 'v2/schemas/metadefs/objects' };
        case 'tag':
          return { tags: items.map(itemView) };
        default:
          return { resource_type_associations: items.map(itemView) };
      }
    });

    app.post<NsParams>(base, async (req, reply) => {
      writer(req);
      const n = await namespaceOf(req, req.params.ns);
      const raw = body(req.body);
      if (kind === 'tag') {
        // POST .../tags creates several at once (replacing none): {"tags": [{"name": ...}]}
        if (!Array.isArray(raw.tags))
          throw new KumoError('invalid', `Invalid 'tags': expected an array of {"name": ...}.`);
        const parsed = raw.tags.map((t) => parseItem('tag', body(t)));
        const made = await createItems(ctx.db, n.namespace, 'tag', parsed);
        if (!made)
          throw new KumoError('conflict', `A tag in the request already exists in namespace ${n.namespace}.`);
        return reply.code(201).send({ tags: made.map((t) => ({ name: t.name })) });
      }
      const item = parseItem(kind, raw);
      const made = await createItems(ctx.db, n.namespace, kind, [item]);
      if (!made) throw exists(n.namespace, item.name);
      return reply.code(201).send(itemView(made[0]!));
    });

    if (kind === 'tag') {
      app.delete<NsParams>(base, async (req, reply) => {
        writer(req);
        const n = await namespaceOf(req, req.params.ns);
        await deleteItems(ctx.db, n.namespace, 'tag');
        return reply.code(204).send();
      });
      app.post<ItemParams>(`${base}/:name`, async (req, reply) => {
        writer(req);
        const n = await namespaceOf(req, req.params.ns);
        const made = await createItems(ctx.db, n.namespace, 'tag', [
          { name: validName('tag name', req.params.name), body: {} },
        ]);
        if (!made) throw exists(n.namespace, req.params.name);
        return reply.code(201).send(itemView(made[0]!));
      });
    }

    if (kind !== 'rta') {
      app.get<ItemParams>(`${base}/:name`, async (req) => {
        const n = await namespaceOf(req, req.params.ns);
        const item = await getItem(ctx.db, n.namespace, kind, req.params.name);
        if (!item) throw notFound(n.namespace, req.params.name);
        return itemView(item);
      });
      app.put<ItemParams>(`${base}/:name`, async (req) => {
        writer(req);
        const n = await namespaceOf(req, req.params.ns);
        const next = await updateItem(
          ctx.db,
          n.namespace,
          kind,
          req.params.name,
          parseItem(kind, body(req.body)),
        );
        if (next === 'conflict') throw exists(n.namespace, String(body(req.body).name));
        if (!next) throw notFound(n.namespace, req.params.name);
        return itemView(next);
      });
    }

    app.delete<ItemParams>(`${base}/:name`, async (req, reply) => {
      writer(req);
      const n = await namespaceOf(req, req.params.ns);
      if (!(await deleteItems(ctx.db, n.namespace, kind, req.params.name)))
        throw notFound(n.namespace, req.params.name);
      return reply.code(204).send();
    });
  }
}
