import { describe, expect, it } from 'vitest';
import { cidrString, parseCidr } from './ip.js';
import { firstFreeCidr, mergeCidrs, poolCidr } from './subnetpool-alloc.js';

const c = (t: string) => parseCidr(t)!;
const texts = (cs: { version: 4 | 6; network: bigint; prefix: number }[]) => cs.map(cidrString);

describe('subnet pool prefix math', () => {
  it('merges overlapping and adjacent prefixes into the minimal sorted list', () => {
    expect(texts(mergeCidrs([c('10.0.1.0/24'), c('10.0.0.0/24'), c('10.0.0.128/25')]))).toEqual([
      '10.0.0.0/23',
    ]);
    expect(texts(mergeCidrs([c('10.0.1.0/24'), c('10.0.2.0/24')]))).toEqual(['10.0.1.0/24', '10.0.2.0/24']);
    expect(texts(mergeCidrs([c('2001:db8::/64'), c('2001:db8:0:1::/64')]))).toEqual(['2001:db8::/63']);
  });

  it('hands out the first free aligned block, skipping used ones', () => {
    const pool = [c('10.0.0.0/16')];
    expect(cidrString(firstFreeCidr(pool, [], 24)!)).toBe('10.0.0.0/24');
    expect(cidrString(firstFreeCidr(pool, [c('10.0.0.0/24')], 24)!)).toBe('10.0.1.0/24');
    expect(cidrString(firstFreeCidr(pool, [c('10.0.0.0/25')], 24)!)).toBe('10.0.1.0/24');
    expect(cidrString(firstFreeCidr(pool, [c('10.0.0.0/24'), c('10.0.1.0/26')], 23)!)).toBe('10.0.2.0/23');
    expect(firstFreeCidr([c('10.0.0.0/24')], [c('10.0.0.0/25'), c('10.0.0.128/25')], 25)).toBeUndefined();
    // a block larger than a prefix is never taken from it
    expect(firstFreeCidr([c('10.0.0.0/24')], [], 16)).toBeUndefined();
    expect(cidrString(firstFreeCidr([c('2001:db8::/48')], [c('2001:db8::/64')], 64)!)).toBe(
      '2001:db8:0:1::/64',
    );
  });

  it('checks a requested CIDR and the bounds', () => {
    const pool = { prefixes: [c('10.0.0.0/16')], bounds: { min: 8, max: 28, default: 24 } };
    expect(cidrString(poolCidr(pool, [], [], {}))).toBe('10.0.0.0/24');
    expect(cidrString(poolCidr(pool, [], [], { cidr: c('10.0.5.0/24') }))).toBe('10.0.5.0/24');
    expect(() => poolCidr(pool, [c('10.0.5.0/24')], [], { cidr: c('10.0.5.0/25') })).toThrow(/allocate/);
    expect(() => poolCidr(pool, [], [], { cidr: c('10.1.0.0/24') })).toThrow(/allocate/);
    expect(() => poolCidr(pool, [], [], { prefixlen: 30 })).toThrow(/maximum allowed prefix is 28/);
    expect(() => poolCidr(pool, [], [], { prefixlen: 7 })).toThrow(/minimum allowed prefix is 8/);
  });
});
