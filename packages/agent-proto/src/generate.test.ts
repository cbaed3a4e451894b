import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const pkg = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const buf = join(pkg, 'node_modules/.bin/buf');
const bufRuns = spawnSync(buf, ['--version'], { encoding: 'utf8' }).status === 0;

async function files(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const full = join(e.parentPath, e.name);
    out.set(relative(dir, full), await readFile(full, 'utf8'));
  }
  return out;
}

describe('kumo.agent.v1 generated code', () => {
  it.skipIf(!bufRuns)('is what buf lint + generate make from proto/ (no diff)', async () => {
    const out = await mkdtemp(join(tmpdir(), 'kumo-proto-'));
    try {
      const r = spawnSync(process.execPath, [join(pkg, 'scripts/generate.mjs'), '--out', out], {
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const fresh = await files(join(out, 'packages/agent-proto/src/gen'));
      const committed = await files(join(pkg, 'src/gen'));
      expect([...fresh.keys()].sort()).toEqual([...committed.keys()].sort());
      for (const [name, text] of fresh)
        expect(committed.get(name), `${name} is stale: run pnpm --filter @kumo/agent-proto generate`).toBe(
          text,
        );
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });
});
