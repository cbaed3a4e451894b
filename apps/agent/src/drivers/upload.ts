import { createHash } from 'node:crypto';
import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DriverError } from './ids.js';

export interface UploadOptions {
  /** Give up when the target is silent this long (default 60 s). */
  idleTimeoutMs?: number;
}

/** The URL without query or credentials (a signed URL's query is a secret), for messages. */
export function safeUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * HTTP PUT `sizeBytes` bytes of `body` to `url` (Content-Type
 * application/octet-stream, Content-Length), hashing them (sha256) on the way.
 * No redirect is followed. Errors: the target answering 3xx/4xx is 'invalid'
 * (with the start of its answer, e.g. why the image service refused the data);
 * 5xx, refused connections and silence are 'unavailable'; a body that cannot be
 * read is 'internal'.
 */
export async function uploadStream(
  url: URL,
  body: Readable,
  sizeBytes: number,
  o: UploadOptions = {},
): Promise<{ sizeBytes: number; checksum: string }> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new DriverError('invalid', `url scheme ${url.protocol} is not supported for an upload`);
  const idle = o.idleTimeoutMs ?? 60_000;
  const hash = createHash('sha256');
  let sent = 0;
  let sourceError: unknown;
  body.once('error', (e) => {
    sourceError = e;
  });
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      sent += chunk.length;
      hash.update(chunk);
      done(null, chunk);
    },
  });
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const req: ClientRequest = send(url, {
    method: 'PUT',
    timeout: idle,
    headers: {
      'content-type': 'application/octet-stream',
      'content-length': String(sizeBytes),
      'user-agent': 'kumo-agent',
    },
  });
  req.on('timeout', () => req.destroy(new DriverError('unavailable', `${safeUrl(url)} did not answer`)));
  const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.once('response', (res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (text.length < 1024) text += c;
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, text: text.slice(0, 1024) }));
      res.once('error', reject);
    });
    req.once('error', reject);
  });
  answered.catch(() => undefined);
  let sendError: unknown;
  await pipeline(body, meter, req).catch((e: unknown) => {
    sendError = e;
  });
  if (sourceError) {
    req.destroy();
    throw new DriverError('internal', `reading the data for ${safeUrl(url)}: ${errText(sourceError)}`);
  }
  // The target may refuse before reading everything (and close): its answer beats the write error.
  let answer: { status: number; text: string } | undefined;
  try {
    answer = sendError
      ? await Promise.race([
          answered,
          new Promise<undefined>((r) => setTimeout(() => r(undefined), 1_000).unref()),
        ])
      : await answered;
  } catch (e) {
    throw toUnavailable(url, e);
  }
  if (!answer) throw toUnavailable(url, sendError);
  const { status, text } = answer;
  if (status >= 200 && status < 300) {
    if (sent !== sizeBytes)
      throw new DriverError('internal', `sent ${sent} bytes to ${safeUrl(url)}, expected ${sizeBytes}`);
    return { sizeBytes: sent, checksum: hash.digest('hex') };
  }
  const why = text.replace(/\s+/g, ' ').trim().slice(0, 300);
  const msg = `upload target ${safeUrl(url)} answered HTTP ${status}${why ? `: ${why}` : ''}`;
  if (status >= 500 || status === 0) throw new DriverError('unavailable', msg);
  throw new DriverError('invalid', status < 400 ? `${msg} (redirects are not followed)` : msg);
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function toUnavailable(url: URL, e: unknown): DriverError {
  if (e instanceof DriverError) return e;
  return new DriverError('unavailable', `${safeUrl(url)}: ${errText(e)}`);
}
