import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CertificateAuthority } from './ca.js';
import { createKeyAndCsr } from './csr.js';
import { JoinRefused, JoinTokenStore, parseJoinToken } from './join-tokens.js';
import { isIssuedBy, ROLE_AGENT } from './x509.js';

describe('certificate authority', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('signs an agent CSR with CN and DNS SAN = host id, whatever the CSR asked', async () => {
    const ca = await CertificateAuthority.create();
    const { csrPem } = await createKeyAndCsr('someone-else');
    const pem = await ca.signCsr(csrPem, { commonName: 'host-7', role: ROLE_AGENT });
    const cert = new X509Certificate(pem);
    expect(cert.subject).toContain('CN=host-7');
    expect(cert.subject).toContain('OU=agent');
    expect(cert.subjectAltName).toBe('DNS:host-7');
    expect(cert.ca).toBe(false);
    expect(isIssuedBy(pem, ca.certPem)).toBe(true);
    const other = await CertificateAuthority.create();
    expect(isIssuedBy(pem, other.certPem)).toBe(false);
  });

  it('refuses a CSR that is not one, or whose signature is wrong', async () => {
    const ca = await CertificateAuthority.create();
    await expect(ca.signCsr('hello', { commonName: 'h', role: ROLE_AGENT })).rejects.toThrow(/PKCS#10/);
    const { csrPem } = await createKeyAndCsr('host-1');
    const body = csrPem.split('\n').slice(1, -2).join('');
    const der = Buffer.from(body, 'base64');
    der[der.length - 5]! ^= 0xff; // flip a signature byte
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(ca.signCsr(tampered, { commonName: 'h', role: ROLE_AGENT })).rejects.toThrow();
    await expect(ca.signCsr(csrPem, { commonName: 'bad name,OU=x', role: ROLE_AGENT })).rejects.toThrow();
  });

  it('persists its key 0600 and loads the same CA again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kumo-ca-'));
    dirs.push(dir);
    const a = await CertificateAuthority.loadOrCreate(dir);
    const b = await CertificateAuthority.loadOrCreate(dir);
    expect(b.fingerprint).toBe(a.fingerprint);
    expect((await stat(join(dir, 'ca.key'))).mode & 0o777).toBe(0o600);
  });
});

describe('join tokens', () => {
  const fp = 'a'.repeat(64);

  it('work once, are kept hashed, and pin the CA', () => {
    const store = new JoinTokenStore(fp);
    const { token } = store.issue();
    expect(parseJoinToken(token)?.caFingerprint).toBe(fp);
    const secret = parseJoinToken(token)!.secret;
    expect(JSON.stringify([...(store as unknown as { tokens: Map<string, unknown> }).tokens])).not.toContain(
      secret,
    );
    store.consume(token, 'host-1');
    expect(() => store.consume(token, 'host-1')).toThrow(JoinRefused);
  });

  it('refuse expired, malformed, foreign-CA and wrong-host tokens', () => {
    let now = 1_000;
    const store = new JoinTokenStore(fp, () => now);
    const { token } = store.issue({ ttlMs: 100 });
    now += 101;
    expect(() => store.consume(token, 'h')).toThrow(/expired/);
    expect(() => store.consume('kumo1.nope', 'h')).toThrow(/malformed/);
    const bound = store.issue({ hostId: 'host-a' }).token;
    expect(() => store.consume(bound, 'host-b')).toThrow(/wrong host/);
    expect(() => store.consume(bound, 'host-a')).toThrow(/unknown/); // burnt by the failed try
    const t = store.issue().token;
    expect(() => store.consume(t.replace(fp, 'b'.repeat(64)), 'h')).toThrow(/wrong ca/);
  });
});
