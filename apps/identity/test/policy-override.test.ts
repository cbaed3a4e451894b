import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IdentityHarness, startIdentity } from './harness.js';

let h: IdentityHarness;
const dir = mkdtempSync(join(tmpdir(), 'kumo-policy-'));
beforeAll(async () => {
  const file = join(dir, 'policy.yaml');
  writeFileSync(
    file,
    `"identity:create_project": "role:member"\n"identity:list_regions": "rule:admin_required"\n`,
  );
  h = await startIdentity({ policyFile: file });
});
afterAll(async () => {
  await h?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('operator policy file', () => {
  it('overrides the default rules by name', async () => {
    const created = await h.call('POST', '/v3/projects', {
      token: h.demoToken,
      body: { project: { name: 'by-member' } },
    });
    expect(created.statusCode).toBe(201);
    expect((await h.call('GET', '/v3/regions', { token: h.demoToken })).statusCode).toBe(403);
    expect((await h.call('GET', '/v3/regions', { token: h.adminToken })).statusCode).toBe(200);
  });
});
