import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComputeHarness, startCompute } from './harness.js';

let h: ComputeHarness;
beforeAll(async () => {
  h = await startCompute({ fakeHosts: 1 });
});
afterAll(async () => {
  await h?.close();
});

const IDS = [
  '%00',
  'x'.repeat(300),
  '%E2%98%83',
  "'; DROP TABLE x; --",
  '..%2F..',
  '-1',
  '00000000-0000-0000-0000-000000000000',
];
const BODIES: unknown[] = [
  null,
  [],
  'just a string',
  42,
  { flavor: null },
  { keypair: { name: 'a\u0000b' } },
  { server_group: { name: 'x'.repeat(10_000), policies: ['affinity'] } },
  { quota_set: { instances: 1e30 } },
  { extra_specs: { ['k'.repeat(300)]: 'v' } },
  { flavor: { name: 'nul\u0000', ram: 1, vcpus: 1, disk: 1 } },
  { flavor: { name: 'x', ram: { $gt: 1 }, vcpus: [1], disk: true } },
];

const ROUTES: [string, string][] = [
  ['GET', '/v2.1/flavors/{id}'],
  ['GET', '/v2.1/flavors/{id}/os-extra_specs'],
  ['GET', '/v2.1/flavors/{id}/os-extra_specs/{id}'],
  ['PUT', '/v2.1/flavors/{id}/os-extra_specs/{id}'],
  ['DELETE', '/v2.1/flavors/{id}/os-extra_specs/{id}'],
  ['POST', '/v2.1/flavors/{id}/os-extra_specs'],
  ['GET', '/v2.1/flavors/{id}/os-flavor-access'],
  ['POST', '/v2.1/flavors/{id}/action'],
  ['PUT', '/v2.1/flavors/{id}'],
  ['DELETE', '/v2.1/flavors/{id}'],
  ['POST', '/v2.1/flavors'],
  ['GET', '/v2.1/os-keypairs/{id}'],
  ['DELETE', '/v2.1/os-keypairs/{id}'],
  ['POST', '/v2.1/os-keypairs'],
  ['GET', '/v2.1/os-server-groups/{id}'],
  ['DELETE', '/v2.1/os-server-groups/{id}'],
  ['POST', '/v2.1/os-server-groups'],
  ['GET', '/v2.1/os-quota-sets/{id}'],
  ['GET', '/v2.1/os-quota-sets/{id}/detail'],
  ['PUT', '/v2.1/os-quota-sets/{id}'],
  ['DELETE', '/v2.1/os-quota-sets/{id}'],
  ['GET', '/v2.1/os-hypervisors/{id}'],
  ['GET', '/v2.1/os-hypervisors/{id}/uptime'],
  ['GET', '/v2.1/os-hypervisors/{id}/search'],
  ['PUT', '/v2.1/os-services/{id}'],
  ['PUT', '/v2.1/os-services/disable'],
  ['GET', '/v2.1/os-simple-tenant-usage/{id}?start={id}'],
];

function expectNovaError(res: { statusCode: number; body: string }, what: string) {
  expect(res.statusCode, `${what} → ${res.statusCode} ${res.body.slice(0, 200)}`).toBeLessThan(500);
  if (res.statusCode >= 400) {
    const body = JSON.parse(res.body) as Record<string, { code: number; message: string }>;
    const [key] = Object.keys(body);
    expect(body[key!]!.code, what).toBe(res.statusCode);
    expect(body[key!]!.message, what).toBeTruthy();
  }
}

describe('bad input is a Nova-format 4xx, never a 500', () => {
  it('survives odd ids and bodies on every core route, as admin and member, at 2.1 and latest', async () => {
    for (const [method, pattern] of ROUTES) {
      for (const id of IDS) {
        for (const token of [h.adminToken, h.demoToken]) {
          for (const microversion of ['2.1', 'latest']) {
            const url = pattern.replaceAll('{id}', id);
            const bodies = method === 'GET' || method === 'DELETE' ? [undefined] : BODIES.slice(0, 4);
            for (const body of bodies) {
              const res = await h.call(method, url, { token, microversion, body: body as object });
              expectNovaError(res, `${method} ${url} ${microversion}`);
            }
          }
        }
      }
    }
  });

  it('survives hostile bodies on the create and update routes', async () => {
    const targets: [string, string][] = [
      ['POST', '/v2.1/flavors'],
      ['POST', '/v2.1/os-keypairs'],
      ['POST', '/v2.1/os-server-groups'],
      ['PUT', `/v2.1/os-quota-sets/${h.ids.demoProjectId}`],
      ['POST', '/v2.1/flavors/1/os-extra_specs'],
    ];
    for (const [method, url] of targets)
      for (const body of BODIES)
        for (const microversion of ['2.1', '2.64', 'latest']) {
          const res = await h.call(method, url, { body: body as object, microversion });
          expectNovaError(res, `${method} ${url} ${JSON.stringify(body)?.slice(0, 60)}`);
        }
  });

  it('survives odd query strings on the lists', async () => {
    const lists = [
      '/v2.1/flavors',
      '/v2.1/flavors/detail',
      '/v2.1/os-keypairs',
      '/v2.1/os-server-groups',
      '/v2.1/os-hypervisors',
      '/v2.1/os-hypervisors/detail',
      '/v2.1/os-services',
      '/v2.1/limits',
    ];
    const queries = [
      'limit=99999999999999999999',
      'limit=-5',
      'marker=%00',
      'sort_key=%00&sort_dir=x',
      'minRam=1e99',
      'is_public=%00',
      'all_projects=perhaps',
      'offset=abc',
      'tenant_id=%00',
      'user_id=' + 'u'.repeat(500),
      'with_servers=maybe&hypervisor_hostname_pattern=%00',
    ];
    for (const url of lists)
      for (const q of queries)
        for (const microversion of ['2.1', '2.35', 'latest'])
          expectNovaError(
            await h.call('GET', `${url}?${q}`, { microversion }),
            `${url}?${q} ${microversion}`,
          );
  });
});
