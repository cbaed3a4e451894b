// @peculiar/x509 resolves its services through tsyringe, which needs the
// Reflect metadata polyfill loaded first: this module is the only importer.
import 'reflect-metadata';
import { createHash, X509Certificate as NodeX509, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

export { x509 };

/** Every Kumo key is ECDSA P-256 signing with SHA-256: small, fast, supported by every TLS stack. */
export const KEY_ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/** Organisational units that say what a certificate may do. */
export const ROLE_AGENT = 'agent';
export const ROLE_CONTROL_PLANE = 'control-plane';
export type CertRole = typeof ROLE_AGENT | typeof ROLE_CONTROL_PLANE;

export async function generateKeyPair(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(KEY_ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
}

export async function privateKeyToPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

export async function privateKeyFromPem(pem: string): Promise<CryptoKey> {
  const [der] = x509.PemConverter.decode(pem);
  if (!der) throw new Error('no PEM block in private key');
  return webcrypto.subtle.importKey('pkcs8', der, KEY_ALG, true, ['sign']);
}

/** SHA-256 of a certificate's DER, lowercase hex: what a join token pins. */
export function certFingerprint(certPem: string): string {
  return createHash('sha256').update(new NodeX509(certPem).raw).digest('hex');
}

/** True when `certPem` was signed by `caPem` and is valid now. */
export function isIssuedBy(certPem: string, caPem: string, now = new Date()): boolean {
  try {
    const cert = new NodeX509(certPem);
    const ca = new NodeX509(caPem);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) return false;
    return new Date(cert.validFrom) <= now && now <= new Date(cert.validTo);
  } catch {
    return false;
  }
}

export function randomSerial(): string {
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = (b[0]! & 0x7f) | 0x01; // positive, no leading zero byte
  return Buffer.from(b).toString('hex');
}
