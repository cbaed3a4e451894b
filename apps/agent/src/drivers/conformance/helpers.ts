import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import type { DriverErrorKind } from '../ids.js';

/** Await `p` and expect it to fail with DriverError of `kind`. */
export async function expectKind(p: Promise<unknown>, kind: DriverErrorKind, what = ''): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  const got = err as { name?: string; kind?: string; message?: string } | undefined;
  expect(
    { name: got?.name, kind: got?.kind },
    `${what} should fail with DriverError(${kind}); got ${err ? `${got?.name}(${got?.kind}): ${got?.message}` : 'success'}`,
  ).toEqual({ name: 'DriverError', kind });
}

/** Poll `fn` until `ok(value)` or the timeout; returns the last value. */
export async function waitFor<T>(
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** A short unique Kumo id: `<prefix>-<tag>-<8 hex>`. */
export function testId(prefix: string, tag: string): string {
  return `${prefix}-${tag}-${randomBytes(4).toString('hex')}`;
}

/** A locally administered unicast MAC in QEMU's 52:54:00 range. */
export function randomMac(): string {
  return `52:54:00:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}

/** Ids a driver must refuse as 'invalid' (path tricks, empty, too long, odd characters). */
export const BAD_IDS: unknown[] = ['../x', '..', 'a/b', '', '.hidden', 'a b', 'x'.repeat(65), 42, null];

export const MiB = 1024 * 1024;
