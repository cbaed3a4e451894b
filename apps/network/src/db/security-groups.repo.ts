import { randomUUID } from 'node:crypto';
import { and, asc, eq, inArray, or, type SQL, sql } from 'drizzle-orm';
import { conflictOf, notFoundOf } from '../domain/errors.js';
import type { ListQuery } from '../domain/list-query.js';
import {
  DEFAULT_SG_DESCRIPTION,
  DEFAULT_SG_NAME,
  type SecurityGroupInput,
  type SecurityGroupRow,
  type SecurityGroupRuleRow,
} from '../domain/security-group-view.js';
import { checkRevision } from '../domain/standard-attrs.js';
import type { Executor, NetworkTx } from './database.js';
import { type ListSpec, listPage, type Page } from './list.repo.js';
import { checkQuotaTx } from './quotas.repo.js';
import { portSecurityGroups } from './schema.js';
import { securityGroupRules, securityGroups } from './schema-security.js';

export const securityGroupNotFound = (id: string) =>
  notFoundOf('SecurityGroupNotFound', `Security group ${id} does not exist`);

export interface SecurityGroupWithRules {
  sg: SecurityGroupRow;
  rules: SecurityGroupRuleRow[];
}

/** Neutron's rules of a new default group: egress anywhere, ingress from members of the group. */
function defaultRules(sgId: string, projectId: string) {
  const base = {
    securityGroupId: sgId,
    projectId,
    protocol: null,
    portRangeMin: null,
    portRangeMax: null,
    remoteIpPrefix: null,
    normalizedCidr: null,
  };
  return (['IPv4', 'IPv6'] as const).flatMap((ethertype) => [
    { ...base, id: randomUUID(), direction: 'egress', ethertype, remoteGroupId: null },
    { ...base, id: randomUUID(), direction: 'ingress', ethertype, remoteGroupId: sgId },
  ]);
}

/**
 * The project's `default` group, created with its rules when missing. Race-free: the insert
 * meets the partial unique index (project_id where name = 'default'), so of concurrent callers
 * exactly one creates it; the others wait for that commit and find it. The row is share-locked
 * until the caller's transaction ends (a concurrent delete cannot remove it under a new port).
 */
export async function ensureDefaultSecurityGroup(
  db: Executor,
  projectId: string,
): Promise<{ id: string; created: boolean }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const found = await db
      .select({ id: securityGroups.id })
      .from(securityGroups)
      .where(and(eq(securityGroups.projectId, projectId), eq(securityGroups.name, DEFAULT_SG_NAME)))
      .for('share');
    if (found[0]) return { id: found[0].id, created: false };
    const id = randomUUID();
    const created = await db.transaction(async (tx) => {
      const rows = await tx
        .insert(securityGroups)
        .values({ id, projectId, name: DEFAULT_SG_NAME, description: DEFAULT_SG_DESCRIPTION })
        .onConflictDoNothing({
          target: securityGroups.projectId,
          where: sql`name = 'default'`,
        })
        .returning({ id: securityGroups.id });
      if (!rows[0]) return false;
      await tx.insert(securityGroupRules).values(defaultRules(id, projectId));
      return true;
    });
    if (created) return { id, created: true };
  }
  throw conflictOf(
    'SecurityGroupConflict',
    `The default security group of project ${projectId} is being changed.`,
  );
}

/** The id of the project's `default` security group, creating it (with Neutron's default rules) if missing. */
export async function defaultSecurityGroupId(db: Executor, projectId: string): Promise<string> {
  return (await ensureDefaultSecurityGroup(db, projectId)).id;
}

/**
 * Check that every id names a security group the project may use on its ports (its own; any for
 * admin callers) — throws KumoError not_found (SecurityGroupNotFound) otherwise. The groups stay
 * share-locked until the transaction ends, so they cannot be deleted under the port being written.
 */
export async function checkSecurityGroupsUsable(
  db: Executor,
  projectId: string,
  ids: readonly string[],
  isAdmin: boolean,
): Promise<void> {
  const wanted = [...new Set(ids)];
  if (!wanted.length) return;
  const rows = await db
    .select({ id: securityGroups.id, projectId: securityGroups.projectId })
    .from(securityGroups)
    .where(inArray(securityGroups.id, wanted))
    .orderBy(asc(securityGroups.id))
    .for('share');
  for (const id of wanted) {
    const row = rows.find((r) => r.id === id);
    if (!row || (!isAdmin && row.projectId !== projectId)) throw securityGroupNotFound(id);
  }
}

async function rulesOf(db: Executor, sgIds: string[]): Promise<SecurityGroupRuleRow[]> {
  if (!sgIds.length) return [];
  return db
    .select()
    .from(securityGroupRules)
    .where(inArray(securityGroupRules.securityGroupId, sgIds))
    .orderBy(asc(securityGroupRules.createdAt), asc(securityGroupRules.id));
}

/** Attach each group's rules. */
export async function withRules(db: Executor, sgs: SecurityGroupRow[]): Promise<SecurityGroupWithRules[]> {
  const rules = await rulesOf(
    db,
    sgs.map((s) => s.id),
  );
  return sgs.map((sg) => ({ sg, rules: rules.filter((r) => r.securityGroupId === sg.id) }));
}

/** The group if it exists and the caller may see it (own project, or admin). */
export async function findSecurityGroup(
  db: Executor,
  id: string,
  scope: { projectId: string | undefined; isAdmin: boolean },
  lock?: 'update' | 'share',
): Promise<SecurityGroupRow | undefined> {
  let q = db.select().from(securityGroups).where(eq(securityGroups.id, id)).$dynamic();
  if (lock) q = q.for(lock);
  const [row] = await q;
  if (!row || (!scope.isAdmin && row.projectId !== scope.projectId)) return undefined;
  return row;
}

const nameIsDefault = (name: string | undefined) => name === DEFAULT_SG_NAME;
const defaultExists = () =>
  conflictOf('SecurityGroupDefaultAlreadyExists', 'Default security group already exists.');

/** Create a group (never one named `default`: that one is made on demand). */
export async function createSecurityGroup(
  db: Executor,
  projectId: string,
  input: SecurityGroupInput & { tags?: string[] },
): Promise<SecurityGroupWithRules> {
  if (nameIsDefault(input.name)) throw defaultExists();
  await ensureDefaultSecurityGroup(db, projectId);
  return db.transaction(async (tx) => {
    await checkQuotaTx(tx, projectId, 'security_group');
    const id = randomUUID();
    const [sg] = await tx
      .insert(securityGroups)
      .values({
        id,
        projectId,
        name: input.name ?? '',
        description: input.description ?? '',
        stateful: input.stateful ?? true,
        tags: input.tags ?? [],
      })
      .returning();
    // Neutron gives every new group the two egress rules
    const rules = (['IPv4', 'IPv6'] as const).map((ethertype) => ({
      id: randomUUID(),
      securityGroupId: id,
      projectId,
      direction: 'egress',
      ethertype,
    }));
    await checkQuotaTx(tx, projectId, 'security_group_rule', rules.length);
    const inserted = await tx.insert(securityGroupRules).values(rules).returning();
    return { sg: sg!, rules: inserted };
  });
}

export async function listSecurityGroups(
  db: Executor,
  spec: ListSpec,
  q: ListQuery,
  scope: SQL | undefined,
): Promise<Page<SecurityGroupRow>> {
  return listPage<SecurityGroupRow>(db, spec, q, scope);
}

const inUse = (id: string, reason = 'in use') =>
  conflictOf('SecurityGroupInUse', `Security Group ${id} ${reason}.`);

async function isUsedByPorts(tx: Executor, id: string): Promise<boolean> {
  const [row] = await tx
    .select({ portId: portSecurityGroups.portId })
    .from(portSecurityGroups)
    .where(eq(portSecurityGroups.securityGroupId, id))
    .limit(1);
  return row !== undefined;
}

/** Update name/description/stateful (If-Match checked under the row lock). */
export async function updateSecurityGroup(
  db: Executor,
  id: string,
  scope: { projectId: string | undefined; isAdmin: boolean },
  input: SecurityGroupInput,
  ifMatch: number[] | undefined,
): Promise<SecurityGroupWithRules> {
  return db.transaction(async (tx) => {
    const sg = await findSecurityGroup(tx, id, scope, 'update');
    if (!sg) throw securityGroupNotFound(id);
    checkRevision(ifMatch, sg.revisionNumber);
    if (input.name !== undefined && input.name !== sg.name) {
      if (sg.name === DEFAULT_SG_NAME && !scope.isAdmin) {
        throw conflictOf('SecurityGroupCannotUpdateDefault', 'Updating default security group not allowed.');
      }
      if (nameIsDefault(input.name)) throw defaultExists();
    }
    if (input.stateful !== undefined && input.stateful !== sg.stateful && (await isUsedByPorts(tx, id))) {
      throw inUse(id, 'in use: its stateful attribute cannot change while ports use it');
    }
    const [row] = await tx
      .update(securityGroups)
      .set({
        name: input.name ?? sg.name,
        description: input.description ?? sg.description,
        stateful: input.stateful ?? sg.stateful,
        revisionNumber: sql`${securityGroups.revisionNumber} + 1`,
        updatedAt: sql`now()`,
      })
      .where(eq(securityGroups.id, id))
      .returning();
    return { sg: row!, rules: await rulesOf(tx, [id]) };
  });
}

/**
 * Delete a group and its rules, and the rules of other groups naming it as remote group.
 * @returns the ids of the other groups whose rules changed (to sync them too)
 */
export async function deleteSecurityGroup(
  db: Executor,
  id: string,
  scope: { projectId: string | undefined; isAdmin: boolean },
  ifMatch: number[] | undefined,
): Promise<string[]> {
  return db.transaction(async (tx) => {
    // the group and the groups whose rules name it, locked in id order (as createRule does)
    const locked = await tx
      .select()
      .from(securityGroups)
      .where(
        or(
          eq(securityGroups.id, id),
          inArray(
            securityGroups.id,
            tx
              .select({ id: securityGroupRules.securityGroupId })
              .from(securityGroupRules)
              .where(eq(securityGroupRules.remoteGroupId, id)),
          ),
        ),
      )
      .orderBy(asc(securityGroups.id))
      .for('update');
    const sg = locked.find((g) => g.id === id);
    if (!sg || (!scope.isAdmin && sg.projectId !== scope.projectId)) throw securityGroupNotFound(id);
    checkRevision(ifMatch, sg.revisionNumber);
    if (sg.name === DEFAULT_SG_NAME && !scope.isAdmin) {
      throw conflictOf(
        'SecurityGroupCannotRemoveDefault',
        'Insufficient rights for removing default security group.',
      );
    }
    if (await isUsedByPorts(tx, id)) throw inUse(id);
    const referencing = await tx
      .delete(securityGroupRules)
      .where(
        and(eq(securityGroupRules.remoteGroupId, id), sql`${securityGroupRules.securityGroupId} <> ${id}`),
      )
      .returning({ sgId: securityGroupRules.securityGroupId });
    const others = [...new Set(referencing.map((r) => r.sgId))];
    if (others.length) await bumpRevisions(tx, others);
    await tx.delete(securityGroups).where(eq(securityGroups.id, id));
    return others;
  });
}

/**
 * Lock groups FOR UPDATE in id order — the one lock order of every multi-group transaction
 * (rule create: own + remote group; group delete: the group + groups naming it), so they
 * never deadlock. Returns the rows found.
 */
export async function lockSecurityGroups(tx: Executor, ids: string[]): Promise<SecurityGroupRow[]> {
  return tx
    .select()
    .from(securityGroups)
    .where(inArray(securityGroups.id, [...new Set(ids)]))
    .orderBy(asc(securityGroups.id))
    .for('update');
}

/** revision_number + 1 (a rule of the group changed). */
export async function bumpRevisions(tx: NetworkTx | Executor, ids: string[]): Promise<void> {
  if (!ids.length) return;
  await tx
    .update(securityGroups)
    .set({ revisionNumber: sql`${securityGroups.revisionNumber} + 1`, updatedAt: sql`now()` })
    .where(or(...ids.map((i) => eq(securityGroups.id, i))));
}
