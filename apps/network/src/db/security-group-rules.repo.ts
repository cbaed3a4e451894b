import { randomUUID } from 'node:crypto';
import { eq, type SQL } from 'drizzle-orm';
import { conflictOf, notFoundOf } from '../domain/errors.js';
import type { ListQuery } from '../domain/list-query.js';
import { type RuleSpec, ruleKey } from '../domain/security-group-rule-input.js';
import type { SecurityGroupRuleRow } from '../domain/security-group-view.js';
import type { Executor } from './database.js';
import { type ListSpec, listPage, type Page } from './list.repo.js';
import { checkQuotaTx } from './quotas.repo.js';
import { securityGroupRules, securityGroups } from './schema-security.js';
import { bumpRevisions, lockSecurityGroups, securityGroupNotFound } from './security-groups.repo.js';

export const ruleNotFound = (id: string) =>
  notFoundOf('SecurityGroupRuleNotFound', `Security group rule ${id} does not exist`);

type Scope = { projectId: string | undefined; isAdmin: boolean };

/**
 * Create a rule: the group must be the caller's (admin: any), the remote group must exist, no
 * equal rule may exist (409 naming it), and the project's rule quota must allow one more. The
 * group row is locked, so concurrent equal rules cannot both pass the duplicate check.
 */
export async function createRule(db: Executor, spec: RuleSpec, scope: Scope): Promise<SecurityGroupRuleRow> {
  return db.transaction(async (tx) => {
    const ids = [spec.securityGroupId, ...(spec.remoteGroupId ? [spec.remoteGroupId] : [])];
    const locked = await lockSecurityGroups(tx, ids);
    const visible = (id: string) => {
      const g = locked.find((x) => x.id === id);
      return g && (scope.isAdmin || g.projectId === scope.projectId) ? g : undefined;
    };
    const sg = visible(spec.securityGroupId);
    if (!sg) throw securityGroupNotFound(spec.securityGroupId);
    if (spec.remoteGroupId !== null && !visible(spec.remoteGroupId))
      throw securityGroupNotFound(spec.remoteGroupId);
    const existing = await tx
      .select()
      .from(securityGroupRules)
      .where(eq(securityGroupRules.securityGroupId, sg.id));
    const key = ruleKey(spec);
    const same = existing.find((r) => ruleKey(r) === key);
    if (same) {
      throw conflictOf(
        'SecurityGroupRuleExists',
        `Security group rule already exists. Rule id is ${same.id}.`,
      );
    }
    const projectId = sg.projectId;
    await checkQuotaTx(tx, projectId, 'security_group_rule');
    const [row] = await tx
      .insert(securityGroupRules)
      .values({
        id: randomUUID(),
        projectId,
        securityGroupId: sg.id,
        direction: spec.direction,
        ethertype: spec.ethertype,
        protocol: spec.protocol,
        portRangeMin: spec.portRangeMin,
        portRangeMax: spec.portRangeMax,
        remoteIpPrefix: spec.remoteIpPrefix,
        normalizedCidr: spec.normalizedCidr,
        remoteGroupId: spec.remoteGroupId,
        description: spec.description,
      })
      .returning();
    await bumpRevisions(tx, [sg.id]);
    return row!;
  });
}

/** The rule if it exists and belongs to a group the caller may see. */
export async function findRule(
  db: Executor,
  id: string,
  scope: Scope,
): Promise<SecurityGroupRuleRow | undefined> {
  const [row] = await db.select().from(securityGroupRules).where(eq(securityGroupRules.id, id));
  if (!row || (!scope.isAdmin && row.projectId !== scope.projectId)) return undefined;
  return row;
}

/** Delete a rule; returns its group's id (whose revision went up). */
export async function deleteRule(db: Executor, id: string, scope: Scope): Promise<string> {
  return db.transaction(async (tx) => {
    const rule = await findRule(tx, id, scope);
    if (!rule) throw ruleNotFound(id);
    // lock the group first (same order as createRule)
    await tx
      .select({ id: securityGroups.id })
      .from(securityGroups)
      .where(eq(securityGroups.id, rule.securityGroupId))
      .for('update');
    const gone = await tx
      .delete(securityGroupRules)
      .where(eq(securityGroupRules.id, id))
      .returning({ id: securityGroupRules.id });
    if (!gone.length) throw ruleNotFound(id);
    await bumpRevisions(tx, [rule.securityGroupId]);
    return rule.securityGroupId;
  });
}

export async function listRules(
  db: Executor,
  spec: ListSpec,
  q: ListQuery,
  scope: SQL | undefined,
): Promise<Page<SecurityGroupRuleRow>> {
  return listPage<SecurityGroupRuleRow>(db, spec, q, scope);
}
