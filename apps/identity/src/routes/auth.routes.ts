import { callerOf, KumoError, notFound, type TokenData } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { IdentityContext } from '../context.js';
import { getDomain } from '../db/lookups.js';
import { userDomainIds, userProjects } from '../db/user-projects.js';
import { authRequestSchema } from '../domain/auth-request.js';
import { issueToken } from '../domain/token-issuer.js';
import { tokenView } from '../domain/token-view.js';
import { parseBody } from '../http/body.js';
import { listLinks, qBool, selfLink } from '../http/views.js';
import { domainView, projectView } from '../views/resources.view.js';

function subjectToken(req: FastifyRequest): string {
  const h = req.headers['x-subject-token'];
  const v = Array.isArray(h) ? h[0] : h;
  if (!v) throw new KumoError('invalid', 'X-Subject-Token header is required.');
  return v;
}

/** The subject token of a validate/revoke call; a bad one is Keystone's 404. */
function subject(ctx: IdentityContext, req: FastifyRequest, allowExpired: boolean): TokenData {
  const text = subjectToken(req);
  const res = ctx.validator.validate(text);
  if (res.ok) return res.token;
  if (allowExpired && res.reason === 'expired') {
    return ctx.validator.decodeUnchecked(text)!;
  }
  throw notFound('token', undefined, 'TokenNotFound');
}

/** The policy target of a token check: its user and, for a trust token, the trustee. */
const tokenTarget = (t: TokenData) => ({
  token: { user_id: t.user.id, trustee_user_id: t.trust?.trusteeUserId },
});

export function authRoutes(app: FastifyInstance, ctx: IdentityContext): void {
  app.post('/v3/auth/tokens', { config: { auth: false } }, async (req, reply) => {
    const body = parseBody(authRequestSchema, req.body);
    const { token, data } = await issueToken(ctx, body);
    const catalog = qBool(req, 'nocatalog') ? undefined : await ctx.catalog.get();
    return reply
      .code(201)
      .header('x-subject-token', token)
      .send({ token: tokenView(data, catalog) });
  });

  const validate = async (req: FastifyRequest) => {
    const caller = callerOf(req);
    const t = subject(ctx, req, qBool(req, 'allow_expired') === true);
    ctx.policy.authorize('identity:validate_token', caller, tokenTarget(t));
    return t;
  };

  app.get('/v3/auth/tokens', async (req, reply) => {
    const t = await validate(req);
    const catalog = qBool(req, 'nocatalog') ? undefined : await ctx.catalog.get();
    return reply.header('x-subject-token', subjectToken(req)).send({ token: tokenView(t, catalog) });
  });

  // HEAD /v3/auth/tokens is Fastify's automatic HEAD of the GET above (same checks, no body).

  app.delete('/v3/auth/tokens', async (req, reply) => {
    const caller = callerOf(req);
    const t = subject(ctx, req, false);
    ctx.policy.authorize('identity:revoke_token', caller, tokenTarget(t));
    await ctx.revoke({ auditId: t.auditIds[0]! });
    return reply.code(204).send();
  });

  app.get('/v3/auth/catalog', async (req) => {
    const caller = callerOf(req);
    if (!caller.project && !caller.domain && !caller.system)
      throw new KumoError('forbidden', 'An unscoped token has no catalog.');
    return { catalog: await ctx.catalog.get(), links: selfLink(req, '/v3/auth/catalog') };
  });

  app.get('/v3/auth/projects', async (req) => {
    const caller = callerOf(req);
    const rows = await userProjects(ctx.db, caller.user.id);
    return { projects: rows.map((p) => projectView(req, p)), links: listLinks(req) };
  });

  app.get('/v3/auth/domains', async (req) => {
    const caller = callerOf(req);
    const ids = await userDomainIds(ctx.db, caller.user.id);
    const rows = [];
    for (const id of ids) {
      const d = await getDomain(ctx.db, id);
      if (d?.enabled) rows.push(domainView(req, d));
    }
    return { domains: rows, links: listLinks(req) };
  });

  app.get('/v3/auth/system', async (req) => {
    const caller = callerOf(req);
    const roles = await ctx.db.query.assignments.findFirst({
      where: (a, { and, eq }) => and(eq(a.actorId, caller.user.id), eq(a.targetType, 'system')),
    });
    return { system: roles ? [{ all: true }] : [], links: listLinks(req) };
  });
}
