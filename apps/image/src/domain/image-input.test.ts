import { describe, expect, it } from 'vitest';
import { applyPatch, parseCreate, parsePatch } from './image-input.js';

const base = () => parseCreate({ name: 'x', disk_format: 'raw', container_format: 'bare', extra: 'v' }, 'p1');

describe('image input', () => {
  it('defaults like Glance: shared, owned by the caller, extra properties apart', () => {
    expect(base()).toMatchObject({ visibility: 'shared', owner: 'p1', properties: { extra: 'v' }, tags: [] });
    expect(parseCreate({ id: '7C5D1A3C2B0E4C2A9A430B9D6E1F2A11' }, null).id).toBe(
      '7c5d1a3c-2b0e-4c2a-9a43-0b9d6e1f2a11',
    );
  });

  it('refuses more than 128 properties with 413', () => {
    const body = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`p${i}`, 'v']));
    expect(() => parseCreate(body, 'p')).toThrow(expect.objectContaining({ kind: 'too_large' }));
  });

  it('parses both JSON-patch forms and JSON-pointer escapes', () => {
    expect(parsePatch([{ op: 'add', path: '/a~1b~0c', value: 'v' }])).toEqual([
      { op: 'add', key: 'a/b~c', value: 'v', draft: false },
    ]);
    expect(parsePatch([{ remove: '/a' }])).toEqual([
      { op: 'remove', key: 'a', value: undefined, draft: true },
    ]);
    expect(() => parsePatch([{ add: '/a', replace: '/b', value: 1 }])).toThrow(/exactly one/);
    expect(() => parsePatch([{ op: 'add', path: '/~2', value: 'x' }])).toThrow(/escape/);
  });

  it('applies Glance rules: draft add conflicts, replace needs the property, core attrs stay', () => {
    const img = base();
    expect(() => applyPatch(img, 'queued', parsePatch([{ add: '/extra', value: 'w' }]))).toThrow(
      /already present/,
    );
    expect(
      applyPatch(img, 'queued', parsePatch([{ op: 'add', path: '/extra', value: 'w' }])).properties.extra,
    ).toBe('w');
    expect(() =>
      applyPatch(img, 'queued', parsePatch([{ op: 'replace', path: '/nope', value: 'w' }])),
    ).toThrow(/does not exist/);
    expect(() => applyPatch(img, 'queued', parsePatch([{ op: 'remove', path: '/min_ram' }]))).toThrow(
      /may not be removed/,
    );
    expect(() =>
      applyPatch(img, 'active', parsePatch([{ op: 'replace', path: '/disk_format', value: 'qcow2' }])),
    ).toThrow(/queued/);
    const next = applyPatch(
      img,
      'active',
      parsePatch([{ op: 'replace', path: '/tags', value: ['a', 'a', 'b'] }]),
    );
    expect(next.tags).toEqual(['a', 'b']);
    expect(img.tags).toEqual([]);
  });
});
