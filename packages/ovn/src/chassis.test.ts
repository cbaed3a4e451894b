import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OvnCentral, ovnCentralMissing, startOvnCentral } from './central.js';
import { type Chassis, chassisMissing, ensureChassis, startChassis, stopChassis } from './chassis.js';
import {
  deletePort,
  ensurePort,
  getOvsExternalIds,
  listInterfaces,
  waitInterfaceReady,
} from './chassis-ovsdb.js';
import { pidAlive, pollUntil } from './chassis-process.js';

const missing =
  chassisMissing() ?? ovnCentralMissing() ?? (process.getuid?.() === 0 ? undefined : 'needs root');
if (missing) console.warn(`skipping chassis tests: ${missing}`);

describe.skipIf(missing)(
  'a chassis (ovsdb-server + ovs-vswitchd + ovn-controller) on the userspace datapath',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'kumo-chassis-'));
    let central: OvnCentral;
    let chassis: Chassis;
    const systemId = `kumo-test-${process.pid}`;
    // Root-namespace chassis of parallel tests must not share bridge names (a netdev bridge is a tap).
    const brInt = `ki${process.pid % 100000}`;
    const brEx = `ke${process.pid % 100000}`;
    const sbctl = (...args: string[]) =>
      execFileSync('ovn-sbctl', [`--db=${central.sbSocket}`, ...args], { encoding: 'utf8' });

    beforeAll(async () => {
      central = await startOvnCentral({ dir: join(dir, 'central'), nbPort: 0, sbPort: 0 });
      chassis = await startChassis({
        dir: join(dir, 'chassis'),
        systemId,
        encapType: 'geneve',
        encapIp: '127.0.0.1',
        sbConnection: central.sbConnection,
        bridgeMappings: { physnet1: brEx },
        integrationBridge: brInt,
        gateway: true,
        datapath: 'netdev',
      });
    });

    afterAll(async () => {
      await stopChassis(join(dir, 'chassis'));
      await central?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('registers in the southbound DB with its encap and gateway option', async () => {
      const row = await pollUntil(
        'the Chassis row',
        () => {
          const out = sbctl(
            '--format=json',
            '--columns=name,other_config',
            'find',
            'Chassis',
            `name=${systemId}`,
          );
          return (JSON.parse(out) as { data: unknown[] }).data.length ? out : undefined;
        },
        15_000,
      );
      expect(row).toContain('enable-chassis-as-gw');
      expect(sbctl('--bare', '--columns=type,ip', 'find', 'Encap', `chassis_name=${systemId}`)).toMatch(
        /geneve\s+127\.0\.0\.1/,
      );
    });

    it('configures ovn-controller through Open_vSwitch external_ids and builds br-int on netdev', async () => {
      const client = await chassis.connect();
      try {
        expect(await getOvsExternalIds(client)).toMatchObject({
          'system-id': systemId,
          'ovn-remote': central.sbConnection,
          'ovn-encap-type': 'geneve',
          'ovn-bridge-mappings': `physnet1:${brEx}`,
          'ovn-bridge': brInt,
          'ovn-cms-options': 'enable-chassis-as-gw',
        });
        const ifs = await listInterfaces(client);
        expect(ifs.find((i) => i.name === brInt)).toMatchObject({ bridge: brInt, type: 'internal' });
        expect(ifs.find((i) => i.name === brEx)).toMatchObject({ bridge: brEx });
        expect(
          (
            await chassis.run('ovs-vsctl', [
              `--db=${chassis.dbTarget}`,
              'get',
              'Bridge',
              brInt,
              'datapath_type',
            ])
          ).trim(),
        ).toBe('netdev');
        // ovn-controller programs br-int over the OpenFlow socket under OVS_RUNDIR.
        await pollUntil(
          'flows in br-int',
          async () => (await chassis.run('ovs-ofctl', ['dump-flows', brInt])).split('\n').length > 10,
          15_000,
        );
      } finally {
        await client.close();
      }
    });

    it('adds, updates and deletes ports idempotently', async () => {
      const client = await chassis.connect();
      const dev = `kt${process.pid % 100000}`;
      execFileSync('ip', ['tuntap', 'add', dev, 'mode', 'tap']);
      try {
        const spec = { bridge: brInt, name: dev, externalIds: { 'iface-id': 'port-1' } };
        expect(await ensurePort(client, spec)).toBe(true);
        expect(await ensurePort(client, spec)).toBe(false);
        expect(await waitInterfaceReady(client, dev)).toBeGreaterThan(0);
        expect(await ensurePort(client, { ...spec, externalIds: { 'iface-id': 'port-2' } })).toBe(true);
        expect((await listInterfaces(client)).find((i) => i.name === dev)?.externalIds).toEqual({
          'iface-id': 'port-2',
        });
        expect(await deletePort(client, dev)).toBe(true);
        expect(await deletePort(client, dev)).toBe(false);
        expect((await listInterfaces(client)).some((i) => i.name === dev)).toBe(false);
      } finally {
        await client.close();
        execFileSync('ip', ['link', 'del', dev]);
      }
    });

    it('ensureChassis reuses the running daemons; stop ends them', async () => {
      const again = await ensureChassis({
        dir: chassis.dir,
        systemId,
        encapType: 'geneve',
        encapIp: '127.0.0.1',
        sbConnection: central.sbConnection,
        bridgeMappings: { physnet1: brEx },
        integrationBridge: brInt,
        gateway: true,
        datapath: 'netdev',
      });
      expect(again.reused.sort()).toEqual(['controller', 'ovsdb', 'vswitchd']);
      expect(again.pids).toEqual(chassis.pids);
      await again.stop();
      for (const pid of Object.values(chassis.pids)) expect(pidAlive(pid)).toBe(false);
      // The userspace datapath's bridge taps are gone too.
      expect(existsSync(`/sys/class/net/${brInt}`)).toBe(false);
      expect(existsSync(`/sys/class/net/${brEx}`)).toBe(false);
    });
  },
);
