import { callerOf, invalid, isKumoError, KumoError, type TokenData } from '@kumo/service-kit';
import type { FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import { interfacesOf } from '../db/server-interfaces.repo.js';
import { metadataOf, tagsOf } from '../db/server-metadata.repo.js';
import { getServer, type ServerRow } from '../db/servers.repo.js';
import type { FlavorSnapshot } from '../domain/server-record.js';
import { canonicalUuid, isUuid, notFoundServer } from '../domain/server-validation.js';
import { atLeast } from '../http/microversion.js';
import { refreshAddresses } from '../network/network-info.js';
import { type ServerViewOpts, serverView } from '../views/servers.view.js';

/** Helpers shared by the server routes: loading with tenant scoping, rendering, dispatching. */

export type Caller = TokenData;
export type ImageInfo = Awaited<ReturnType<ComputeContext['images']['getImage']>>;
type HostInfo = Awaited<ReturnType<ComputeContext['scheduler']['getHost']>>;

/** Who may see and act on any project's servers. */
export const isComputeAdmin = (ctx: ComputeContext, tok: Caller) =>
  ctx.policy.enforce('os_compute_api:servers:admin', tok);

/**
 * The server `id` for this caller, authorized for `rule`. A malformed id,
 * another project's server (for non-admins) and a deleted server are all
 * Nova's 404 "Instance <id> could not be found.".
 */
export async function loadServer(
  ctx: ComputeContext,
  req: FastifyRequest,
  id: string,
  rule: string,
  opts: { includeDeleted?: boolean } = {},
): Promise<{ row: ServerRow; tok: Caller; admin: boolean }> {
  const tok = callerOf(req);
  if (!isUuid(id)) throw notFoundServer(id);
  const row = await getServer(ctx.db, canonicalUuid(id), opts);
  const admin = isComputeAdmin(ctx, tok);
  if (!row || (!admin && row.projectId !== tok.project?.id)) throw notFoundServer(id);
  ctx.policy.authorize(rule, tok, { project_id: row.projectId, user_id: row.userId });
  return { row, tok, admin };
}

/** The project a caller creates servers in; a token without a project cannot. */
export function projectOf(tok: Caller): string {
  if (!tok.project) throw new KumoError('forbidden', 'A project-scoped token is required to manage servers.');
  return tok.project.id;
}

/** Nova's host_status of a host record. */
const hostStatus = (h: HostInfo | undefined): string =>
  !h ? 'UNKNOWN' : !h.enabled ? 'MAINTENANCE' : h.status === 'up' ? 'UP' : 'DOWN';

/** Host records for admin views (hypervisor name, host_status); an unreachable scheduler gives UNKNOWN. */
export async function hostsFor(
  ctx: ComputeContext,
  rows: ServerRow[],
): Promise<Map<string, HostInfo | undefined>> {
  const hosts = [...new Set(rows.map((r) => r.host).filter((h): h is string => !!h))];
  const out = new Map<string, HostInfo | undefined>();
  if (!hosts.length) return out;
  try {
    if (hosts.length === 1) out.set(hosts[0]!, await ctx.scheduler.getHost(hosts[0]!));
    else for (const h of await ctx.scheduler.listHosts()) out.set(h.id, h);
  } catch (err) {
    ctx.log.warn({ err }, 'host status unavailable');
  }
  return out;
}

/** Servers in Nova's shape, with their metadata and tags loaded in two queries. */
export async function renderServers(
  ctx: ComputeContext,
  req: FastifyRequest,
  rows: ServerRow[],
  mode: ServerViewOpts['mode'],
): Promise<Record<string, unknown>[]> {
  const tok = callerOf(req);
  const ids = rows.map((r) => r.id);
  const [meta, tags] = await Promise.all([
    metadataOf(ctx.db, ids),
    atLeast(req, '2.26') ? tagsOf(ctx.db, ids) : Promise.resolve(new Map<string, string[]>()),
  ]);
  const extendedAttrs = ctx.policy.enforce('os_compute_api:os-extended-server-attributes', tok);
  const wantHostStatus =
    atLeast(req, '2.16') &&
    mode !== 'update' &&
    mode !== 'rebuild' &&
    ctx.policy.enforce('os_compute_api:servers:show:host_status', tok);
  const hosts = wantHostStatus ? await hostsFor(ctx, rows) : new Map<string, HostInfo | undefined>();
  const isAdmin = isComputeAdmin(ctx, tok);
  return rows.map((r) =>
    serverView(
      req,
      r,
      { metadata: meta.get(r.id) ?? {}, tags: tags.get(r.id) ?? [] },
      {
        mode,
        extendedAttrs,
        isAdmin,
        hostStatus: wantHostStatus ? (r.host ? hostStatus(hosts.get(r.host)) : '') : undefined,
      },
    ),
  );
}

export async function renderServer(
  ctx: ComputeContext,
  req: FastifyRequest,
  row: ServerRow,
  mode: ServerViewOpts['mode'],
) {
  const [one] = await renderServers(ctx, req, [row], mode);
  return one!;
}

/**
 * A server's addresses, fresh from the network service when it has interfaces
 * (floating IPs change there without compute knowing); the cached ones when it
 * has none or the network service does not answer.
 */
export async function currentAddresses(
  ctx: ComputeContext,
  row: ServerRow,
): Promise<Record<string, unknown[]>> {
  if (!ctx.network || row.deletedAt) return row.addresses;
  const rows = await interfacesOf(ctx.db, row.id);
  if (!rows.length) return row.addresses;
  try {
    return await refreshAddresses(ctx, row.id, rows);
  } catch (err) {
    ctx.log.warn({ err, serverId: row.id }, 'addresses not refreshed: network service unavailable');
    return row.addresses;
  }
}

/** Hands committed outbox tasks to the workers; a failure is logged (the outbox reconciler retries). */
export async function dispatchAll(ctx: ComputeContext, req: FastifyRequest, taskIds: (string | null)[]) {
  for (const id of taskIds) {
    if (!id) continue;
    try {
      await ctx.tasks.dispatch(id);
    } catch (err) {
      req.log.warn({ err, taskId: id }, 'task dispatch failed; the outbox reconciler will retry it');
    }
  }
}

/**
 * The image a server boots from, checked like Nova: visible to the caller,
 * active, and fitting the flavor (min_ram, min_disk, size). All failures are 400.
 */
export async function checkImage(
  ctx: ComputeContext,
  req: FastifyRequest,
  imageId: string,
  flavor: FlavorSnapshot,
): Promise<ImageInfo> {
  if (!isUuid(imageId)) throw invalid(`Invalid imageRef provided: ${imageId}.`);
  let image: ImageInfo;
  try {
    image = await ctx.images.getImage(req.authToken ?? '', imageId);
  } catch (err) {
    if (isKumoError(err) && (err.kind === 'not_found' || err.kind === 'forbidden'))
      throw invalid(`Image ${imageId} could not be found.`);
    throw err;
  }
  if (!image) throw invalid(`Image ${imageId} could not be found.`);
  if (image.status !== 'active') throw invalid(`Image ${imageId} is not active.`);
  if ((image.min_ram ?? 0) > flavor.ramMb)
    throw invalid(
      `Flavor's memory is too small for requested image: ${flavor.ramMb} MB < ${image.min_ram} MB.`,
    );
  if (flavor.diskGb > 0) {
    if ((image.min_disk ?? 0) > flavor.diskGb)
      throw invalid(
        `Flavor's disk is too small for requested image: ${flavor.diskGb} GB < ${image.min_disk} GB.`,
      );
    const bytes = flavor.diskGb * 1024 ** 3;
    if ((image.size ?? 0) > bytes)
      throw invalid(
        `Flavor's disk is too small for requested image. Flavor disk is ${bytes} bytes, image is ${image.size} bytes.`,
      );
  }
  return image;
}
