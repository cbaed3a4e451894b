import { describe, expect, it } from 'vitest';
import { JsonStreamParser } from './json-stream.js';
import { ops, parseTransactResult } from './operations.js';
import { OvsdbSet, ovsMap, uuid, valueFromWire, valueToWire } from './values.js';

describe('JsonStreamParser', () => {
  it('splits concatenated messages and joins split ones', () => {
    const p = new JsonStreamParser();
    const msgs = [
      { id: 1, result: ['a', 'b'], error: null },
      { method: 'update2', params: ['m', { T: { u: { modify: { s: 'x}y"z\\' } } } }], id: null },
      { id: 'echo', method: 'echo', params: ['é中😀'] },
    ];
    const text = msgs.map((m) => JSON.stringify(m)).join('\n');
    const bytes = Buffer.from(text, 'utf8');
    // every possible split point, including inside multi-byte characters
    for (let cut = 0; cut <= bytes.length; cut++) {
      const out = [...p.push(bytes.subarray(0, cut)), ...p.push(bytes.subarray(cut))];
      expect(out).toEqual(msgs);
    }
    // one byte at a time
    const out = [];
    for (let i = 0; i < bytes.length; i++) out.push(...p.push(bytes.subarray(i, i + 1)));
    expect(out).toEqual(msgs);
    // all at once, no separators
    expect(p.push(msgs.map((m) => JSON.stringify(m)).join(''))).toEqual(msgs);
  });

  it('rejects garbage between messages', () => {
    const p = new JsonStreamParser();
    expect(() => p.push('{"a":1} x')).toThrow(/unexpected character 'x'/);
    expect(p.push('{"b":2}')).toEqual([{ b: 2 }]);
  });
});

describe('values and results', () => {
  it('converts values both ways', () => {
    const wire = ['set', [['uuid', '1b3c'], 'x', 3]];
    const v = valueFromWire(wire as never);
    expect(v).toBeInstanceOf(OvsdbSet);
    expect(valueToWire(v)).toEqual(wire);
    expect(valueToWire(ovsMap({ a: 'b' }))).toEqual(['map', [['a', 'b']]]);
    expect(valueToWire(uuid('u1'))).toEqual(['uuid', 'u1']);
  });

  it('names the failing op; short results are failures', () => {
    const txn = [ops.comment('c'), ops.insert('Bridge', { name: 'x' })];
    expect(() =>
      parseTransactResult('db', txn, [{}, { error: 'constraint violation', details: 'bad name' }]),
    ).toThrow(/op 1 \(insert Bridge\): constraint violation — bad name/);
    expect(() => parseTransactResult('db', txn, [{}])).toThrow(/op 1 \(insert Bridge\): not executed/);
    expect(() =>
      parseTransactResult('db', txn, [
        {},
        { uuid: ['uuid', 'u'] },
        { error: 'referential integrity violation' },
      ]),
    ).toThrow(/failed at commit: referential integrity violation/);
  });
});
