import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ImageHarness, startImage } from './harness.js';

const JUNK: unknown[] = [
  null,
  42,
  'text',
  [],
  [null],
  {},
  { name: '\u0000' },
  { tags: ['\u0000'] },
  { member: '\u0000' },
  { status: 7 },
  { namespace: {} },
  { id: 12 },
  [{ op: 'add', path: '/x\u0000', value: '\u0000' }],
  [{ op: 'replace', path: '/tags', value: [1, 2] }],
  { a: { b: { c: [] } } },
];
const QUERIES = [
  'limit=1e3',
  'marker=%00',
  'name=in:',
  'sort=:',
  'size=99999999999999999999',
  'tag=%00',
  'x%00=1',
  'created_at=eq:',
];

describe('no 500 on bad input', () => {
  let h: ImageHarness;
  let id: string;
  beforeAll(async () => {
    h = await startImage();
    id = (await h.createImage(h.demoToken)).id as string;
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers junk bodies, ids and queries with 4xx', async () => {
    const routes: [string, string][] = [
      ['POST', '/v2/images'],
      ['PATCH', `/v2/images/${id}`],
      ['POST', `/v2/images/${id}/members`],
      ['PUT', `/v2/images/${id}/members/x`],
      ['POST', '/v2/metadefs/namespaces'],
      ['POST', `/kumo/v1/images/${id}/download-url`],
    ];
    const types = ['application/json', 'application/openstack-images-v2.1-json-patch'];
    for (const [method, url] of routes) {
      for (const body of JUNK) {
        for (const type of types) {
          const res = await h.call(method, url, {
            token: h.adminToken,
            payload: JSON.stringify(body),
            headers: { 'content-type': type },
          });
          expect(
            res.statusCode,
            `${method} ${url} ${type} ${JSON.stringify(body)} → ${res.body}`,
          ).toBeLessThan(500);
        }
      }
    }
    for (const q of QUERIES) {
      const res = await h.call('GET', `/v2/images?${q}`, { token: h.demoToken });
      expect(res.statusCode, `${q} → ${res.body}`).toBeLessThan(500);
    }
    for (const bad of ['%00', 'x'.repeat(500), '..%2F..%2Fetc', '00000000-0000-0000-0000-00000000000g']) {
      for (const suffix of ['', '/file', '/members', '/members/x', '/tags/y', '/actions/deactivate']) {
        for (const method of ['GET', 'PUT', 'DELETE', 'POST']) {
          const res = await h.call(method, `/v2/images/${bad}${suffix}`, { token: h.adminToken });
          expect(res.statusCode, `${method} ${bad}${suffix} → ${res.body}`).toBeLessThan(500);
        }
      }
      const signed = await h.call('GET', `/kumo/v1/image-files/${bad}?expires=1&sig=x`);
      expect(signed.statusCode).toBeLessThan(500);
    }
  });
});
