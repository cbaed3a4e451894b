import type { Db } from '../context.js';
import type { CatalogEntry } from '../domain/catalog-cache.js';

/** The service catalog as tokens carry it: enabled services with their enabled endpoints. */
export async function loadCatalog(db: Db): Promise<CatalogEntry[]> {
  const svcs = await db.query.services.findMany({ where: (s, { eq }) => eq(s.enabled, true) });
  const eps = await db.query.endpoints.findMany({ where: (e, { eq }) => eq(e.enabled, true) });
  return svcs.map((s) => ({
    id: s.id,
    type: s.type,
    name: s.name ?? '',
    endpoints: eps
      .filter((e) => e.serviceId === s.id)
      .map((e) => ({
        id: e.id,
        interface: e.interface,
        region: e.regionId,
        region_id: e.regionId,
        url: e.url,
      })),
  }));
}
