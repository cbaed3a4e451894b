import { envInt } from '@kumo/service-kit';
import { z } from 'zod';

const list = (def = '') =>
  z
    .string()
    .default(def)
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    );
const ratio = (def: number) => z.coerce.number().positive().max(1000).default(def);

/** The scheduler's settings (KUMO_SCHEDULER_*), parsed once by whoever starts it; all have defaults. */
export const schedulerConfigSchema = z.object({
  KUMO_SCHEDULER_PORT: envInt(8778, 0, 65_535),
  /** HTTPS listener for agents (join, registration, heartbeats). */
  KUMO_SCHEDULER_AGENT_PORT: envInt(8779, 0, 65_535),
  /** Names/IPs in the agent listener's server certificate (agents must reach it by one of them). */
  KUMO_SCHEDULER_AGENT_NAMES: list('localhost,127.0.0.1'),
  KUMO_SCHEDULER_CPU_RATIO: ratio(4),
  KUMO_SCHEDULER_RAM_RATIO: ratio(1),
  KUMO_SCHEDULER_DISK_RATIO: ratio(1),
  KUMO_SCHEDULER_RESERVED_RAM_MB: envInt(512, 0, 1 << 30),
  KUMO_SCHEDULER_RESERVED_VCPUS: envInt(0, 0, 1 << 20),
  KUMO_SCHEDULER_RESERVED_DISK_GB: envInt(0, 0, 1 << 30),
  /** spread: most free RAM first; pack: least free RAM first. */
  KUMO_SCHEDULER_WEIGHER: z.enum(['spread', 'pack']).default('spread'),
  /** A host is down when its last heartbeat is older than this. */
  KUMO_SCHEDULER_HOST_DOWN_MS: envInt(60_000, 1, 86_400_000),
  /** Hosts that only take the images of KUMO_SCHEDULER_ISOLATED_IMAGES (and those images only go there). */
  KUMO_SCHEDULER_ISOLATED_HOSTS: list(),
  KUMO_SCHEDULER_ISOLATED_IMAGES: list(),
  /** How often the in-memory host snapshot is re-read from Postgres. */
  KUMO_SCHEDULER_REFRESH_MS: envInt(1000, 10, 600_000),
  /** Hosts tried in weight order when claims lose races, before giving up. */
  KUMO_SCHEDULER_MAX_ATTEMPTS: envInt(10, 1, 1000),
});

export type SchedulerConfig = z.infer<typeof schedulerConfigSchema>;
