import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, startIdentity } from './harness.js';

/**
 * Bad input must never be a 500: hit every route of the identity API with
 * hostile path values and bodies and check each answer is a 4xx (or a success).
 */
let h: IdentityHarness;
beforeAll(async () => {
  h = await startIdentity();
});
afterAll(async () => {
  await h?.close();
});

/** Every route (path, methods) from Fastify's route tree. */
function routes(tree: string): { path: string; methods: string[] }[] {
  const out: { path: string; methods: string[] }[] = [];
  const stack: { depth: number; path: string }[] = [];
  for (const line of tree.split('\n')) {
    const m = /^(.*?)(?:└── |├── )(\S+)(?: \(([^)]*)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length;
    while (stack.length && stack[stack.length - 1]!.depth >= depth) stack.pop();
    const parent = stack[stack.length - 1]?.path ?? '';
    const seg = m[2]!;
    const path =
      parent === '' ? seg : `${parent}${parent.endsWith('/') || seg.startsWith('/') ? '' : '/'}${seg}`;
    stack.push({ depth, path });
    if (m[3]) out.push({ path, methods: m[3].split(', ').filter((x) => x !== 'HEAD') });
  }
  return out;
}

const hostileIds = ['..%2F..%2Fetc', 'x'.repeat(300), '%00', "'%3B--", 'nope'];
const hostileBodies: (string | undefined)[] = [
  undefined,
  '{"unterminated": ',
  '[]',
  '"just a string"',
  '{"x": {"name": 5, "enabled": "yes"}}',
  JSON.stringify({ a: 'z'.repeat(20_000), nested: { deeper: [null, {}, []] } }),
  '{"user":{"name":"\\u0000"},"project":{"name":"\\u0000"},"role":{"name":"\\u0000"},"domain":{"name":"\\u0000"}}',
];

describe('no 500 on hostile input', () => {
  it('answers every route with something below 500', async () => {
    const all = routes(h.app.printRoutes({ commonPrefix: false }));
    expect(all.length).toBeGreaterThan(60);
    const failures: string[] = [];
    for (const r of all) {
      for (const method of r.methods) {
        for (const id of hostileIds) {
          const url = r.path.replace(/:[A-Za-z_]+/g, id);
          for (const body of method === 'GET' || method === 'DELETE' ? [undefined] : hostileBodies) {
            const res = await h.app.inject({
              method: method as 'GET',
              url,
              headers: {
                'x-auth-token': h.adminToken,
                ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
              },
              ...(body !== undefined ? { payload: body } : {}),
            });
            if (res.statusCode >= 500)
              failures.push(
                `${method} ${url} ${body?.slice(0, 40) ?? ''} → ${res.statusCode} ${res.body.slice(0, 120)}`,
              );
          }
        }
      }
    }
    expect(failures).toEqual([]);
  }, 120_000);
});
