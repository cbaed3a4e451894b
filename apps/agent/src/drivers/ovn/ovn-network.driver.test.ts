import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chassisMissing, listInterfaces, startChassis, stopChassis } from '@kumo/ovn';
import { OvsdbClient } from '@kumo/ovsdb';
import { describe, expect, it } from 'vitest';
import { networkConformance } from '../conformance/network.conformance.js';
import type { VifBinding } from '../network.js';
import { OvnNetworkDriver, tapName } from './ovn-network.driver.js';

it('taps are named like Nova names them: tap + the first 11 characters of the port id', () => {
  expect(tapName('0b5c7d3e-1111-2222-3333-444455556666')).toBe('tap0b5c7d3e-11');
  expect(tapName('p1')).toBe('tapp1');
});

const missing = chassisMissing() ?? (process.getuid?.() === 0 ? undefined : 'needs root (taps, OVS)');
if (missing) console.warn(`skipping the ovn network driver against a real chassis: ${missing}`);

// The real driver against the shared contract: a chassis of its own (userspace datapath) in a temp
// dir; its SB is unreachable on purpose — plugging is purely local (ovn-controller binds later).
describe.skipIf(missing)('ovn network driver on a real chassis', () => {
  // A root-namespace netdev bridge is a tap of that name: parallel tests need their own.
  const brInt = `kc${process.pid % 100000}`;
  networkConformance(
    'ovn',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'kumo-ovn-driver-'));
      try {
        const chassis = await startChassis({
          dir,
          systemId: `kumo-conf-${process.pid}`,
          encapType: 'geneve',
          encapIp: '127.0.0.1',
          sbConnection: 'tcp:127.0.0.1:1',
          datapath: 'netdev',
          integrationBridge: brInt,
        });
        const network = new OvnNetworkDriver({ ovsdb: chassis.dbTarget, integrationBridge: brInt });
        const probe = await OvsdbClient.connect({ target: chassis.dbTarget });
        return {
          network,
          networkId: 'net-0123456789abcdef',
          async plugged(b: VifBinding) {
            const tap = b.targetDev ?? '';
            const iface = (await listInterfaces(probe)).find((i) => i.name === tap);
            const inOvs =
              iface?.bridge === brInt && iface.externalIds['iface-id'] === b.vif && (iface.ofport ?? 0) > 0;
            return inOvs && existsSync(`/sys/class/net/${tap}`);
          },
          reopen: async () => new OvnNetworkDriver({ ovsdb: chassis.dbTarget, integrationBridge: brInt }),
          async cleanup() {
            for (const v of await network.listVifs()) await network.removeVif(v.vif);
            await network.close();
            await probe.close();
            await stopChassis(dir);
            rmSync(dir, { recursive: true, force: true });
          },
        };
      } catch (err) {
        await stopChassis(dir);
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    },
    { idPrefix: `o${process.pid % 1000}` },
  );
});
