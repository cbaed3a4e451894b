import { z } from 'zod';
import type { FlavorSnapshot } from './server-record.js';

/**
 * The contract between the API (which validates, checks state, moves
 * task_state and writes a `server_tasks` outbox row in one transaction) and the
 * task worker (jobs/, which runs the saga on the host and settles the state).
 */
export const SERVER_TASK_KINDS = [
  'build',
  'delete',
  'start',
  'stop',
  'reboot',
  'pause',
  'unpause',
  'suspend',
  'resume',
  'rebuild',
  'resize',
  'confirm_resize',
  'revert_resize',
  'create_image',
  'attach_interface',
  'detach_interface',
] as const;
export type ServerTaskKind = (typeof SERVER_TASK_KINDS)[number];

const flavorSnapshot: z.ZodType<FlavorSnapshot> = z.object({
  id: z.string(),
  name: z.string(),
  vcpus: z.number().int(),
  ramMb: z.number().int(),
  diskGb: z.number().int(),
  ephemeralGb: z.number().int(),
  swapMb: z.number().int(),
  extraSpecs: z.record(z.string(), z.string()),
});

/** Parameters per kind (what the server row does not already hold). */
export const taskParams = {
  build: z.object({
    /** Scheduler hints: `group` is the server group id (also in servers.server_group_id). */
    forceHost: z.string().optional(),
    adminPass: z.string().optional(),
    /** The security groups (ids) of the ports compute creates; absent: the project's default group. */
    securityGroupIds: z.array(z.string()).optional(),
  }),
  delete: z.object({}),
  start: z.object({}),
  stop: z.object({}),
  reboot: z.object({ type: z.enum(['SOFT', 'HARD']) }),
  pause: z.object({}),
  unpause: z.object({}),
  suspend: z.object({}),
  resume: z.object({}),
  rebuild: z.object({ imageId: z.string(), name: z.string().optional(), adminPass: z.string().optional() }),
  /** The new flavor; the old one is in servers.old_flavor once the API accepted the resize. */
  resize: z.object({ flavor: flavorSnapshot }),
  confirm_resize: z.object({}),
  revert_resize: z.object({}),
  /** The image was created (queued) in the image service by the API; the worker uploads the disk into it. */
  create_image: z.object({
    imageId: z.string(),
    /** createBackup: once uploaded, only the newest `rotation` backups of this type of the server are kept. */
    backup: z.object({ type: z.string(), rotation: z.number().int().min(0) }).optional(),
  }),
  /**
   * Hot-plug a port the API checked (and created, for a network: createdByNova): the worker binds it to the
   * server's host, plugs the VIF and attaches it to the domain; a failure deletes/unbinds it again.
   */
  attach_interface: z.object({ portId: z.string(), createdByNova: z.boolean(), tag: z.string().optional() }),
  detach_interface: z.object({ portId: z.string() }),
} satisfies Record<ServerTaskKind, z.ZodType>;

export type TaskParams<K extends ServerTaskKind> = z.infer<(typeof taskParams)[K]>;

/** Hands a committed outbox row to the workers (BullMQ job `server-task:<taskId>`). */
export interface TaskDispatcher {
  dispatch(taskId: string): Promise<void>;
}
