import { KumoError } from '@kumo/service-kit';
import { describe, expect, it } from 'vitest';
import { parseRuleCreate, ruleKey } from './security-group-rule-input.js';

const SG = '6f2a8d5e-2c1b-4a55-9a2b-1b0c9d1e2f3a';
const parse = (r: Record<string, unknown>) =>
  parseRuleCreate({ security_group_rule: { security_group_id: SG, direction: 'ingress', ...r } });

function fails(r: Record<string, unknown>): KumoError {
  try {
    parse(r);
  } catch (e) {
    expect(e).toBeInstanceOf(KumoError);
    expect((e as KumoError).status).toBe(400);
    return e as KumoError;
  }
  throw new Error(`accepted ${JSON.stringify(r)}`);
}

describe('security group rule input', () => {
  it('defaults: IPv4, any protocol, no ports', () => {
    expect(parse({})).toMatchObject({
      ethertype: 'IPv4',
      protocol: null,
      portRangeMin: null,
      portRangeMax: null,
    });
  });

  it('accepts protocol names, numbers (as text) and any', () => {
    expect(parse({ protocol: 'TCP' }).protocol).toBe('tcp');
    expect(parse({ protocol: 17 }).protocol).toBe('17');
    expect(parse({ protocol: '132' }).protocol).toBe('132');
    expect(parse({ protocol: 'any' }).protocol).toBeNull();
    expect(parse({ protocol: 'ipv6-icmp', ethertype: 'IPv6' }).protocol).toBe('ipv6-icmp');
    expect(parse({ protocol: 'icmp', ethertype: 'IPv6' }).protocol).toBe('icmp');
    expect(fails({ protocol: 'bad_protocol_name' }).type).toBe('SecurityGroupRuleInvalidProtocol');
    fails({ protocol: 256 });
    fails({ protocol: -1 });
    fails({ protocol: 'ipv6-icmp', ethertype: 'IPv4' });
  });

  it('validates TCP/UDP port ranges with Neutron messages', () => {
    expect(parse({ protocol: 'tcp', port_range_min: 77, port_range_max: 77 })).toMatchObject({
      portRangeMin: 77,
      portRangeMax: 77,
    });
    const cases: [unknown, unknown, string][] = [
      [-16, 80, 'Invalid value for port -16'],
      [80, 79, 'port_range_min must be <= port_range_max'],
      [80, 65536, 'Invalid value for port 65536'],
      [null, 6, 'port_range_min must be <= port_range_max'],
      [-16, 65536, 'Invalid value for port'],
      [0, 10, 'Invalid value for port 0'],
    ];
    for (const [min, max, msg] of cases) {
      expect(fails({ protocol: 'tcp', port_range_min: min, port_range_max: max }).message).toContain(msg);
    }
    expect(fails({ port_range_min: 1, port_range_max: 2 }).message).toContain('Must also specify protocol');
    expect(fails({ protocol: 'gre', port_range_min: 1, port_range_max: 2 }).type).toBe(
      'SecurityGroupInvalidProtocolForPortRange',
    );
    // a single "port" is no exception for protocols without ports (VRRP, 112)
    expect(fails({ protocol: '112', port_range_min: 22, port_range_max: 22 }).type).toBe(
      'SecurityGroupInvalidProtocolForPortRange',
    );
  });

  it('validates ICMP type/code', () => {
    for (const [t, c] of [
      [3, 2],
      [3, 0],
      [8, 0],
      [0, 0],
      [11, null],
    ] as const) {
      expect(parse({ protocol: 'icmp', port_range_min: t, port_range_max: c })).toMatchObject({
        portRangeMin: t,
        portRangeMax: c,
      });
    }
    const cases: [unknown, unknown, string][] = [
      [1, 256, 'Invalid value for ICMP code'],
      [-1, 25, 'Invalid value'],
      [null, 6, 'ICMP type (port-range-min) is missing'],
      [300, 1, 'Invalid value for ICMP type'],
    ];
    for (const [min, max, msg] of cases) {
      expect(fails({ protocol: 'icmp', port_range_min: min, port_range_max: max }).message).toContain(msg);
    }
  });

  it('remote_ip_prefix: valid CIDRs, normalized_cidr, ethertype conflict, exclusive with remote group', () => {
    expect(parse({ remote_ip_prefix: '10.0.0.5/24' })).toMatchObject({
      remoteIpPrefix: '10.0.0.5/24',
      normalizedCidr: '10.0.0.0/24',
    });
    expect(parse({ remote_ip_prefix: '10.1.2.3' })).toMatchObject({
      remoteIpPrefix: '10.1.2.3/32',
      normalizedCidr: '10.1.2.3/32',
    });
    expect(parse({ remote_ip_prefix: '2001:DB8::1/64', ethertype: 'IPv6' })).toMatchObject({
      remoteIpPrefix: '2001:db8::1/64',
      normalizedCidr: '2001:db8::/64',
    });
    for (const p of ['192.168.1./24', '192.168.1.1/33', 'bad_prefix', '256']) fails({ remote_ip_prefix: p });
    expect(fails({ ethertype: 'IPv6', remote_ip_prefix: '10.0.0.0/8' }).message).toContain(
      'Conflicting value ethertype',
    );
    expect(fails({ ethertype: 'IPv4', remote_ip_prefix: '2001:db8::/64' }).message).toContain(
      'Conflicting value ethertype',
    );
    fails({ remote_ip_prefix: '10.0.0.0/8', remote_group_id: SG });
  });

  it('rejects bad direction, ethertype, unknown attributes, missing ids', () => {
    fails({ direction: 'sideways' });
    fails({ ethertype: 'bad_ethertype' });
    fails({ colour: 'red' });
    expect(() => parseRuleCreate({ security_group_rule: { direction: 'ingress' } })).toThrow(KumoError);
    expect(() => parseRuleCreate({ security_group_rule: { security_group_id: SG } })).toThrow(KumoError);
    expect(() => parseRuleCreate(null)).toThrow(KumoError);
    expect(() => parseRuleCreate({ security_group_rule: [] })).toThrow(KumoError);
  });

  it('ruleKey equates protocol name and number and any-address prefixes with none', () => {
    const a = parse({ protocol: 'tcp', port_range_min: 22, port_range_max: 22 });
    const b = parse({ protocol: '6', port_range_min: 22, port_range_max: 22, remote_ip_prefix: '0.0.0.0/0' });
    expect(ruleKey(a)).toBe(ruleKey(b));
    expect(ruleKey(a)).not.toBe(ruleKey(parse({ protocol: 'udp', port_range_min: 22, port_range_max: 22 })));
  });
});
