import type { FilterContext, HostState, ScheduleRequest } from './host-state.js';
import { isUp } from './host-state.js';
import { misfit, type ResourceClass } from './resources.js';

/**
 * Host filters, as Nova's: each removes the hosts that cannot take the request.
 * Pure functions of the host snapshot, the request and a small context.
 */
export interface HostFilter {
  name: string;
  /** Whether the filter has anything to check for this request. */
  applies(req: ScheduleRequest, ctx: FilterContext): boolean;
  passes(host: HostState, req: ScheduleRequest, ctx: FilterContext): boolean;
}

const ARCH_ALIASES: Record<string, string> = {
  x86_64: 'x86_64',
  amd64: 'x86_64',
  'x86-64': 'x86_64',
  x64: 'x86_64',
  aarch64: 'aarch64',
  arm64: 'aarch64',
};

const prop = (req: ScheduleRequest, ...names: string[]): string | undefined => {
  for (const n of names) {
    const v = req.imageProperties?.[n];
    if (v !== undefined && v !== '') return String(v).toLowerCase();
  }
  return undefined;
};

/** The architecture an image asks for (canonical), the raw value when unknown. */
export const imageArch = (req: ScheduleRequest): string | undefined => {
  const a = prop(req, 'hw_architecture', 'architecture');
  return a === undefined ? undefined : (ARCH_ALIASES[a] ?? a);
};
export const imageHvType = (req: ScheduleRequest): string | undefined =>
  prop(req, 'img_hv_type', 'hypervisor_type');

const wantedCache = new WeakMap<ScheduleRequest, { required: string[]; forbidden: string[] }>();

/** Traits required/forbidden by the request and by `trait:NAME=required|forbidden` image properties. */
export function traitsWanted(req: ScheduleRequest): { required: string[]; forbidden: string[] } {
  const cached = wantedCache.get(req);
  if (cached) return cached;
  const out = computeTraitsWanted(req);
  wantedCache.set(req, out);
  return out;
}

function computeTraitsWanted(req: ScheduleRequest): { required: string[]; forbidden: string[] } {
  const required = [...(req.requiredTraits ?? [])];
  const forbidden = [...(req.forbiddenTraits ?? [])];
  for (const [k, v] of Object.entries(req.imageProperties ?? {})) {
    if (!k.startsWith('trait:')) continue;
    const want = String(v).toLowerCase();
    if (want === 'required') required.push(k.slice(6));
    else if (want === 'forbidden') forbidden.push(k.slice(6));
  }
  return { required, forbidden };
}

const hvAccepts = (host: string, wanted: string): boolean =>
  wanted === host || (wanted === 'qemu' && host === 'kvm');

const resourceFilter = (name: string, rc: ResourceClass): HostFilter => ({
  name,
  applies: (req) => (req.resources[rc] ?? 0) > 0,
  passes: (h, req) => misfit(rc, h.inventories[rc], req.resources[rc] ?? 0) === undefined,
});

const isHard = (req: ScheduleRequest, policy: string) => req.group?.policy === policy;

export const FILTERS: readonly HostFilter[] = [
  {
    name: 'ComputeFilter',
    applies: () => true,
    passes: (h, _req, ctx) => h.enabled && isUp(h, ctx.now, ctx.hostDownMs),
  },
  {
    name: 'ForceHostFilter',
    applies: (req) => req.forceHost !== undefined,
    passes: (h, req) => h.id === req.forceHost || h.hostname === req.forceHost,
  },
  {
    name: 'IgnoreHostsFilter',
    applies: (req) => (req.ignoreHosts?.length ?? 0) > 0,
    passes: (h, req) => !req.ignoreHosts!.includes(h.id) && !req.ignoreHosts!.includes(h.hostname),
  },
  {
    name: 'AvailabilityZoneFilter',
    applies: (req) => req.availabilityZone !== undefined,
    passes: (h, req) => h.availabilityZone === req.availabilityZone,
  },
  {
    name: 'ImagePropertiesFilter',
    applies: (req) => imageArch(req) !== undefined || imageHvType(req) !== undefined,
    passes: (h, req) => {
      const arch = imageArch(req);
      const hv = imageHvType(req);
      return (arch === undefined || arch === h.arch) && (hv === undefined || hvAccepts(h.hypervisor, hv));
    },
  },
  {
    name: 'IsolatedHostsFilter',
    applies: (_req, ctx) => ctx.isolatedHosts.size > 0 || ctx.isolatedImages.size > 0,
    // an isolated image only on isolated hosts, and isolated hosts only for isolated images
    passes: (h, req, ctx) =>
      ctx.isolatedHosts.has(h.id) === (req.imageId !== undefined && ctx.isolatedImages.has(req.imageId)),
  },
  {
    name: 'TraitsFilter',
    applies: (req) => {
      const t = traitsWanted(req);
      return t.required.length + t.forbidden.length > 0;
    },
    passes: (h, req) => {
      const t = traitsWanted(req);
      return t.required.every((x) => h.traits.has(x)) && !t.forbidden.some((x) => h.traits.has(x));
    },
  },
  resourceFilter('RamFilter', 'MEMORY_MB'),
  resourceFilter('CoreFilter', 'VCPU'),
  resourceFilter('DiskFilter', 'DISK_GB'),
  {
    name: 'ServerGroupAffinityFilter',
    applies: (req, ctx) => isHard(req, 'affinity') && ctx.groupHosts.size > 0,
    passes: (h, _req, ctx) => ctx.groupHosts.has(h.id),
  },
  {
    name: 'ServerGroupAntiAffinityFilter',
    applies: (req) => isHard(req, 'anti-affinity'),
    passes: (h, req, ctx) => (ctx.groupHosts.get(h.id) ?? 0) < (req.group?.maxServerPerHost ?? 1),
  },
];

export interface FilterReport {
  name: string;
  removed: number;
}

/**
 * Run the filters that apply, in order; a host is removed by the first filter
 * it fails (the counts are those of filtering one filter after the other,
 * done in one pass). Filters after the one that removed the last host are
 * not reported.
 */
export function runFilters(
  hosts: readonly HostState[],
  req: ScheduleRequest,
  ctx: FilterContext,
  filters: readonly HostFilter[] = FILTERS,
): { hosts: HostState[]; report: FilterReport[] } {
  const active = filters.filter((f) => f.applies(req, ctx));
  const removed = new Array<number>(active.length).fill(0);
  const left: HostState[] = [];
  for (const h of hosts) {
    let i = 0;
    while (i < active.length && active[i]!.passes(h, req, ctx)) i++;
    if (i === active.length) left.push(h);
    else removed[i]!++;
  }
  let remaining = hosts.length;
  const report: FilterReport[] = [];
  for (let i = 0; i < active.length && remaining > 0; i++) {
    report.push({ name: active[i]!.name, removed: removed[i]! });
    remaining -= removed[i]!;
  }
  return { hosts: left, report };
}

/** "No valid host was found. 3 hosts: ComputeFilter removed 0, RamFilter removed 1, …" */
export function noValidHostMessage(total: number, report: readonly FilterReport[], extra?: string): string {
  const what = report.map((r) => `${r.name} removed ${r.removed}`).join(', ');
  const head = `No valid host was found. ${total} host${total === 1 ? '' : 's'}`;
  return `${head}${what ? `: ${what}` : ''}${extra ? `; ${extra}` : ''}.`;
}
