import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventMatches, RevocationList } from './revocation.js';
import { decodeToken, encodeToken } from './token-codec.js';
import type { TokenData } from './token-data.js';
import { initKeyRepository, loadKeyRepository, rotateKeyRepository } from './token-keys.js';
import { TokenValidator } from './validator.js';

const dirs: string[] = [];
const keyDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'kumo-keys-test-'));
  dirs.push(d);
  initKeyRepository(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const data = (over: Partial<TokenData> = {}): TokenData => ({
  methods: ['password'],
  user: { id: 'u1', name: 'alice', domain: { id: 'd1', name: 'D' } },
  project: { id: 'p1', name: 'demo', domain: { id: 'd1', name: 'D' } },
  roles: [{ id: 'r1', name: 'member' }],
  auditIds: ['audit1'],
  issuedAt: 1000,
  expiresAt: Date.now() + 60_000,
  ...over,
});

describe('token codec and keys', () => {
  it('round-trips and rejects tampering', () => {
    const keys = loadKeyRepository(keyDir());
    const t = encodeToken(keys, data());
    expect(decodeToken(keys, t)).toEqual(data({ expiresAt: decodeToken(keys, t)!.expiresAt }));
    const raw = Buffer.from(t, 'base64url');
    raw[raw.length - 1]! ^= 1;
    expect(decodeToken(keys, raw.toString('base64url'))).toBeUndefined();
    expect(decodeToken(keys, 'not a token')).toBeUndefined();
    expect(decodeToken(keys, 'A'.repeat(100))).toBeUndefined();
  });

  it('keeps tokens valid across a rotation and drops keys past maxActive', () => {
    const dir = keyDir();
    const before = loadKeyRepository(dir);
    const t = encodeToken(before, data());
    rotateKeyRepository(dir, 3);
    const after = loadKeyRepository(dir);
    expect(after.primaryId.equals(before.primaryId)).toBe(false);
    expect(decodeToken(after, t)).toBeDefined(); // old primary is a secondary now
    rotateKeyRepository(dir, 3);
    rotateKeyRepository(dir, 3);
    expect(readdirSync(dir).length).toBe(3);
    expect(decodeToken(loadKeyRepository(dir), t)).toBeUndefined(); // its key was pruned
  });

  it('promotes the staged key, so tokens from a node that already rotated validate here', () => {
    const dir = keyDir();
    const here = loadKeyRepository(dir); // knows the staged key 0
    rotateKeyRepository(dir, 3);
    const rotated = loadKeyRepository(dir);
    expect(decodeToken(here, encodeToken(rotated, data()))).toBeDefined();
  });
});

describe('revocation', () => {
  it('matches events by field and issue time', () => {
    const t = data();
    expect(eventMatches({ userId: 'u1', issuedBefore: 2000 }, t)).toBe(true);
    expect(eventMatches({ userId: 'u1', issuedBefore: 999 }, t)).toBe(false);
    expect(eventMatches({ userId: 'u2', issuedBefore: 2000 }, t)).toBe(false);
    expect(eventMatches({ userId: 'u1', projectId: 'p1', issuedBefore: 2000 }, t)).toBe(true);
    expect(eventMatches({ userId: 'u1', projectId: 'p2', issuedBefore: 2000 }, t)).toBe(false);
    expect(eventMatches({ roleId: 'r1', issuedBefore: 2000 }, t)).toBe(true);
    expect(eventMatches({ domainId: 'd1', issuedBefore: 2000 }, t)).toBe(true);
    expect(eventMatches({ auditId: 'audit1', issuedBefore: 2000 }, t)).toBe(true);
    expect(eventMatches({ applicationCredentialId: 'x', issuedBefore: 2000 }, t)).toBe(false);
  });

  it('validator checks expiry and the revocation list', () => {
    const keys = loadKeyRepository(keyDir());
    const list = new RevocationList(3600_000);
    const v = new TokenValidator(keys, list);
    const t = encodeToken(keys, data({ issuedAt: Date.now() }));
    expect(v.validate(t).ok).toBe(true);
    list.add({ auditId: 'audit1', issuedBefore: Date.now() + 1 });
    expect(v.validate(t)).toEqual({ ok: false, reason: 'revoked' });
    const expired = encodeToken(keys, data({ expiresAt: Date.now() - 1 }));
    expect(v.validate(expired)).toEqual({ ok: false, reason: 'expired' });
  });
});
