import { callerOf, invalid, type TokenData } from '@kumo/service-kit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ComputeContext } from '../context.js';
import { createKeypair, deleteKeypair, getKeypair, listKeypairs } from '../db/keypairs.repo.js';
import { quotaLimit } from '../db/quotas.repo.js';
import {
  generateSshKeypair,
  generateX509Keypair,
  parseSshPublicKey,
  parseX509Certificate,
} from '../domain/keypair-keys.js';
import { atLeast } from '../http/microversion.js';
import { MAX_LIMIT, nextLinks, paging, parseBody, q } from '../http/nova-request.js';
import { keypairCreated, keypairDetail, keypairListItem } from '../views/keypairs.view.js';

type NameParams = { Params: { name: string } };

/** Nova's keypair names: no leading/trailing spaces; from 2.92 also '@' and '.'. */
const keypairName = (v292: boolean) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(255, 'must be at most 255 characters')
    .regex(
      v292 ? /^(?! )[a-zA-Z0-9 _@.-]+(?<! )$/ : /^(?! )[a-zA-Z0-9 _-]+(?<! )$/,
      v292
        ? "Keypair name contains unsafe characters (allowed: letters, digits, space, '_', '-', '@', '.')"
        : "Keypair name contains unsafe characters (allowed: letters, digits, space, '_', '-')",
    );

/** From 2.92 Nova no longer generates keypairs: `public_key` is required. */
const createSchema = (mv: { type: boolean; userId: boolean; v292: boolean }) =>
  z.object({
    keypair: z.strictObject({
      name: keypairName(mv.v292),
      public_key: mv.v292
        ? z
            .string({
              error: (iss) =>
                iss.input === undefined
                  ? "'public_key' is a required property (Kumo no longer generates keypairs from 2.92)"
                  : "is not of type 'string'",
            })
            .max(100_000, 'is too long')
        : z.string().max(100_000, 'is too long').optional(),
      ...(mv.type ? { type: z.enum(['ssh', 'x509']).optional() } : {}),
      ...(mv.userId ? { user_id: z.string().min(1).max(255).optional() } : {}),
    }),
  });

/** Keypairs belong to users; from 2.10 an admin may name another user with `user_id`. */
export function keypairRoutes(app: FastifyInstance, ctx: ComputeContext): void {
  const { db, policy } = ctx;

  /** The user a request acts on, after the policy check for `action`. */
  const subject = (
    req: FastifyRequest,
    action: string,
    explicit?: string,
  ): { t: TokenData; userId: string } => {
    const t = callerOf(req);
    const asked = explicit ?? (atLeast(req, '2.10') ? q(req, 'user_id') : undefined);
    const userId = asked ?? t.user.id;
    policy.authorize(`os_compute_api:os-keypairs:${action}`, t, { user_id: userId });
    return { t, userId };
  };

  app.get('/v2.1/os-keypairs', async (req) => {
    const { userId } = subject(req, 'index');
    const page = atLeast(req, '2.35') ? paging(req) : { limit: MAX_LIMIT * 100, marker: undefined };
    const rows = await listKeypairs(db, userId, page);
    const links = atLeast(req, '2.35')
      ? nextLinks(req, rows.length, page.limit, rows.at(-1)?.name)
      : undefined;
    return {
      keypairs: rows.map((k) => keypairListItem(req, k)),
      ...(links ? { keypairs_links: links } : {}),
    };
  });

  app.get<NameParams>('/v2.1/os-keypairs/:name', async (req) => {
    const { userId } = subject(req, 'show');
    return { keypair: keypairDetail(req, await getKeypair(db, userId, req.params.name)) };
  });

  app.post('/v2.1/os-keypairs', async (req, reply) => {
    const mv = { type: atLeast(req, '2.2'), userId: atLeast(req, '2.10'), v292: atLeast(req, '2.92') };
    const { keypair: b } = parseBody(createSchema(mv), req.body) as {
      keypair: { name: string; public_key?: string; type?: 'ssh' | 'x509'; user_id?: string };
    };
    const { t, userId } = subject(req, 'create', b.user_id);
    const type = b.type ?? 'ssh';
    let publicKey: string;
    let fingerprint: string;
    let privateKey: string | undefined;
    if (b.public_key !== undefined) {
      if (b.public_key.trim() === '') throw invalid('Keypair data is invalid: the public key is empty.');
      publicKey = b.public_key.trim();
      fingerprint =
        type === 'x509'
          ? parseX509Certificate(publicKey).fingerprint
          : parseSshPublicKey(publicKey).fingerprint;
    } else if (type === 'x509') {
      ({ publicKey, fingerprint, privateKey } = generateX509Keypair(userId));
    } else {
      const g = generateSshKeypair('Generated-by-Kumo');
      ({ publicKey, fingerprint, privateKey } = g);
    }
    const limit = await quotaLimit(db, t.project?.id ?? '', 'key_pairs', ctx.settings.quotaDefaults);
    const row = await createKeypair(db, { userId, name: b.name, type, publicKey, fingerprint }, limit);
    return reply.code(mv.type ? 201 : 200).send({ keypair: keypairCreated(req, row, privateKey) });
  });

  app.delete<NameParams>('/v2.1/os-keypairs/:name', async (req, reply) => {
    const { userId } = subject(req, 'delete');
    await deleteKeypair(db, userId, req.params.name);
    return reply.code(atLeast(req, '2.2') ? 204 : 202).send();
  });
}
