import type { Logger } from '@kumo/service-kit';

/**
 * A tiny undo stack (Incus' revert idea): every side effect registers how to
 * undo it; on failure the undos run newest first. An undo that fails is logged
 * and the rest still run (a compensation must not hide the others).
 */
export class Revert {
  private readonly undos: { name: string; fn: () => Promise<unknown> }[] = [];

  add(name: string, fn: () => Promise<unknown>): void {
    this.undos.push({ name, fn });
  }

  /** Forget everything registered: the work stands. */
  success(): void {
    this.undos.length = 0;
  }

  /** Run the undos newest first; returns the names of those that failed. */
  async fail(log: Logger): Promise<string[]> {
    const failed: string[] = [];
    while (this.undos.length) {
      const u = this.undos.pop()!;
      try {
        await u.fn();
      } catch (err) {
        failed.push(u.name);
        log.error({ err, undo: u.name }, 'compensation failed');
      }
    }
    return failed;
  }
}
