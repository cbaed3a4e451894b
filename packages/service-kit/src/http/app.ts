import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import type { TokenData } from '../auth/token-data.js';
import type { TokenValidator } from '../auth/validator.js';
import { type ErrorKind, isKumoError, KumoError, unauthenticated } from '../errors.js';
import type { Logger } from '../logger.js';
import { type ErrorFormat, renderError } from '../render-error.js';
import { type AuditSink, logAuditSink, registerAudit } from './audit.js';
import { registerMetrics } from './metrics.js';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The validated token of the caller, when the route requires one. */
    auth: TokenData | undefined;
    /** The raw token string (for calls made on the caller's behalf). */
    authToken: string | undefined;
  }
  interface FastifyContextConfig {
    /** false: no token needed (version documents, health, token issue). */
    auth?: boolean;
  }
}

export interface ServiceAppDeps {
  service: string;
  logger: Logger;
  errorFormat: ErrorFormat;
  validator?: TokenValidator;
  /** Where a 401 points the client to authenticate. */
  authUri?: string;
  audit?: AuditSink;
  metrics?: Registry;
  /** Throws (or rejects) when the service cannot serve: /readyz answers 503. */
  readiness?: () => Promise<void>;
  bodyLimit?: number;
}

const kindOfStatus = (status: number): ErrorKind => {
  switch (status) {
    case 401:
      return 'unauthenticated';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 406:
      return 'not_acceptable';
    case 409:
      return 'conflict';
    case 413:
      return 'too_large';
    case 415:
      return 'unsupported_media';
    default:
      return status >= 500 ? 'internal' : 'invalid';
  }
};

/** SQLSTATEs that mean the client sent a value the database cannot hold. */
const PG_INPUT_ERRORS = new Set([
  '22021',
  '22P02',
  '22P05',
  '22001',
  '22003',
  '22007',
  '22008',
  '22023',
  '54000',
]);

/**
 * SQLSTATEs of a transaction that lost a race (deadlock detected, serialization failure): the
 * request conflicted with a concurrent one and may be retried — a 409, not a server fault.
 */
const PG_CONFLICT_ERRORS = new Set(['40P01', '40001']);

/** Converts anything thrown into a KumoError; unknown errors become `internal`. */
export function toKumoError(err: unknown): KumoError {
  if (isKumoError(err)) return err;
  const fe = err as FastifyError & { validation?: unknown[] };
  if (fe && Array.isArray(fe.validation)) {
    return new KumoError('invalid', `Invalid input: ${fe.message}`);
  }
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const pg = typeof e?.code === 'string' ? e.code : e?.cause?.code;
  // PostgreSQL refusing a value (NUL byte, malformed number, over-long text) is bad input, not a fault
  if (typeof pg === 'string' && PG_INPUT_ERRORS.has(pg))
    return new KumoError('invalid', 'Invalid input: a value is malformed or too long.');
  if (typeof pg === 'string' && PG_CONFLICT_ERRORS.has(pg))
    return new KumoError('conflict', 'The request conflicted with a concurrent change; retry it.');
  if (fe && typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    const msg =
      fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err instanceof SyntaxError
        ? 'Malformed request body: the body is not valid JSON.'
        : fe.message;
    return new KumoError(kindOfStatus(fe.statusCode), msg);
  }
  return new KumoError('internal', 'An unexpected error prevented the server from fulfilling your request.');
}

export function sendError(reply: FastifyReply, format: ErrorFormat, err: KumoError, authUri?: string) {
  const { status, body } = renderError(format, err);
  for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
  if (status === 401 && authUri) reply.header('www-authenticate', `Keystone uri="${authUri}"`);
  return reply.code(status).type('application/json').send(body);
}

/** Build a Kumo service's Fastify app. It never listens: tests use app.inject(). */
export function createServiceApp(deps: ServiceAppDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    genReqId: (req) => requestIdFrom(req.headers[REQUEST_ID_HEADER]),
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    // one line per request comes from our own onResponse hook (with status and duration)
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 512 },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // OpenStack clients send `Content-Type: application/json` with an empty body on
  // PUT/DELETE calls that take none: an empty body is no body, not bad JSON.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = (body as string).trim();
    if (text === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new KumoError('invalid', 'Malformed request body: the body is not valid JSON.'), undefined);
    }
  });
  app.decorateRequest('auth', undefined);
  app.decorateRequest('authToken', undefined);

  app.addHook('onRequest', async (req, reply) => {
    reply.header(REQUEST_ID_HEADER, req.id);
  });
  app.addHook('onResponse', async (req, reply) => {
    req.log.info(
      {
        method: req.method,
        url: req.url,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
  });

  if (deps.validator) {
    const validator = deps.validator;
    app.addHook('onRequest', async (req) => {
      if (req.routeOptions.config?.auth === false) return;
      if (!req.routeOptions.url) return; // 404s are rendered by the not-found handler
      const header = req.headers['x-auth-token'];
      const token = Array.isArray(header) ? header[0] : header;
      if (!token) throw unauthenticated();
      const res = validator.validate(token);
      if (!res.ok) throw unauthenticated('The request you have made requires authentication.');
      req.auth = res.token;
      req.authToken = token;
    });
  }

  app.setErrorHandler((err, req, reply) => {
    const ke = toKumoError(err);
    if (ke.kind === 'internal') req.log.error({ err }, 'unhandled error');
    return sendError(reply, deps.errorFormat, ke, deps.authUri);
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(
      reply,
      deps.errorFormat,
      new KumoError('not_found', `The resource could not be found: ${req.method} ${req.url.split('?')[0]}`),
    ),
  );

  app.get('/healthz', { config: { auth: false } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { config: { auth: false } }, async (_req, reply) => {
    try {
      await deps.readiness?.();
      return { status: 'ready' };
    } catch (err) {
      return reply.code(503).send({ status: 'unavailable', reason: (err as Error).message });
    }
  });

  registerMetrics(app, deps.service, deps.metrics);
  registerAudit(app, deps.service, deps.audit ?? logAuditSink(deps.logger.child({ component: 'audit' })));
  return app;
}

/** The caller's token; routes that run behind the auth hook always have one. */
export function callerOf(req: FastifyRequest): TokenData {
  if (!req.auth) throw unauthenticated();
  return req.auth;
}
