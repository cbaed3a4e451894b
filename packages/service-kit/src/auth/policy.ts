import { forbidden, KumoError } from '../errors.js';
import type { TokenData } from './token-data.js';

/**
 * An RBAC policy engine with oslo.policy's rule language, so operators can
 * override rules the way they do for OpenStack:
 *
 *   "identity:get_user": "rule:admin_required or user_id:%(target.user.id)s"
 *
 * Checks: `role:NAME`, `rule:NAME`, `system_scope:all`, `@` (always), `!` (never),
 * and `ATTR:VALUE` comparing a credential attribute (user_id, project_id,
 * domain_id, user_domain_id, project_domain_id) with a literal or a
 * `%(path.in.target)s` reference. Combined with `and`, `or`, `not`, parentheses.
 */
export type PolicyRules = Record<string, string>;

type Node =
  | { t: 'true' }
  | { t: 'false' }
  | { t: 'and' | 'or'; items: Node[] }
  | { t: 'not'; item: Node }
  | { t: 'check'; kind: string; match: string };

function tokenize(rule: string): string[] {
  // a check may hold a %(target.ref)s whose parentheses are not grouping
  return rule.match(/[^\s()]*%\([^)]*\)s[^\s()]*|\(|\)|[^\s()]+/g) ?? [];
}

export function parseRule(rule: string): Node {
  const toks = tokenize(rule);
  if (toks.length === 0) return { t: 'true' };
  let i = 0;
  const peek = () => toks[i];
  const parseOr = (): Node => {
    const items = [parseAnd()];
    while (peek() === 'or') {
      i++;
      items.push(parseAnd());
    }
    return items.length === 1 ? items[0]! : { t: 'or', items };
  };
  const parseAnd = (): Node => {
    const items = [parseNot()];
    while (peek() === 'and') {
      i++;
      items.push(parseNot());
    }
    return items.length === 1 ? items[0]! : { t: 'and', items };
  };
  const parseNot = (): Node => {
    if (peek() === 'not') {
      i++;
      return { t: 'not', item: parseNot() };
    }
    return parseAtom();
  };
  const parseAtom = (): Node => {
    const tok = toks[i++];
    if (tok === undefined) throw new KumoError('invalid', `policy rule ends early: ${rule}`);
    if (tok === '(') {
      const n = parseOr();
      if (toks[i++] !== ')') throw new KumoError('invalid', `policy rule misses ')': ${rule}`);
      return n;
    }
    if (tok === '@') return { t: 'true' };
    if (tok === '!') return { t: 'false' };
    const colon = tok.indexOf(':');
    if (colon <= 0) throw new KumoError('invalid', `policy check '${tok}' is not KIND:MATCH in: ${rule}`);
    return { t: 'check', kind: tok.slice(0, colon), match: tok.slice(colon + 1) };
  };
  const node = parseOr();
  if (i !== toks.length) throw new KumoError('invalid', `policy rule has trailing '${toks[i]}': ${rule}`);
  return node;
}

export type Target = Record<string, unknown>;

function lookup(target: Target, path: string): unknown {
  let cur: unknown = target;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function credentials(t: TokenData): Record<string, string | undefined> {
  return {
    user_id: t.user.id,
    user_domain_id: t.user.domain.id,
    project_id: t.project?.id,
    project_domain_id: t.project?.domain.id,
    domain_id: t.domain?.id,
    system_scope: t.system ? 'all' : undefined,
  };
}

export class Policy {
  private readonly compiled = new Map<string, Node>();

  constructor(defaults: PolicyRules, overrides: PolicyRules = {}) {
    for (const [name, rule] of Object.entries({ ...defaults, ...overrides }))
      this.compiled.set(name, parseRule(rule));
  }

  enforce(action: string, token: TokenData, target: Target = {}): boolean {
    const node = this.compiled.get(action) ?? this.compiled.get('default');
    if (!node) return false;
    return this.evaluate(node, token, target, credentials(token), 0);
  }

  /** Throws 403 unless the rule allows it. */
  authorize(action: string, token: TokenData, target: Target = {}): void {
    if (!this.enforce(action, token, target))
      throw forbidden(`You are not authorized to perform the requested action: ${action}.`);
  }

  private evaluate(
    n: Node,
    tok: TokenData,
    target: Target,
    creds: Record<string, string | undefined>,
    depth: number,
  ): boolean {
    if (depth > 32) throw new KumoError('invalid', 'policy rules recurse too deeply');
    switch (n.t) {
      case 'true':
        return true;
      case 'false':
        return false;
      case 'and':
        return n.items.every((x) => this.evaluate(x, tok, target, creds, depth));
      case 'or':
        return n.items.some((x) => this.evaluate(x, tok, target, creds, depth));
      case 'not':
        return !this.evaluate(n.item, tok, target, creds, depth);
      case 'check': {
        if (n.kind === 'role') return tok.roles.some((r) => r.name.toLowerCase() === n.match.toLowerCase());
        if (n.kind === 'rule') {
          const ref = this.compiled.get(n.match);
          return ref ? this.evaluate(ref, tok, target, creds, depth + 1) : false;
        }
        const have = creds[n.kind];
        if (have === undefined) return false;
        const ref = /^%\((.+)\)s$/.exec(n.match);
        const want = ref ? lookup({ ...target, target }, ref[1]!) : n.match;
        return want !== undefined && want !== null && String(want) === have;
      }
    }
  }
}
