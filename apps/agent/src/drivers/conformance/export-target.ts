import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedUpload {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * An HTTP server on 127.0.0.1 that takes exports (tests only):
 * PUT /ok/<name> → 201 and kept in `received`; /refuse → 400 at once (before
 * reading the body), /fail → 503, /redirect → 307, /stall → never answers.
 * `deadUrl` points at a port nothing listens on.
 */
export async function startExportTarget(): Promise<{
  base: string;
  deadUrl: string;
  received: Map<string, ReceivedUpload>;
  close(): Promise<void>;
}> {
  const received = new Map<string, ReceivedUpload>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/refuse') {
      res.writeHead(400, { 'content-type': 'application/json', connection: 'close' });
      res.end('{"badRequest": {"message": "Image data does not match disk_format"}}');
      req.resume();
      return;
    }
    if (path === '/stall') return void req.resume();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (path === '/fail') return void res.writeHead(503).end('busy');
      if (path === '/redirect') return void res.writeHead(307, { location: '/ok/elsewhere' }).end();
      if (!path.startsWith('/ok/')) return void res.writeHead(404).end();
      received.set(path.slice('/ok/'.length), {
        method: req.method ?? '',
        path,
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      res.writeHead(201).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const spare = createServer();
  await new Promise<void>((r) => spare.listen(0, '127.0.0.1', r));
  const deadPort = (spare.address() as AddressInfo).port;
  await new Promise((r) => spare.close(r));
  return {
    base: `http://127.0.0.1:${port}`,
    deadUrl: `http://127.0.0.1:${deadPort}/ok/x`,
    received,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
