import { isKumoError, KumoError } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import { basicAddresses } from '../domain/server-networks.js';
import { consoleLengthField, type Obj } from '../domain/server-validation.js';
import { currentAddresses, loadServer } from './server-common.js';

type IdReq = FastifyRequest<{ Params: { id: string } }>;

const CHUNK = 1024 * 1024;
/** At most this much of the log's end is kept while reading (Nova reads the whole file; the tail is what matters). */
const KEEP = 4 * CHUNK;
const MAX_CHUNKS = 256;

/**
 * The tail of a log as Nova cuts it: the last `n` pieces of the text split on '\n', joined again (all when n is
 * null). A trailing newline counts as an (empty) last piece, so `length: 3` gives 3 pieces when split on '\n'.
 */
export function tailLines(text: string, n: number | null): string {
  if (n === null) return text;
  if (n === 0) return '';
  return text.split('\n').slice(-n).join('\n');
}

/** `os-getConsoleOutput`: the guest's serial log through the host's agent, optionally its last `length` lines. */
export async function consoleOutput(
  ctx: ComputeContext,
  req: FastifyRequest<{ Params: { id: string } }>,
  args: Obj,
) {
  const length = consoleLengthField(args.length);
  const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-console-output');
  if (!row.host || row.vmState === 'building')
    throw new KumoError('conflict', `Instance ${row.id} is not ready`);
  let text = '';
  try {
    const port = await ctx.agents.forHost(row.host);
    let offset = 0;
    for (let i = 0; i < MAX_CHUNKS; i++) {
      const res = await port.compute.readConsoleLog(
        { instanceId: row.id, offset, limit: CHUNK },
        { requestId: req.id, deadlineMs: 10_000 },
      );
      if (!res.data) break;
      text += res.data;
      if (text.length > KEEP) text = text.slice(text.length - KEEP);
      const next = Number(res.nextOffset);
      if (!(next > offset)) break;
      offset = next;
    }
  } catch (err) {
    if (isKumoError(err)) throw err;
    if ((err as { code?: number }).code === 5)
      throw new KumoError('not_found', 'Guest does not have a console available.');
    req.log.warn({ err, host: row.host }, 'console log unavailable');
    throw new KumoError(
      'unavailable',
      `The console of instance ${row.id} cannot be read now: its host does not answer.`,
    );
  }
  return { output: tailLines(text, length) };
}

export function serverExtraRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  app.get('/v2.1/servers/:id/ips', async (req: IdReq) => {
    const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:ips:index');
    return { addresses: basicAddresses(await currentAddresses(ctx, row)) };
  });

  app.get(
    '/v2.1/servers/:id/ips/:network',
    async (req: FastifyRequest<{ Params: { id: string; network: string } }>) => {
      const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:ips:show');
      const addrs = (await currentAddresses(ctx, row))[req.params.network];
      if (!addrs) throw new KumoError('not_found', 'There is no such network.');
      return basicAddresses({ [req.params.network]: addrs });
    },
  );

  app.get('/v2.1/servers/:id/os-server-password', async (req: IdReq) => {
    await loadServer(ctx, req, req.params.id, 'os_compute_api:os-server-password:show');
    return { password: '' };
  });

  app.delete('/v2.1/servers/:id/os-server-password', async (req: IdReq, reply) => {
    await loadServer(ctx, req, req.params.id, 'os_compute_api:os-server-password:clear');
    return reply.code(204).send();
  });
}
