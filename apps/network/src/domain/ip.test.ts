import { describe, expect, it } from 'vitest';
import {
  canonicalIp,
  canonicalMac,
  cidrsOverlap,
  eui64,
  formatIp,
  isUsableMac,
  parseCidr,
  parseIp,
  usableRange,
} from './ip.js';

describe('ip', () => {
  it('parses IPv4 strictly', () => {
    expect(parseIp('10.0.0.1')).toEqual({ version: 4, value: 0x0a000001n });
    for (const bad of ['10.0.0', '10.0.0.256', '10.0.0.01', '10.0.0.1/24', ' 10.0.0.1', '', 'a.b.c.d', 5]) {
      expect(parseIp(bad)).toBeUndefined();
    }
  });

  it('parses and formats IPv6 (RFC 5952)', () => {
    expect(canonicalIp('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalIp('::')).toBe('::');
    expect(canonicalIp('::1')).toBe('::1');
    expect(canonicalIp('2001:db8:0:1:0:0:0:0')).toBe('2001:db8:0:1::');
    expect(canonicalIp('1:0:0:2:0:0:0:3')).toBe('1:0:0:2::3');
    expect(canonicalIp('::ffff:1.2.3.4')).toBe('::ffff:102:304');
    expect(formatIp(6, (1n << 128n) - 1n)).toBe('ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
    for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', 'g::1', ':::', '1:2:3:4:5:6:7']) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
  });

  it('CIDRs: host bits, ranges, overlap', () => {
    expect(parseCidr('10.0.0.5/24')).toMatchObject({ network: 0x0a000000n, prefix: 24, hostBits: true });
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('10.0.0.0')).toBeUndefined();
    const c = parseCidr('10.0.0.0/24')!;
    expect(usableRange(c)).toEqual({ first: 0x0a000001n, last: 0x0a0000fen });
    expect(usableRange(parseCidr('10.0.0.0/31')!)).toEqual({ first: 0x0a000000n, last: 0x0a000001n });
    const v6 = parseCidr('2001:db8::/64')!;
    expect(formatIp(6, usableRange(v6).last)).toBe('2001:db8::ffff:ffff:ffff:ffff');
    expect(cidrsOverlap(c, parseCidr('10.0.0.128/25')!)).toBe(true);
    expect(cidrsOverlap(c, parseCidr('10.0.1.0/24')!)).toBe(false);
    expect(cidrsOverlap(c, v6)).toBe(false);
  });

  it('MACs and EUI-64', () => {
    expect(canonicalMac('FA-16-3E-00-00-01')).toBe('fa:16:3e:00:00:01');
    expect(canonicalMac('fa:16:3e:0:0:1')).toBeUndefined();
    expect(isUsableMac('01:00:5e:00:00:01')).toBe(false);
    expect(isUsableMac('00:00:00:00:00:00')).toBe(false);
    expect(formatIp(6, eui64(parseCidr('2001:db8::/64')!, 'fa:16:3e:12:34:56'))).toBe(
      '2001:db8::f816:3eff:fe12:3456',
    );
  });
});
