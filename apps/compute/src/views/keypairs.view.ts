import type { FastifyRequest } from 'fastify';
import type { KeypairRow } from '../db/keypairs.repo.js';
import { atLeast } from '../http/microversion.js';
import { novaTime } from '../http/nova-request.js';

/** Nova numbers keypairs; Kumo keys them by (user, name): a stable 31-bit number stands in. */
export function keypairNumber(userId: string, name: string): number {
  let h = 0x811c9dc5;
  for (const ch of `${userId}\u0000${name}`) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h & 0x7fffffff;
}

const typeOf = (req: FastifyRequest, k: KeypairRow) => (atLeast(req, '2.2') ? { type: k.type } : {});

/** A keypair in `GET /os-keypairs`. */
export const keypairListItem = (req: FastifyRequest, k: KeypairRow) => ({
  keypair: { name: k.name, public_key: k.publicKey, fingerprint: k.fingerprint, ...typeOf(req, k) },
});

/** `GET /os-keypairs/{name}`. */
export const keypairDetail = (req: FastifyRequest, k: KeypairRow) => ({
  id: keypairNumber(k.userId, k.name),
  name: k.name,
  user_id: k.userId,
  public_key: k.publicKey,
  fingerprint: k.fingerprint,
  created_at: novaTime(k.createdAt),
  updated_at: null,
  deleted_at: null,
  deleted: false,
  ...typeOf(req, k),
});

/** `POST /os-keypairs` (with `private_key` when Kumo generated it). */
export const keypairCreated = (req: FastifyRequest, k: KeypairRow, privateKey?: string) => ({
  name: k.name,
  user_id: k.userId,
  public_key: k.publicKey,
  fingerprint: k.fingerprint,
  ...typeOf(req, k),
  ...(privateKey !== undefined ? { private_key: privateKey } : {}),
});
