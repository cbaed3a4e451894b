import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetworkHarness, startNetwork } from './harness.js';

let h: NetworkHarness;
beforeAll(async () => {
  h = await startNetwork();
});
afterAll(async () => {
  await h?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: loosely typed JSON bodies
type Json = Record<string, any>;
const errOf = (body: string) => (JSON.parse(body) as Json).NeutronError as { type: string; message: string };

async function createSg(token: string, name: string) {
  const r = await h.call('POST', '/v2.0/security-groups', { token, body: { security_group: { name } } });
  expect(r.statusCode, r.body).toBe(201);
  return r.json().security_group as Json;
}
const rule = (token: string, body: Json) =>
  h.call('POST', '/v2.0/security-group-rules', { token, body: { security_group_rule: body } });

describe('security group rules', () => {
  it('creates, shows, lists by group and deletes; the group revision goes up', async () => {
    const sg = await createSg(h.demoToken, 'r1');
    for (const protocol of ['tcp', 'udp', 'icmp']) {
      const c = await rule(h.demoToken, {
        security_group_id: sg.id,
        direction: 'ingress',
        protocol,
        ethertype: 'IPv6',
      });
      expect(c.statusCode, c.body).toBe(201);
      const created = c.json().security_group_rule as Json;
      expect(created).toMatchObject({
        security_group_id: sg.id,
        direction: 'ingress',
        ethertype: 'IPv6',
        protocol,
        port_range_min: null,
        port_range_max: null,
        remote_ip_prefix: null,
        remote_group_id: null,
        remote_address_group_id: null,
        project_id: h.demoProjectId,
        tenant_id: h.demoProjectId,
      });
      const show = await h.call('GET', `/v2.0/security-group-rules/${created.id}`, { token: h.demoToken });
      expect(show.json().security_group_rule).toEqual(created);
    }
    const list = await h.call(
      'GET',
      `/v2.0/security-group-rules?security_group_id=${sg.id}&direction=ingress`,
      {
        token: h.demoToken,
      },
    );
    const rules = list.json().security_group_rules as Json[];
    expect(rules).toHaveLength(3);
    const after = (await h.call('GET', `/v2.0/security-groups/${sg.id}`, { token: h.demoToken })).json()
      .security_group;
    expect(after.revision_number).toBe(sg.revision_number + 3);
    expect(after.security_group_rules).toHaveLength(5);
    const del = await h.call('DELETE', `/v2.0/security-group-rules/${rules[0]!.id}`, { token: h.demoToken });
    expect(del.statusCode).toBe(204);
    const gone = await h.call('GET', `/v2.0/security-group-rules/${rules[0]!.id}`, { token: h.demoToken });
    expect(gone.statusCode).toBe(404);
    expect(errOf(gone.body).type).toBe('SecurityGroupRuleNotFound');
    const again = await h.call('DELETE', `/v2.0/security-group-rules/${rules[0]!.id}`, {
      token: h.demoToken,
    });
    expect(again.statusCode).toBe(404);
  });

  it('port ranges, ICMP codes, integer protocol and remote prefix round-trip', async () => {
    const sg = await createSg(h.demoToken, 'r2');
    const tcp = await rule(h.demoToken, {
      security_group_id: sg.id,
      direction: 'ingress',
      protocol: 'tcp',
      port_range_min: 76,
      port_range_max: 77,
      remote_ip_prefix: '10.100.0.0/16',
    });
    expect(tcp.statusCode, tcp.body).toBe(201);
    expect(tcp.json().security_group_rule).toMatchObject({
      port_range_min: 76,
      port_range_max: 77,
      remote_ip_prefix: '10.100.0.0/16',
      normalized_cidr: '10.100.0.0/16',
    });
    const icmp = await rule(h.demoToken, {
      security_group_id: sg.id,
      direction: 'ingress',
      protocol: 'icmp',
      port_range_min: 11,
    });
    expect(icmp.json().security_group_rule).toMatchObject({ port_range_min: 11, port_range_max: null });
    const num = await rule(h.demoToken, { security_group_id: sg.id, direction: 'ingress', protocol: 17 });
    expect(num.statusCode).toBe(201);
    expect(Number(num.json().security_group_rule.protocol)).toBe(17);
  });

  it('remote groups: must exist (404, also for non-UUIDs), exclusive with a prefix (400)', async () => {
    const a = await createSg(h.demoToken, 'ra');
    const b = await createSg(h.demoToken, 'rb');
    const ok = await rule(h.demoToken, {
      security_group_id: a.id,
      direction: 'ingress',
      protocol: 'udp',
      port_range_min: 50,
      port_range_max: 55,
      remote_group_id: b.id,
    });
    expect(ok.statusCode, ok.body).toBe(201);
    expect(ok.json().security_group_rule.remote_group_id).toBe(b.id);
    for (const id of ['bad_group_id', randomUUID()]) {
      const r = await rule(h.demoToken, {
        security_group_id: a.id,
        direction: 'ingress',
        protocol: 'tcp',
        remote_group_id: id,
      });
      expect(r.statusCode).toBe(404);
    }
    const both = await rule(h.demoToken, {
      security_group_id: a.id,
      direction: 'ingress',
      protocol: 'tcp',
      remote_group_id: b.id,
      remote_ip_prefix: '10.0.0.0/8',
    });
    expect(both.statusCode).toBe(400);
    // deleting b removes a's rule that names it
    const del = await h.call('DELETE', `/v2.0/security-groups/${b.id}`, { token: h.demoToken });
    expect(del.statusCode).toBe(204);
    const left = (
      await h.call('GET', `/v2.0/security-group-rules?security_group_id=${a.id}`, { token: h.demoToken })
    ).json().security_group_rules as Json[];
    expect(left.some((r) => r.remote_group_id === b.id)).toBe(false);
  });

  it('a duplicate is 409 SecurityGroupRuleExists naming the existing rule', async () => {
    const sg = await createSg(h.demoToken, 'dup');
    const body = {
      security_group_id: sg.id,
      direction: 'ingress',
      protocol: 'tcp',
      port_range_min: 66,
      port_range_max: 67,
    };
    const first = await rule(h.demoToken, body);
    expect(first.statusCode).toBe(201);
    const second = await rule(h.demoToken, body);
    expect(second.statusCode).toBe(409);
    expect(errOf(second.body).type).toBe('SecurityGroupRuleExists');
    expect(errOf(second.body).message).toContain(first.json().security_group_rule.id);
    const byNumber = await rule(h.demoToken, { ...body, protocol: '6' });
    expect(byNumber.statusCode).toBe(409);
    // the default egress rule again
    const egress = await rule(h.demoToken, {
      security_group_id: sg.id,
      direction: 'egress',
      ethertype: 'IPv4',
    });
    expect(egress.statusCode).toBe(409);
    // concurrent identical creates: exactly one wins
    const fresh = {
      security_group_id: sg.id,
      direction: 'ingress',
      protocol: 'udp',
      port_range_min: 9,
      port_range_max: 9,
    };
    const all = await Promise.all(Array.from({ length: 8 }, () => rule(h.demoToken, fresh)));
    expect(all.map((r) => r.statusCode).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
  });

  it('every bad input is a 400 or 404, never a 500', async () => {
    const sg = await createSg(h.demoToken, 'bad');
    const bad: [Json, number][] = [
      [{ security_group_id: sg.id, direction: 'ingress', protocol: 'bad_protocol_name' }, 400],
      [
        {
          security_group_id: sg.id,
          direction: 'ingress',
          protocol: 'tcp',
          remote_ip_prefix: '192.168.1./24',
        },
        400,
      ],
      [
        {
          security_group_id: sg.id,
          direction: 'ingress',
          protocol: 'tcp',
          remote_ip_prefix: '192.168.1.1/33',
        },
        400,
      ],
      [{ security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', remote_ip_prefix: '256' }, 400],
      [{ security_group_id: sg.id, direction: 'ingress', ethertype: 'bad_ethertype' }, 400],
      [{ security_group_id: sg.id, direction: 'up' }, 400],
      [{ security_group_id: sg.id, direction: 'ingress', protocol: 'tcp', port_range_min: 'x' }, 400],
      [{ security_group_id: sg.id, direction: 'ingress', protocol: { a: 1 } }, 400],
      [{ security_group_id: sg.id, direction: 'ingress', remote_group_id: 12 }, 400],
      [{ security_group_id: randomUUID(), direction: 'ingress' }, 404],
      [{ security_group_id: 42, direction: 'ingress' }, 400],
      [{ direction: 'ingress' }, 400],
    ];
    for (const [body, status] of bad) {
      const r = await rule(h.demoToken, body);
      expect(r.statusCode, `${JSON.stringify(body)} → ${r.body}`).toBe(status);
      expect(errOf(r.body).message).toBeTruthy();
    }
    for (const payload of ['{', '[]', 'null', '{"security_group_rule": null}', '"x"']) {
      const r = await h.call('POST', '/v2.0/security-group-rules', { token: h.demoToken, payload });
      expect(r.statusCode, `${payload} → ${r.body}`).toBe(400);
    }
    const put = await h.call('PUT', `/v2.0/security-group-rules/${randomUUID()}`, {
      token: h.demoToken,
      body: {},
    });
    expect(put.statusCode).toBe(405);
  });

  it('enforces the security_group_rule quota', async () => {
    const t = await h.tenant('rule-quota');
    const sg = await createSg(t.token, 'q'); // default group: 4 rules, this one: 2
    const q = await h.call('PUT', `/v2.0/quotas/${t.projectId}`, {
      token: h.adminToken,
      body: { quota: { security_group_rule: 7 } },
    });
    expect(q.statusCode, q.body).toBe(200);
    const one = await rule(t.token, { security_group_id: sg.id, direction: 'ingress', protocol: 'tcp' });
    expect(one.statusCode).toBe(201);
    const two = await rule(t.token, { security_group_id: sg.id, direction: 'ingress', protocol: 'udp' });
    expect(two.statusCode).toBe(409);
    expect(errOf(two.body).type).toBe('OverQuota');
  });
});
