import { randomUUID } from 'node:crypto';
import { badRequest, PreconditionFailed } from './errors.js';

/** Neutron's timestamp form: `2016-03-08T20:19:41Z` (seconds, UTC). */
export const isoTime = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;

export interface StandardRow {
  id: string;
  projectId: string;
  name: string;
  description: string;
  tags: string[];
  revisionNumber: number;
  createdAt: Date;
  updatedAt: Date;
}

/** The standard attributes of a view (without name, which some resources lack). */
export function standardView(r: StandardRow) {
  return {
    tenant_id: r.projectId,
    project_id: r.projectId,
    description: r.description,
    tags: r.tags,
    created_at: isoTime(r.createdAt),
    updated_at: isoTime(r.updatedAt),
    revision_number: r.revisionNumber,
  };
}

/** `If-Match: revision_number=N` (several comma separated conditions allowed); undefined when absent. */
export function parseIfMatch(header: string | string[] | undefined): number[] | undefined {
  if (header === undefined) return undefined;
  const text = Array.isArray(header) ? header.join(',') : header;
  const out: number[] = [];
  for (const part of text.split(',')) {
    const p = part.trim();
    if (p === '' || p === '*') continue;
    const m = /^revision_number=(\d{1,15})$/.exec(p);
    if (!m)
      throw badRequest(`If-Match header without revision_number=<int> is not supported: ${p.slice(0, 60)}`);
    out.push(Number(m[1]));
  }
  return out.length ? out : undefined;
}

/** 412 when the resource's revision is not the one the client expected. */
export function checkRevision(expected: number[] | undefined, current: number): void {
  if (expected === undefined) return;
  if (!expected.includes(current)) {
    throw new PreconditionFailed(
      `Constrained to revision ${expected.join(', ')} but the current revision is ${current}.`,
    );
  }
}

export const MAX_TAG_LENGTH = 60;
export const MAX_TAGS = 50;

/** A tag as Neutron accepts it: a non-empty string of at most 60 characters without ',' or '/'. */
export function validTag(tag: unknown): string {
  if (typeof tag !== 'string' || tag === '' || tag.length > MAX_TAG_LENGTH || /[,/]/.test(tag)) {
    const shown = typeof tag === 'string' ? tag.slice(0, 80) : JSON.stringify(tag)?.slice(0, 80);
    throw badRequest(`Invalid input for tags. Reason: '${shown}' is not a valid tag.`);
  }
  return tag;
}

export function validTags(tags: unknown): string[] {
  if (!Array.isArray(tags)) throw badRequest("Invalid input for tags. Reason: 'tags' must be a list.");
  const out = [...new Set(tags.map(validTag))];
  if (out.length > MAX_TAGS) throw badRequest(`Invalid input for tags. Reason: at most ${MAX_TAGS} tags.`);
  return out;
}

/**
 * The standard attributes of a row being created: a new id, the owner, name/description/tags as
 * given (empty otherwise), revision 1 and both timestamps now.
 */
export function newStandardAttrs(
  projectId: string,
  a: { name?: string | null; description?: string | null; tags?: string[] | null },
) {
  const now = new Date();
  return {
    id: randomUUID(),
    projectId,
    name: a.name ?? '',
    description: a.description ?? '',
    tags: a.tags ?? [],
    revisionNumber: 1,
    createdAt: now,
    updatedAt: now,
  };
}
