import { describe, expect, it } from 'vitest';
import type { HostEvent } from '../compute.js';
import { eventStream } from './event-stream.js';
import { EventMapper } from './events.js';
import { instanceOf } from './naming.js';

const LINE = "2026-11-22 01:41:48.576+0000: event 'lifecycle' for domain 'kumo-i1': Started Booted";

function stream(
  script: string,
  signal: AbortSignal,
  extra: { heartbeatMs?: number; errors?: string[] } = {},
) {
  return eventStream(
    {
      command: { file: 'sh', args: ['-c', script] },
      mapper: new EventMapper(instanceOf),
      heartbeatMs: extra.heartbeatMs ?? 0,
      restartDelayMs: 20,
      onError: (m) => extra.errors?.push(m),
    },
    signal,
  )[Symbol.asyncIterator]();
}

async function take(it: AsyncIterator<HostEvent>, n: number): Promise<HostEvent[]> {
  const out: HostEvent[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

describe('event stream (a stand-in for `virsh event --loop`)', () => {
  it('maps lines to events, restarts a child that exits, and ends on abort', async () => {
    const ac = new AbortController();
    const errors: string[] = [];
    const it = stream(`echo "${LINE}"; echo 'not an event'`, ac.signal, { errors });
    const got = await take(it, 2);
    expect(got.map((e) => e.type)).toEqual(['started', 'started']);
    expect(errors.some((e) => /restarting/.test(e))).toBe(true);
    ac.abort();
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('starts listening at once: lines printed before the first read are kept', async () => {
    const ac = new AbortController();
    const it = stream(`echo "${LINE}"; exec sleep 30`, ac.signal);
    await new Promise((r) => setTimeout(r, 300));
    expect((await it.next()).value).toMatchObject({ type: 'started', instance: 'i1' });
    ac.abort();
    expect((await it.next()).done).toBe(true);
  });

  it('heartbeats; an already aborted signal ends at once; return() stops the child', async () => {
    const ac = new AbortController();
    const it = stream('exec sleep 30', ac.signal, { heartbeatMs: 10 });
    expect((await it.next()).value).toMatchObject({ type: 'heartbeat' });
    await it.return?.();
    expect((await it.next()).done).toBe(true);
    const dead = new AbortController();
    dead.abort();
    expect((await stream('exec sleep 30', dead.signal).next()).done).toBe(true);
  });
});
