import { describe, expect, it } from 'vitest';
import { EventMapper, LineSplitter, parseEventLine } from './events.js';
import { instanceOf } from './naming.js';

const at = Date.parse('2026-11-22T01:41:48.576Z');
const line = (ev: string, dom = 'kumo-i1') =>
  `2026-11-22 01:41:48.576+0000: event 'lifecycle' for domain '${dom}': ${ev}`;

function mapAll(lines: string[], hostStop = false) {
  const m = new EventMapper(instanceOf, () => hostStop);
  return lines.map((l) => m.map(parseEventLine(l)!)).filter(Boolean);
}

describe('virsh event lines', () => {
  it('parses timestamped lifecycle lines', () => {
    expect(parseEventLine(line('Stopped Destroyed'))).toEqual({
      at,
      domain: 'kumo-i1',
      kind: 'lifecycle',
      event: 'Stopped',
      detail: 'Destroyed',
    });
    expect(parseEventLine(line('Shutdown Finished after guest request'))?.detail).toBe(
      'Finished after guest request',
    );
    expect(parseEventLine("event 'reboot' for domain 'kumo-i1'", 5)).toEqual({
      at: 5,
      domain: 'kumo-i1',
      kind: 'reboot',
      event: undefined,
      detail: undefined,
    });
    expect(parseEventLine('events received: 3')).toBeUndefined();
  });

  it('splits chunks into lines', () => {
    const s = new LineSplitter();
    expect(s.push('a\nb')).toEqual(['a']);
    expect(s.push('c\n\nd\n')).toEqual(['bc', 'd']);
  });
});

describe('lifecycle → HostEvent', () => {
  it('a start reports started once (the Resumed libvirt sends while starting is dropped)', () => {
    expect(mapAll([line('Defined Added'), line('Resumed Unpaused'), line('Started Booted')])).toEqual([
      { type: 'started', instance: 'i1', at },
    ]);
  });

  it('pause and resume', () => {
    const evs = mapAll([line('Started Booted'), line('Suspended Paused'), line('Resumed Unpaused')]);
    expect(evs.map((e) => e?.type)).toEqual(['started', 'paused', 'resumed']);
  });

  it('a guest powering itself off is shutoff_by_guest', () => {
    const evs = mapAll([
      line('Started Booted'),
      line('Shutdown Finished after guest request'),
      line('Stopped Shutdown'),
    ]);
    expect(evs.map((e) => e?.type)).toEqual(['started', 'shutoff_by_guest']);
    // Older libvirt says only "Finished": still the guest's doing unless the driver asked.
    expect(mapAll([line('Shutdown Finished'), line('Stopped Shutdown')]).map((e) => e?.type)).toEqual([
      'shutoff_by_guest',
    ]);
  });

  it('a shutdown the driver asked for is stopped', () => {
    const evs = mapAll([line('Shutdown Finished after guest request'), line('Stopped Shutdown')], true);
    expect(evs.map((e) => e?.type)).toEqual(['stopped']);
    expect(
      mapAll([line('Shutdown Finished after host request'), line('Stopped Destroyed')]).map((e) => e?.type),
    ).toEqual(['stopped']);
  });

  it('crashes', () => {
    expect(
      mapAll([line('Stopped Crashed'), line('Crashed Panicked'), line('Stopped Failed')]).map((e) => e?.type),
    ).toEqual(['crashed', 'crashed', 'crashed']);
  });

  it('ignores domains that are not Kumo instances and non-lifecycle events', () => {
    expect(mapAll([line('Started Booted', 'other-vm'), line('Started Booted', 'kumo-../x')])).toEqual([]);
    expect(mapAll(["2026-11-22 01:41:48.798+0000: event 'reboot' for domain 'kumo-i1'"])).toEqual([]);
  });

  it('a seeded paused domain reports its resume', () => {
    const m = new EventMapper(instanceOf);
    m.seed('kumo-i1', 'paused');
    expect(m.map(parseEventLine(line('Resumed Unpaused'))!)?.type).toBe('resumed');
  });
});
