import { createPublicKey, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { createKeyAndCsr } from './csr.js';
import type { Registration } from './inventory.js';
import { parseJoinToken } from './join-tokens.js';
import { certFingerprint, isIssuedBy } from './x509.js';

/** The agent's TLS identity: its key, its certificate (CN = host id) and the Kumo CA. */
export interface AgentIdentity {
  hostId: string;
  keyPem: string;
  certPem: string;
  caPem: string;
}

export class EnrolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnrolError';
  }
}

interface Tls {
  ca?: string;
  cert?: string;
  key?: string;
  /** Only to fetch the CA certificate, which is then checked against the token's pin. */
  insecure?: boolean;
}

/** A small JSON-over-HTTPS call; throws EnrolError on a non-2xx answer. */
async function call<T>(url: URL, method: string, tls: Tls, body?: unknown): Promise<T> {
  if (url.protocol !== 'https:') throw new EnrolError(`the control plane URL must be https: ${url.origin}`);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise<T>((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        rejectUnauthorized: !tls.insecure,
        headers: payload ? { 'content-type': 'application/json' } : {},
        timeout: 15_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : {};
          } catch {
            json = { text };
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(json as T);
          const msg = (json as { error?: { message?: string } })?.error?.message ?? text.slice(0, 200);
          reject(new EnrolError(`${method} ${url.pathname}: ${status} ${msg}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new EnrolError(`${method} ${url.pathname}: timed out`)));
    req.on('error', (err) =>
      reject(err instanceof EnrolError ? err : new EnrolError(`${method} ${url}: ${err.message}`)),
    );
    req.end(payload);
  });
}

/** Talks to the control plane's enrolment routes. */
export class ControlPlaneClient {
  constructor(
    private readonly baseUrl: string,
    private readonly tls: Tls,
  ) {}

  private url(path: string): URL {
    return new URL(path, this.baseUrl.endsWith('/') ? this.baseUrl : `${this.baseUrl}/`);
  }

  /** Fetch the CA certificate without trusting the connection, then check it against the pin. */
  static async fetchPinnedCa(baseUrl: string, fingerprint: string): Promise<string> {
    const c = new ControlPlaneClient(baseUrl, { insecure: true });
    const res = await call<{ ca_certificate?: string }>(c.url('kumo/v1/agents/ca'), 'GET', c.tls);
    const pem = res.ca_certificate ?? '';
    let fp = '';
    try {
      fp = certFingerprint(pem);
    } catch {
      throw new EnrolError('the control plane sent no valid CA certificate');
    }
    if (fp !== fingerprint)
      throw new EnrolError('the control plane CA does not match the join token (pin mismatch)');
    return pem;
  }

  join(body: { token: string; host_id: string; csr: string }) {
    return call<{ certificate: string; ca_certificate: string }>(
      this.url('kumo/v1/agents/join'),
      'POST',
      this.tls,
      body,
    );
  }

  register(hostId: string, body: Registration) {
    return call<unknown>(this.url(`kumo/v1/agents/${hostId}/registration`), 'PUT', this.tls, body);
  }

  heartbeat(hostId: string) {
    return call<unknown>(this.url(`kumo/v1/agents/${hostId}/heartbeat`), 'POST', this.tls, {});
  }
}

const FILES = { key: 'agent.key', cert: 'agent.crt', ca: 'ca.crt' } as const;

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

/** Check that a stored identity is whole, CA-signed, for this host, and matches its key. */
export function checkIdentity(id: AgentIdentity): string | undefined {
  if (!isIssuedBy(id.certPem, id.caPem)) return 'the certificate is not signed by the CA or has expired';
  const cert = new X509Certificate(id.certPem);
  if (!cert.subject.split('\n').includes(`CN=${id.hostId}`))
    return `the certificate is not for host ${id.hostId}`;
  const pub = createPublicKey(id.keyPem).export({ format: 'der', type: 'spki' });
  if (!cert.publicKey.export({ format: 'der', type: 'spki' }).equals(pub))
    return 'the key does not match the certificate';
  return undefined;
}

export async function loadIdentity(certsDir: string, hostId: string): Promise<AgentIdentity | undefined> {
  const [keyPem, certPem, caPem] = await Promise.all(
    [FILES.key, FILES.cert, FILES.ca].map((f) => readIfExists(join(certsDir, f))),
  );
  if (!keyPem || !certPem || !caPem) return undefined;
  return { hostId, keyPem, certPem, caPem };
}

/**
 * Join with a one-time token: pin the CA from the token, send a CSR, get the
 * certificate, check it, and store key (0600), certificate and CA under `certsDir`.
 */
export async function joinControlPlane(opts: {
  controlPlaneUrl: string;
  joinToken: string;
  hostId: string;
  certsDir: string;
}): Promise<AgentIdentity> {
  const parsed = parseJoinToken(opts.joinToken);
  if (!parsed) throw new EnrolError('the join token is malformed (expected kumo1.<ca-sha256>.<secret>)');
  const caPem = await ControlPlaneClient.fetchPinnedCa(opts.controlPlaneUrl, parsed.caFingerprint);
  const { keyPem, csrPem } = await createKeyAndCsr(opts.hostId);
  const client = new ControlPlaneClient(opts.controlPlaneUrl, { ca: caPem });
  const res = await client.join({ token: opts.joinToken, host_id: opts.hostId, csr: csrPem });
  if (res.ca_certificate.trim() !== caPem.trim())
    throw new EnrolError('the control plane answered with another CA');
  const id: AgentIdentity = { hostId: opts.hostId, keyPem, certPem: res.certificate, caPem };
  const problem = checkIdentity(id);
  if (problem) throw new EnrolError(`the issued certificate is unusable: ${problem}`);
  await mkdir(opts.certsDir, { recursive: true, mode: 0o700 });
  await writeAtomic(join(opts.certsDir, FILES.key), keyPem, 0o600);
  await writeAtomic(join(opts.certsDir, FILES.ca), caPem, 0o644);
  await writeAtomic(join(opts.certsDir, FILES.cert), res.certificate, 0o644);
  return id;
}

/** The stored identity when it is good, else join with the token (if there is one). */
export async function loadOrJoin(opts: {
  certsDir: string;
  hostId: string;
  controlPlaneUrl?: string;
  joinToken?: string;
}): Promise<{ identity: AgentIdentity; joined: boolean }> {
  const stored = await loadIdentity(opts.certsDir, opts.hostId);
  const problem = stored ? checkIdentity(stored) : 'no certificate yet';
  if (stored && !problem) return { identity: stored, joined: false };
  if (!opts.controlPlaneUrl || !opts.joinToken)
    throw new EnrolError(
      `no usable agent certificate in ${opts.certsDir} (${problem}) and no control-plane URL and join token to get one`,
    );
  const identity = await joinControlPlane({
    controlPlaneUrl: opts.controlPlaneUrl,
    joinToken: opts.joinToken,
    hostId: opts.hostId,
    certsDir: opts.certsDir,
  });
  return { identity, joined: true };
}
