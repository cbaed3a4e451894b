import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkDriver, VifBinding } from '../network.js';
import { BAD_IDS, expectKind, randomMac, testId } from './helpers.js';

export interface NetworkFixture {
  network: NetworkDriver;
  /** A network id the driver can bind VIFs to. */
  networkId: string;
  /** Whether the host really has the binding in place (tap in br-int, bridge up, ...); optional. */
  plugged?(b: VifBinding): Promise<boolean>;
  /** A fresh driver instance on the same host state (an agent restart); drivers without durable state omit it. */
  reopen?(): Promise<NetworkDriver>;
  cleanup?(): Promise<void>;
}

const IFNAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$/;

/** The network driver contract: idempotent ensureVif, conflicts, invalid input, removeVif twice. */
export function networkConformance(
  name: string,
  makeFixture: () => Promise<NetworkFixture>,
  options: { idPrefix?: string; testTimeoutMs?: number } = {},
): void {
  const prefix = options.idPrefix ?? 'conf';
  const T = options.testTimeoutMs ?? 30_000;

  describe(`network driver conformance: ${name}`, () => {
    let fixture: NetworkFixture | undefined;
    const fx = () => {
      if (!fixture) throw new Error('fixture not ready');
      return fixture;
    };
    beforeAll(async () => {
      fixture = await makeFixture();
    }, 120_000);
    afterAll(async () => {
      await fixture?.cleanup?.();
    }, 120_000);

    it(
      'ensureVif binds; again returns the same; removeVif twice is fine',
      async () => {
        const { network, networkId } = fx();
        const req = {
          vif: testId(prefix, 'vif'),
          instance: testId(prefix, 'vm'),
          mac: randomMac(),
          network: networkId,
        };
        const b1 = await network.ensureVif(req);
        expect(b1).toMatchObject({ vif: req.vif, instance: req.instance, mac: req.mac });
        expect(b1.bridge).toMatch(IFNAME);
        if (b1.targetDev !== undefined) expect(b1.targetDev).toMatch(IFNAME);
        if (network.capabilities.backend === 'ovn') expect(b1.targetDev).toBeDefined();
        if (fx().plugged) expect(await fx().plugged?.(b1)).toBe(true);
        expect(await network.ensureVif(req)).toEqual(b1);
        expect((await network.listVifs()).filter((v) => v.vif === req.vif)).toEqual([b1]);
        await network.removeVif(req.vif);
        await network.removeVif(req.vif);
        expect((await network.listVifs()).some((v) => v.vif === req.vif)).toBe(false);
        if (fx().plugged) expect(await fx().plugged?.(b1)).toBe(false);
      },
      T,
    );

    it(
      'the same vif bound differently, or a MAC in use, is a conflict',
      async () => {
        const { network, networkId } = fx();
        const req = {
          vif: testId(prefix, 'vif'),
          instance: testId(prefix, 'vm'),
          mac: randomMac(),
          network: networkId,
        };
        await network.ensureVif(req);
        try {
          await expectKind(network.ensureVif({ ...req, mac: randomMac() }), 'conflict', 'another mac');
          await expectKind(
            network.ensureVif({ ...req, instance: testId(prefix, 'vm') }),
            'conflict',
            'another vm',
          );
          await expectKind(
            network.ensureVif({ ...req, vif: testId(prefix, 'vif2') }),
            'conflict',
            'a MAC another vif holds',
          );
        } finally {
          await network.removeVif(req.vif);
        }
      },
      T,
    );

    it(
      'concurrent ensureVif of one binding does the work once',
      async () => {
        const { network, networkId } = fx();
        const req = {
          vif: testId(prefix, 'vif'),
          instance: testId(prefix, 'vm'),
          mac: randomMac(),
          network: networkId,
        };
        try {
          const [a, b, c] = await Promise.all([
            network.ensureVif(req),
            network.ensureVif(req),
            network.ensureVif(req),
          ]);
          expect(b).toEqual(a);
          expect(c).toEqual(a);
          expect((await network.listVifs()).filter((v) => v.vif === req.vif)).toEqual([a]);
        } finally {
          await network.removeVif(req.vif);
        }
      },
      T,
    );

    it(
      'bindings survive a driver restart (when the driver keeps state on the host)',
      async (ctx) => {
        const { network, networkId, reopen } = fx();
        if (!reopen) return ctx.skip();
        const req = {
          vif: testId(prefix, 'vif'),
          instance: testId(prefix, 'vm'),
          mac: randomMac(),
          network: networkId,
        };
        const b = await network.ensureVif(req);
        const again = await reopen();
        try {
          expect((await again.listVifs()).filter((v) => v.vif === req.vif)).toEqual([b]);
          expect(await again.ensureVif(req)).toEqual(b);
          await expectKind(
            again.ensureVif({ ...req, mac: randomMac() }),
            'conflict',
            'another mac after restart',
          );
        } finally {
          await again.removeVif(req.vif);
          await (again as { close?(): Promise<void> }).close?.();
        }
        expect((await network.listVifs()).some((v) => v.vif === req.vif)).toBe(false);
      },
      T,
    );

    it(
      'malformed ids and MACs are invalid',
      async () => {
        const { network, networkId } = fx();
        const req = {
          vif: testId(prefix, 'vif'),
          instance: testId(prefix, 'vm'),
          mac: randomMac(),
          network: networkId,
        };
        for (const id of BAD_IDS) {
          const i = id as string;
          await expectKind(network.ensureVif({ ...req, vif: i }), 'invalid', `vif ${JSON.stringify(id)}`);
          await expectKind(
            network.ensureVif({ ...req, instance: i }),
            'invalid',
            `instance ${JSON.stringify(id)}`,
          );
          await expectKind(network.removeVif(i), 'invalid', `removeVif ${JSON.stringify(id)}`);
        }
        for (const mac of ['zz:zz:zz:zz:zz:zz', '52:54:00:12:34', '01:00:5e:00:00:01', ''])
          await expectKind(network.ensureVif({ ...req, mac }), 'invalid', `mac ${mac}`);
        expect((await network.listVifs()).some((v) => v.vif === req.vif)).toBe(false);
      },
      T,
    );
  });
}
