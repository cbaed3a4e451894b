import type { FastifyRequest } from 'fastify';
import type { FlavorRow } from '../db/flavors.repo.js';
import { atLeast } from '../http/microversion.js';
import { resourceLinks } from '../http/nova-request.js';

/** A flavor in a list (`GET /flavors`): id, name, links; description from 2.55. */
export function flavorSummary(req: FastifyRequest, f: FlavorRow) {
  return {
    id: f.id,
    name: f.name,
    links: resourceLinks(req, 'flavors', f.id),
    ...(atLeast(req, '2.55') ? { description: f.description } : {}),
  };
}

/**
 * A flavor in full. `swap` is "" when 0 below 2.75 (as Nova); `extra_specs`
 * from 2.61 when the caller may read them.
 */
export function flavorDetail(req: FastifyRequest, f: FlavorRow, extraSpecs?: Record<string, string>) {
  return {
    id: f.id,
    name: f.name,
    ram: f.ramMb,
    disk: f.diskGb,
    vcpus: f.vcpus,
    swap: f.swapMb === 0 && !atLeast(req, '2.75') ? '' : f.swapMb,
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeralGb,
    'OS-FLV-DISABLED:disabled': false,
    'os-flavor-access:is_public': f.isPublic,
    rxtx_factor: f.rxtxFactor,
    links: resourceLinks(req, 'flavors', f.id),
    ...(atLeast(req, '2.55') ? { description: f.description } : {}),
    ...(atLeast(req, '2.61') && extraSpecs ? { extra_specs: extraSpecs } : {}),
  };
}
