import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NetworkHarness, startNetwork } from './harness.js';

let h: NetworkHarness;
beforeAll(async () => {
  h = await startNetwork();
});
afterAll(async () => {
  await h?.close();
});

type J = Record<string, unknown>;
const err = (r: { json(): unknown }) =>
  (r.json() as { NeutronError: { type: string; message: string } }).NeutronError;

const createPool = (body: J, token = h.demoToken) =>
  h.call('POST', '/v2.0/subnetpools', { token, body: { subnetpool: body } });
async function pool(body: J, token = h.demoToken): Promise<J & { id: string }> {
  const r = await createPool(body, token);
  expect(r.statusCode, r.body).toBe(201);
  return (r.json() as { subnetpool: J & { id: string } }).subnetpool;
}
async function net(token = h.demoToken): Promise<string> {
  const r = await h.call('POST', '/v2.0/networks', { token, body: { network: { name: 'n' } } });
  return (r.json() as { network: { id: string } }).network.id;
}
const subnet = (networkId: string, body: J, token = h.demoToken) =>
  h.call('POST', '/v2.0/subnets', { token, body: { subnet: { network_id: networkId, ...body } } });

describe('subnet pools', () => {
  it('create, show, list, update, delete; prefixes normalised, bounds defaulted', async () => {
    const p = await pool({ name: 'p1', prefixes: ['10.10.1.0/24', '10.10.0.0/24', '10.10.0.128/25'] });
    expect(p).toMatchObject({
      name: 'p1',
      prefixes: ['10.10.0.0/23'],
      ip_version: 4,
      min_prefixlen: 8,
      max_prefixlen: 32,
      default_prefixlen: 8,
      shared: false,
      is_default: false,
      default_quota: null,
      address_scope_id: null,
      tags: [],
      revision_number: 1,
    });
    const shown = await h.call('GET', `/v2.0/subnetpools/${p.id}`, { token: h.demoToken });
    expect((shown.json() as { subnetpool: J }).subnetpool.name).toBe('p1');
    const listed = await h.call('GET', '/v2.0/subnetpools?name=p1&fields=id', { token: h.demoToken });
    expect((listed.json() as { subnetpools: J[] }).subnetpools).toEqual([{ id: p.id }]);

    const up = await h.call('PUT', `/v2.0/subnetpools/${p.id}`, {
      token: h.demoToken,
      headers: { 'if-match': 'revision_number=1' },
      body: { subnetpool: { name: 'p2', prefixes: ['10.10.0.0/23', '10.20.0.0/16'], default_prefixlen: 24 } },
    });
    expect(up.statusCode, up.body).toBe(200);
    expect((up.json() as { subnetpool: J }).subnetpool).toMatchObject({
      name: 'p2',
      prefixes: ['10.10.0.0/23', '10.20.0.0/16'],
      default_prefixlen: 24,
      revision_number: 2,
    });
    const shrink = await h.call('PUT', `/v2.0/subnetpools/${p.id}`, {
      token: h.demoToken,
      body: { subnetpool: { prefixes: ['10.20.0.0/16'] } },
    });
    expect(shrink.statusCode).toBe(400);
    expect(err(shrink).type).toBe('IllegalSubnetPoolPrefixUpdate');
    const stale = await h.call('DELETE', `/v2.0/subnetpools/${p.id}`, {
      token: h.demoToken,
      headers: { 'if-match': 'revision_number=1' },
    });
    expect(stale.statusCode).toBe(412);
    expect((await h.call('DELETE', `/v2.0/subnetpools/${p.id}`, { token: h.demoToken })).statusCode).toBe(
      204,
    );
    const gone = await h.call('GET', `/v2.0/subnetpools/${p.id}`, { token: h.demoToken });
    expect(gone.statusCode).toBe(404);
    expect(err(gone).type).toBe('SubnetPoolNotFound');
  });

  it('rejects bad input with Neutron 400s and admin-only attributes with 403', async () => {
    const cases: [J, string][] = [
      [{}, 'InvalidInput'],
      [{ prefixes: ['10.0.0.1/24'] }, 'HTTPBadRequest'],
      [{ prefixes: ['bogus'] }, 'HTTPBadRequest'],
      [{ prefixes: ['10.0.0.0/8', '2001:db8::/32'] }, 'PrefixVersionMismatch'],
      [{ prefixes: ['10.0.0.0/8'], min_prefixlen: 24, max_prefixlen: 16 }, 'IllegalSubnetPoolPrefixBounds'],
      [{ prefixes: ['10.0.0.0/8'], max_prefixlen: 33 }, 'IllegalSubnetPoolPrefixBounds'],
      [{ prefixes: ['10.0.0.0/8'], default_prefixlen: 4 }, 'IllegalSubnetPoolPrefixBounds'],
      [{ prefixes: ['10.0.0.0/8'], min_prefixlen: 'x' }, 'HTTPBadRequest'],
      [{ prefixes: ['10.0.0.0/8'], bogus: 1 }, 'HTTPBadRequest'],
    ];
    for (const [body, type] of cases) {
      const r = await createPool(body);
      expect(r.statusCode, JSON.stringify(body)).toBe(400);
      expect(err(r).type, JSON.stringify(body)).toBe(type);
    }
    expect((await createPool({ prefixes: ['10.0.0.0/8'], shared: true })).statusCode).toBe(403);
    expect((await createPool({ prefixes: ['10.0.0.0/8'], is_default: true })).statusCode).toBe(403);
    const v6 = await pool({ prefixes: ['2001:db8::/48'] });
    expect(v6).toMatchObject({ ip_version: 6, min_prefixlen: 64, max_prefixlen: 128, default_prefixlen: 64 });
    const ro = await h.call('PUT', `/v2.0/subnetpools/${v6.id}`, {
      token: h.demoToken,
      body: { subnetpool: { ip_version: 4 } },
    });
    expect(ro.statusCode).toBe(400);
  });

  it('allocates distinct subnets from a pool, 409 when exhausted or in use', async () => {
    const p = await pool({ prefixes: ['10.50.0.0/16'], default_prefixlen: 24, min_prefixlen: 16 });
    const n = await net();
    const a = await subnet(n, { ip_version: 4, subnetpool_id: p.id, prefixlen: 24 });
    expect(a.statusCode, a.body).toBe(201);
    const sa = (a.json() as { subnet: J & { id: string } }).subnet;
    expect(sa).toMatchObject({ cidr: '10.50.0.0/24', subnetpool_id: p.id, gateway_ip: '10.50.0.1' });
    const n2 = await net();
    const b = await subnet(n2, { ip_version: 4, subnetpool_id: p.id });
    expect((b.json() as { subnet: J }).subnet).toMatchObject({ cidr: '10.50.1.0/24', subnetpool_id: p.id });
    // an explicit CIDR inside the pool, and one overlapping an allocation
    const c = await subnet(n2, { ip_version: 4, subnetpool_id: p.id, cidr: '10.50.2.0/23' });
    expect(c.statusCode, c.body).toBe(201);
    const clash = await subnet(await net(), { ip_version: 4, subnetpool_id: p.id, cidr: '10.50.0.0/25' });
    expect(clash.statusCode).toBe(409);
    expect(err(clash).type).toBe('SubnetAllocationError');
    // bounds and argument errors
    const small = await subnet(n, { ip_version: 4, subnetpool_id: p.id, prefixlen: 8 });
    expect(err(small).type).toBe('MinPrefixSubnetAllocationError');
    const both = await subnet(n, { ip_version: 4, subnetpool_id: p.id, prefixlen: 24, cidr: '10.50.9.0/24' });
    expect(both.statusCode).toBe(400);
    const v6 = await subnet(n, { ip_version: 6, subnetpool_id: p.id });
    expect(v6.statusCode).toBe(400);
    // the remaining /16 space: 10.50.4.0/22 .. exhausts at /17 request
    const big = await subnet(await net(), { ip_version: 4, subnetpool_id: p.id, prefixlen: 17 });
    expect(big.statusCode, big.body).toBe(201);
    expect((big.json() as { subnet: J }).subnet.cidr).toBe('10.50.128.0/17');
    const none = await subnet(await net(), { ip_version: 4, subnetpool_id: p.id, prefixlen: 17 });
    expect(none.statusCode).toBe(409);
    expect(err(none).type).toBe('SubnetAllocationError');
    // filters and the in-use guard
    const byPool = await h.call('GET', `/v2.0/subnets?subnetpool_id=${p.id}&fields=cidr`, {
      token: h.demoToken,
    });
    expect((byPool.json() as { subnets: J[] }).subnets.map((s) => s.cidr).sort()).toEqual([
      '10.50.0.0/24',
      '10.50.1.0/24',
      '10.50.128.0/17',
      '10.50.2.0/23',
    ]);
    const inUse = await h.call('DELETE', `/v2.0/subnetpools/${p.id}`, { token: h.demoToken });
    expect(inUse.statusCode).toBe(409);
    expect(err(inUse).type).toBe('SubnetPoolInUse');
    // freed space is reused
    expect((await h.call('DELETE', `/v2.0/subnets/${sa.id}`, { token: h.demoToken })).statusCode).toBe(204);
    const again = await subnet(await net(), { ip_version: 4, subnetpool_id: p.id });
    expect((again.json() as { subnet: J }).subnet.cidr).toBe('10.50.0.0/24');
  });

  it('concurrent allocations from one pool never overlap', async () => {
    const p = await pool({ prefixes: ['10.60.0.0/20'], default_prefixlen: 24 });
    const rs = await Promise.all(
      Array.from({ length: 8 }, async () => subnet(await net(), { ip_version: 4, subnetpool_id: p.id })),
    );
    const cidrs = rs.map((r) => (r.json() as { subnet: { cidr: string } }).subnet.cidr);
    expect(new Set(cidrs).size).toBe(8);
  });

  it('a default pool serves use_default_subnetpool; one default per IP version (admin only)', async () => {
    const none = await subnet(await net(), { ip_version: 6, use_default_subnetpool: true });
    expect(none.statusCode).toBe(400);
    const d = await pool(
      { prefixes: ['2001:db8:100::/48'], is_default: true, shared: true, default_prefixlen: 64 },
      h.adminToken,
    );
    expect(d.is_default).toBe(true);
    const second = await createPool({ prefixes: ['2001:db8:200::/48'], is_default: true }, h.adminToken);
    expect(second.statusCode).toBe(400);
    const s = await subnet(await net(), { ip_version: 6, use_default_subnetpool: true });
    expect(s.statusCode, s.body).toBe(201);
    expect((s.json() as { subnet: J }).subnet).toMatchObject({
      cidr: '2001:db8:100::/64',
      subnetpool_id: d.id,
    });
  });

  it("other projects' pools are 404, shared ones visible and usable", async () => {
    const other = await h.tenant('pool-other');
    const mine = await pool({ prefixes: ['10.70.0.0/16'] });
    expect((await h.call('GET', `/v2.0/subnetpools/${mine.id}`, { token: other.token })).statusCode).toBe(
      404,
    );
    const del = await h.call('DELETE', `/v2.0/subnetpools/${mine.id}`, { token: other.token });
    expect(del.statusCode).toBe(404);
    const list = await h.call('GET', '/v2.0/subnetpools', { token: other.token });
    expect((list.json() as { subnetpools: J[] }).subnetpools.map((x) => x.id)).not.toContain(mine.id);
    const use = await subnet(
      await net(other.token),
      { ip_version: 4, subnetpool_id: mine.id, prefixlen: 24 },
      other.token,
    );
    expect(use.statusCode).toBe(404);
    expect(err(use).type).toBe('SubnetPoolNotFound');

    const shared = await pool(
      { prefixes: ['10.80.0.0/16'], shared: true, default_prefixlen: 24 },
      h.adminToken,
    );
    expect((await h.call('GET', `/v2.0/subnetpools/${shared.id}`, { token: other.token })).statusCode).toBe(
      200,
    );
    const upd = await h.call('PUT', `/v2.0/subnetpools/${shared.id}`, {
      token: other.token,
      body: { subnetpool: { name: 'x' } },
    });
    expect(upd.statusCode).toBe(403);
    const ok = await subnet(await net(other.token), { ip_version: 4, subnetpool_id: shared.id }, other.token);
    expect(ok.statusCode, ok.body).toBe(201);
  });

  it('tags: set, add, check, remove, filter', async () => {
    const p = await pool({ prefixes: ['10.90.0.0/16'] });
    const base = `/v2.0/subnetpools/${p.id}/tags`;
    expect((await h.call('PUT', base, { token: h.demoToken, body: { tags: ['a', 'b'] } })).statusCode).toBe(
      200,
    );
    expect((await h.call('PUT', `${base}/c`, { token: h.demoToken })).statusCode).toBe(201);
    expect((await h.call('GET', `${base}/c`, { token: h.demoToken })).statusCode).toBe(204);
    expect((await h.call('DELETE', `${base}/a`, { token: h.demoToken })).statusCode).toBe(204);
    const got = await h.call('GET', base, { token: h.demoToken });
    expect((got.json() as { tags: string[] }).tags.sort()).toEqual(['b', 'c']);
    const byTag = await h.call('GET', '/v2.0/subnetpools?tags=b,c', { token: h.demoToken });
    expect((byTag.json() as { subnetpools: J[] }).subnetpools.map((x) => x.id)).toEqual([p.id]);
    expect((await h.call('DELETE', base, { token: h.demoToken })).statusCode).toBe(204);
    const missing = await h.call('GET', '/v2.0/subnetpools/nope/tags', { token: h.demoToken });
    expect(missing.statusCode).toBe(404);
  });
});
