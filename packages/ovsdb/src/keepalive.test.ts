import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { OvsdbClient } from './client.js';
import { JsonStreamParser } from './json-stream.js';
import type { Json } from './values.js';

/** A scripted fake server: records what clients send; optionally answers echo requests. */
function fakeServer(answerEcho: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'kumo-ovsdb-fake-'));
  const path = join(dir, 'sock');
  const received: Json[] = [];
  const sockets: net.Socket[] = [];
  let accepted = 0;
  const server = net.createServer((s) => {
    accepted++;
    sockets.push(s);
    const parser = new JsonStreamParser();
    s.on('data', (d) => {
      for (const m of parser.push(d)) {
        received.push(m);
        if (answerEcho && m && typeof m === 'object' && !Array.isArray(m) && m.method === 'echo') {
          s.write(JSON.stringify({ id: m.id ?? null, result: m.params ?? [], error: null }));
        }
      }
    });
    s.on('error', () => undefined);
    // the server probes the client first
    s.write(JSON.stringify({ method: 'echo', params: ['probe'], id: 'echo' }));
  });
  server.listen(path);
  return {
    path,
    received,
    accepted: () => accepted,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('echo keepalive', () => {
  const servers: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  it('answers the server echo with the same params and id', async () => {
    const f = fakeServer(true);
    servers.push(f);
    const c = await OvsdbClient.connect({ target: { path: f.path }, keepalive: false });
    await vi.waitFor(() => expect(f.received).toContainEqual({ id: 'echo', result: ['probe'], error: null }));
    await c.close();
  });

  it('drops a connection whose echo replies stop and reconnects', async () => {
    const f = fakeServer(false);
    servers.push(f);
    const states: string[] = [];
    const c = await OvsdbClient.connect({
      target: `unix:${f.path}`,
      keepalive: { intervalMs: 100 },
      backoff: { initialMs: 20, maxMs: 50 },
    });
    c.onStateChange((s) => states.push(s));
    await vi.waitFor(() => expect(f.accepted()).toBeGreaterThanOrEqual(2), { timeout: 2000 });
    expect(
      f.received.some((m) => m !== null && typeof m === 'object' && !Array.isArray(m) && m.method === 'echo'),
    ).toBe(true);
    expect(states).toContain('disconnected');
    await c.close();
  });
});
