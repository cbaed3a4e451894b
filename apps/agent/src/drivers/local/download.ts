import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';
import type { Readable } from 'node:stream';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { DriverError } from '../ids.js';

export interface DownloadOptions {
  algo: 'sha256' | 'sha512' | 'md5';
  /** Stop (invalid) once more than this many bytes arrive. */
  maxBytes: number;
  /** Give up when the source is silent this long (default 60 s). */
  idleTimeoutMs?: number;
  maxRedirects?: number;
}

/**
 * Stream `url` (http, https or file) into `dest`, a new file (never
 * overwritten), hashing and counting on the way. Returns size and hex digest;
 * the caller verifies them and removes `dest` on any failure.
 *
 * Errors: a source that is not there (HTTP 4xx, missing file) is 'invalid';
 * one that cannot be reached now (connection refused, 5xx, timeout) is
 * 'unavailable'; a full disk is 'no_space'.
 */
export async function download(
  url: URL,
  dest: string,
  o: DownloadOptions,
): Promise<{ size: number; digest: string }> {
  const source = url.protocol === 'file:' ? await openFile(url) : await openHttp(url, o, o.maxRedirects ?? 5);
  const hash = createHash(o.algo);
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > o.maxBytes)
        return done(new DriverError('invalid', `${safe(url)} is larger than ${o.maxBytes} bytes`));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(source, meter, createWriteStream(dest, { flags: 'wx', mode: 0o644 }));
  } catch (e) {
    throw fsError(e, `downloading ${safe(url)}`);
  }
  return { size, digest: hash.digest('hex') };
}

/** The URL without query or credentials, for messages. */
function safe(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

async function openFile(url: URL): Promise<Readable> {
  const s = createReadStream(fileURLToPath(url));
  await new Promise<void>((resolve, reject) => {
    s.once('open', () => resolve());
    s.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT' || e.code === 'EISDIR' || e.code === 'EACCES'
          ? new DriverError('invalid', `image source ${safe(url)}: ${e.code}`)
          : fsError(e, `reading ${safe(url)}`),
      ),
    );
  });
  return s;
}

function openHttp(url: URL, o: DownloadOptions, redirectsLeft: number): Promise<Readable> {
  const get = url.protocol === 'https:' ? httpsGet : httpGet;
  const idle = o.idleTimeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const req = get(
      url,
      { timeout: idle, headers: { 'user-agent': 'kumo-agent' } },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400 && res.headers.location) {
          res.resume();
          if (redirectsLeft <= 0)
            return reject(new DriverError('invalid', `${safe(url)}: too many redirects`));
          let next: URL;
          try {
            next = new URL(res.headers.location, url);
          } catch {
            return reject(new DriverError('invalid', `${safe(url)}: bad redirect`));
          }
          if (next.protocol !== 'http:' && next.protocol !== 'https:')
            return reject(new DriverError('invalid', `${safe(url)} redirects to ${next.protocol}`));
          return resolve(openHttp(next, o, redirectsLeft - 1));
        }
        if (status !== 200) {
          res.resume();
          const kind = status >= 400 && status < 500 ? 'invalid' : 'unavailable';
          return reject(new DriverError(kind, `image source ${safe(url)} answered HTTP ${status}`));
        }
        const length = Number(res.headers['content-length']);
        if (Number.isFinite(length) && length > o.maxBytes) {
          res.destroy();
          return reject(
            new DriverError('invalid', `${safe(url)} is ${length} bytes, more than ${o.maxBytes}`),
          );
        }
        res.setTimeout(idle, () => res.destroy(new DriverError('unavailable', `${safe(url)} stalled`)));
        resolve(res);
      },
    );
    req.on('timeout', () => req.destroy(new DriverError('unavailable', `${safe(url)} did not answer`)));
    req.on('error', (e) =>
      reject(e instanceof DriverError ? e : new DriverError('unavailable', `${safe(url)}: ${e.message}`)),
    );
  });
}

/** Map a file-system error to a DriverError (ENOSPC → no_space). */
export function fsError(e: unknown, what: string): DriverError {
  if (e instanceof DriverError) return e;
  const err = e as NodeJS.ErrnoException;
  if (err?.code === 'ENOSPC' || err?.code === 'EDQUOT')
    return new DriverError('no_space', `${what}: no space left`);
  if (err?.code === 'ECONNRESET' || err?.code === 'ETIMEDOUT' || err?.code === 'ERR_STREAM_PREMATURE_CLOSE')
    return new DriverError('unavailable', `${what}: ${err.message}`);
  return new DriverError('internal', `${what}: ${err?.message ?? String(e)}`);
}
