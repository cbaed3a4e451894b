import { KumoError } from '@kumo/service-kit';
import { assertNoNul } from './image-input.js';
import { glanceTime } from './image-view.js';

/** The kinds of things a metadefs namespace holds. */
export type MetadefKind = 'object' | 'property' | 'tag' | 'rta';

export interface MetadefNamespace {
  namespace: string;
  displayName: string | null;
  description: string | null;
  visibility: 'public' | 'private';
  protected: boolean;
  owner: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface MetadefItem {
  namespace: string;
  kind: MetadefKind;
  name: string;
  body: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export type NamespaceFields = Pick<
  MetadefNamespace,
  'namespace' | 'displayName' | 'description' | 'visibility' | 'protected'
>;

/** Glance's catalogue of resource types namespaces associate with. */
export const RESOURCE_TYPES = [
  'OS::Glance::Image',
  'OS::Cinder::Volume',
  'OS::Cinder::Snapshot',
  'OS::Nova::Flavor',
  'OS::Nova::Aggregate',
  'OS::Nova::Server',
  'OS::Trove::Instance',
  'OS::Glance::Metadef',
];
const EPOCH = new Date('2024-01-01T00:00:00Z');

const bad = (msg: string) => new KumoError('invalid', msg);
const PROPERTY_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string', 'null'];

export function body(raw: unknown): Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
    throw bad('The request body must be a JSON object.');
  assertNoNul(raw);
  return raw as Record<string, unknown>;
}

export function validName(what: string, v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '' || v.length > 80)
    throw bad(
      `Invalid ${what}: expected a string of 1 to 80 characters, got ${JSON.stringify(v)?.slice(0, 90)}.`,
    );
  return v;
}

function optString(key: string, v: unknown, max: number): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || v.length > max)
    throw bad(`Invalid '${key}': expected a string of at most ${max} characters.`);
  return v;
}

/** Validate a namespace create/update body (PUT replaces the settable fields, as Glance). */
export function parseNamespace(raw: Record<string, unknown>): NamespaceFields {
  const visibility = raw.visibility ?? 'private';
  if (visibility !== 'public' && visibility !== 'private')
    throw bad(`Invalid 'visibility': ${JSON.stringify(visibility)}; expected public or private.`);
  const prot = raw.protected ?? false;
  if (typeof prot !== 'boolean') throw bad(`Invalid 'protected': expected a boolean.`);
  return {
    namespace: validName('namespace', raw.namespace),
    displayName: optString('display_name', raw.display_name, 80),
    description: optString('description', raw.description, 500),
    visibility,
    protected: prot,
  };
}

/** Validate one item body of a kind; returns its name and what is stored. */
export function parseItem(
  kind: MetadefKind,
  raw: Record<string, unknown>,
): { name: string; body: Record<string, unknown> } {
  const name = validName(`${kind === 'rta' ? 'resource type' : kind} name`, raw.name);
  const { name: _drop, ...rest } = raw;
  switch (kind) {
    case 'property': {
      if (typeof raw.title !== 'string' || raw.title.length > 255)
        throw bad(`Invalid property 'title': expected a string.`);
      if (typeof raw.type !== 'string' || !PROPERTY_TYPES.includes(raw.type))
        throw bad(
          `Invalid property 'type': ${JSON.stringify(raw.type)}; expected one of ${PROPERTY_TYPES.join(', ')}.`,
        );
      if (raw.enum !== undefined && !Array.isArray(raw.enum))
        throw bad(`Invalid property 'enum': expected an array.`);
      return { name, body: rest };
    }
    case 'object': {
      if (
        raw.required !== undefined &&
        (!Array.isArray(raw.required) || raw.required.some((r) => typeof r !== 'string'))
      )
        throw bad(`Invalid object 'required': expected an array of property names.`);
      if (
        raw.properties !== undefined &&
        (raw.properties === null || typeof raw.properties !== 'object' || Array.isArray(raw.properties))
      )
        throw bad(`Invalid object 'properties': expected an object.`);
      return {
        name,
        body: {
          description: optString('description', raw.description, 500),
          required: raw.required ?? [],
          properties: raw.properties ?? {},
        },
      };
    }
    case 'tag':
      return { name, body: {} };
    case 'rta':
      return {
        name,
        body: {
          prefix: optString('prefix', raw.prefix, 80),
          properties_target: optString('properties_target', raw.properties_target, 80),
        },
      };
  }
}

const nsBase = (ns: string) => `/v2/metadefs/namespaces/${encodeURIComponent(ns)}`;

export function namespaceView(n: MetadefNamespace, items?: MetadefItem[]): Record<string, unknown> {
  const v: Record<string, unknown> = {
    namespace: n.namespace,
    display_name: n.displayName ?? undefined,
    description: n.description ?? undefined,
    visibility: n.visibility,
    protected: n.protected,
    owner: n.owner,
    created_at: glanceTime(n.createdAt),
    updated_at: glanceTime(n.updatedAt),
    schema: '/v2/schemas/metadefs/namespace',
    self: nsBase(n.namespace),
  };
  if (items) {
    const of = (k: MetadefKind) => items.filter((i) => i.kind === k);
    if (of('rta').length) v.resource_type_associations = of('rta').map(itemView);
    if (of('property').length) v.properties = propertiesView(of('property'));
    if (of('object').length) v.objects = of('object').map(itemView);
    if (of('tag').length) v.tags = of('tag').map((t) => ({ name: t.name }));
  }
  return v;
}

export const propertiesView = (items: MetadefItem[]) =>
  Object.fromEntries(items.map((p) => [p.name, { ...p.body }]));

export function itemView(i: MetadefItem): Record<string, unknown> {
  const times = { created_at: glanceTime(i.createdAt), updated_at: glanceTime(i.updatedAt) };
  switch (i.kind) {
    case 'property':
      return { name: i.name, ...i.body };
    case 'object':
      return {
        name: i.name,
        ...i.body,
        ...times,
        schema: '/v2/schemas/metadefs/object',
        self: `${nsBase(i.namespace)}/objects/${encodeURIComponent(i.name)}`,
      };
    case 'tag':
      return { name: i.name, ...times };
    case 'rta':
      return { name: i.name, ...i.body, ...times };
  }
}

export const resourceTypesView = () => ({
  resource_types: RESOURCE_TYPES.map((name) => ({
    name,
    created_at: glanceTime(EPOCH),
    updated_at: glanceTime(EPOCH),
  })),
});

const s = (description: string) => ({ type: 'string', description });
const nsProps = {
  namespace: { ...s('The unique namespace text.'), maxLength: 80 },
  display_name: { ...s('The user friendly name for the namespace.'), maxLength: 80 },
  description: { ...s('Provides a user friendly description of the namespace.'), maxLength: 500 },
  visibility: { ...s('Scope of namespace accessibility.'), enum: ['public', 'private'] },
  protected: { type: 'boolean', description: 'If true, namespace will not be deletable.' },
  owner: { ...s('Owner of the namespace.'), maxLength: 255 },
  created_at: { ...s('Date and time of namespace creation'), format: 'date-time', readOnly: true },
  updated_at: {
    ...s('Date and time of the last namespace modification'),
    format: 'date-time',
    readOnly: true,
  },
  schema: { ...s(''), readOnly: true },
  self: { ...s(''), readOnly: true },
};
const objectSchema = {
  name: 'object',
  properties: {
    name: { type: 'string', maxLength: 80 },
    description: { type: 'string' },
    required: { type: 'array', items: { type: 'string' } },
    properties: { type: 'object' },
    schema: { type: 'string', readOnly: true },
    self: { type: 'string', readOnly: true },
    created_at: { type: 'string', format: 'date-time', readOnly: true },
    updated_at: { type: 'string', format: 'date-time', readOnly: true },
  },
  required: ['name'],
};
const propertySchema = {
  name: 'property',
  properties: {
    name: { type: 'string', maxLength: 80 },
    title: { type: 'string' },
    description: { type: 'string' },
    type: { type: 'string', enum: PROPERTY_TYPES },
    enum: { type: 'array' },
    default: {},
    readonly: { type: 'boolean' },
  },
  required: ['name', 'title', 'type'],
};
const tagSchema = {
  name: 'tag',
  properties: {
    name: { type: 'string', maxLength: 80 },
    created_at: { type: 'string', format: 'date-time', readOnly: true },
    updated_at: { type: 'string', format: 'date-time', readOnly: true },
  },
  required: ['name'],
};
const rtaSchema = {
  name: 'resource_type_association',
  properties: {
    name: { type: 'string', maxLength: 80 },
    prefix: { type: 'string', maxLength: 80 },
    properties_target: { type: 'string', maxLength: 80 },
    created_at: { type: 'string', format: 'date-time', readOnly: true },
    updated_at: { type: 'string', format: 'date-time', readOnly: true },
  },
  required: ['name'],
};
const list = (name: string, key: string, item: unknown) => ({
  name,
  properties: {
    [key]: { type: 'array', items: item },
    first: { type: 'string' },
    next: { type: 'string' },
    schema: { type: 'string' },
  },
  links: [
    { rel: 'first', href: '{first}' },
    { rel: 'next', href: '{next}' },
    { rel: 'describedby', href: '{schema}' },
  ],
});
const namespaceSchema = {
  name: 'namespace',
  properties: nsProps,
  required: ['namespace'],
  additionalProperties: false,
};

/** GET /v2/schemas/metadefs/{name}. */
export const METADEF_SCHEMAS: Record<string, unknown> = {
  namespace: namespaceSchema,
  namespaces: list('namespaces', 'namespaces', namespaceSchema),
  object: objectSchema,
  objects: list('objects', 'objects', objectSchema),
  property: propertySchema,
  properties: {
    name: 'properties',
    properties: { properties: { type: 'object', additionalProperties: propertySchema } },
  },
  tag: tagSchema,
  tags: list('tags', 'tags', tagSchema),
  resource_type: rtaSchema,
  resource_types: list('resource_type_associations', 'resource_type_associations', rtaSchema),
};
