import { describe, expect, it } from 'vitest';
import { Policy, parseRule } from './policy.js';
import type { TokenData } from './token-data.js';

const token = (roles: string[], extra: Partial<TokenData> = {}): TokenData => ({
  methods: ['password'],
  user: { id: 'u1', name: 'alice', domain: { id: 'default', name: 'Default' } },
  project: { id: 'p1', name: 'demo', domain: { id: 'default', name: 'Default' } },
  roles: roles.map((r) => ({ id: r, name: r })),
  auditIds: ['a'],
  issuedAt: 0,
  expiresAt: 1,
  ...extra,
});

const rules = {
  admin_required: 'role:admin',
  owner: 'user_id:%(target.user.id)s',
  'x:get_user': 'rule:admin_required or rule:owner',
  'x:system': 'role:reader and system_scope:all',
  'x:not': 'not role:admin',
  'x:grouped': '(role:member or role:admin) and project_id:%(target.project.id)s',
  'x:open': '',
  'x:never': '!',
};

describe('policy engine', () => {
  const p = new Policy(rules);
  it('evaluates roles, rule references and target references', () => {
    expect(p.enforce('x:get_user', token(['admin']), { user: { id: 'other' } })).toBe(true);
    expect(p.enforce('x:get_user', token(['member']), { user: { id: 'u1' } })).toBe(true);
    expect(p.enforce('x:get_user', token(['member']), { user: { id: 'other' } })).toBe(false);
  });
  it('handles scope, not, parentheses, empty and never rules', () => {
    expect(p.enforce('x:system', token(['reader']))).toBe(false);
    expect(p.enforce('x:system', token(['reader'], { project: undefined, system: true }))).toBe(true);
    expect(p.enforce('x:not', token(['member']))).toBe(true);
    expect(p.enforce('x:grouped', token(['member']), { project: { id: 'p1' } })).toBe(true);
    expect(p.enforce('x:grouped', token(['member']), { project: { id: 'p2' } })).toBe(false);
    expect(p.enforce('x:open', token([]))).toBe(true);
    expect(p.enforce('x:never', token(['admin']))).toBe(false);
  });
  it('falls back to the default rule, and denies unknown actions without one', () => {
    expect(p.enforce('x:unknown', token(['admin']))).toBe(false);
    const withDefault = new Policy({ ...rules, default: 'role:admin' });
    expect(withDefault.enforce('x:unknown', token(['admin']))).toBe(true);
  });
  it('lets operator overrides win', () => {
    const o = new Policy(rules, { 'x:never': '@' });
    expect(o.enforce('x:never', token([]))).toBe(true);
  });
  it('refuses malformed rules', () => {
    expect(() => parseRule('role:admin or')).toThrow();
    expect(() => parseRule('(role:admin')).toThrow();
    expect(() => parseRule('justaword')).toThrow();
  });
  it('throws a 403 KumoError from authorize', () => {
    expect(() => p.authorize('x:never', token(['admin']))).toThrow(/not authorized/);
  });
});
