import { describe, expect, it } from 'vitest';
import { pageLinks, parseListQuery, pickFields } from './list-query.js';

const attrs = { name: 'string', mtu: 'int', shared: 'bool' } as const;

describe('list query', () => {
  it('parses filters, fields, sorts, paging and tags', () => {
    const q = parseListQuery(
      {
        name: ['a', 'b'],
        mtu: '1400',
        shared: 'True',
        fields: ['id', 'name'],
        sort_key: ['name', 'mtu'],
        sort_dir: ['desc', 'asc'],
        limit: '2',
        marker: 'm',
        page_reverse: 'true',
        tags: 'x,y',
        'not-tags-any': 'z',
      },
      attrs,
    );
    expect(q).toEqual({
      filters: [
        { attr: 'name', values: ['a', 'b'] },
        { attr: 'mtu', values: [1400] },
        { attr: 'shared', values: [true] },
      ],
      fields: ['id', 'name'],
      sorts: [
        { key: 'name', dir: 'desc' },
        { key: 'mtu', dir: 'asc' },
      ],
      limit: 2,
      marker: 'm',
      pageReverse: true,
      tags: { all: ['x', 'y'], any: [], notAll: [], notAny: ['z'] },
    });
  });

  it('rejects unknown filters and bad values', () => {
    expect(() => parseListQuery({ colour: 'red' }, attrs)).toThrow(/invalid attribute for filtering/);
    expect(() => parseListQuery({ mtu: 'x' }, attrs)).toThrow();
    expect(() => parseListQuery({ sort_key: ['name'], sort_dir: ['asc', 'desc'] }, attrs)).toThrow();
  });

  it('picks fields and builds links', () => {
    expect(pickFields({ id: 1, name: 'n', mtu: 3 }, ['id', 'nope'])).toEqual({ id: 1 });
    const q = parseListQuery({ limit: '2', marker: 'a' }, attrs);
    const links = pageLinks('http://x/v2.0/networks', { limit: '2', marker: 'a' }, q, ['b', 'c'], true);
    expect(links).toEqual([
      { rel: 'next', href: 'http://x/v2.0/networks?limit=2&marker=c' },
      { rel: 'previous', href: 'http://x/v2.0/networks?limit=2&marker=b&page_reverse=True' },
    ]);
  });
});
