/**
 * The HTTP side of `tacet view`: a server on 127.0.0.1 that answers a fixed set of routes and
 * nothing else. Every path is matched exactly against the routes, the asset table and the media
 * files the backend names, so a request can never name another file of the machine (no joining of
 * request paths onto folders, so encoded or doubled `..` has nothing to act on). Requests must name
 * the server itself as Host (a page on another site that rebinds its DNS name to 127.0.0.1 gets
 * 403), and state-changing requests must be same-origin JSON posts (a form on another site cannot
 * start an export).
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserError } from '../errors.js';
import type { Asset } from './assets.js';
import type { JobStatus, ViewSession } from './model.js';

/** What the server serves: implemented by the real app (src/view/app.ts) and by tests' fakes. */
export interface ViewBackend {
  session(): ViewSession;
  /** The level array of lane `index`, or undefined. */
  levels(index: number): Uint16Array | undefined;
  /** The media file served at `urlPath` (`/media` = the source, `/preview.mp4` = its proxy once made). */
  mediaFile(urlPath: string): { path: string; type: string } | undefined;
  jobs(): JobStatus[];
  /** Starts an export from the page's JSON body; throws UserError for a bad request. */
  startExport(body: unknown): JobStatus;
  /** Starts (or returns the running or finished) preview proxy job. */
  startPreview(): JobStatus;
  /** Cancels job `id`; false when there is no such job. */
  cancel(id: number): boolean;
}

/** A running view server. */
export interface ViewServer {
  /** `http://127.0.0.1:PORT/`. */
  url: string;
  port: number;
  /** Stops listening, ends open connections (media streams, polls) and resolves when closed. */
  close(): Promise<void>;
}

/** The only address the server binds: loopback, so nothing on the network can reach the page. */
export const VIEW_HOST = '127.0.0.1';

const MAX_BODY = 1 << 20;

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  // The page is self-contained: its scripts, styles and media come from this server only.
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; frame-ancestors 'none'",
};

function send(res: ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8', head = false): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(head ? undefined : body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');
}

function notFound(res: ServerResponse): void {
  send(res, 404, 'not found\n');
}

/** Serves a file with HTTP ranges: the video element seeks by asking for byte ranges. */
function sendFile(req: IncomingMessage, res: ServerResponse, file: { path: string; type: string }): void {
  let size: number;
  try {
    size = statSync(file.path).size;
  } catch {
    notFound(res);
    return;
  }
  const headers: Record<string, string | number> = { ...SECURITY_HEADERS, 'Content-Type': file.type, 'Accept-Ranges': 'bytes', 'Cache-Control': 'no-cache' };
  let start = 0;
  let end = size - 1;
  let status = 200;
  const range = req.headers.range;
  if (range !== undefined) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    if (m && (m[1] !== '' || m[2] !== '')) {
      if (m[1] === '') start = Math.max(0, size - Number(m[2]));
      else {
        start = Number(m[1]);
        if (m[2] !== '') end = Math.min(end, Number(m[2]));
      }
    } else start = size; // a multi-range or malformed header: answered as unsatisfiable below
    if (start > end || start >= size) {
      res.writeHead(416, { ...SECURITY_HEADERS, 'Content-Range': `bytes */${size}` });
      res.end();
      return;
    }
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['Content-Length'] = size === 0 ? 0 : end - start + 1;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  const stream = createReadStream(file.path, { start, end });
  stream.on('error', () => res.destroy());
  res.on('close', () => stream.destroy());
  stream.pipe(res);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new UserError('request body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(size === 0 ? null : JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new UserError('request body is not JSON'));
      }
    });
    req.on('error', reject);
  });
}

/**
 * Starts the server on 127.0.0.1 (`port` 0 = a free port chosen by the system) serving `assets`
 * and `backend`. Routes:
 * - GET `/`, and the asset files by their exact paths;
 * - GET `/api/session`, `/api/levels/N` (unorm16 little-endian bytes), `/api/jobs`;
 * - POST `/api/export`, `/api/preview`, `/api/jobs/N/cancel` (same-origin JSON);
 * - GET `/media` and `/preview.mp4` when the backend names a file for them (byte ranges allowed).
 * Everything else is 404.
 */
export async function startViewServer(backend: ViewBackend, assets: ReadonlyMap<string, Asset>, opts: { port?: number } = {}): Promise<ViewServer> {
  let port = 0;
  const origins = () => [`http://${VIEW_HOST}:${port}`, `http://localhost:${port}`];

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const host = req.headers.host ?? '';
    if (!origins().some((o) => o === `http://${host}`)) {
      send(res, 403, 'wrong Host\n');
      return;
    }
    // The raw path, query dropped; nothing is decoded, so `%2e%2e` stays literal and matches nothing.
    const raw = req.url ?? '';
    const path = raw.startsWith('/') ? raw.split('?')[0]! : '';
    const method = req.method ?? 'GET';

    if (method === 'POST') {
      const origin = req.headers.origin;
      if (origin !== undefined && !origins().includes(origin)) {
        send(res, 403, 'cross-origin request refused\n');
        return;
      }
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
        send(res, 415, 'send application/json\n');
        return;
      }
      const cancel = /^\/api\/jobs\/(\d{1,9})\/cancel$/.exec(path);
      if (path !== '/api/export' && path !== '/api/preview' && !cancel) {
        notFound(res);
        return;
      }
      try {
        const body = await readJson(req);
        if (path === '/api/export') sendJson(res, 202, backend.startExport(body));
        else if (path === '/api/preview') sendJson(res, 202, backend.startPreview());
        else if (backend.cancel(Number(cancel![1]))) sendJson(res, 200, { ok: true });
        else notFound(res);
      } catch (e) {
        if (!(e instanceof UserError)) throw e;
        sendJson(res, 400, { error: e.message });
      }
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      send(res, 405, 'method not allowed\n');
      return;
    }
    const head = method === 'HEAD';

    const asset = assets.get(path);
    if (asset) {
      res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': asset.type, 'Content-Length': asset.body.length, 'Cache-Control': 'no-cache' });
      res.end(head ? undefined : asset.body);
      return;
    }
    if (path === '/api/session') return sendJson(res, 200, backend.session());
    if (path === '/api/jobs') return sendJson(res, 200, backend.jobs());
    const levels = /^\/api\/levels\/(\d{1,6})$/.exec(path);
    if (levels) {
      const l = backend.levels(Number(levels[1]));
      if (!l) return notFound(res);
      // Levels are Uint16Array in the host's order; every supported platform is little-endian.
      return send(res, 200, Buffer.from(l.buffer, l.byteOffset, l.byteLength), 'application/octet-stream', head);
    }
    const media = backend.mediaFile(path);
    if (media) return sendFile(req, res, media);
    notFound(res);
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (res.headersSent) res.destroy();
      else sendJson(res, 500, { error: e instanceof Error ? e.message : String(e) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: VIEW_HOST, port: opts.port ?? 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    url: `http://${VIEW_HOST}:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Media streams and keep-alive connections would otherwise hold the server open.
        server.closeAllConnections();
      }),
  };
}
