import { type Logger, pino } from 'pino';

export type { Logger };

export function createLogger(opts: {
  service: string;
  level?: string;
  destination?: NodeJS.WritableStream;
}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { service: opts.service },
      redact: {
        paths: ['req.headers["x-auth-token"]', 'req.headers["x-subject-token"]', '*.password', '*.secret'],
        censor: '***',
      },
    },
    opts.destination ?? process.stdout,
  );
}
