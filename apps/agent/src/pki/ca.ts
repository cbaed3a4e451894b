import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import {
  type CertRole,
  type CryptoKey,
  certFingerprint,
  generateKeyPair,
  KEY_ALG,
  privateKeyFromPem,
  privateKeyToPem,
  ROLE_AGENT,
  ROLE_CONTROL_PLANE,
  randomSerial,
  x509,
} from './x509.js';

const DAY = 86_400_000;

/** A key and the certificate for it, PEM-encoded, plus the CA that signed it. */
export interface IssuedIdentity {
  keyPem: string;
  certPem: string;
  caPem: string;
}

export interface IssueOptions {
  /** Common name: the host id for agents. */
  commonName: string;
  role: CertRole;
  /** Extra DNS names / IP addresses for server use (the CN is always a DNS SAN). */
  altNames?: string[];
  validDays?: number;
}

/**
 * The Kumo certificate authority. The control plane owns it: it signs agent
 * certificates (from their CSRs, after a join token) and its own client and
 * server certificates. One ECDSA P-256 root, no intermediates.
 */
export class CertificateAuthority {
  private constructor(
    readonly certPem: string,
    private readonly signingKey: CryptoKey,
    private readonly cert: x509.X509Certificate,
  ) {}

  static async create(opts: { commonName?: string; validDays?: number } = {}): Promise<CertificateAuthority> {
    const keys = await generateKeyPair();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name: `CN=${opts.commonName ?? 'Kumo CA'}, O=Kumo`,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + (opts.validDays ?? 3650) * DAY),
      signingAlgorithm: KEY_ALG,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    return new CertificateAuthority(cert.toString('pem'), keys.privateKey, cert);
  }

  static async fromPem(certPem: string, keyPem: string): Promise<CertificateAuthority> {
    return new CertificateAuthority(
      certPem,
      await privateKeyFromPem(keyPem),
      new x509.X509Certificate(certPem),
    );
  }

  /** Load `ca.crt`/`ca.key` from `dir`, creating them (key mode 0600) when absent. */
  static async loadOrCreate(dir: string): Promise<CertificateAuthority> {
    const certFile = join(dir, 'ca.crt');
    const keyFile = join(dir, 'ca.key');
    try {
      return await CertificateAuthority.fromPem(
        await readFile(certFile, 'utf8'),
        await readFile(keyFile, 'utf8'),
      );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    const ca = await CertificateAuthority.create();
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(keyFile, await ca.keyPem(), { mode: 0o600, flag: 'wx' });
    await chmod(keyFile, 0o600);
    await writeFile(certFile, ca.certPem, { flag: 'wx' });
    return ca;
  }

  keyPem(): Promise<string> {
    return privateKeyToPem(this.signingKey);
  }

  /** SHA-256 of the CA certificate (hex): joining agents pin it. */
  get fingerprint(): string {
    return certFingerprint(this.certPem);
  }

  /**
   * Sign a PKCS#10 request. The subject is ours to choose (`commonName`), not
   * the requester's; the CSR only proves possession of the key.
   */
  async signCsr(csrPem: string, opts: IssueOptions): Promise<string> {
    let csr: x509.Pkcs10CertificateRequest;
    try {
      csr = new x509.Pkcs10CertificateRequest(csrPem);
    } catch {
      throw new Error('the certificate request is not a PEM PKCS#10 request');
    }
    if (!(await csr.verify())) throw new Error('the certificate request signature does not verify');
    return this.sign(csr.publicKey, opts);
  }

  /** A fresh key and certificate, for the control plane's own use. */
  async issue(opts: IssueOptions): Promise<IssuedIdentity> {
    const keys = await generateKeyPair();
    const certPem = await this.sign(await x509.PublicKey.create(keys.publicKey), opts);
    return { keyPem: await privateKeyToPem(keys.privateKey), certPem, caPem: this.certPem };
  }

  private async sign(publicKey: x509.PublicKey, opts: IssueOptions): Promise<string> {
    const names = [opts.commonName, ...(opts.altNames ?? [])];
    const san = [...new Set(names)].map((n) =>
      isIP(n) ? { type: 'ip' as const, value: n } : { type: 'dns' as const, value: n },
    );
    const usages =
      opts.role === ROLE_AGENT
        ? [x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]
        : opts.role === ROLE_CONTROL_PLANE
          ? [x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth]
          : [];
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: `CN=${escapeDn(opts.commonName)}, OU=${opts.role}, O=Kumo`,
      issuer: this.cert.subject,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + (opts.validDays ?? 365) * DAY),
      signingAlgorithm: KEY_ALG,
      publicKey,
      signingKey: this.signingKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension(usages),
        new x509.SubjectAlternativeNameExtension(san),
        await x509.AuthorityKeyIdentifierExtension.create(this.cert),
      ],
    });
    return cert.toString('pem');
  }
}

/** Host ids are DNS names already; refuse anything that could bend a DN. */
function escapeDn(v: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(v)) throw new Error(`not a valid certificate name: ${JSON.stringify(v)}`);
  return v;
}
