import { describe, expect, it } from 'vitest';
import { accessIpField, canonicalIpv6 } from '../src/domain/server-validation.js';
import { tailLines } from '../src/routes/server-extras.routes.js';

describe('accessIPv6 is stored in its canonical (netaddr compact) form', () => {
  it.each([
    ['0000:0000:0000:0000:0000:babe:220.12.22.2', '::babe:dc0c:1602'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::', '::'],
    ['::1', '::1'],
    ['fe80::', 'fe80::'],
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['2001:db8:0000:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
  ])('%s → %s', (given, canonical) => {
    expect(canonicalIpv6(given)).toBe(canonical);
    expect(accessIpField('accessIPv6', given)).toBe(canonical);
  });
  it('IPv4 is kept as given', () => {
    expect(accessIpField('accessIPv4', '1.1.1.1')).toBe('1.1.1.1');
  });
});

describe('console log tail (Nova: the last N pieces of the text split on newlines)', () => {
  it('counts a trailing newline as an empty last piece', () => {
    const log = 'a\nb\nc\nd\n';
    expect(tailLines(log, 3)).toBe('c\nd\n');
    expect(tailLines(log, 3).split('\n')).toHaveLength(3);
    expect(tailLines(log, 0)).toBe('');
    expect(tailLines(log, null)).toBe(log);
    expect(tailLines(log, 99)).toBe(log);
    expect(tailLines('x\ny', 1)).toBe('y');
  });
});
