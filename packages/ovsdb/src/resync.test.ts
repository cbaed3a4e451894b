import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { OvsdbClient } from './client.js';
import { ops, where } from './operations.js';
import { ovsdbServerMissing, TestOvsdbServer } from './ovsdb-server.testing.js';
import type { ChangeEvent } from './replica.js';
import { ovsMap } from './values.js';

const missing = ovsdbServerMissing();

describe.skipIf(missing !== undefined)('resync by last txn id on a clustered ovsdb-server', () => {
  let server: TestOvsdbServer;
  let client: OvsdbClient;

  beforeAll(async () => {
    server = new TestOvsdbServer({ clustered: true });
    await server.start();
    client = await OvsdbClient.connect({ target: server.target, backoff: { initialMs: 400, maxMs: 400 } });
  });

  afterAll(async () => {
    await client?.close();
    await server?.dispose();
  });

  it('gets only the changes made while away after a dropped connection', async () => {
    server.vsctl('init');
    server.vsctl('add-br', 'br-keep');
    // ovsdb-server trims its transaction history to the database's size (in atoms): give br-keep a big map
    // so that the history can hold the small transactions made while the client is away
    const big: Record<string, string> = {};
    for (let i = 0; i < 3000; i++) big[`k${i}`] = `v${i}`;
    await client.transact('Open_vSwitch', [
      ops.mutate('Bridge', [where.eq('name', 'br-keep')], [['external_ids', 'insert', ovsMap(big)]]),
    ]);
    server.vsctl('add-br', 'br-gone');
    const replica = await client.monitor('Open_vSwitch', { Bridge: { columns: ['name'] } });
    const names = () =>
      replica
        .rows('Bridge')
        .map((b) => String(b.name))
        .sort();
    await replica.waitFor(() => names().length === 2);
    expect(replica.lastTxnId).toMatch(/^[0-9a-f-]{36}$/);
    expect(replica.lastTxnId).not.toBe('00000000-0000-0000-0000-000000000000');
    const events: ChangeEvent[] = [];
    replica.onChange((e) => events.push(e));

    server.appctl('ovsdb-server/reconnect'); // the server drops every connection
    await vi.waitFor(() => expect(client.connectionState).toBe('disconnected'));
    server.vsctl('add-br', 'br-new');
    server.vsctl('del-br', 'br-gone');
    await replica.waitFor(() => names().join() === 'br-keep,br-new', 8000);
    await vi.waitFor(() => expect(client.connectionState).toBe('connected'));
    expect(client.monitorMethod).toBe('monitor_cond_since');
    expect(replica.lastLoad).toBe('delta');
    // a delta: one insert and one delete, nothing about the untouched bridge
    expect(events.map((e) => `${e.kind}:${e.row.name}`).sort()).toEqual(['delete:br-gone', 'insert:br-new']);
  });
});
