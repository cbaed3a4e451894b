import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  X509Certificate,
} from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComputeHarness, startCompute } from './harness.js';
import { haveTempest, tempestCheck } from './servers-tempest-schema.js';

let h: ComputeHarness;
beforeAll(async () => {
  h = await startCompute();
});
afterAll(async () => {
  await h?.close();
});

const str = (b: Buffer) => {
  const l = Buffer.alloc(4);
  l.writeUInt32BE(b.length);
  return Buffer.concat([l, b]);
};
const md5 = (b: Buffer) => (createHash('md5').update(b).digest('hex').match(/../g) ?? []).join(':');

function ed25519Key(): { line: string; fingerprint: string } {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const blob = Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
  return { line: `ssh-ed25519 ${blob.toString('base64')} me@host`, fingerprint: md5(blob) };
}

function ecdsaKey(): string {
  const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const q = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x!, 'base64url'),
    Buffer.from(jwk.y!, 'base64url'),
  ]);
  const blob = Buffer.concat([str(Buffer.from('ecdsa-sha2-nistp256')), str(Buffer.from('nistp256')), str(q)]);
  return `ecdsa-sha2-nistp256 ${blob.toString('base64')}`;
}

const create = (body: unknown, o: { token?: string; microversion?: string } = {}) =>
  h.call('POST', '/v2.1/os-keypairs', { body, ...o });

describe('keypair generate and import', () => {
  it('generates an RSA 2048 pair: PEM private key matching the OpenSSH public key', async () => {
    const res = await create({ keypair: { name: 'gen-1' } }, { microversion: '2.2' });
    expect(res.statusCode).toBe(201);
    const k = res.json().keypair;
    expect(k).toMatchObject({ name: 'gen-1', type: 'ssh', user_id: expect.any(String) });
    expect(k.private_key).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const [type, b64] = k.public_key.split(' ');
    expect(type).toBe('ssh-rsa');
    expect(k.fingerprint).toBe(md5(Buffer.from(b64, 'base64')));
    // the public key is the private key's
    const n = createPublicKey(k.private_key).export({ format: 'jwk' }).n!;
    const nBytes = Buffer.from(n, 'base64url');
    expect(nBytes.length * 8).toBe(2048);
    expect(Buffer.from(b64, 'base64').includes(nBytes)).toBe(true);
  });

  it('imports ed25519, ecdsa and RSA keys with Nova fingerprints; 2.1 answers 200 without type', async () => {
    const ed = ed25519Key();
    const res = await create({ keypair: { name: 'imp-ed', public_key: ed.line } });
    expect(res.statusCode).toBe(200);
    expect(res.json().keypair).toEqual({
      name: 'imp-ed',
      user_id: expect.any(String),
      public_key: ed.line,
      fingerprint: ed.fingerprint,
    });
    expect((await create({ keypair: { name: 'imp-ec', public_key: ecdsaKey() } })).statusCode).toBe(200);
    const gen = (await create({ keypair: { name: 'src' } })).json().keypair.public_key;
    const rsa = await create({ keypair: { name: 'imp-rsa', public_key: gen } });
    expect(rsa.statusCode).toBe(200);
    expect(rsa.json().keypair).not.toHaveProperty('private_key');
  });

  it('refuses bad keys and names with 400 and duplicates with 409', async () => {
    const bad: unknown[] = [
      { keypair: { name: 'k', public_key: 'ssh-rsa AAAA' } },
      { keypair: { name: 'k', public_key: '' } },
      { keypair: { name: 'k', public_key: `ssh-rsa ${'A'.repeat(2048)} openstack@ubuntu` } },
      { keypair: { name: 'k', public_key: 'not a key at all' } },
      { keypair: { name: 'k', public_key: `ssh-dss ${Buffer.from('xx').toString('base64')}` } },
      { keypair: { name: 'k', public_key: ed25519Key().line.replace('ssh-ed25519', 'ssh-rsa') } },
      { keypair: { name: '' } },
      { keypair: { name: 'k'.repeat(256) } },
      { keypair: { name: 'bad*name' } },
      { keypair: { name: ' lead' } },
      { keypair: { name: 'k', type: 'ssh' } }, // type needs 2.2
      { keypair: { name: 'k', bogus: 1 } },
      { keypair: 'k' },
      {},
    ];
    for (const body of bad) {
      const res = await create(body);
      expect(res.statusCode, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.json().badRequest.message).toBeTruthy();
    }
    const x509 = await create(
      { keypair: { name: 'x', type: 'x509', public_key: 'nope' } },
      { microversion: '2.2' },
    );
    expect(x509.statusCode).toBe(400);
    await create({ keypair: { name: 'dup' } });
    const dup = await create({ keypair: { name: 'dup' } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().conflictingRequest.message).toBe("Key pair 'dup' already exists.");
  });
});

describe('x509 keypairs (2.2)', () => {
  it('generates a self-signed certificate and imports it back with the same SHA-1 fingerprint', async () => {
    const res = await create({ keypair: { name: 'cert-1', type: 'x509' } }, { microversion: '2.2' });
    expect(res.statusCode).toBe(201);
    const k = res.json().keypair;
    expect(k.type).toBe('x509');
    expect(k.private_key).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
    const cert = new X509Certificate(k.public_key);
    expect(cert.checkPrivateKey(createPrivateKey(k.private_key))).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(k.fingerprint).toBe(cert.fingerprint.toLowerCase());
    const imp = await create(
      { keypair: { name: 'cert-2', type: 'x509', public_key: k.public_key } },
      { microversion: '2.2' },
    );
    expect(imp.statusCode).toBe(201);
    expect(imp.json().keypair.fingerprint).toBe(k.fingerprint);
    const shown = (await h.call('GET', '/v2.1/os-keypairs/cert-1', { microversion: '2.2' })).json().keypair;
    expect(shown.type).toBe('x509');
  });
});

describe('keypair show, list, delete', () => {
  it('shows the full record, lists, deletes (202 at 2.1, 204 from 2.2) and 404s', async () => {
    await create({ keypair: { name: 'life' } });
    const show = await h.call('GET', '/v2.1/os-keypairs/life', { microversion: '2.2' });
    expect(show.statusCode).toBe(200);
    expect(show.json().keypair).toMatchObject({
      name: 'life',
      type: 'ssh',
      deleted: false,
      deleted_at: null,
      updated_at: null,
      id: expect.any(Number),
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const list = (await h.call('GET', '/v2.1/os-keypairs')).json().keypairs;
    const item = list.find((k: { keypair: { name: string } }) => k.keypair.name === 'life');
    expect(Object.keys(item.keypair).sort()).toEqual(['fingerprint', 'name', 'public_key']);
    expect((await h.call('DELETE', '/v2.1/os-keypairs/life')).statusCode).toBe(202);
    const gone = await h.call('GET', '/v2.1/os-keypairs/life');
    expect(gone.statusCode).toBe(404);
    expect(gone.json().itemNotFound.message).toContain('Keypair life not found for user');
    expect((await h.call('DELETE', '/v2.1/os-keypairs/life')).statusCode).toBe(404);
    await create({ keypair: { name: 'life2' } });
    expect((await h.call('DELETE', '/v2.1/os-keypairs/life2', { microversion: '2.2' })).statusCode).toBe(204);
  });

  it("keeps users' keypairs apart; admins reach others' with user_id from 2.10", async () => {
    await create({ keypair: { name: 'demo-key' } }, { token: h.demoToken });
    expect((await h.call('GET', '/v2.1/os-keypairs/demo-key')).statusCode).toBe(404);
    const demoUser = h.ids.demoUserId;
    const asAdmin = await h.call('GET', `/v2.1/os-keypairs/demo-key?user_id=${demoUser}`, {
      microversion: '2.10',
    });
    expect(asAdmin.statusCode).toBe(200);
    expect(asAdmin.json().keypair.user_id).toBe(demoUser);
    const forOther = await create(
      { keypair: { name: 'made-for-demo', user_id: demoUser } },
      { microversion: '2.10' },
    );
    expect(forOther.statusCode).toBe(201);
    expect(forOther.json().keypair.user_id).toBe(demoUser);
    const demoList = (await h.call('GET', '/v2.1/os-keypairs', { token: h.demoToken })).json().keypairs;
    expect(demoList.map((k: { keypair: { name: string } }) => k.keypair.name).sort()).toEqual([
      'demo-key',
      'made-for-demo',
    ]);
    // a member cannot name another user
    const sneaky = await h.call('GET', `/v2.1/os-keypairs?user_id=${h.ids.adminUserId}`, {
      token: h.demoToken,
      microversion: '2.10',
    });
    expect(sneaky.statusCode).toBe(403);
  });

  it('pages from 2.35 with limit, marker and keypairs_links', async () => {
    const token = await h.identity.login('demo', 'demo-secret', 'demo');
    for (const n of ['p-a', 'p-b', 'p-c']) await create({ keypair: { name: n } }, { token });
    const p1 = await h.call('GET', '/v2.1/os-keypairs?limit=2', { token, microversion: '2.35' });
    const body = p1.json();
    expect(body.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name)).toEqual([
      'demo-key',
      'made-for-demo',
    ]);
    const next = new URL(body.keypairs_links[0].href);
    const p2 = (
      await h.call('GET', `${next.pathname}${next.search}`, { token, microversion: '2.35' })
    ).json();
    expect(p2.keypairs.map((k: { keypair: { name: string } }) => k.keypair.name)).toEqual(['p-a', 'p-b']);
    const bad = await h.call('GET', '/v2.1/os-keypairs?marker=zzz', { token, microversion: '2.35' });
    expect(bad.statusCode).toBe(400);
  });
});

describe('key_pairs quota', () => {
  it('holds under concurrent creates: exactly the limit succeeds, the rest get 403', async () => {
    const pid = h.ids.demoProjectId;
    const used = (await h.call('GET', '/v2.1/os-keypairs', { token: h.demoToken })).json().keypairs.length;
    const upd = await h.call('PUT', `/v2.1/os-quota-sets/${pid}`, {
      body: { quota_set: { key_pairs: used + 3 } },
    });
    expect(upd.statusCode).toBe(200);
    const res = await Promise.all(
      Array.from({ length: 10 }, (_, i) => create({ keypair: { name: `q-${i}` } }, { token: h.demoToken })),
    );
    expect(res.filter((r) => r.statusCode === 200)).toHaveLength(3);
    const refused = res.filter((r) => r.statusCode === 403);
    expect(refused).toHaveLength(7);
    expect(refused[0]!.json().forbidden.message).toBe('Quota exceeded, too many key pairs.');
    const limits = (await h.call('GET', '/v2.1/limits', { token: h.demoToken })).json().limits.absolute;
    expect(limits.maxTotalKeypairs).toBe(used + 3);
  });
});

describe('keypairs at 2.92', () => {
  it('requires public_key (no generation), allows @ and . in names, and keeps the 2.2 shape', async () => {
    const noKey = await create({ keypair: { name: 'gen-292' } }, { microversion: '2.92' });
    expect(noKey.statusCode).toBe(400);
    expect(noKey.json().badRequest.message).toContain("'public_key' is a required property");
    expect((await create({ keypair: { name: 'gen-291' } }, { microversion: '2.91' })).statusCode).toBe(201);

    const ed = ed25519Key();
    const dotted = { keypair: { name: 'me@host.example', public_key: ed.line } };
    const old = await create(dotted, { microversion: '2.91' });
    expect(old.statusCode).toBe(400);
    expect(old.json().badRequest.message).toContain('unsafe characters');
    const res = await create(dotted, { microversion: '2.92' });
    expect(res.statusCode).toBe(201);
    const k = res.json().keypair;
    expect(k).toEqual({
      name: 'me@host.example',
      type: 'ssh',
      user_id: expect.any(String),
      public_key: ed.line,
      fingerprint: ed.fingerprint,
    });
    const show = await h.call('GET', '/v2.1/os-keypairs/me@host.example', { microversion: '2.92' });
    expect(show.statusCode).toBe(200);
    for (const name of ['bad*name', ' lead', 'a/b', 'x'.repeat(256)]) {
      const r = await create({ keypair: { name, public_key: ed.line } }, { microversion: '2.92' });
      expect(r.statusCode, name).toBe(400);
    }
    const wrongType = await create({ keypair: { name: 'n', public_key: 42 } }, { microversion: '2.92' });
    expect(wrongType.statusCode).toBe(400);
    if (haveTempest) {
      const errors = tempestCheck([
        { module: 'v2_2.keypairs', name: 'create_keypair', status: res.statusCode, body: res.json() },
        { module: 'v2_2.keypairs', name: 'get_keypair', status: show.statusCode, body: show.json() },
      ]);
      expect(errors).toEqual([null, null]);
    }
    expect(
      (await h.call('DELETE', '/v2.1/os-keypairs/me@host.example', { microversion: '2.92' })).statusCode,
    ).toBe(204);
  });
});
