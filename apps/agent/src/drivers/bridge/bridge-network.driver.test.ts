import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { networkConformance } from '../conformance/network.conformance.js';
import { BridgeNetworkDriver, bridgeName } from './bridge-network.driver.js';

const canManageLinks = (() => {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('ip', ['link', 'show'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

const linkExists = (name: string) => {
  try {
    execFileSync('ip', ['link', 'show', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

it('bridge names are Linux interface names (at most 15 characters)', () => {
  expect(bridgeName('0b5c7d3e-1111-2222-3333-444455556666')).toBe('kb0b5c7d3e1111');
  expect(bridgeName('n').length).toBeLessThanOrEqual(15);
});

// The real driver against the shared contract: bridges made by the test (no address, no uplink), removed after.
describe.skipIf(!canManageLinks)('real Linux bridges', () => {
  const network = `bt${process.pid.toString(36)}`;
  networkConformance('bridge', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'kumo-bridge-'));
    return {
      network: new BridgeNetworkDriver({ stateDir }),
      networkId: network,
      reopen: async () => new BridgeNetworkDriver({ stateDir }),
      async cleanup() {
        if (linkExists(bridgeName(network))) execFileSync('ip', ['link', 'del', bridgeName(network)]);
        rmSync(stateDir, { recursive: true, force: true });
      },
    };
  });
});
