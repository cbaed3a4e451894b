import { expect, it } from 'vitest';
import { networkConformance } from '../conformance/network.conformance.js';
import { FakeNetworkDriver, fakeBridgeName } from './fake-network.driver.js';

networkConformance('fake', async () => ({
  network: new FakeNetworkDriver(),
  networkId: 'net-0123456789abcdef',
}));

it('bridge names are Linux interface names', () => {
  expect(fakeBridgeName('0b5c7d3e-1111-2222-3333-444455556666')).toBe('kb0b5c7d3e1111');
  expect(new FakeNetworkDriver({ bridgeFor: () => 'br-int' }).ensureVif).toBeDefined();
});
