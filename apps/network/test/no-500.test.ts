import { afterAll, beforeAll, expect, it } from 'vitest';
import { type NetworkHarness, startNetwork } from './harness.js';

let h: NetworkHarness;
let netId: string;
let subnetId: string;
let portId: string;
beforeAll(async () => {
  h = await startNetwork();
  const n = await h.call('POST', '/v2.0/networks', { token: h.demoToken, body: { network: { name: 'n' } } });
  netId = (n.json() as { network: { id: string } }).network.id;
  const s = await h.call('POST', '/v2.0/subnets', {
    token: h.demoToken,
    body: { subnet: { network_id: netId, ip_version: 4, cidr: '10.0.0.0/24' } },
  });
  subnetId = (s.json() as { subnet: { id: string } }).subnet.id;
  const p = await h.call('POST', '/v2.0/ports', {
    token: h.demoToken,
    body: { port: { network_id: netId } },
  });
  portId = (p.json() as { port: { id: string } }).port.id;
});
afterAll(async () => {
  await h?.close();
});

const HOSTILE: unknown[] = [
  null,
  1,
  'x',
  [],
  {},
  { '': 1 },
  { network: null },
  { network: [] },
  { network: 'a\u0000b' },
  { subnet: { network_id: 'a\u0000b', ip_version: 4, cidr: '10.0.0.0/24' } },
  { subnet: { network_id: null, ip_version: '4', cidr: 7 } },
  { subnet: { allocation_pools: [null], host_routes: 'x', dns_nameservers: [1] } },
  { subnet: { gateway_ip: '1.2.3.4/24', allocation_pools: [{ start: 'a', end: 'b' }] } },
  { port: { network_id: 'x'.repeat(10_000) } },
  { port: { fixed_ips: [{ ip_address: '999.1.1.1' }], allowed_address_pairs: [{}] } },
  { port: { fixed_ips: 'x', security_groups: 'x', 'binding:profile': [] } },
  { port: { mac_address: 12, name: { a: 1 }, admin_state_up: [] } },
  { networks: [null] },
  { networks: 'x' },
  { ports: [{ network_id: 5 }] },
  { quota: { network: 'lots' } },
  { quota: null },
  { tags: [null, 1] },
  { tags: 'x' },
];

const PATHS = (ids: string[]) => [
  ['POST', '/v2.0/networks'],
  ['POST', '/v2.0/subnets'],
  ['POST', '/v2.0/ports'],
  ...ids.flatMap((id) => [
    ['PUT', `/v2.0/networks/${id}`],
    ['PUT', `/v2.0/subnets/${id}`],
    ['PUT', `/v2.0/ports/${id}`],
    ['PUT', `/v2.0/networks/${id}/tags`],
    ['PUT', `/v2.0/quotas/${id}`],
  ]),
];

it('hostile bodies and ids never produce a 5xx', async () => {
  const ids = [netId, subnetId, portId, 'nope', '%00', 'x'.repeat(400), "'; DROP TABLE x; --"];
  for (const [method, path] of PATHS(ids)) {
    for (const body of HOSTILE) {
      for (const token of [h.demoToken, h.adminToken]) {
        const r = await h.call(method!, path!, { token, payload: JSON.stringify(body) });
        expect(
          r.statusCode,
          `${method} ${path} ${JSON.stringify(body)?.slice(0, 80)} → ${r.body}`,
        ).toBeLessThan(500);
        if (r.statusCode >= 400) expect(r.json()).toHaveProperty('NeutronError');
      }
    }
  }
});

it('hostile ids and queries on reads and deletes never produce a 5xx', async () => {
  const ids = ['nope', '%00', '%E2%82', 'x'.repeat(400), '..', "'"];
  const queries = [
    'limit=99999999999',
    'marker=%00',
    'sort_key=id&sort_dir=%00',
    'fields=%00',
    'name=%00',
    'mtu=1e9',
    'fixed_ips=ip_address%3D%00',
    'fixed_ips=bogus',
    'tags=%00',
    'admin_state_up=2',
    'revision_number=99999999999',
    'id=a&id=b&id=c',
    'page_reverse=x',
  ];
  for (const coll of ['networks', 'subnets', 'ports']) {
    for (const id of ids) {
      for (const m of ['GET', 'DELETE']) {
        const r = await h.call(m, `/v2.0/${coll}/${id}`, { token: h.demoToken });
        expect(r.statusCode, `${m} ${coll}/${id} → ${r.body}`).toBeLessThan(500);
      }
      const t = await h.call('GET', `/v2.0/${coll}/${id}/tags/${id}`, { token: h.demoToken });
      expect(t.statusCode).toBeLessThan(500);
    }
    for (const q of queries) {
      const r = await h.call('GET', `/v2.0/${coll}?${q}`, { token: h.demoToken });
      expect(r.statusCode, `${coll}?${q} → ${r.body}`).toBeLessThan(500);
    }
  }
  for (const q of ['x', '%00', 'x'.repeat(300)]) {
    for (const m of ['GET', 'DELETE']) {
      const r = await h.call(m, `/v2.0/quotas/${q}`, { token: h.adminToken });
      expect(r.statusCode).toBeLessThan(500);
    }
  }
  const ifm = await h.call('PUT', `/v2.0/networks/${netId}`, {
    token: h.demoToken,
    headers: { 'if-match': 'revision_number=abc' },
    body: { network: { name: 'x' } },
  });
  expect(ifm.statusCode).toBe(400);
});
