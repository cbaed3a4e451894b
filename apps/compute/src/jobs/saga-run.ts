import type { Logger } from '@kumo/service-kit';
import { agentFailure } from '../agents/agent-errors.js';
import type { AgentPort } from '../agents/connector.js';
import type { ComputeContext } from '../context.js';
import type { ServerTaskRow } from '../db/tasks.repo.js';
import {
  loadServerRow,
  patchServer,
  recordActionEvent,
  type ServerPatch,
  type ServerRow,
} from '../db/worker.repo.js';
import type { TaskState } from '../domain/states.js';
import { Revert } from './revert.js';

/** What the task worker needs: the compute context without the dispatcher it provides. */
export type WorkerContext = Omit<ComputeContext, 'tasks'>;

/** A step failed; `message` is what the user sees in a fault or event traceback. */
export class StepFailed extends Error {
  constructor(
    readonly step: string,
    message: string,
    /** The host did not answer: the work may be retried when it returns. */
    readonly unreachable: boolean,
    readonly notFound = false,
  ) {
    super(message);
    this.name = 'StepFailed';
  }
}

/** Someone else moved the server's task_state (a delete during a build): stop, undo, settle nothing. */
export class Superseded extends Error {
  constructor(serverId: string, expected: string | null) {
    super(`server ${serverId} left task_state ${expected ?? 'none'} while the task ran`);
    this.name = 'Superseded';
  }
}

const DEFAULT_DEADLINE_MS = 10 * 60_000;

/**
 * One run of a saga on one server: its steps (each an instance action event
 * `compute_<step>`), its undo stack, and compare-and-swap moves of task_state
 * so a concurrent delete wins over a running build.
 */
export class SagaRun {
  readonly undo = new Revert();
  /** The task_state this run expects the server to be in (moved by `advance`). */
  taskState: TaskState | null;

  constructor(
    readonly ctx: WorkerContext,
    readonly task: ServerTaskRow,
    public server: ServerRow,
    readonly log: Logger,
  ) {
    this.taskState = server.taskState as TaskState | null;
  }

  get serverId(): string {
    return this.server.id;
  }

  /** Call options for agent RPCs: the request id travels along. */
  call(deadlineMs = DEFAULT_DEADLINE_MS) {
    return { requestId: this.task.requestId, deadlineMs };
  }

  /** The agent of the server's host (throws StepFailed when it is unknown or unreachable). */
  async agent(step = 'connect'): Promise<AgentPort> {
    const host = this.server.host;
    if (!host) throw new StepFailed(step, `server ${this.serverId} has no host`, false);
    try {
      return await this.ctx.agents.forHost(host);
    } catch (err) {
      const f = agentFailure(err);
      throw new StepFailed(step, `host ${host} is unreachable: ${f.message}`, true);
    }
  }

  /**
   * Run one step as the instance action event `compute_<name>` (written when
   * it ends, with its start time: one write per step); failures become StepFailed.
   */
  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const startTime = new Date();
    const record = (result: 'Success' | 'Error', traceback?: string) =>
      this.task.actionId == null
        ? Promise.resolve()
        : recordActionEvent(this.ctx.db, {
            actionId: this.task.actionId,
            event: `compute_${name}`,
            host: this.server.host,
            startTime,
            result,
            traceback,
          });
    try {
      const out = await fn();
      await record('Success');
      return out;
    } catch (err) {
      const failed =
        err instanceof StepFailed || err instanceof Superseded
          ? err
          : (() => {
              const f = agentFailure(err);
              return new StepFailed(name, f.message, f.unreachable, f.notFound);
            })();
      await record('Error', failed.message);
      throw failed;
    }
  }

  /** Move task_state from the expected one (compare-and-swap), with more fields if given. */
  async advance(taskState: TaskState | null, patch: ServerPatch = {}): Promise<void> {
    const row = await patchServer(
      this.ctx.db,
      this.serverId,
      { ...patch, taskState },
      { taskState: this.taskState, notDeleted: true },
    );
    if (!row) throw new Superseded(this.serverId, this.taskState);
    this.taskState = taskState;
    this.server = row;
  }

  /** Final state: task_state cleared (compare-and-swap as advance). */
  settle(patch: ServerPatch): Promise<void> {
    return this.advance(null, patch);
  }

  async reload(): Promise<ServerRow> {
    const row = await loadServerRow(this.ctx.db, this.serverId);
    if (row) this.server = row;
    return this.server;
  }
}
