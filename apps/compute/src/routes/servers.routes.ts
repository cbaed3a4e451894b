import { invalid } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import { startServerTask } from '../db/instance-actions.repo.js';
import { updateServerFields } from '../db/servers.repo.js';
import { checkLock } from '../domain/server-states.js';
import {
  accessIpField,
  descriptionField,
  diskConfigField,
  hostnameField,
  hostnameFromName,
  nameField,
  notFoundServer,
  requireEnvelope,
} from '../domain/server-validation.js';
import { atLeast } from '../http/microversion.js';
import { virtualInterfaceRoutes } from './nova-fixed-ips.js';
import { serverActionRoutes } from './server-actions.routes.js';
import { currentAddresses, dispatchAll, loadServer, renderServer } from './server-common.js';
import { serverCreateRoutes } from './server-create.routes.js';
import { serverExtraRoutes } from './server-extras.routes.js';
import { serverInstanceActionRoutes } from './server-instance-actions.routes.js';
import { serverInterfaceRoutes } from './server-interfaces.routes.js';
import { serverListRoutes } from './server-list.routes.js';
import { serverMetadataRoutes } from './server-metadata.routes.js';
import { serverTagRoutes } from './server-tags.routes.js';

type IdReq = FastifyRequest<{ Params: { id: string } }>;

/**
 * The servers API (Nova v2.1 `/servers` and its sub-resources): create, list,
 * show, update, delete, actions, metadata, tags, instance actions, console
 * output, ips. Every change of state goes through the outbox (server_tasks).
 */
export function serverRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  serverCreateRoutes(app, ctx);
  serverListRoutes(app, ctx);

  app.get('/v2.1/servers/:id', async (req: IdReq) => {
    const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:servers:show');
    const addresses = await currentAddresses(ctx, row);
    return { server: await renderServer(ctx, req, { ...row, addresses }, 'show') };
  });

  app.put('/v2.1/servers/:id', async (req: IdReq) => {
    const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:servers:update');
    const body = requireEnvelope(req.body, 'server');
    const set: Parameters<typeof updateServerFields>[2] = {};
    let hostname: string | undefined;
    for (const [k, v] of Object.entries(body)) {
      switch (k) {
        case 'hostname':
          if (!atLeast(req, '2.90')) throw unexpected(k);
          hostname = hostnameField(v);
          break;
        case 'name':
          set.name = nameField('name', v);
          set.hostname = hostnameFromName(set.name, `server-${row.id}`);
          break;
        case 'description':
          if (!atLeast(req, '2.19')) throw unexpected(k);
          set.description = descriptionField(v);
          break;
        case 'accessIPv4':
          set.accessIpv4 = accessIpField('accessIPv4', v);
          break;
        case 'accessIPv6':
          set.accessIpv6 = accessIpField('accessIPv6', v);
          break;
        case 'OS-DCF:diskConfig':
          diskConfigField(v);
          break;
        default:
          throw unexpected(k);
      }
    }
    if (hostname !== undefined) set.hostname = hostname;
    const updated = Object.keys(set).length ? await updateServerFields(ctx.db, row.id, set) : row;
    if (!updated) throw notFoundServer(req.params.id);
    return { server: await renderServer(ctx, req, updated, 'update') };
  });

  app.delete('/v2.1/servers/:id', async (req: IdReq, reply) => {
    const { row, tok, admin } = await loadServer(ctx, req, req.params.id, 'os_compute_api:servers:delete');
    const res = await startServerTask(ctx.db, {
      serverId: row.id,
      guard: (cur) => {
        checkLock(cur, admin);
        return cur.taskState === 'deleting' ? 'skip' : undefined;
      },
      set: () => ({ taskState: 'deleting' }),
      action: { requestId: req.id, action: 'delete', projectId: row.projectId, userId: tok.user.id },
      task: { kind: 'delete', params: {} },
    });
    if (!res) throw notFoundServer(req.params.id);
    await dispatchAll(ctx, req, [res.taskId]);
    return reply.code(204).send();
  });

  serverActionRoutes(app, ctx);
  serverMetadataRoutes(app, ctx);
  serverTagRoutes(app, ctx);
  serverInstanceActionRoutes(app, ctx);
  serverExtraRoutes(app, ctx);
  serverInterfaceRoutes(app, ctx);
  virtualInterfaceRoutes(app, ctx);
}

const unexpected = (k: string) =>
  invalid(
    `Invalid input for field/attribute server. Additional properties are not allowed ('${k}' was unexpected)`,
  );
