import type { FastifyInstance } from 'fastify';
import type { Logger } from '../logger.js';

/** One mutating call: who, what, when, result. */
export interface AuditRecord {
  at: string;
  service: string;
  requestId: string;
  method: string;
  route: string;
  path: string;
  status: number;
  outcome: 'success' | 'failure';
  userId?: string;
  projectId?: string;
  domainId?: string;
  remoteAddr: string;
}

export type AuditSink = (rec: AuditRecord) => void;

/** The default sink: one JSON log line per record, tagged `audit: true`. */
export const logAuditSink =
  (log: Logger): AuditSink =>
  (rec) =>
    log.info({ audit: true, ...rec }, 'audit');

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function registerAudit(app: FastifyInstance, service: string, sink: AuditSink): void {
  app.addHook('onResponse', async (req, reply) => {
    if (!MUTATING.has(req.method)) return;
    const auth = req.auth;
    sink({
      at: new Date().toISOString(),
      service,
      requestId: req.id,
      method: req.method,
      route: req.routeOptions.url ?? 'unmatched',
      path: req.url.split('?')[0] ?? req.url,
      status: reply.statusCode,
      outcome: reply.statusCode < 400 ? 'success' : 'failure',
      userId: auth?.user.id,
      projectId: auth?.project?.id,
      domainId: auth?.domain?.id,
      remoteAddr: req.ip,
    });
  });
}
