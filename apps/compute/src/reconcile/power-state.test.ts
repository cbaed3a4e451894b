import { describe, expect, it } from 'vitest';
import { reconcilePower } from './power-state.js';

const s = (vmState: string, powerState: number, taskState: string | null = null) => ({
  vmState,
  powerState,
  taskState,
});

describe('reconcilePower', () => {
  it('a guest that shut itself off: active → stopped (SHUTOFF), power shutdown', () => {
    expect(reconcilePower(s('active', 1), 'shutoff')).toEqual({ vmState: 'stopped', powerState: 4 });
  });
  it('a crash: stopped with power crashed', () => {
    expect(reconcilePower(s('active', 1), 'crashed')).toEqual({ vmState: 'stopped', powerState: 6 });
  });
  it('never touches a server with a task in flight, nor one building or deleted', () => {
    expect(reconcilePower(s('active', 1, 'powering_off'), 'shutoff')).toBeUndefined();
    expect(reconcilePower(s('building', 0), 'running')).toBeUndefined();
    expect(reconcilePower(s('deleted', 0), 'running')).toBeUndefined();
  });
  it('no change when the stored state already matches', () => {
    expect(reconcilePower(s('active', 1), 'running')).toBeUndefined();
    expect(reconcilePower(s('stopped', 4), 'shutoff')).toBeUndefined();
    expect(reconcilePower(s('suspended', 7), 'paused')).toBeUndefined();
  });
  it('a running guest of a stopped server shows ACTIVE; a missing domain shows no power', () => {
    expect(reconcilePower(s('stopped', 4), 'running')).toEqual({ vmState: 'active', powerState: 1 });
    expect(reconcilePower(s('active', 1), 'missing')).toEqual({ vmState: 'active', powerState: 0 });
  });
  it('an ERROR server only gets its power state updated', () => {
    expect(reconcilePower(s('error', 0), 'running')).toEqual({ vmState: 'error', powerState: 1 });
  });
});
