import type { KumoError } from '@kumo/service-kit';
import { describe, expect, it } from 'vitest';
import { parseCidr } from './ip.js';
import { checkCidr, checkGateway, checkPools, defaultPools } from './subnet-input.js';

const status = (f: () => unknown): number | undefined => {
  try {
    f();
    return undefined;
  } catch (e) {
    return (e as KumoError).status;
  }
};

describe('subnet input', () => {
  it('checks CIDRs', () => {
    expect(status(() => checkCidr('10.0.0.0/24', 4))).toBeUndefined();
    expect(status(() => checkCidr('10.0.0.1/24', 4))).toBe(400);
    expect(status(() => checkCidr('10.0.0.0/24', 6))).toBe(400);
    expect(status(() => checkCidr('127.0.0.0/8', 4))).toBe(400);
    expect(status(() => checkCidr('224.0.0.0/4', 4))).toBe(400);
  });

  it('defaults the gateway and pools', () => {
    const c = parseCidr('192.168.1.0/24')!;
    expect(checkGateway(c, undefined)).toBe('192.168.1.1');
    expect(checkGateway(c, null)).toBeNull();
    expect(status(() => checkGateway(c, '192.168.2.1'))).toBe(400);
    expect(status(() => checkGateway(c, '192.168.1.255'))).toBe(400);
    expect(defaultPools(c, '192.168.1.1')).toEqual([{ start: '192.168.1.2', end: '192.168.1.254' }]);
    expect(defaultPools(c, '192.168.1.254')).toEqual([{ start: '192.168.1.1', end: '192.168.1.253' }]);
    const v6 = parseCidr('fd00::/64')!;
    expect(checkGateway(v6, 'fe80::1')).toBe('fe80::1');
  });

  it('checks pools', () => {
    const c = parseCidr('10.0.0.0/24')!;
    const gw = '10.0.0.1';
    expect(status(() => checkPools(c, [{ start: '10.0.0.2', end: '10.0.0.9' }], gw))).toBeUndefined();
    expect(status(() => checkPools(c, [{ start: '10.0.0.0', end: '10.0.0.9' }], null))).toBe(400);
    expect(status(() => checkPools(c, [{ start: '10.0.0.2', end: '10.0.0.255' }], gw))).toBe(400);
    expect(status(() => checkPools(c, [{ start: '10.0.0.9', end: '10.0.0.2' }], gw))).toBe(400);
    expect(
      status(() =>
        checkPools(
          c,
          [
            { start: '10.0.0.2', end: '10.0.0.9' },
            { start: '10.0.0.9', end: '10.0.0.20' },
          ],
          gw,
        ),
      ),
    ).toBe(409);
    expect(status(() => checkPools(c, [{ start: '10.0.0.1', end: '10.0.0.9' }], gw))).toBe(409);
  });
});
