import { and, asc, eq, or, type SQL } from 'drizzle-orm';
import type { MetadefItem, MetadefKind, MetadefNamespace, NamespaceFields } from '../domain/metadefs.js';
import type { ImageDb } from './images.repo.js';
import { type MetadefItemRow, type MetadefNamespaceRow, metadefItems, metadefNamespaces } from './schema.js';

const nsRecord = (r: MetadefNamespaceRow): MetadefNamespace => ({
  ...r,
  visibility: r.visibility as MetadefNamespace['visibility'],
});
const itemRecord = (r: MetadefItemRow): MetadefItem => ({ ...r, kind: r.kind as MetadefKind });

const UNIQUE = '23505';
const isUnique = (err: unknown) => {
  const e = err as { code?: string; cause?: { code?: string } };
  return e?.code === UNIQUE || e?.cause?.code === UNIQUE;
};

/** Namespaces a caller sees: public ones and its own (all for an admin). */
function seen(project: string | undefined, isAdmin: boolean): SQL | undefined {
  if (isAdmin) return undefined;
  return or(
    eq(metadefNamespaces.visibility, 'public'),
    project === undefined ? undefined : eq(metadefNamespaces.owner, project),
  );
}

export async function listNamespaces(
  db: ImageDb,
  who: { project?: string; isAdmin: boolean },
  visibility?: string,
): Promise<MetadefNamespace[]> {
  const rows = await db
    .select()
    .from(metadefNamespaces)
    .where(
      and(
        seen(who.project, who.isAdmin),
        visibility ? eq(metadefNamespaces.visibility, visibility) : undefined,
      ),
    )
    .orderBy(asc(metadefNamespaces.namespace));
  return rows.map(nsRecord);
}

export async function getNamespace(
  db: ImageDb,
  ns: string,
  who: { project?: string; isAdmin: boolean },
): Promise<MetadefNamespace | undefined> {
  const [row] = await db
    .select()
    .from(metadefNamespaces)
    .where(and(eq(metadefNamespaces.namespace, ns), seen(who.project, who.isAdmin)));
  return row ? nsRecord(row) : undefined;
}

/** Create a namespace with its initial items in one transaction; undefined when the name is taken. */
export async function createNamespace(
  db: ImageDb,
  f: NamespaceFields,
  owner: string | null,
  items: { kind: MetadefKind; name: string; body: Record<string, unknown> }[],
): Promise<MetadefNamespace | undefined> {
  try {
    return await db.transaction(async (tx) => {
      const now = new Date();
      const [row] = await tx
        .insert(metadefNamespaces)
        .values({ ...f, owner, createdAt: now, updatedAt: now })
        .returning();
      if (items.length)
        await tx
          .insert(metadefItems)
          .values(items.map((i) => ({ ...i, namespace: f.namespace, createdAt: now, updatedAt: now })));
      return nsRecord(row!);
    });
  } catch (err) {
    if (isUnique(err)) return undefined;
    throw err;
  }
}

/** Replace a namespace's fields (a rename cascades to its items); 'conflict' when the new name is taken. */
export async function updateNamespace(
  db: ImageDb,
  ns: string,
  f: NamespaceFields,
): Promise<MetadefNamespace | 'conflict' | undefined> {
  try {
    const [row] = await db
      .update(metadefNamespaces)
      .set({ ...f, updatedAt: new Date() })
      .where(eq(metadefNamespaces.namespace, ns))
      .returning();
    return row ? nsRecord(row) : undefined;
  } catch (err) {
    if (isUnique(err)) return 'conflict';
    throw err;
  }
}

export async function deleteNamespace(db: ImageDb, ns: string): Promise<'deleted' | 'protected' | 'missing'> {
  const rows = await db
    .delete(metadefNamespaces)
    .where(and(eq(metadefNamespaces.namespace, ns), eq(metadefNamespaces.protected, false)))
    .returning({ ns: metadefNamespaces.namespace });
  if (rows.length) return 'deleted';
  const [still] = await db.select().from(metadefNamespaces).where(eq(metadefNamespaces.namespace, ns));
  return still ? 'protected' : 'missing';
}

export async function listItems(db: ImageDb, ns: string, kind?: MetadefKind): Promise<MetadefItem[]> {
  const rows = await db
    .select()
    .from(metadefItems)
    .where(and(eq(metadefItems.namespace, ns), kind ? eq(metadefItems.kind, kind) : undefined))
    .orderBy(asc(metadefItems.createdAt), asc(metadefItems.name));
  return rows.map(itemRecord);
}

export async function getItem(
  db: ImageDb,
  ns: string,
  kind: MetadefKind,
  name: string,
): Promise<MetadefItem | undefined> {
  const [row] = await db
    .select()
    .from(metadefItems)
    .where(and(eq(metadefItems.namespace, ns), eq(metadefItems.kind, kind), eq(metadefItems.name, name)));
  return row ? itemRecord(row) : undefined;
}

/** Insert items; undefined when one of the names is taken (none is inserted then). */
export async function createItems(
  db: ImageDb,
  ns: string,
  kind: MetadefKind,
  items: { name: string; body: Record<string, unknown> }[],
): Promise<MetadefItem[] | undefined> {
  const now = new Date();
  try {
    const rows = await db
      .insert(metadefItems)
      .values(items.map((i) => ({ ...i, namespace: ns, kind, createdAt: now, updatedAt: now })))
      .returning();
    return rows.map(itemRecord);
  } catch (err) {
    if (isUnique(err)) return undefined;
    throw err;
  }
}

export async function updateItem(
  db: ImageDb,
  ns: string,
  kind: MetadefKind,
  name: string,
  next: { name: string; body: Record<string, unknown> },
): Promise<MetadefItem | 'conflict' | undefined> {
  try {
    const [row] = await db
      .update(metadefItems)
      .set({ name: next.name, body: next.body, updatedAt: new Date() })
      .where(and(eq(metadefItems.namespace, ns), eq(metadefItems.kind, kind), eq(metadefItems.name, name)))
      .returning();
    return row ? itemRecord(row) : undefined;
  } catch (err) {
    if (isUnique(err)) return 'conflict';
    throw err;
  }
}

export async function deleteItems(
  db: ImageDb,
  ns: string,
  kind: MetadefKind,
  name?: string,
): Promise<number> {
  const rows = await db
    .delete(metadefItems)
    .where(
      and(
        eq(metadefItems.namespace, ns),
        eq(metadefItems.kind, kind),
        name === undefined ? undefined : eq(metadefItems.name, name),
      ),
    )
    .returning({ n: metadefItems.name });
  return rows.length;
}
