import type { FilterContext, HostState, ScheduleRequest } from './host-state.js';
import { freeOf } from './resources.js';

export type WeigherMode = 'spread' | 'pack';

const freeRam = (h: HostState): number => {
  const inv = h.inventories.MEMORY_MB;
  return inv ? freeOf(inv) : 0;
};

/**
 * Order hosts best first. A soft group policy weighs first (soft-affinity:
 * most members of the group; soft-anti-affinity: fewest), then free RAM
 * (spread: most free; pack: least free), then the host id for a stable order.
 * With `limit`, only the best `limit` hosts (no full sort).
 */
export function weighHosts(
  hosts: readonly HostState[],
  req: ScheduleRequest,
  ctx: FilterContext,
  mode: WeigherMode,
  limit = Number.POSITIVE_INFINITY,
): HostState[] {
  const policy = req.group?.policy;
  const groupSign = policy === 'soft-affinity' ? -1 : policy === 'soft-anti-affinity' ? 1 : 0;
  const ramSign = mode === 'spread' ? -1 : 1;
  const members = (h: HostState) => ctx.groupHosts.get(h.id) ?? 0;
  const cmp = (a: HostState, b: HostState) =>
    groupSign * (members(a) - members(b)) ||
    ramSign * (freeRam(a) - freeRam(b)) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  if (hosts.length <= limit) return [...hosts].sort(cmp);
  // keep the best `limit` in a small sorted array
  const best: HostState[] = [];
  for (const h of hosts) {
    if (best.length === limit && cmp(h, best[limit - 1]!) >= 0) continue;
    let i = best.length;
    while (i > 0 && cmp(h, best[i - 1]!) < 0) i--;
    best.splice(i, 0, h);
    if (best.length > limit) best.pop();
  }
  return best;
}
