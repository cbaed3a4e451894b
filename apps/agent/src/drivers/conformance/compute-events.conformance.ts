import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { HostEvent } from '../compute.js';
import type { ComputeSuite } from './compute.conformance.js';

type LifecycleEvent = Exclude<HostEvent, { type: 'heartbeat' }>;

/** Read events about `instance` until `count` arrived or the timeout passed. */
async function collect(
  it: AsyncIterator<HostEvent>,
  instance: string,
  count: number,
  timeoutMs: number,
): Promise<LifecycleEvent[]> {
  const got: LifecycleEvent[] = [];
  const until = Date.now() + timeoutMs;
  while (got.length < count) {
    const left = until - Date.now();
    if (left <= 0) break;
    const r = await Promise.race([it.next(), sleep(left).then(() => undefined)]);
    if (!r || r.done) break;
    if (r.value.type !== 'heartbeat' && r.value.instance === instance) got.push(r.value);
  }
  return got;
}

/** Lifecycle events through `events(signal)`, and the end of the stream on abort. */
export function computeEventTests(suite: ComputeSuite): void {
  const { opts } = suite;

  describe('events', () => {
    it(
      'started, paused, resumed and stopped arrive in order; abort ends the stream',
      async () => {
        const { compute } = suite.fx();
        const spec = await suite.newSpec('events');
        await compute.ensureDomain(spec);
        const ac = new AbortController();
        const it = compute.events(ac.signal)[Symbol.asyncIterator]();
        try {
          if (opts.eventsSettleMs) await sleep(opts.eventsSettleMs);
          const t0 = Date.now();
          await compute.start(spec.instance);
          await compute.start(spec.instance);
          await compute.pause(spec.instance);
          await compute.resume(spec.instance);
          await compute.stop(spec.instance, { force: true });
          await compute.stop(spec.instance, { force: true });
          const got = await collect(it, spec.instance, 4, opts.eventTimeoutMs);
          expect(got.map((e) => e.type)).toEqual(['started', 'paused', 'resumed', 'stopped']);
          for (const e of got) {
            expect(e.at).toBeGreaterThanOrEqual(t0 - 1_000);
            expect(e.at).toBeLessThanOrEqual(Date.now() + 1_000);
          }
          // No-ops (second start, second stop) emit nothing more.
          expect(await collect(it, spec.instance, 1, 300)).toEqual([]);
        } finally {
          ac.abort();
        }
        const end = await Promise.race([
          it.next(),
          sleep(opts.eventTimeoutMs).then(() => 'timeout' as const),
        ]);
        expect(end).toEqual({ value: undefined, done: true });
      },
      opts.testTimeoutMs,
    );

    it(
      'a stream whose signal is already aborted ends at once',
      async () => {
        const { compute } = suite.fx();
        const ac = new AbortController();
        ac.abort();
        const it = compute.events(ac.signal)[Symbol.asyncIterator]();
        const end = await Promise.race([
          it.next(),
          sleep(opts.eventTimeoutMs).then(() => 'timeout' as const),
        ]);
        expect(end).toMatchObject({ done: true });
      },
      opts.testTimeoutMs,
    );
  });
}
