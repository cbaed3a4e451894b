import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServersFixture, startServersFixture } from './servers-fixture.js';

let fx: ServersFixture;
let id: string;
beforeAll(async () => {
  fx = await startServersFixture({ quotaInstances: -1, quotaCores: -1, quotaRam: -1 });
  id = await fx.boot();
  await fx.setState(id, 'active', null, { host: 'host-a' });
});
afterAll(async () => {
  await fx?.close();
});

const NUL = 'a\u0000b';
const WEIRD: unknown[] = [
  null,
  true,
  1.5,
  -1,
  'x'.repeat(70_000),
  NUL,
  [],
  {},
  [1, 2],
  { a: { b: 1 } },
  '\u{1F600}',
];
const FIELDS = [
  'name',
  'imageRef',
  'flavorRef',
  'networks',
  'key_name',
  'user_data',
  'metadata',
  'config_drive',
  'availability_zone',
  'min_count',
  'max_count',
  'return_reservation_id',
  'adminPass',
  'description',
  'tags',
  'accessIPv4',
  'accessIPv6',
  'OS-DCF:diskConfig',
  'security_groups',
  'block_device_mapping_v2',
];

const expectNovaError = (res: { statusCode: number; body: string }, what: string) => {
  expect(res.statusCode, `${what}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
  if (res.statusCode >= 400) {
    const body = JSON.parse(res.body) as Record<string, { code: number; message: string }>;
    const [key] = Object.keys(body);
    expect(body[key!]!.code, what).toBe(res.statusCode);
    expect(typeof body[key!]!.message).toBe('string');
  }
};

describe('bad input never answers 500', () => {
  it('every create field with every wrong type', async () => {
    for (const field of FIELDS)
      for (const v of WEIRD) {
        const server = { name: 'fz', imageRef: fx.imageId, flavorRef: '1', networks: 'none', [field]: v };
        const res = await fx.call('POST', '/v2.1/servers', { mv: '2.79', body: { server } });
        expectNovaError(res, `${field}=${JSON.stringify(v)?.slice(0, 40)}`);
      }
  });

  it('metadata keys and values with NUL bytes, emoji, huge items; hints of every shape', async () => {
    for (const metadata of [
      { [NUL]: 'v' },
      { k: NUL },
      { '\u{1F600}': '\u{1F600}' },
      { k: 'v'.repeat(10_000) },
    ]) {
      const res = await fx.call('POST', `/v2.1/servers/${id}/metadata`, { body: { metadata } });
      expectNovaError(res, JSON.stringify(metadata).slice(0, 40));
    }
    for (const hints of [null, 'x', [], { group: 1 }, { group: 'nope' }, { group: NUL }]) {
      const res = await fx.call('POST', '/v2.1/servers', {
        body: {
          server: { name: 'h', imageRef: fx.imageId, flavorRef: '1' },
          'OS-SCH-HNT:scheduler_hints': hints,
        },
      });
      expectNovaError(res, JSON.stringify(hints));
    }
  });

  it('every action with wrong argument shapes', async () => {
    const actions = [
      'os-start',
      'os-stop',
      'reboot',
      'pause',
      'unpause',
      'suspend',
      'resume',
      'lock',
      'unlock',
      'rebuild',
      'resize',
      'confirmResize',
      'revertResize',
      'createImage',
      'os-resetState',
      'os-getConsoleOutput',
      'forceDelete',
      'restore',
    ];
    const args: unknown[] = [
      null,
      {},
      'x',
      5,
      [],
      { type: NUL },
      { imageRef: NUL },
      { flavorRef: { a: 1 } },
      { name: 7 },
      { length: NUL },
      { state: [] },
      { locked_reason: 'r'.repeat(300) },
    ];
    for (const a of actions)
      for (const v of args) {
        const res = await fx.call('POST', `/v2.1/servers/${id}/action`, { mv: '2.79', body: { [a]: v } });
        expectNovaError(res, `${a} ${JSON.stringify(v)}`);
        await fx.setState(id, 'active', null, { locked: false });
      }
  });

  it('odd ids, query strings and bodies', async () => {
    const urls = [
      `/v2.1/servers/${encodeURIComponent(NUL)}`,
      `/v2.1/servers/${'f'.repeat(500)}`,
      `/v2.1/servers/${id}/metadata/${encodeURIComponent(NUL)}`,
      `/v2.1/servers/${id}/tags/${encodeURIComponent('x'.repeat(300))}`,
      `/v2.1/servers/${id}/os-instance-actions/${encodeURIComponent(NUL)}`,
      `/v2.1/servers?name=${encodeURIComponent(NUL)}`,
      `/v2.1/servers?name=${encodeURIComponent('[[:bogus:]]')}`,
      `/v2.1/servers?name=${encodeURIComponent('(?<=a)b')}`,
      `/v2.1/servers?image=${encodeURIComponent(NUL)}`,
      `/v2.1/servers?ip=${encodeURIComponent('a**')}`,
      `/v2.1/servers?limit=${'9'.repeat(30)}`,
      `/v2.1/servers?changes-since=${encodeURIComponent('2024-13-45T99:99:99Z')}`,
      `/v2.1/servers/detail?tags=${encodeURIComponent(NUL)}&sort_key=uuid`,
      `/v2.1/servers?status=${encodeURIComponent(NUL)}`,
      `/v2.1/servers?uuid=${encodeURIComponent(NUL)}`,
    ];
    for (const url of urls)
      for (const token of [undefined, fx.adminToken]) {
        const res = await fx.call('GET', url, { mv: '2.79', token });
        expectNovaError(res, url);
      }
    for (const raw of ['', 'null', '[]', '"x"', '{"server": null}', '{"server": {"name": "x"', '\u0000']) {
      const res = await fx.call('POST', '/v2.1/servers', { raw });
      expectNovaError(res, JSON.stringify(raw));
      expect(res.statusCode).toBe(400);
      const upd = await fx.call('PUT', `/v2.1/servers/${id}`, { raw });
      expectNovaError(upd, JSON.stringify(raw));
    }
  });
});
