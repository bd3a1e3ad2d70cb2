// The job queue against a real redis-server (Debian's, installed by .ci/run): started here on a
// free loopback port with appendonly persistence in a temporary folder, stopped after. Two worker
// processes with short lock and stalled-check intervals run every scenario:
//   N jobs → N correct outputs, and a corrupt input fails alone, at once, with the CLI's message;
//   a worker killed with SIGKILL mid-render → its job completes on the other, no partial file;
//   a worker told SIGTERM mid-render → its job goes back to the queue and completes elsewhere;
//   Redis killed and restarted mid-run → every job still completes.
// Without redis-server the tests are skipped, except under CI, where they fail.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Queue, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { generateMedia } from '../../src/media/generate.js';
import type { JobPayload, JobProgressInfo, JobResult } from '../../src/queue/payload.js';
import { CLI, runCli } from '../helpers/cli.js';
import { measure, tempDir } from '../helpers/media.js';

const hasRedis = spawnSync('redis-server', ['--version']).status === 0;
const skip = hasRedis ? false : process.env.CI ? false : 'redis-server is not installed (apt-get install redis-server)';

/** Worker settings that make a dead worker's job come back within a few seconds. */
const FAST = ['--lock-duration', '2s', '--stalled-interval', '1s'];

let tmp: ReturnType<typeof tempDir>;
const spawned = new Set<ChildProcess>();

/** Resolves when `check` returns a value other than undefined; fails after `ms`. */
async function until<T>(what: string, ms: number, check: () => Promise<T | undefined> | T | undefined, every = 100): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let data = '';
    sock.setTimeout(500, () => (sock.destroy(), resolve(false)));
    sock.on('error', () => resolve(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      data += d;
      if (data.includes('\r\n')) {
        sock.destroy();
        resolve(data.startsWith('+PONG'));
      }
    });
  });
}

/** A redis-server of our own: loopback only, AOF on (fsync per write), data in a temp folder. */
class RedisServer {
  private proc: ChildProcess | null = null;
  constructor(
    readonly port: number,
    readonly dir: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no', '--loglevel', 'warning'];
    const proc = spawn('redis-server', args, { stdio: 'ignore' });
    this.proc = proc;
    spawned.add(proc);
    proc.on('exit', () => spawned.delete(proc));
    await until('redis-server to answer', 10_000, async () => ((await ping(this.port)) ? true : undefined));
  }

  /** Stops the server; SIGKILL simulates a crash (the AOF, fsynced per write, must keep every job). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.proc;
    this.proc = null;
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill(signal);
      await exited;
    }
  }
}

/** A `tacet worker` process whose log lines are collected. */
class WorkerProcess {
  readonly proc: ChildProcess;
  log = '';
  readonly exited: Promise<number | null>;
  constructor(url: string, queueName: string, extra: string[] = []) {
    this.proc = spawn(process.execPath, [CLI, 'worker', '--queue', url, '--queue-name', queueName, ...FAST, ...extra], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // Analysis caches stay in the test's folder.
      env: { ...process.env, TACET_CACHE_DIR: join(tmp.dir, 'cache') },
    });
    spawned.add(this.proc);
    this.proc.stdout!.on('data', (d) => (this.log += d));
    this.proc.stderr!.on('data', (d) => (this.log += d));
    this.exited = new Promise((r) => this.proc.on('exit', (code) => (spawned.delete(this.proc), r(code))));
  }

  get name(): string {
    return /worker (\S+) taking jobs/.exec(this.log)?.[1] ?? '?';
  }

  ready(): Promise<true> {
    return until('a worker to start', 15_000, () => (/taking jobs/.test(this.log) ? true : undefined), 50);
  }

  /** SIGTERM, then the exit code (SIGKILL after 20 s so that a stuck worker cannot hang the suite). */
  async stop(): Promise<number | null> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.proc.exitCode;
    this.proc.kill('SIGTERM');
    const t = setTimeout(() => this.proc.kill('SIGKILL'), 20_000);
    const code = await this.exited;
    clearTimeout(t);
    return code;
  }
}

function partials(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.includes('partial'));
}

/** A BullMQ handle for the test to watch jobs; close() also ends its connection (BullMQ leaves a given one open). */
function watchQueue(url: string, name: string): { queue: Queue; close: () => Promise<void> } {
  const connection = new Redis(url, { maxRetriesPerRequest: null });
  const queue = new Queue(name, { connection });
  return {
    queue,
    close: async () => {
      await queue.close();
      connection.disconnect();
    },
  };
}

/** A job's state, progress and result, read through BullMQ as a dashboard would. */
async function jobInfo(queue: Queue, id: string): Promise<{ state: string; job: Job<JobPayload, JobResult> }> {
  // State first: a job read before it completes and asked for its state after would say
  // "completed" without a return value.
  const state = await queue.getJobState(id);
  const job = (await queue.getJob(id)) as Job<JobPayload, JobResult>;
  return { state, job };
}

/** A mono WAV with a tone 6 s in every 10 s: rendering 600 s of it to AAC takes a few seconds. */
async function longWav(path: string, seconds: number): Promise<void> {
  await generateMedia(path, {
    duration: seconds,
    audio: {
      sampleRate: 48000,
      layout: 'mono',
      graph: `sine=frequency=300:sample_rate=48000:duration=${seconds},volume='if(lt(mod(t\\,10)\\,6)\\,0.5\\,0)':eval=frame`,
    },
  });
}

describe('job queue (redis-server, BullMQ, tacet worker)', { skip }, () => {
  let redis: RedisServer;
  let longInput: string;

  before(async () => {
    if (!hasRedis) assert.fail('redis-server is not installed; .ci/run installs it with apt-get (CI is set, so this fails rather than skips)');
    tmp = tempDir('tacet-queue-');
    redis = new RedisServer(await freePort(), join(tmp.dir, 'redis'));
    await redis.start();
    longInput = join(tmp.dir, 'long.wav');
    await longWav(longInput, 600);
  });

  after(async () => {
    for (const p of spawned) p.kill('SIGKILL');
    await redis?.stop('SIGKILL');
    tmp?.cleanup();
  });

  test('N jobs on two workers → N correct outputs; a corrupt input fails alone, at once, with the CLI message', async () => {
    const dir = join(tmp.dir, 'many');
    mkdirSync(dir);
    const lengths = [0.5, 0.8, 1.1, 1.4];
    for (let i = 0; i < lengths.length; i++) {
      await generateMedia(join(dir, `in${i}.wav`), { duration: 3, audio: { sampleRate: 48000, layout: 'mono', bursts: [[1, 1 + lengths[i]]] } });
    }
    writeFileSync(join(dir, 'in9.wav'), Buffer.alloc(4096, 7));
    const cliError = (await runCli([join(dir, 'in9.wav')])).stderr.trim();
    assert.match(cliError, /^tacet: error: could not open/);

    const workers = [new WorkerProcess(redis.url, 'many'), new WorkerProcess(redis.url, 'many')];
    try {
      await Promise.all(workers.map((w) => w.ready()));
      // A quoted glob: tacet expands it (5 inputs, in name order).
      const r = await runCli(['submit', join(dir, 'in*.wav'), '--queue', redis.url, '--queue-name', 'many', '--wait']);
      assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
      const ids = r.stdout.split('\n').filter((l) => /^\d+\t/.test(l));
      assert.equal(ids.length, 5, r.stdout);
      assert.match(r.stdout, /^4 completed, 1 failed$/m);
      const failedLine = r.stdout.split('\n').find((l) => / failed: /.test(l))!;
      assert.equal(`tacet: error: ${failedLine.slice(failedLine.indexOf('in9.wav: ') + 'in9.wav: '.length)}`, cliError);

      for (let i = 0; i < lengths.length; i++) {
        const line = r.stdout.split('\n').find((l) => l.includes(`in${i}.wav -> `))!;
        const [, out, kept] = /-> (\S+) \(kept (\d+) of 90 frames\)/.exec(line)!;
        assert.equal(out, join(dir, `in${i}_ALTERED.wav`));
        // Each burst kept with the default 0.2 s margin on both sides (±1 frame).
        assert.ok(Math.abs(Number(kept) - (lengths[i] + 0.4) * 30) <= 1, line);
        const m = await measure(out);
        assert.ok(Math.abs(m.audioSeconds - Number(kept) / 30) < 0.01, `${out}: ${m.audioSeconds} s for ${kept} frames`);
      }
      assert.deepEqual(partials(dir), []);
      // Both workers took part.
      for (const w of workers) assert.match(w.log, /done: /, w.log);

      const status = await runCli(['jobs', '--queue', redis.url, '--queue-name', 'many', '--json']);
      const s = JSON.parse(status.stdout) as { counts: Record<string, number>; failed: Array<{ input: string; failedReason: string; attemptsMade: number }> };
      assert.deepEqual(s.counts, { waiting: 0, active: 0, delayed: 0, completed: 4, failed: 1 });
      assert.equal(s.failed[0].input, join(dir, 'in9.wav'));
      assert.equal(s.failed[0].attemptsMade, 1, 'a bad input is not retried');
      const text = await runCli(['jobs', '--queue', redis.url, '--queue-name', 'many']);
      assert.match(text.stdout, /completed 4 {3}failed 1/);
      assert.ok(text.stdout.includes(cliError.replace('tacet: error: ', '')), text.stdout);

      // `jobs retry` runs it again: it fails again the same way, still without automatic retries.
      const retry = await runCli(['jobs', 'retry', '--failed', '--queue', redis.url, '--queue-name', 'many']);
      assert.match(retry.stdout, /retrying 1 failed job/);
      await until('the retried job to fail again', 20_000, async () => {
        const again = JSON.parse((await runCli(['jobs', '--queue', redis.url, '--queue-name', 'many', '--json'])).stdout) as typeof s;
        return again.counts.failed === 1 && again.counts.waiting + again.counts.active === 0 ? again : undefined;
      }, 300);
    } finally {
      for (const w of workers) assert.equal(await w.stop(), 0, w.log);
    }
  });

  test('a worker killed with SIGKILL mid-render: the job completes on the other, no partial file', async () => {
    const dir = join(tmp.dir, 'kill');
    mkdirSync(dir);
    const out = join(dir, 'long.m4a');
    const workers = [new WorkerProcess(redis.url, 'kill'), new WorkerProcess(redis.url, 'kill')];
    const watch = watchQueue(redis.url, 'kill');
    const queue = watch.queue;
    try {
      await Promise.all(workers.map((w) => w.ready()));
      const r = await runCli(['submit', longInput, '-o', out, '--queue', redis.url, '--queue-name', 'kill']);
      assert.equal(r.code, 0, r.stderr);
      const id = r.stdout.split('\t')[0];
      // Mid-render: the job reports Rendering and its temporary file is on disk.
      const holder = await until('the render to start', 60_000, async () => {
        const { state, job } = await jobInfo(queue, id);
        const p = job.progress as unknown as JobProgressInfo;
        return state === 'active' && p?.stage === 'Rendering' && p.done > 0 && partials(dir).length > 0 ? job.processedBy : undefined;
      }, 50);
      const victim = workers.find((w) => w.name === holder)!;
      const survivor = workers.find((w) => w !== victim)!;
      assert.ok(victim, `no worker named ${holder}`);
      victim.proc.kill('SIGKILL');
      await victim.exited;

      const { job } = await until('the job to complete on the other worker', 90_000, async () => {
        const info = await jobInfo(queue, id);
        return info.state === 'completed' ? info : info.state === 'failed' ? assert.fail(info.job.failedReason) : undefined;
      }, 200);
      assert.equal(job.returnvalue.worker, survivor.name);
      assert.equal(job.returnvalue.output, out);
      assert.match(survivor.log, /stalled/);
      assert.deepEqual(readdirSync(dir), ['long.m4a']);
      const m = await measure(out);
      assert.ok(Math.abs(m.audioSeconds - job.returnvalue.outputFrames / 30) < 0.05, `${m.audioSeconds} s for ${job.returnvalue.outputFrames} frames`);
    } finally {
      await watch.close();
      for (const w of workers) await w.stop();
    }
  });

  test('SIGTERM mid-render returns the job to the queue, leaving no partial file; another worker completes it', async () => {
    const dir = join(tmp.dir, 'term');
    mkdirSync(dir);
    const first = new WorkerProcess(redis.url, 'term', ['--output-dir', dir]);
    const watch = watchQueue(redis.url, 'term');
    const queue = watch.queue;
    let second: WorkerProcess | null = null;
    try {
      await first.ready();
      // A timeline export (default name, into --output-dir), then a render long enough to interrupt.
      const r = await runCli(['submit', longInput, '--export', 'v3', '--queue', redis.url, '--queue-name', 'term']);
      const render = await runCli(['submit', longInput, '-o', join(dir, 'long.m4a'), '--queue', redis.url, '--queue-name', 'term']);
      const id = render.stdout.split('\t')[0];
      assert.equal(r.code, 0, r.stderr);
      await until('the render to start', 60_000, async () => {
        const { state, job } = await jobInfo(queue, id);
        const p = job.progress as unknown as JobProgressInfo;
        return state === 'active' && p?.stage === 'Rendering' ? true : undefined;
      }, 50);
      const stopped = Date.now();
      assert.equal(await first.stop(), 0, first.log);
      assert.ok(Date.now() - stopped < 10_000, 'the worker stopped without finishing the render');
      assert.match(first.log, new RegExp(`job ${id} returned to the queue`));
      assert.equal((await jobInfo(queue, id)).state, 'waiting');
      assert.deepEqual(partials(dir), []);

      second = new WorkerProcess(redis.url, 'term', ['--output-dir', dir]);
      const { job } = await until('the job to complete', 90_000, async () => {
        const info = await jobInfo(queue, id);
        return info.state === 'completed' ? info : info.state === 'failed' ? assert.fail(info.job.failedReason) : undefined;
      }, 200);
      assert.equal(job.returnvalue.output, join(dir, 'long.m4a'));
      assert.deepEqual(readdirSync(dir).sort(), ['long.m4a', 'long_ALTERED.v3']);
      // BullMQ counts the completing run as an attempt; the returned one is not counted.
      assert.equal(job.attemptsMade, 1, 'returning a job uses none of its attempts');
    } finally {
      await watch.close();
      await first.stop();
      await second?.stop();
    }
  });

  test('Redis killed and restarted mid-run: every job still completes, and submit --wait sees it', async () => {
    const dir = join(tmp.dir, 'restart');
    mkdirSync(dir);
    const n = 6;
    for (let i = 0; i < n; i++) await longWav(join(dir, `r${i}.wav`), 60);
    const workers = [new WorkerProcess(redis.url, 'restart'), new WorkerProcess(redis.url, 'restart')];
    try {
      await Promise.all(workers.map((w) => w.ready()));
      const waiter = spawn(process.execPath, [CLI, 'submit', join(dir, 'r*.wav'), '--queue', redis.url, '--queue-name', 'restart', '--wait'], { stdio: ['ignore', 'pipe', 'pipe'] });
      spawned.add(waiter);
      let stdout = '';
      let stderr = '';
      waiter.stdout!.on('data', (d) => (stdout += d));
      waiter.stderr!.on('data', (d) => (stderr += d));
      const waited = new Promise<number | null>((r) => waiter.on('exit', (c) => (spawned.delete(waiter), r(c))));
      // Restart while jobs are running.
      await until('a job to start', 30_000, () => (workers.some((w) => /started/.test(w.log)) ? true : undefined), 50);
      // Down for longer than the 2 s job locks: running jobs lose their locks and come back through
      // the stalled check, while finished ones must not be lost with the crash.
      await redis.stop('SIGKILL');
      await new Promise((r) => setTimeout(r, 2500));
      await redis.start();
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([waited, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 120_000)))]);
      clearTimeout(timer);
      if (code === 'timeout') waiter.kill('SIGKILL');
      assert.equal(code, 0, `${stdout}\n${stderr}\n${workers.map((w) => w.log).join('\n')}`);
      assert.match(stdout, new RegExp(`^${n} completed, 0 failed$`, 'm'));
      // The workers did see the outage, and came back.
      for (const w of workers) assert.match(w.log, /Redis at \S+: .*retrying[\s\S]*is back/, w.log);
      for (let i = 0; i < n; i++) {
        const line = stdout.split('\n').find((l) => l.includes(`r${i}.wav -> `)) ?? assert.fail(stdout);
        const kept = Number(/kept (\d+) of 1800 frames/.exec(line)?.[1]);
        // A 6 s tone every 10 s, each run widened by the 0.2 s margins (the first only at its end):
        // about 38.2 s, give or take the tone's fade at frame edges.
        assert.ok(Math.abs(kept - 38.2 * 30) <= 12, line);
        const m = await measure(join(dir, `r${i}_ALTERED.wav`));
        assert.ok(Math.abs(m.audioSeconds - kept / 30) < 0.01, `r${i}: ${m.audioSeconds} s for ${kept} frames`);
      }
      assert.deepEqual(partials(dir), []);
    } finally {
      for (const w of workers) await w.stop();
    }
  });
});

test('submit checks its options before touching Redis, and fails fast when Redis is unreachable', async () => {
  const dir = tempDir('tacet-queue-args-');
  try {
    const input = join(dir.dir, 'a.wav');
    await generateMedia(input, { duration: 1, audio: { sampleRate: 48000, layout: 'mono', bursts: [[0.2, 0.5]] } });
    const noQueue = await runCli(['submit', input], { env: { TACET_QUEUE: '' } });
    assert.equal(noQueue.code, 1);
    assert.match(noQueue.stderr, /--queue redis:\/\/HOST:PORT is required/);
    // Port 1 is never Redis: a bad edit option must be reported first, without connecting.
    const badOption = await runCli(['submit', input, '--queue', 'redis://127.0.0.1:1', '--margn', '1s']);
    assert.match(badOption.stderr, /Unknown option --margn; did you mean --margin\?/);
    const badEdit = await runCli(['submit', input, '--queue', 'redis://127.0.0.1:1', '--edit', 'audio:threshold=loud']);
    assert.equal(badEdit.code, 1);
    assert.doesNotMatch(badEdit.stderr, /Redis/);
    const missing = await runCli(['submit', join(dir.dir, 'nope.wav'), '--queue', 'redis://127.0.0.1:1']);
    assert.match(missing.stderr, /input file not found/);
    const started = Date.now();
    const down = await runCli(['submit', input, '--queue', 'redis://127.0.0.1:1']);
    assert.equal(down.code, 1);
    assert.match(down.stderr, /^tacet: error: cannot reach Redis at redis:\/\/127\.0\.0\.1:1: connection refused$/m);
    assert.ok(Date.now() - started < 15_000);
    const help = await runCli(['worker', '--help']);
    assert.match(help.stdout, /--concurrency/);
  } finally {
    dir.cleanup();
  }
});
