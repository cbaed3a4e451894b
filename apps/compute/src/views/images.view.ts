import type { Image } from '@kumo/image';
import type { FastifyRequest } from 'fastify';
import { baseUrl, type Link, resourceLinks } from '../http/nova-request.js';

/** Attributes of a Glance v2 image that are not custom properties (everything else is Nova's `metadata`). */
const CORE = new Set([
  'id',
  'name',
  'status',
  'visibility',
  'protected',
  'os_hidden',
  'owner',
  'size',
  'virtual_size',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'min_ram',
  'min_disk',
  'disk_format',
  'container_format',
  'tags',
  'created_at',
  'updated_at',
  'self',
  'file',
  'schema',
  'locations',
  'direct_url',
  'stores',
]);

/** Nova's image status for a Glance status. */
const STATUS: Record<string, string> = {
  active: 'ACTIVE',
  queued: 'SAVING',
  saving: 'SAVING',
  importing: 'SAVING',
  uploading: 'SAVING',
  deleted: 'DELETED',
  pending_delete: 'DELETED',
  killed: 'ERROR',
};
const PROGRESS: Record<string, number> = { queued: 25, saving: 50, active: 100 };

/** The custom properties of an image, as strings (Nova's image `metadata`). */
export function imageMetadata(img: Image): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(img)) {
    // os_glance_* are the image service's own reserved properties, not user metadata
    if (CORE.has(k) || k.startsWith('os_glance_') || v === undefined || v === null) continue;
    out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

/** Nova's `isotime`: seconds precision, `Z`. */
const isoTime = (s: string | null | undefined): string | null => {
  if (!s) return null;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? s : d.toISOString().replace(/\.\d{3}Z$/, 'Z');
};

/** self and bookmark links, plus the image service's own URL as `alternate`. */
function imageLinks(req: FastifyRequest, imageServiceUrl: string, id: string): Link[] {
  return [
    ...resourceLinks(req, 'images', id),
    {
      rel: 'alternate',
      type: 'application/vnd.openstack.image',
      href: `${imageServiceUrl.replace(/\/+$/, '')}/images/${encodeURIComponent(id)}`,
    },
  ];
}

/** An image in `GET /images`: id, name, links. */
export function imageSummary(req: FastifyRequest, imageServiceUrl: string, img: Image) {
  return { id: img.id, name: img.name ?? null, links: imageLinks(req, imageServiceUrl, img.id) };
}

/** An image in full (`GET /images/{id}`, `/images/detail`), as Nova's image proxy shows a Glance image. */
export function imageDetail(req: FastifyRequest, imageServiceUrl: string, img: Image) {
  const metadata = imageMetadata(img);
  const view: Record<string, unknown> = {
    id: img.id,
    name: img.name ?? null,
    minRam: Number(img.min_ram ?? 0) || 0,
    minDisk: Number(img.min_disk ?? 0) || 0,
    metadata,
    created: isoTime(img.created_at),
    updated: isoTime(img.updated_at),
    status: STATUS[img.status] ?? 'UNKNOWN',
    progress: PROGRESS[img.status] ?? 0,
    'OS-EXT-IMG-SIZE:size': img.size ?? null,
    links: imageLinks(req, imageServiceUrl, img.id),
  };
  const server = metadata.instance_uuid;
  if (server) {
    const path = `servers/${encodeURIComponent(server)}`;
    view.server = {
      id: server,
      links: [
        { rel: 'self', href: `${baseUrl(req)}/v2.1/${path}` },
        { rel: 'bookmark', href: `${baseUrl(req)}/${path}` },
      ],
    };
  }
  const auto = metadata.auto_disk_config?.trim().toLowerCase();
  if (auto !== undefined)
    view['OS-DCF:diskConfig'] = ['1', 't', 'true', 'on', 'y', 'yes'].includes(auto) ? 'AUTO' : 'MANUAL';
  return view;
}
