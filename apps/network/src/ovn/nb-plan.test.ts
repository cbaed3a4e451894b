import { ops, ovsSet, uuid, where } from '@kumo/ovsdb';
import { describe, expect, it } from 'vitest';
import { canonical, mergeMutations } from './nb-plan.js';

describe('nb plan helpers', () => {
  it('compares sets unordered and an atom like a one-element set', () => {
    expect(canonical(ovsSet('b', 'a'))).toBe(canonical(ovsSet('a', 'b')));
    expect(canonical('x')).toBe(canonical(ovsSet('x')));
    expect(canonical(ovsSet())).not.toBe(canonical(''));
    expect(canonical(new Map([['k', 'v']]))).not.toBe(canonical(new Map([['k', 'w']])));
  });

  it('merges mutations of the same row and column into the first one', () => {
    const ls = uuid('00000000-0000-0000-0000-000000000001');
    const pg = uuid('00000000-0000-0000-0000-000000000002');
    const merged = mergeMutations([
      ops.insert('Logical_Switch_Port', { name: 'a' }, { uuidName: 'a' }),
      ops.mutate('Logical_Switch', [where.uuid(ls)], [['ports', 'insert', ovsSet(uuid('1'))]]),
      ops.mutate('Port_Group', [where.uuid(pg)], [['ports', 'insert', ovsSet(uuid('1'))]]),
      ops.mutate('Logical_Switch', [where.uuid(ls)], [['ports', 'insert', ovsSet(uuid('2'))]]),
      ops.mutate('Logical_Switch', [where.uuid(ls)], [['ports', 'delete', ovsSet(uuid('3'))]]),
    ]);
    expect(merged.map((o) => o.op)).toEqual(['insert', 'mutate', 'mutate', 'mutate']);
    const first = merged[1];
    expect(first?.op === 'mutate' && first.mutations[0]?.[2]).toEqual(ovsSet(uuid('1'), uuid('2')));
  });
});
