import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OvsdbClient } from '@kumo/ovsdb';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureOvnCentral, type OvnCentral, ovnCentralMissing, startOvnCentral } from './central.js';

const missing = ovnCentralMissing();
if (missing) console.warn(`skipping OVN central tests: ${missing}`);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return !/^State:\s+Z/m.test(execFileSync('cat', [`/proc/${pid}/status`], { encoding: 'utf8' }));
  } catch {
    return false;
  }
};

describe.skipIf(missing !== undefined)('OVN central', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kumo-ovn-central-'));
  let central: OvnCentral | undefined;

  afterAll(async () => {
    await central?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts NB/SB ovsdb-server and northd; northd copies NB into SB', async () => {
    central = await startOvnCentral({ dir, nbPort: 0, sbPort: 0 });
    expect(central.nbConnection).toMatch(/^tcp:127\.0\.0\.1:\d+$/);
    expect(Object.values(central.pids).every(alive)).toBe(true);
    const nb = await OvsdbClient.connect({ target: central.nbConnection });
    const sb = await OvsdbClient.connect({ target: central.sbConnection });
    try {
      expect(await nb.listDbs()).toContain('OVN_Northbound');
      expect(await sb.listDbs()).toContain('OVN_Southbound');
      execFileSync('ovn-nbctl', [`--db=${central.nbConnection}`, 'ls-add', 'sw0']);
      const dp = await sb.monitor('OVN_Southbound', { Datapath_Binding: { columns: ['external_ids'] } });
      await dp.waitFor((r) => r.rows('Datapath_Binding').length === 1, 10_000);
    } finally {
      await nb.close();
      await sb.close();
    }
  });

  it('ensureOvnCentral reuses live daemons and keeps the data', async () => {
    const again = await ensureOvnCentral({ dir, nbPort: 0, sbPort: 0, detach: false });
    expect(again.reused.sort()).toEqual(['nb', 'northd', 'sb']);
    expect(again.pids).toEqual(central?.pids);
    expect(again.nbConnection).toBe(central?.nbConnection);
    const out = execFileSync('ovn-nbctl', [`--db=${again.nbSocket}`, 'ls-list'], { encoding: 'utf8' });
    expect(out).toContain('sw0');
  });

  it('stop kills by pid; ensure restarts dead daemons on the same database', async () => {
    const pids = central?.pids;
    await central?.stop();
    expect(Object.values(pids ?? {}).some(alive)).toBe(false);
    central = await ensureOvnCentral({ dir, nbPort: 0, sbPort: 0, detach: false });
    expect(central.reused).toEqual([]);
    expect(existsSync(join(dir, 'ovnnb_db.db'))).toBe(true);
    const out = execFileSync('ovn-nbctl', [`--db=${central.nbConnection}`, 'ls-list'], { encoding: 'utf8' });
    expect(out).toContain('sw0');
  });
});
