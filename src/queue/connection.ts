/**
 * The Redis side of the queue: which server and queue a command talks to, and one ioredis
 * connection configured for BullMQ.
 *
 * Every command reconnects for ever once connected (a Redis restart must not kill a worker or a
 * waiting `submit`); only the first connection is bounded for the short commands, so that a typo
 * in the URL fails in seconds with one clear line instead of hanging.
 */
import { Redis } from 'ioredis';
import { CancelledError, UserError } from '../errors.js';

/** The queue's name in Redis when `--queue-name` is not given. */
export const DEFAULT_QUEUE_NAME = 'tacet';

/** Environment variable read when `--queue` is not given (handy on every machine of a fleet). */
export const QUEUE_ENV = 'TACET_QUEUE';

/** Where the queue lives: a checked Redis URL, the same URL safe to print, and the queue name. */
export interface QueueTarget {
  url: string;
  /** The URL with its password masked, for messages and logs. */
  display: string;
  name: string;
}

/**
 * Checks `--queue` (or $TACET_QUEUE) and `--queue-name`. Only redis:// and rediss:// (TLS) URLs
 * are accepted: anything else is almost certainly a mistake, not another transport.
 */
export function queueTarget(url: string | undefined, name: string | undefined): QueueTarget {
  if (url === undefined || url === '') {
    throw new UserError(`--queue redis://HOST:PORT is required (or set ${QUEUE_ENV})`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`--queue needs a Redis URL such as redis://localhost:6379, got '${url}'`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new UserError(`--queue needs a redis:// or rediss:// URL, got '${url}'`);
  }
  if (!parsed.hostname) throw new UserError(`--queue URL has no host: '${url}'`);
  const queueName = name ?? DEFAULT_QUEUE_NAME;
  // BullMQ builds its keys as prefix:name:…; a colon in the name would make them ambiguous.
  if (!/^[A-Za-z0-9_.-]+$/.test(queueName)) {
    throw new UserError(`--queue-name may contain only letters, digits, '_', '.' and '-', got '${queueName}'`);
  }
  const masked = new URL(parsed.href);
  if (masked.password) masked.password = '****';
  return { url: parsed.href, display: masked.href.replace(/\/$/, ''), name: queueName };
}

/** Failed tries after which a bounded first connection gives up (about a second of retries). */
const FIRST_CONNECT_ATTEMPTS = 5;

/** How a command connects. */
export interface ConnectOptions {
  /**
   * Give up if the first connection is not ready within this many milliseconds (UserError);
   * null = wait for ever (a worker started before Redis simply waits for it).
   */
  firstConnectTimeoutMs: number | null;
  /** Told about connection problems (each distinct message once until the link is back). */
  onProblem?: (message: string) => void;
  /** Told when the link is back after a problem. */
  onRecovered?: () => void;
  /** Stops waiting for the first connection (CancelledError): a worker told to stop while Redis is down. */
  signal?: AbortSignal;
}

/**
 * Opens a connection ready for BullMQ: `maxRetriesPerRequest: null` (BullMQ requires it for
 * workers, and it makes every command wait through a Redis restart instead of failing), and a
 * reconnect delay that grows to 2 s, for ever.
 */
export async function connectRedis(target: QueueTarget, opts: ConnectOptions): Promise<Redis> {
  const redis = new Redis(target.url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(100 * times, 2000),
    // Fail a stuck TCP connect quickly; the retry strategy then tries again.
    connectTimeout: 5000,
  });
  let lastProblem: string | null = null;
  let failures = 0;
  let giveUp: (() => void) | null = null;
  redis.on('error', (e: Error) => {
    failures++;
    // A bounded first connection gives up after a few refusals rather than the whole timeout.
    if (giveUp !== null && failures >= FIRST_CONNECT_ATTEMPTS) giveUp();
    const message = describeRedisError(e);
    if (message === lastProblem) return;
    lastProblem = message;
    opts.onProblem?.(message);
  });
  redis.on('ready', () => {
    if (lastProblem !== null) opts.onRecovered?.();
    lastProblem = null;
  });
  if (redis.status === 'ready') return redis;
  await new Promise<void>((resolve, reject) => {
    const fail = () => {
      if (timer) clearTimeout(timer);
      giveUp = null;
      redis.off('ready', onReady);
      redis.disconnect();
      reject(new UserError(`cannot reach Redis at ${target.display}${lastProblem ? `: ${lastProblem}` : ''}`));
    };
    const timer = opts.firstConnectTimeoutMs === null ? null : setTimeout(fail, opts.firstConnectTimeoutMs);
    if (timer) giveUp = fail;
    const onAbort = () => {
      if (timer) clearTimeout(timer);
      redis.off('ready', onReady);
      redis.disconnect();
      reject(new CancelledError('stopped while waiting for Redis'));
    };
    const onReady = () => {
      if (timer) clearTimeout(timer);
      giveUp = null;
      opts.signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    redis.once('ready', onReady);
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
  return redis;
}

/** One line for a connection error (ioredis wraps them in several ways). */
export function describeRedisError(e: unknown): string {
  if (e instanceof AggregateError && e.errors.length > 0) return describeRedisError(e.errors[0]);
  const err = e as { code?: string; message?: string };
  if (err.code === 'ECONNREFUSED') return 'connection refused';
  if (err.code === 'ENOTFOUND') return 'host not found';
  if (err.code === 'ETIMEDOUT') return 'connection timed out';
  return err.message ?? String(e);
}

/** Closes a connection without waiting on a server that may be gone. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    try {
      await Promise.race([redis.quit(), new Promise((res) => setTimeout(res, 1000))]);
    } catch {
      // Already closing or gone: disconnect below is enough.
    }
  }
  redis.disconnect();
}
