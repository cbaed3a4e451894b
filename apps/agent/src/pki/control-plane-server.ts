import { KumoError, type Logger, sendError, toKumoError } from '@kumo/service-kit';
import Fastify, { type FastifyInstance } from 'fastify';
import { type ControlPlane, controlPlaneRoutes } from './control-plane.js';

export interface ControlPlaneServer {
  app: FastifyInstance;
  /** https://host:port */
  url: string;
  close(): Promise<void>;
}

/**
 * The agent-facing HTTPS app with the enrolment routes; it does not listen.
 * It asks every client for a certificate but lets those without one through:
 * joining agents have none yet; the routes that need one check it. The
 * scheduler serves it on its agent port.
 */
export async function buildControlPlaneApp(opts: {
  controlPlane: ControlPlane;
  /** Names the agents use to reach it (the first is the CN). */
  names: string[];
  logger?: Logger;
}): Promise<FastifyInstance> {
  const id = await opts.controlPlane.serverIdentity(opts.names);
  const app = Fastify({
    https: { key: id.keyPem, cert: id.certPem, ca: id.caPem, requestCert: true, rejectUnauthorized: false },
    bodyLimit: 64 * 1024,
  });
  app.setErrorHandler((err, req, reply) => {
    const ke = toKumoError(err);
    if (ke.kind === 'internal') opts.logger?.error({ err, url: req.url }, 'unhandled error');
    return sendError(reply, 'kumo', ke);
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, 'kumo', new KumoError('not_found', `Not found: ${req.method} ${req.url.split('?')[0]}`)),
  );
  await app.register(controlPlaneRoutes, { controlPlane: opts.controlPlane, logger: opts.logger });
  return app;
}

/** A stand-alone listener for the enrolment routes (the agent's tests and tools). */
export async function startControlPlaneServer(opts: {
  controlPlane: ControlPlane;
  host?: string;
  port?: number;
  /** Names the agents use to reach it (the first is the CN). Default: the listen host. */
  names?: string[];
  logger?: Logger;
}): Promise<ControlPlaneServer> {
  const host = opts.host ?? '127.0.0.1';
  const app = await buildControlPlaneApp({
    controlPlane: opts.controlPlane,
    names: opts.names ?? [host],
    logger: opts.logger,
  });
  await app.listen({ host, port: opts.port ?? 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return { app, url: `https://${urlHost}:${port}`, close: () => app.close() };
}
