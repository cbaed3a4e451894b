import { callerOf, forbidden, invalid } from '@kumo/service-kit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ComputeContext } from '../context.js';
import { type ServerTaskStart, startServerTask } from '../db/instance-actions.repo.js';
import { lockProjectQuota, serverLimitsFor, usageFor } from '../db/quota-usage.repo.js';
import { replaceMetadataTx } from '../db/server-metadata.repo.js';
import { findFlavor, resetServerState, type ServerRow } from '../db/servers.repo.js';
import { checkResizeQuota } from '../domain/server-quota.js';
import { ACTION_RULES, type ActionRule, checkActionState, invalidState } from '../domain/server-states.js';
import {
  actionArgsOf,
  badField,
  diskConfigField,
  isObj,
  nameField,
  notFoundServer,
  type Obj,
  refId,
} from '../domain/server-validation.js';
import { atLeast } from '../http/microversion.js';
import { baseUrl } from '../http/nova-request.js';
import { addFixedIp, removeFixedIp } from './nova-fixed-ips.js';
import { addFloatingIp, removeFloatingIp } from './nova-floating-ips.routes.js';
import { changeServerGroup } from './nova-security-groups.routes.js';
import { dispatchAll, loadServer, renderServer } from './server-common.js';
import { consoleOutput } from './server-extras.routes.js';
import { migrateAction } from './server-migrate.js';
import { rebuildArgs } from './server-rebuild.js';

type ActionReq = FastifyRequest<{ Params: { id: string } }>;
type Handler = (ctx: ComputeContext, req: ActionReq, reply: FastifyReply, args: Obj) => Promise<unknown>;

/** Starts a state-changing action: policy, guard, task_state CAS, action record, outbox task, dispatch. */
async function act(
  ctx: ComputeContext,
  req: ActionReq,
  policyRule: string,
  rule: ActionRule,
  o: {
    params?: Record<string, unknown>;
    set?: ServerTaskStart['set'];
    within?: (tx: Parameters<NonNullable<ServerTaskStart['within']>>[0], row: ServerRow) => Promise<void>;
  } = {},
): Promise<ServerRow> {
  const { row, tok, admin } = await loadServer(ctx, req, req.params.id, policyRule);
  const res = await startServerTask(ctx.db, {
    serverId: row.id,
    guard: (cur) => checkActionState(cur, rule, admin),
    set: (cur) => ({ taskState: rule.next, ...o.set?.(cur) }),
    action: { requestId: req.id, action: rule.action, projectId: row.projectId, userId: tok.user.id },
    task: { kind: rule.kind, params: o.params ?? {} },
    within: o.within,
  });
  if (!res) throw notFoundServer(req.params.id);
  await dispatchAll(ctx, req, [res.taskId]);
  return res.row;
}

const accepted = (reply: FastifyReply) => reply.code(202).send();

/** The arguments of an action: only `allowed` keys, all of `required` (Nova's schema messages). */
function onlyKeys(action: string, args: Obj, allowed: string[], required: string[]): void {
  for (const k of Object.keys(args))
    if (!allowed.includes(k))
      throw invalid(
        `Invalid input for field/attribute ${action}. Additional properties are not allowed ('${k}' was unexpected)`,
      );
  for (const k of required)
    if (args[k] === undefined)
      throw invalid(`Invalid input for field/attribute ${action}. '${k}' is a required property`);
}

function metadataArg(v: unknown): Obj {
  const meta = v === undefined ? {} : v;
  if (!isObj(meta)) throw badField('metadata', meta, "is not of type 'object'");
  return meta;
}

const SNAPSHOT_POLICY = {
  createImage: 'os_compute_api:servers:create_image',
  createBackup: 'os_compute_api:os-create-backup',
} as const;

/**
 * createImage / createBackup: a queued image in the image service (the caller's, private, tagged with the
 * server), then the action; the worker uploads the root disk into it (and rotates backups). A refused action
 * deletes the image again. 202 with the image's Location, or `{image_id}` from 2.45.
 */
async function snapshot(
  ctx: ComputeContext,
  req: ActionReq,
  reply: FastifyReply,
  kind: keyof typeof SNAPSHOT_POLICY,
  o: {
    name: string;
    metadata: Obj;
    props: Record<string, string>;
    backup?: { type: string; rotation: number };
    location?: boolean;
  },
) {
  const rule = ACTION_RULES[kind];
  const { row, admin } = await loadServer(ctx, req, req.params.id, SNAPSHOT_POLICY[kind]);
  checkActionState(row, rule, admin); // fail before creating anything
  // as Nova: the caller's metadata takes precedence over the properties describing the snapshot, except
  // a backup's backup_type
  const image = await ctx.images.createImage(req.authToken ?? '', {
    disk_format: 'qcow2',
    container_format: 'bare',
    visibility: 'private',
    instance_uuid: row.id,
    user_id: callerOf(req).user.id,
    base_image_ref: row.imageId ?? '',
    ...o.props,
    ...o.metadata,
    ...(o.backup ? { backup_type: o.backup.type } : {}),
    name: o.name,
  });
  try {
    await act(ctx, req, SNAPSHOT_POLICY[kind], rule, {
      params: { imageId: image.id, ...(o.backup ? { backup: o.backup } : {}) },
    });
  } catch (err) {
    await ctx.images.deleteImage(req.authToken ?? '', image.id).catch((e: unknown) => {
      req.log.warn({ err: e, imageId: image.id }, `could not delete the image of a refused ${kind}`);
    });
    throw err;
  }
  reply.code(202);
  if (atLeast(req, '2.45')) return reply.send({ image_id: image.id });
  if (o.location !== false) reply.header('location', `${baseUrl(req)}/v2.1/images/${image.id}`);
  return reply.send();
}

const simple =
  (policyRule: string, rule: ActionRule): Handler =>
  async (ctx, req, reply) => {
    await act(ctx, req, policyRule, rule);
    return accepted(reply);
  };

const noArgs = (name: string, args: Obj) => {
  const extra = Object.keys(args)[0];
  if (extra !== undefined)
    throw invalid(
      `Invalid input for field/attribute ${name}. Additional properties are not allowed ('${extra}' was unexpected)`,
    );
};

const HANDLERS: Record<string, Handler> = {
  'os-start': simple('os_compute_api:servers:start', ACTION_RULES.start),
  'os-stop': simple('os_compute_api:servers:stop', ACTION_RULES.stop),
  pause: simple('os_compute_api:os-pause-server:pause', ACTION_RULES.pause),
  unpause: simple('os_compute_api:os-pause-server:unpause', ACTION_RULES.unpause),
  suspend: simple('os_compute_api:os-suspend-server:suspend', ACTION_RULES.suspend),
  resume: simple('os_compute_api:os-suspend-server:resume', ACTION_RULES.resume),
  revertResize: simple('os_compute_api:servers:revert_resize', ACTION_RULES.revertResize),

  async reboot(ctx, req, reply, args) {
    const type = args.type;
    if (type === undefined)
      throw invalid("Invalid input for field/attribute reboot. 'type' is a required property");
    if (typeof type !== 'string' || !['SOFT', 'HARD'].includes(type.toUpperCase()))
      throw badField('type', type, "is not one of ['HARD', 'Hard', 'hard', 'SOFT', 'Soft', 'soft']");
    const hard = type.toUpperCase() === 'HARD';
    await act(
      ctx,
      req,
      'os_compute_api:servers:reboot',
      hard ? ACTION_RULES.rebootHard : ACTION_RULES.rebootSoft,
      {
        params: { type: hard ? 'HARD' : 'SOFT' },
      },
    );
    return accepted(reply);
  },

  async confirmResize(ctx, req, reply) {
    await act(ctx, req, 'os_compute_api:servers:confirm_resize', ACTION_RULES.confirmResize);
    return reply.code(204).send();
  },

  async resize(ctx, req, reply, args) {
    for (const k of Object.keys(args))
      if (k !== 'flavorRef' && k !== 'OS-DCF:diskConfig')
        throw invalid(
          `Invalid input for field/attribute resize. Additional properties are not allowed ('${k}' was unexpected)`,
        );
    if (args.flavorRef === undefined || args.flavorRef === null)
      throw invalid("Invalid input for field/attribute resize. 'flavorRef' is a required property");
    if (args['OS-DCF:diskConfig'] !== undefined) diskConfigField(args['OS-DCF:diskConfig']);
    const flavorId = refId('flavorRef', args.flavorRef);
    const { row, admin } = await loadServer(ctx, req, req.params.id, 'os_compute_api:servers:resize');
    const flavor = await findFlavor(ctx.db, flavorId, { projectId: row.projectId, isAdmin: admin });
    if (!flavor) throw invalid(`Flavor ${flavorId} could not be found.`);
    if (flavor.id === row.flavor.id) throw invalid('When resizing, instances must change flavor!');
    if (flavor.diskGb < row.flavor.diskGb) throw invalid('Resize error: Unable to resize disk down.');
    await act(ctx, req, 'os_compute_api:servers:resize', ACTION_RULES.resize, {
      params: { flavor },
      set: (cur) => ({ oldFlavor: cur.flavor }),
      within: async (tx, cur) => {
        await lockProjectQuota(tx, cur.projectId);
        const usage = await usageFor(tx, cur.projectId);
        const limits = await serverLimitsFor(tx, cur.projectId, ctx.settings.quotaDefaults);
        checkResizeQuota(usage, limits, {
          cores: flavor.vcpus - cur.flavor.vcpus,
          ram: flavor.ramMb - cur.flavor.ramMb,
        });
      },
    });
    return accepted(reply);
  },

  async rebuild(ctx, req, reply, args) {
    const { row: before } = await loadServer(ctx, req, req.params.id, 'os_compute_api:servers:rebuild');
    const r = await rebuildArgs(ctx, req, before, args);
    const row = await act(ctx, req, 'os_compute_api:servers:rebuild', ACTION_RULES.rebuild, {
      params: { imageId: r.imageId, ...(r.set.name ? { name: r.set.name } : {}), adminPass: r.adminPass },
      set: () => r.set,
      within: async (tx, cur) => {
        if (r.metadata) await replaceMetadataTx(tx, cur.id, r.metadata);
      },
    });
    const server = await renderServer(ctx, req, row, 'rebuild');
    return reply.code(202).send({ server: { ...server, adminPass: r.adminPass } });
  },

  async createImage(ctx, req, reply, args) {
    onlyKeys('createImage', args, ['name', 'metadata'], ['name']);
    const name = nameField('name', args.name);
    return snapshot(ctx, req, reply, 'createImage', {
      name,
      metadata: metadataArg(args.metadata),
      props: { image_type: 'snapshot' },
    });
  },

  async createBackup(ctx, req, reply, args) {
    onlyKeys(
      'createBackup',
      args,
      ['name', 'backup_type', 'rotation', 'metadata'],
      ['name', 'backup_type', 'rotation'],
    );
    const name = nameField('name', args.name);
    if (typeof args.backup_type !== 'string')
      throw badField('backup_type', args.backup_type, "is not of type 'string'");
    const r = args.rotation;
    const rotation = typeof r === 'string' && /^\d{1,9}$/.test(r) ? Number(r) : r;
    if (typeof rotation !== 'number' || !Number.isInteger(rotation) || rotation < 0)
      throw badField('rotation', r, 'is not a non-negative integer');
    return snapshot(ctx, req, reply, 'createBackup', {
      name,
      metadata: metadataArg(args.metadata),
      props: { image_type: 'backup', backup_type: args.backup_type },
      backup: { type: args.backup_type, rotation },
      // Nova gives no Location for a backup that rotation removes at once
      location: rotation > 0,
    });
  },

  async lock(ctx, req, reply, args) {
    let reason: string | null = null;
    if (atLeast(req, '2.73') && args.locked_reason !== undefined) {
      if (typeof args.locked_reason !== 'string' || args.locked_reason.length > 255)
        throw badField('locked_reason', args.locked_reason, 'must be a string of at most 255 characters');
      reason = args.locked_reason;
    } else noArgs('lock', args);
    const { row, tok, admin } = await loadServer(
      ctx,
      req,
      req.params.id,
      'os_compute_api:os-lock-server:lock',
    );
    const res = await startServerTask(ctx.db, {
      serverId: row.id,
      guard: () => undefined,
      set: () => ({ locked: true, lockedBy: admin ? 'admin' : 'owner', lockedReason: reason }),
      action: { requestId: req.id, action: 'lock', projectId: row.projectId, userId: tok.user.id },
      task: null,
    });
    if (!res) throw notFoundServer(req.params.id);
    return accepted(reply);
  },

  async unlock(ctx, req, reply, args) {
    noArgs('unlock', args);
    const { row, tok } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-lock-server:unlock');
    const res = await startServerTask(ctx.db, {
      serverId: row.id,
      guard: (cur) => {
        if (
          cur.locked &&
          cur.lockedBy !== 'owner' &&
          !ctx.policy.enforce('os_compute_api:os-lock-server:unlock:unlock_override', tok, {
            project_id: cur.projectId,
          })
        )
          throw forbidden(
            `Instance ${cur.id} was locked by an administrator: only an administrator may unlock it.`,
          );
      },
      set: () => ({ locked: false, lockedBy: null, lockedReason: null }),
      action: { requestId: req.id, action: 'unlock', projectId: row.projectId, userId: tok.user.id },
      task: null,
    });
    if (!res) throw notFoundServer(req.params.id);
    return accepted(reply);
  },

  async 'os-resetState'(ctx, req, reply, args) {
    const state = args.state;
    if (state !== 'active' && state !== 'error')
      throw badField('state', state, "is not one of ['active', 'error']");
    const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-admin-actions:reset_state');
    if (!(await resetServerState(ctx.db, row.id, state))) throw notFoundServer(req.params.id);
    return accepted(reply);
  },

  async forceDelete(ctx, req) {
    const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-deferred-delete:force');
    throw invalidState('forceDelete', row.id, 'vm_state', row.vmState);
  },

  async restore(ctx, req) {
    const { row } = await loadServer(ctx, req, req.params.id, 'os_compute_api:os-deferred-delete:restore');
    throw invalidState('restore', row.id, 'vm_state', row.vmState);
  },

  migrate: (ctx, req, _reply, args) => migrateAction(ctx, req, args),

  async 'os-getConsoleOutput'(ctx, req, _reply, args) {
    return consoleOutput(ctx, req, args);
  },

  addSecurityGroup: (ctx, req, reply, args) => changeServerGroup(ctx, req, reply, args, 'add'),
  removeSecurityGroup: (ctx, req, reply, args) => changeServerGroup(ctx, req, reply, args, 'remove'),
  addFloatingIp: (ctx, req, reply, args) => addFloatingIp(ctx, req, reply, args),
  removeFloatingIp: (ctx, req, reply, args) => removeFloatingIp(ctx, req, reply, args),
  addFixedIp: (ctx, req, reply, args) => addFixedIp(ctx, req, reply, args),
  removeFixedIp: (ctx, req, reply, args) => removeFixedIp(ctx, req, reply, args),
};

export function serverActionRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  app.post('/v2.1/servers/:id/action', async (req: ActionReq, reply) => {
    const body = req.body;
    if (!isObj(body)) throw invalid('The request body must be a JSON object naming one action.');
    const names = Object.keys(body);
    if (names.length !== 1) throw invalid('Malformed request body: exactly one action is expected.');
    const name = names[0]!;
    const handler = HANDLERS[name];
    if (!handler) throw invalid(`There is no such action: ${name}`);
    return handler(ctx, req, reply, actionArgsOf(body, name));
  });
}
