import type { HostEvent } from '../compute.js';

/**
 * Lifecycle events from `virsh event --all --loop --timestamp`, one line each:
 *   2026-01-02 03:04:05.678+0000: event 'lifecycle' for domain 'kumo-x': Stopped Destroyed
 * parsed, then mapped to HostEvents by a small state machine (libvirt reports
 * `Resumed` while starting a domain, and `Shutdown … after guest request`
 * before `Stopped Shutdown` — both need context).
 */

export interface RawEvent {
  at: number;
  domain: string;
  kind: string;
  event?: string;
  detail?: string;
}

const LINE =
  /^(?:(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d{4})?: )?event '([^']+)' for domain '([^']+)'(?:: (\S+)(?: (.*))?)?$/;

export function parseEventLine(line: string, now = Date.now()): RawEvent | undefined {
  const m = LINE.exec(line.trim());
  if (!m) return undefined;
  const [, stamp, zone, kind, domain, event, detail] = m;
  let at = now;
  if (stamp) {
    const z = zone ? `${zone.slice(0, 3)}:${zone.slice(3)}` : 'Z';
    const parsed = Date.parse(`${stamp.replace(' ', 'T')}${z}`);
    if (!Number.isNaN(parsed)) at = parsed;
  }
  return { at, domain: domain as string, kind: kind as string, event, detail: detail?.trim() };
}

type Known = 'running' | 'paused' | 'stopped';

/**
 * Turns raw lifecycle events into HostEvents. `instanceOf` maps a domain name
 * to a Kumo instance id (undefined: not ours, ignored); `hostStopRequested`
 * says whether the driver itself asked the domain to shut down.
 */
export class EventMapper {
  private readonly known = new Map<string, Known>();
  private readonly guestShutdown = new Map<string, boolean>();

  constructor(
    private readonly instanceOf: (domain: string) => string | undefined,
    private readonly hostStopRequested: (instance: string) => boolean = () => false,
  ) {}

  /** Seed what is known about a domain (from `virsh domstate` when the stream starts); events seen already win. */
  seed(domain: string, state: Known): void {
    if (!this.known.has(domain)) this.known.set(domain, state);
  }

  map(raw: RawEvent): HostEvent | undefined {
    if (raw.kind !== 'lifecycle' || !raw.event) return undefined;
    const instance = this.instanceOf(raw.domain);
    if (!instance) return undefined;
    const ev = (type: Exclude<HostEvent['type'], 'heartbeat'>): HostEvent => ({ type, instance, at: raw.at });
    const detail = raw.detail ?? '';
    switch (raw.event) {
      case 'Started':
        this.known.set(raw.domain, 'running');
        this.guestShutdown.delete(raw.domain);
        return ev('started');
      case 'Suspended':
        this.known.set(raw.domain, 'paused');
        return ev('paused');
      case 'Resumed': {
        // libvirt starts a domain paused and resumes it just before "Started".
        const was = this.known.get(raw.domain);
        this.known.set(raw.domain, 'running');
        return was === 'paused' ? ev('resumed') : undefined;
      }
      case 'Shutdown':
        if (/guest/i.test(detail)) this.guestShutdown.set(raw.domain, true);
        else if (/host/i.test(detail)) this.guestShutdown.set(raw.domain, false);
        return undefined;
      case 'Stopped': {
        this.known.set(raw.domain, 'stopped');
        const byGuest = this.guestShutdown.get(raw.domain);
        this.guestShutdown.delete(raw.domain);
        if (detail === 'Crashed' || detail === 'Failed') return ev('crashed');
        if (detail === 'Shutdown') {
          if (this.hostStopRequested(instance) || byGuest === false) return ev('stopped');
          return ev('shutoff_by_guest');
        }
        return ev('stopped');
      }
      case 'Crashed':
        return ev('crashed');
      case 'Undefined':
        this.known.delete(raw.domain);
        this.guestShutdown.delete(raw.domain);
        return undefined;
      default:
        return undefined;
    }
  }
}

/** Split a byte stream into lines (keeps the unfinished tail). */
export class LineSplitter {
  private buf = '';
  push(chunk: string): string[] {
    this.buf += chunk;
    const parts = this.buf.split('\n');
    this.buf = parts.pop() ?? '';
    return parts.filter((l) => l.trim() !== '');
  }
}
