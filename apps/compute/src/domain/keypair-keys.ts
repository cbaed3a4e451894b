import { createHash, createSign, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { invalid } from '@kumo/service-kit';

/**
 * Keypair material: validating an imported OpenSSH public key (RSA, Ed25519,
 * ECDSA) or X.509 certificate, Nova's fingerprints, and generating an RSA pair.
 */

const ECDSA_POINT_BYTES: Record<string, number> = { nistp256: 65, nistp384: 97, nistp521: 133 };
const bad = (why: string) => invalid(`Keypair data is invalid: ${why}`);

/** Reads the SSH wire format's length-prefixed strings. */
class WireReader {
  private off = 0;
  constructor(private readonly buf: Buffer) {}
  string(): Buffer {
    if (this.off + 4 > this.buf.length) throw bad('the key blob is truncated');
    const len = this.buf.readUInt32BE(this.off);
    this.off += 4;
    if (len > this.buf.length - this.off) throw bad('the key blob is truncated');
    const out = this.buf.subarray(this.off, this.off + len);
    this.off += len;
    return out;
  }
  done(): boolean {
    return this.off === this.buf.length;
  }
}

const colonHex = (b: Buffer) => (b.toString('hex').match(/../g) ?? []).join(':');

/** Nova's SSH fingerprint: MD5 of the key blob, colon-separated lowercase hex. */
export const sshFingerprint = (blob: Buffer): string => colonHex(createHash('md5').update(blob).digest());

/** Significant bits of an SSH mpint (unsigned, possibly with a leading zero byte). */
function mpintBits(b: Buffer): number {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  if (i === b.length) return 0;
  return (b.length - i - 1) * 8 + (32 - Math.clz32(b[i]!));
}

/** Validate an OpenSSH public key line (`type base64 [comment]`); returns its fingerprint. */
export function parseSshPublicKey(text: string): { type: string; fingerprint: string } {
  const parts = text.trim().split(/\s+/);
  if (parts.length < 2 || !parts[0] || !parts[1])
    throw bad("failed to generate fingerprint: expected '<type> <base64 key> [comment]'");
  const [type, b64] = parts as [string, string];
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0)
    throw bad('failed to generate fingerprint: the key is not valid base64');
  const blob = Buffer.from(b64, 'base64');
  const r = new WireReader(blob);
  const inner = r.string().toString('latin1');
  if (inner !== type) throw bad(`the key says '${inner}' inside but '${type}' outside`);
  if (type === 'ssh-rsa') {
    const e = r.string();
    const n = r.string();
    const bits = mpintBits(n);
    if (mpintBits(e) < 2 || bits < 1024 || bits > 16384)
      throw bad(`an RSA key must have 1024 to 16384 bits (this one has ${bits})`);
  } else if (type === 'ssh-ed25519') {
    if (r.string().length !== 32) throw bad('an Ed25519 key must be 32 bytes');
  } else if (type.startsWith('ecdsa-sha2-')) {
    const curve = r.string().toString('latin1');
    const want = ECDSA_POINT_BYTES[curve];
    if (!want || type !== `ecdsa-sha2-${curve}`) throw bad(`unsupported ECDSA curve '${curve}'`);
    const q = r.string();
    if (q.length !== want || q[0] !== 4) throw bad(`the ECDSA point is not a valid ${curve} point`);
  } else {
    throw bad(`unsupported key type '${type}' (ssh-rsa, ssh-ed25519 or ecdsa-sha2-nistp256/384/521)`);
  }
  if (!r.done()) throw bad('the key blob has trailing data');
  return { type, fingerprint: sshFingerprint(blob) };
}

/** Validate a PEM X.509 certificate; Nova's fingerprint is its SHA-1, colon hex. */
export function parseX509Certificate(pem: string): { fingerprint: string } {
  try {
    const cert = new X509Certificate(pem);
    return { fingerprint: cert.fingerprint.toLowerCase() };
  } catch {
    throw bad('the public key is not a PEM X.509 certificate');
  }
}

function sshString(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

/** An unsigned big-endian integer as an SSH mpint (a leading zero when the top bit is set). */
function sshMpint(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return sshString(v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

/** A fresh RSA 2048 keypair: PKCS#1 PEM private key and OpenSSH public key line. */
export function generateSshKeypair(comment: string): {
  publicKey: string;
  privateKey: string;
  fingerprint: string;
} {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicExponent: 65537,
  });
  const jwk = publicKey.export({ format: 'jwk' });
  const blob = Buffer.concat([
    sshString(Buffer.from('ssh-rsa')),
    sshMpint(Buffer.from(jwk.e!, 'base64url')),
    sshMpint(Buffer.from(jwk.n!, 'base64url')),
  ]);
  return {
    publicKey: `ssh-rsa ${blob.toString('base64')} ${comment}`,
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    fingerprint: sshFingerprint(blob),
  };
}

// ---- a self-signed X.509 certificate (Nova's generated `x509` keypairs), DER by hand ----

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const der = (tag: number, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
};
const SHA256_RSA = Buffer.from('06092a864886f70d01010b0500', 'hex');
const utcTime = (d: Date) =>
  der(0x17, Buffer.from(`${d.toISOString().slice(2, 19).replace(/[-T:]/g, '')}Z`, 'latin1'));
const commonName = (cn: string) =>
  der(0x30, der(0x31, der(0x30, Buffer.from('0603550403', 'hex'), der(0x0c, Buffer.from(cn, 'utf8')))));

/** A fresh RSA 2048 key and a self-signed certificate for it (ten years), both PEM. */
export function generateX509Keypair(cn: string): {
  publicKey: string;
  privateKey: string;
  fingerprint: string;
} {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  serial[0]! |= 0x01;
  const now = new Date();
  const until = new Date(now.getTime() + 10 * 365 * 86_400_000);
  const name = commonName(cn.slice(0, 64));
  const tbs = der(
    0x30,
    Buffer.from('a003020102', 'hex'),
    der(0x02, serial),
    der(0x30, SHA256_RSA),
    name,
    der(0x30, utcTime(now), utcTime(until)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = createSign('sha256').update(tbs).sign(privateKey);
  const cert = der(0x30, tbs, der(0x30, SHA256_RSA), der(0x03, Buffer.from([0]), signature));
  const pem = `-----BEGIN CERTIFICATE-----\n${(cert.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`;
  return {
    publicKey: pem,
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    fingerprint: parseX509Certificate(pem).fingerprint,
  };
}
