import { and, arrayContains, eq, gte, inArray, lte, not, or, type SQL, sql } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { Caller } from '../domain/caller.js';
import type { CreateInput, ImageFields } from '../domain/image-input.js';
import type { ImageRecord, ImageStatus, Visibility } from '../domain/image-view.js';
import type { ListQuery, SortKey } from '../domain/list-query.js';
import * as schema from './schema.js';
import { type ImageRow, imageMembers, images } from './schema.js';

export type ImageDb = NodePgDatabase<typeof schema>;
export { schema };

const toRecord = (r: ImageRow): ImageRecord => ({
  id: r.id,
  name: r.name,
  status: r.status as ImageStatus,
  visibility: r.visibility as Visibility,
  owner: r.owner,
  protected: r.protected,
  osHidden: r.osHidden,
  minDisk: r.minDisk,
  minRam: r.minRam,
  diskFormat: r.diskFormat,
  containerFormat: r.containerFormat,
  size: r.size,
  virtualSize: r.virtualSize,
  checksum: r.checksum,
  osHashAlgo: r.osHashAlgo,
  osHashValue: r.osHashValue,
  properties: r.properties,
  tags: r.tags,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

const fieldColumns = (f: ImageFields) => ({
  name: f.name,
  visibility: f.visibility,
  protected: f.protected,
  osHidden: f.osHidden,
  minDisk: f.minDisk,
  minRam: f.minRam,
  diskFormat: f.diskFormat,
  containerFormat: f.containerFormat,
  owner: f.owner,
  tags: f.tags,
  properties: f.properties,
});

/** Insert a new queued image; undefined when the id is taken. */
export async function insertImage(db: ImageDb, id: string, f: CreateInput): Promise<ImageRecord | undefined> {
  const now = new Date();
  const rows = await db
    .insert(images)
    .values({ id, status: 'queued', ...fieldColumns(f), createdAt: now, updatedAt: now })
    .onConflictDoNothing()
    .returning();
  return rows[0] ? toRecord(rows[0]) : undefined;
}

export async function getImage(db: ImageDb, id: string): Promise<ImageRecord | undefined> {
  const [row] = await db.select().from(images).where(eq(images.id, id));
  return row ? toRecord(row) : undefined;
}

const memberOf = (project: string | undefined, status?: string): SQL =>
  project === undefined
    ? sql`false`
    : sql`exists (select 1 from ${imageMembers} mm where mm.image_id = ${images.id} and mm.member_id = ${project}${
        status ? sql` and mm.status = ${status}` : sql``
      })`;

const ownedBy = (project: string | undefined): SQL =>
  project === undefined ? sql`false` : (eq(images.owner, project) as SQL);

/** Who may see one image by id: public, community, own, or shared with the caller (any member status). */
function showable(c: Caller): SQL | undefined {
  if (c.isAdmin) return undefined;
  return or(
    inArray(images.visibility, ['public', 'community']),
    ownedBy(c.project),
    and(eq(images.visibility, 'shared'), memberOf(c.project)),
  );
}

/** The image if the caller may see it (an unseen image is indistinguishable from a missing one). */
export async function findVisibleImage(db: ImageDb, id: string, c: Caller): Promise<ImageRecord | undefined> {
  const [row] = await db
    .select()
    .from(images)
    .where(and(eq(images.id, id), showable(c)));
  return row ? toRecord(row) : undefined;
}

/** Which images a listing shows, by Glance's rules for the visibility and member_status filters. */
function listable(c: Caller, q: ListQuery): SQL | undefined {
  const v = q.visibility;
  const ms = q.memberStatus === 'all' ? undefined : q.memberStatus;
  if (c.isAdmin) return v === undefined || v === 'all' ? undefined : eq(images.visibility, v);
  // `visibility=shared` lists images shared *with* the caller (Glance); own ones come through ownedBy
  const shared = and(eq(images.visibility, 'shared'), memberOf(c.project, ms));
  switch (v) {
    case 'public':
    case 'community':
      return eq(images.visibility, v);
    case 'private':
      return and(eq(images.visibility, 'private'), ownedBy(c.project));
    case 'shared':
      return shared;
    case 'all':
      return or(inArray(images.visibility, ['public', 'community']), ownedBy(c.project), shared);
    default:
      return or(eq(images.visibility, 'public'), ownedBy(c.project), shared);
  }
}

const SORT_SQL: Record<SortKey, (a: string) => string> = {
  name: (a) => `coalesce(${a}.name, '')`,
  status: (a) => `${a}.status`,
  container_format: (a) => `coalesce(${a}.container_format, '')`,
  disk_format: (a) => `coalesce(${a}.disk_format, '')`,
  size: (a) => `coalesce(${a}.size, -1)`,
  virtual_size: (a) => `coalesce(${a}.virtual_size, -1)`,
  id: (a) => `${a}.id`,
  created_at: (a) => `${a}.created_at`,
  updated_at: (a) => `${a}.updated_at`,
  min_disk: (a) => `${a}.min_disk`,
  min_ram: (a) => `${a}.min_ram`,
  owner: (a) => `coalesce(${a}.owner, '')`,
  visibility: (a) => `${a}.visibility`,
};
const OUTER = '"images"';

/** Rows strictly after the marker in the sort order (keyset paging, total order thanks to the id). */
function afterMarker(q: ListQuery, marker: string): SQL {
  const mine = (k: SortKey) => sql.raw(SORT_SQL[k](OUTER));
  const theirs = (k: SortKey) =>
    sql`(select ${sql.raw(SORT_SQL[k]('m'))} from ${images} m where m.id = ${marker})`;
  const branches = q.sort.map((s, i) => {
    const equal = q.sort.slice(0, i).map((p) => sql`${mine(p.key)} = ${theirs(p.key)}`);
    const cmp =
      s.dir === 'asc' ? sql`${mine(s.key)} > ${theirs(s.key)}` : sql`${mine(s.key)} < ${theirs(s.key)}`;
    return and(...equal, cmp)!;
  });
  return or(...branches)!;
}

function filters(q: ListQuery): (SQL | undefined)[] {
  const out: (SQL | undefined)[] = [];
  const cols = {
    id: images.id,
    name: images.name,
    status: images.status,
    owner: images.owner,
    container_format: images.containerFormat,
    disk_format: images.diskFormat,
  } as const;
  for (const [k, values] of Object.entries(q.strings)) {
    const col = cols[k as keyof typeof cols];
    out.push(values.length === 1 ? eq(col, values[0]!) : inArray(col, values));
  }
  if (q.tags.length) out.push(arrayContains(images.tags, q.tags));
  if (q.size !== undefined) out.push(eq(images.size, q.size));
  if (q.sizeMin !== undefined) out.push(gte(images.size, q.sizeMin));
  if (q.sizeMax !== undefined) out.push(lte(images.size, q.sizeMax));
  if (q.protected !== undefined) out.push(eq(images.protected, q.protected));
  out.push(eq(images.osHidden, q.osHidden));
  // times compare at the precision the API shows them (whole seconds)
  const ops = { gt: '>', gte: '>=', lt: '<', lte: '<=', eq: '=', neq: '<>' } as const;
  for (const t of q.times) {
    const col = t.column === 'created_at' ? images.createdAt : images.updatedAt;
    out.push(sql`date_trunc('second', ${col}) ${sql.raw(ops[t.op])} ${t.at.toISOString()}::timestamptz`);
  }
  for (const [k, v] of Object.entries(q.properties)) out.push(sql`${images.properties} ->> ${k} = ${v}`);
  return out;
}

/** One page of the images the caller may list. Undefined when the marker is not an image the caller sees. */
export async function listImages(db: ImageDb, c: Caller, q: ListQuery): Promise<ImageRecord[] | undefined> {
  const visible = listable(c, q);
  if (q.marker !== undefined) {
    const m = await findVisibleImage(db, q.marker, c);
    if (!m) return undefined;
  }
  if (q.limit === 0) return [];
  const rows = await db
    .select()
    .from(images)
    .where(and(visible, ...filters(q), q.marker !== undefined ? afterMarker(q, q.marker) : undefined))
    .orderBy(...q.sort.map((s) => sql.raw(`${SORT_SQL[s.key](OUTER)} ${s.dir}`)))
    .limit(q.limit);
  return rows.map(toRecord);
}

/**
 * Read-modify-write of an image's client-settable fields under a row lock: concurrent
 * patches serialise instead of losing each other's changes.
 */
export async function updateImage(
  db: ImageDb,
  id: string,
  change: (current: ImageRecord) => ImageFields,
): Promise<ImageRecord | undefined> {
  return db.transaction(async (tx) => {
    const [row] = await tx.select().from(images).where(eq(images.id, id)).for('update');
    if (!row) return undefined;
    const next = change(toRecord(row));
    const [updated] = await tx
      .update(images)
      .set({ ...fieldColumns(next), updatedAt: new Date() })
      .where(eq(images.id, id))
      .returning();
    return updated ? toRecord(updated) : undefined;
  });
}

/** queued → saving, owned by `uploadId`. Undefined when the image is not queued (someone else won). */
export async function beginUpload(
  db: ImageDb,
  id: string,
  uploadId: string,
): Promise<ImageRecord | undefined> {
  const [row] = await db
    .update(images)
    .set({ status: 'saving', uploadId, updatedAt: new Date() })
    .where(and(eq(images.id, id), eq(images.status, 'queued')))
    .returning();
  return row ? toRecord(row) : undefined;
}

export interface UploadResult {
  size: number;
  virtualSize: number | null;
  checksum: string;
  osHashValue: string;
}

/** saving → active with the data's size and hashes; undefined when the image went away meanwhile. */
export async function finishUpload(
  db: ImageDb,
  id: string,
  uploadId: string,
  r: UploadResult,
): Promise<ImageRecord | undefined> {
  const [row] = await db
    .update(images)
    .set({
      status: 'active',
      uploadId: null,
      size: r.size,
      virtualSize: r.virtualSize,
      checksum: r.checksum,
      osHashAlgo: 'sha512',
      osHashValue: r.osHashValue,
      updatedAt: new Date(),
    })
    .where(and(eq(images.id, id), eq(images.status, 'saving'), eq(images.uploadId, uploadId)))
    .returning();
  return row ? toRecord(row) : undefined;
}

/** saving → queued (the client's upload failed) or killed (the store failed). */
export async function abortUpload(
  db: ImageDb,
  id: string,
  uploadId: string,
  to: 'queued' | 'killed',
): Promise<void> {
  await db
    .update(images)
    .set({ status: to, uploadId: null, updatedAt: new Date() })
    .where(and(eq(images.id, id), eq(images.status, 'saving'), eq(images.uploadId, uploadId)));
}

/** Compare-and-swap of the status; undefined when the image is not in one of `from`. */
export async function setStatus(
  db: ImageDb,
  id: string,
  from: ImageStatus[],
  to: ImageStatus,
): Promise<ImageRecord | undefined> {
  const [row] = await db
    .update(images)
    .set({ status: to, updatedAt: new Date() })
    .where(and(eq(images.id, id), inArray(images.status, from)))
    .returning();
  return row ? toRecord(row) : undefined;
}

/** Delete unless protected (checked in the same statement). */
export async function deleteImage(db: ImageDb, id: string): Promise<'deleted' | 'protected' | 'missing'> {
  const rows = await db
    .delete(images)
    .where(and(eq(images.id, id), not(images.protected)))
    .returning({ id: images.id });
  if (rows.length) return 'deleted';
  return (await getImage(db, id)) ? 'protected' : 'missing';
}

/** Add a tag atomically; 'quota' when the image already has `max` tags. */
export async function addTag(
  db: ImageDb,
  id: string,
  tag: string,
  max: number,
): Promise<'ok' | 'quota' | 'missing'> {
  const rows = await db
    .update(images)
    .set({ tags: sql`array_append(${images.tags}, ${tag}::text)`, updatedAt: new Date() })
    .where(
      and(
        eq(images.id, id),
        not(arrayContains(images.tags, [tag])),
        sql`cardinality(${images.tags}) < ${max}`,
      ),
    )
    .returning({ id: images.id });
  if (rows.length) return 'ok';
  const cur = await getImage(db, id);
  if (!cur) return 'missing';
  return cur.tags.includes(tag) ? 'ok' : 'quota';
}

export async function removeTag(db: ImageDb, id: string, tag: string): Promise<boolean> {
  const rows = await db
    .update(images)
    .set({ tags: sql`array_remove(${images.tags}, ${tag}::text)`, updatedAt: new Date() })
    .where(and(eq(images.id, id), arrayContains(images.tags, [tag])))
    .returning({ id: images.id });
  return rows.length > 0;
}

/** An upload in progress says it is alive (its image stays `saving`). */
export async function touchUpload(db: ImageDb, id: string, uploadId: string): Promise<void> {
  await db
    .update(images)
    .set({ updatedAt: new Date() })
    .where(and(eq(images.id, id), eq(images.status, 'saving'), eq(images.uploadId, uploadId)));
}

/** Images left `saving` by an upload that stopped saying it is alive (a crashed process) go back to queued. */
export async function resetStaleUploads(db: ImageDb, olderThanMs: number): Promise<string[]> {
  const rows = await db
    .update(images)
    .set({ status: 'queued', uploadId: null, updatedAt: new Date() })
    .where(
      and(
        eq(images.status, 'saving'),
        sql`${images.updatedAt} < ${new Date(Date.now() - olderThanMs).toISOString()}::timestamptz`,
      ),
    )
    .returning({ id: images.id });
  return rows.map((r) => r.id);
}
