// The view server answers only its own routes, assets and media: every other path is 404 however
// it is spelled (dot segments, encoded, doubled, backslashes), it listens on 127.0.0.1 alone, and
// it refuses foreign Hosts and cross-origin posts. A fake backend stands in for the media work.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { UserError } from '../../src/errors.js';
import { loadAssets } from '../../src/view/assets.js';
import { JobQueue } from '../../src/view/jobs.js';
import type { JobStatus, ViewSession } from '../../src/view/model.js';
import { startViewServer, type ViewBackend, type ViewServer } from '../../src/view/server.js';
import { tempDir } from '../helpers/media.js';

interface Raw {
  status: number;
  headers: string;
  body: Buffer;
}

/** One request written byte for byte, so that no client library normalises the path first. */
function raw(port: number, text: string): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      const headers = all.subarray(0, split).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(headers)?.[1]), headers, body: all.subarray(split + 4) });
    });
    socket.write(text);
  });
}

function get(port: number, path: string, extra = ''): Promise<Raw> {
  return raw(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n${extra}\r\n`);
}

function post(port: number, path: string, body: string, extra = 'Content-Type: application/json\r\n'): Promise<Raw> {
  return raw(port, `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`);
}

/** Resolves true when a TCP connection to host:port is accepted. */
function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describe('view server', () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: ViewServer;
  let port: number;
  const exports: unknown[] = [];
  const media = () => join(tmp.dir, 'talk.mp4');

  before(async () => {
    tmp = tempDir();
    const assets = join(tmp.dir, 'web');
    mkdirSync(join(assets, 'assets'), { recursive: true });
    writeFileSync(join(assets, 'index.html'), '<!doctype html><title>page</title>');
    writeFileSync(join(assets, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(assets, 'assets', 'app.js.map'), '{}');
    writeFileSync(media(), Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 256)));
    // Files beside the served ones, which no request may reach.
    writeFileSync(join(tmp.dir, 'secret.txt'), 'secret');
    writeFileSync(join(tmp.dir, 'web', 'assets', '..', '..', 'package.json'), '{"secret":true}');
    const job: JobStatus = { id: 1, what: 'export', kind: 'v1', state: 'queued', title: '', done: 0, total: 0, output: null, error: null };
    const backend: ViewBackend = {
      session: () => ({ name: 'talk.mp4' }) as ViewSession,
      levels: (i) => (i === 0 ? new Uint16Array([1, 2, 65535]) : undefined),
      mediaFile: (p) => (p === '/media' ? { path: media(), type: 'video/mp4' } : undefined),
      jobs: () => [job],
      startExport: (body) => {
        if ((body as { kind?: string }).kind !== 'v1') throw new UserError('unknown export kind');
        exports.push(body);
        return job;
      },
      startPreview: () => job,
      cancel: (id) => id === 1,
    };
    server = await startViewServer(backend, loadAssets(assets));
    port = server.port;
  });
  after(async () => {
    await server.close();
    tmp.cleanup();
  });

  test('serves the page, its assets, the session, levels and the media', async () => {
    assert.equal(server.url, `http://127.0.0.1:${port}/`);
    const page = await get(port, '/');
    assert.equal(page.status, 200);
    assert.match(page.body.toString(), /<title>page/);
    assert.match(page.headers, /Content-Security-Policy: default-src 'self'/);
    assert.equal((await get(port, '/index.html')).status, 200);
    assert.equal((await get(port, '/assets/app.js')).body.toString(), 'console.log(1)');
    assert.equal((await get(port, '/assets/app.js?v=2')).status, 200);
    assert.match((await get(port, '/api/session')).body.toString(), /talk\.mp4/);
    assert.deepEqual([...new Uint16Array(new Uint8Array((await get(port, '/api/levels/0')).body).buffer)], [1, 2, 65535]);
    const whole = await get(port, '/media');
    assert.equal(whole.status, 200);
    assert.equal(whole.body.length, 1000);
    const part = await get(port, '/media', 'Range: bytes=10-19\r\n');
    assert.equal(part.status, 206);
    assert.match(part.headers, /Content-Range: bytes 10-19\/1000/);
    assert.deepEqual([...part.body], [10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    assert.equal((await get(port, '/media', 'Range: bytes=-5\r\n')).body.length, 5);
    assert.equal((await get(port, '/media', 'Range: bytes=2000-\r\n')).status, 416);
  });

  test('every other path is 404, traversal in any spelling included', async () => {
    const paths = [
      '/package.json',
      '/secret.txt',
      '/talk.mp4',
      `/${media()}`,
      '/../secret.txt',
      '/../../package.json',
      '/assets/../../secret.txt',
      '/assets/../index.html/../../secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/%2e%2e/%2e%2e/package.json',
      '/%252e%252e/secret.txt',
      '/assets/..%5c..%5csecret.txt',
      '/assets\\..\\..\\secret.txt',
      '/media/../secret.txt',
      '/media/..%2fsecret.txt',
      '/media%00.txt',
      '/assets/app.js.map',
      '/assets/',
      '/api/levels/1',
      '/api/levels/../session',
      '//etc/passwd',
      '/etc/passwd',
      '/web/index.html',
      '/api/jobs/1/cancel',
    ];
    for (const path of paths) {
      const r = await get(port, path);
      assert.equal(r.status, 404, `${path} → ${r.status}`);
      assert.doesNotMatch(r.body.toString(), /secret/, path);
    }
    // A request line that is not a path at all.
    assert.equal((await raw(port, `GET * HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`)).status, 404);
  });

  test('refuses other Host names (DNS rebinding) and cross-origin or non-JSON posts', async () => {
    const foreign = await raw(port, `GET / HTTP/1.1\r\nHost: evil.example:${port}\r\nConnection: close\r\n\r\n`);
    assert.equal(foreign.status, 403);
    assert.equal((await raw(port, `GET / HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`)).status, 200);
    const body = JSON.stringify({ kind: 'v1', settings: {} });
    assert.equal((await post(port, '/api/export', body, `Content-Type: application/json\r\nOrigin: http://evil.example\r\n`)).status, 403);
    assert.equal((await post(port, '/api/export', body, 'Content-Type: text/plain\r\n')).status, 415);
    assert.equal(exports.length, 0);
    const ok = await post(port, '/api/export', body, `Content-Type: application/json\r\nOrigin: http://127.0.0.1:${port}\r\n`);
    assert.equal(ok.status, 202);
    assert.equal(exports.length, 1);
    const bad = await post(port, '/api/export', JSON.stringify({ kind: 'nope' }));
    assert.equal(bad.status, 400);
    assert.match(bad.body.toString(), /unknown export kind/);
    assert.equal((await post(port, '/api/export', '{not json')).status, 400);
    assert.equal((await post(port, '/api/jobs/1/cancel', '{}')).status, 200);
    assert.equal((await post(port, '/api/jobs/2/cancel', '{}')).status, 404);
    assert.equal((await post(port, '/api/other', '{}')).status, 404);
    assert.equal((await raw(port, `DELETE /media HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`)).status, 405);
  });

  test('listens on 127.0.0.1 only', async () => {
    assert.equal(await accepts('127.0.0.1', port), true);
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a !== undefined && !a.internal)
      .map((a) => a!.address);
    for (const address of ['::1', '127.0.0.2', ...others]) {
      assert.equal(await accepts(address, port), false, `${address}:${port} accepted a connection`);
    }
  });
});

describe('view job queue', () => {
  test('runs jobs one at a time in order, reports progress, and cancels', async () => {
    const q = new JobQueue();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = q.add('export', 'v1', 'a', async (ctx) => {
      order.push('a start');
      ctx.progress('Working', 1, 4);
      await gate;
      order.push('a end');
      return '/out/a';
    });
    const b = q.add('export', 'v2', 'b', async () => {
      order.push('b');
      throw new Error('broken');
    });
    const c = q.add('export', 'v3', 'c', async (ctx) => {
      order.push('c');
      await new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
      return null;
    });
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(q.all().map((j) => j.state), ['running', 'queued', 'queued']);
    assert.deepEqual([q.get(a.id)!.title, q.get(a.id)!.done, q.get(a.id)!.total], ['Working', 1, 4]);
    release();
    await new Promise((r) => setTimeout(r, 10));
    assert.equal(q.cancel(c.id), true);
    assert.equal(q.cancel(99), false);
    await q.close();
    assert.deepEqual(order, ['a start', 'a end', 'b', 'c']);
    const [ja, jb, jc] = q.all();
    assert.deepEqual([ja!.state, ja!.output], ['done', '/out/a']);
    assert.deepEqual([jb!.state, jb!.error], ['failed', 'broken']);
    assert.equal(jc!.state, 'cancelled');
    assert.equal(b.id + 1, c.id);
  });
});
