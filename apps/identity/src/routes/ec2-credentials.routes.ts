import { randomBytes } from 'node:crypto';
import { callerOf, forbidden, notFound, type TokenData, unauthenticated } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { IdentityContext } from '../context.js';
import {
  type CredentialRow,
  deleteCredential,
  getCredential,
  insertEc2Credential,
  listEc2Credentials,
} from '../db/ec2-credentials.repo.js';
import { effectiveRoles, projectAncestors } from '../db/effective-roles.js';
import { getProject, getUser } from '../db/lookups.js';
import { storable } from '../db/regions.repo.js';
import { ec2Id, scopedBlob } from '../domain/ec2-credentials.js';
import { parseBody } from '../http/body.js';
import { found, idField, storeOrConflict } from '../http/guards.js';
import { baseUrl, listLinks } from '../http/views.js';

const createSchema = z.looseObject({
  tenant_id: idField.refine(storable, 'must not contain NUL characters'),
});

/** The stored blob, leniently: a credential made through /v3/credentials may carry more keys. */
function blobOf(c: CredentialRow): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(c.blob);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // not JSON: shown with null access and secret
  }
  return {};
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/** Keystone's OS-EC2 view of a credential. */
function ec2View(req: FastifyRequest, c: CredentialRow) {
  const blob = blobOf(c);
  const access = str(blob.access);
  return {
    user_id: c.userId,
    tenant_id: c.projectId,
    access,
    secret: str(blob.secret),
    trust_id: str(blob.trust_id),
    links: { self: `${baseUrl(req)}/v3/users/${c.userId}/credentials/OS-EC2/${access ?? ''}` },
  };
}

/** Kumo has no trusts nor OAuth1 yet: an application-credential token is the one delegation. */
const delegated = (caller: TokenData) => caller.applicationCredential !== undefined;

/** As Keystone: a delegated token reaches only the EC2 credentials of the project it is scoped to. */
function checkDelegation(caller: TokenData, projectId: string | null): void {
  if (delegated(caller) && projectId !== caller.project?.id)
    throw forbidden('EC2 credential project does not match the project scope of the delegated token.');
}

type UserParams = { Params: { userId: string } };
type AccessParams = { Params: { userId: string; access: string } };

/** /v3/users/{user_id}/credentials/OS-EC2: EC2-style access/secret pairs kept as `ec2` credentials. */
export function ec2CredentialRoutes(app: FastifyInstance, ctx: IdentityContext): void {
  const { db, policy } = ctx;
  const base = '/v3/users/:userId/credentials/OS-EC2';

  const user = async (id: string) => found(storable(id) ? await getUser(db, id) : undefined, 'user', id);

  /** The credential an access key names, authorized against its owner (404 first, as Keystone). */
  const load = async (req: FastifyRequest<AccessParams>, action: string): Promise<CredentialRow> => {
    const caller = callerOf(req);
    const { userId, access } = req.params;
    const id = ec2Id(access);
    const c = await getCredential(db, id);
    if (!c) throw notFound('credential', id);
    policy.authorize(action, caller, { credential: { id: c.id, user_id: c.userId } });
    await user(userId);
    if (c.type !== 'ec2') throw unauthenticated('EC2 access key not found.');
    // another user's key is not found under this user
    if (c.userId !== userId) throw notFound('credential', id);
    checkDelegation(caller, c.projectId);
    return c;
  };

  app.get<UserParams>(base, async (req) => {
    const caller = callerOf(req);
    const { userId } = req.params;
    policy.authorize('identity:ec2_list_credentials', caller, { user: { id: userId } });
    await user(userId);
    const rows = await listEc2Credentials(db, userId);
    const visible = rows.filter((c) => !delegated(caller) || c.projectId === caller.project?.id);
    return { credentials: visible.map((c) => ec2View(req, c)), links: listLinks(req) };
  });

  app.post<UserParams>(base, async (req, reply) => {
    const caller = callerOf(req);
    const { userId } = req.params;
    policy.authorize('identity:ec2_create_credential', caller, { credential: { user_id: userId } });
    if (caller.applicationCredential?.restricted)
      throw forbidden(
        "Using method 'application_credential' is not allowed for managing additional application credentials.",
      );
    await user(userId);
    const { tenant_id: projectId } = parseBody(createSchema, req.body);
    const project = found(await getProject(db, projectId), 'project', projectId);
    checkDelegation(caller, project.id);
    const roles = await effectiveRoles(db, userId, {
      type: 'project',
      id: project.id,
      domainId: project.domainId,
      ancestors: await projectAncestors(db, project.id),
    });
    if (roles.length === 0) throw forbidden(`User ${userId} has no role on project ${project.id}.`);
    const blob = {
      access: randomBytes(16).toString('hex'),
      secret: randomBytes(16).toString('hex'),
      trust_id: null,
    };
    const row = await storeOrConflict('credential', () =>
      insertEc2Credential(db, {
        id: ec2Id(blob.access),
        userId,
        projectId: project.id,
        blob: scopedBlob(caller, blob) ?? JSON.stringify(blob),
      }),
    );
    return reply.code(201).send({ credential: ec2View(req, row) });
  });

  app.get<AccessParams>(`${base}/:access`, async (req) => {
    const c = await load(req, 'identity:ec2_get_credential');
    return { credential: ec2View(req, c) };
  });

  app.delete<AccessParams>(`${base}/:access`, async (req, reply) => {
    const c = await load(req, 'identity:ec2_delete_credential');
    await deleteCredential(db, c.id);
    return reply.code(204).send();
  });
}
