import { describe, expect, it } from 'vitest';
import { addressesOf, basicAddresses, deviceOwnerOf, requestedNics } from './server-networks.js';

describe('server networks', () => {
  it('reads the stored NICs (old rows hold "none"/"auto")', () => {
    expect(requestedNics('none')).toEqual([]);
    expect(requestedNics('auto')).toEqual([]);
    expect(requestedNics([{ network: 'n', tag: 't' }, { bogus: 1 }])).toEqual([{ network: 'n', tag: 't' }]);
  });

  it("builds Nova's addresses: per network name, fixed IPs then their floating IPs", () => {
    const a = addressesOf(
      [
        {
          networkId: 'n1',
          mac: 'fa:16:3e:00:00:01',
          fixedIps: [{ ip_address: '10.0.0.5' }, { ip_address: 'fd00::5' }],
        },
        { networkId: 'n2', mac: 'fa:16:3e:00:00:02', fixedIps: [{ ip_address: '10.1.0.5' }] },
      ],
      new Map([
        ['n1', 'private'],
        ['n2', 'other'],
      ]),
      [
        { port_id: 'p1', fixed_ip_address: '10.0.0.5', floating_ip_address: '172.24.4.10' },
        { port_id: 'px', fixed_ip_address: '10.1.0.5', floating_ip_address: '172.24.4.11' },
      ],
      ['p1', 'p2'],
    );
    const mac1 = 'fa:16:3e:00:00:01';
    expect(a).toEqual({
      private: [
        { version: 4, addr: '10.0.0.5', 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': mac1 },
        { version: 4, addr: '172.24.4.10', 'OS-EXT-IPS:type': 'floating', 'OS-EXT-IPS-MAC:mac_addr': mac1 },
        { version: 6, addr: 'fd00::5', 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': mac1 },
      ],
      other: [
        {
          version: 4,
          addr: '10.1.0.5',
          'OS-EXT-IPS:type': 'fixed',
          'OS-EXT-IPS-MAC:mac_addr': 'fa:16:3e:00:00:02',
        },
      ],
    });
    expect(basicAddresses(a).other).toEqual([{ version: 4, addr: '10.1.0.5' }]);
  });

  it('owns ports as compute:<zone>', () => {
    expect(deviceOwnerOf(null)).toBe('compute:nova');
    expect(deviceOwnerOf('az1')).toBe('compute:az1');
  });
});
