import { invalid } from '@kumo/service-kit';
import type { FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import { atLeast } from '../http/microversion.js';
import { loadServer } from './server-common.js';

/**
 * The `migrate` server action (cold migration, admin). Kumo moves no disks
 * between hosts yet, so after Nova's checks (the server exists and is the
 * caller's to see: else 404; the policy: else 403; the body) it answers as a
 * Nova that finds no other host for the server: 400.
 */
export async function migrateAction(
  ctx: ComputeContext,
  req: FastifyRequest<{ Params: { id: string } }>,
  args: Record<string, unknown>,
): Promise<never> {
  const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-migrate-server:migrate');
  for (const k of Object.keys(args))
    if (k !== 'host' || !atLeast(req, '2.56'))
      throw invalid(
        `Invalid input for field/attribute migrate. Additional properties are not allowed ('${k}' was unexpected)`,
      );
  throw invalid(
    `No valid host was found. Cold migration of server ${row.id} is not supported: Kumo does not move a server's disks between hosts yet.`,
  );
}
