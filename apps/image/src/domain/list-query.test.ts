import { describe, expect, it } from 'vitest';
import { nextLink, parseListQuery } from './list-query.js';

describe('parseListQuery', () => {
  it('defaults to 25 newest first, id as the tie-breaker', () => {
    const q = parseListQuery({});
    expect(q.limit).toBe(25);
    expect(q.sort).toEqual([
      { key: 'created_at', dir: 'desc' },
      { key: 'id', dir: 'desc' },
    ]);
    expect(q.memberStatus).toBe('accepted');
    expect(q.osHidden).toBe(false);
  });

  it('reads sort=k:dir lists and paired sort_key/sort_dir', () => {
    expect(parseListQuery({ sort: 'name:asc,size' }).sort).toEqual([
      { key: 'name', dir: 'asc' },
      { key: 'size', dir: 'desc' },
      { key: 'id', dir: 'desc' },
    ]);
    expect(
      parseListQuery({ sort_key: ['name', 'status'], sort_dir: ['asc', 'desc'] }).sort.slice(0, 2),
    ).toEqual([
      { key: 'name', dir: 'asc' },
      { key: 'status', dir: 'desc' },
    ]);
    expect(() => parseListQuery({ sort_key: ['name', 'status', 'size'], sort_dir: ['asc', 'desc'] })).toThrow(
      /sort_dir/,
    );
    expect(() => parseListQuery({ sort: 'name:asc:x' })).toThrow();
    expect(() => parseListQuery({ sort: 'name,name' })).toThrow(/twice/);
  });

  it('splits in: lists with quotes', () => {
    expect(parseListQuery({ name: 'in:a,"b,c", d' }).strings.name).toEqual(['a', 'b,c', 'd']);
    expect(parseListQuery({ name: 'plain' }).strings.name).toEqual(['plain']);
    expect(() => parseListQuery({ name: 'in:"open' })).toThrow(/quote/);
  });

  it('caps the limit, validates numbers, times and enums', () => {
    expect(parseListQuery({ limit: '5000' }).limit).toBe(1000);
    expect(() => parseListQuery({ limit: '1.5' })).toThrow();
    expect(() => parseListQuery({ size_min: '10', size_max: '5' })).toThrow(/size range/);
    expect(parseListQuery({ created_at: 'gte:2020-01-01T00:00:00Z' }).times[0]).toMatchObject({ op: 'gte' });
    expect(() => parseListQuery({ updated_at: '2020-01-01' })).toThrow(/OP:ISO-8601/);
    expect(() => parseListQuery({ limit: ['1', '2'] })).toThrow(/once/);
    expect(parseListQuery({ hw_disk_bus: 'virtio' }).properties).toEqual({ hw_disk_bus: 'virtio' });
  });

  it('builds the next link without the old marker', () => {
    expect(nextLink({ limit: '2', marker: 'old', tag: ['a', 'b'] }, 'new')).toBe(
      '/v2/images?limit=2&tag=a&tag=b&marker=new',
    );
  });
});
