/**
 * Lazy access to node-av. Nothing else in tacet imports node-av at runtime: loading its native
 * binding costs ~100 ms, which `tacet --help` and `--version` must not pay.
 */
import { MediaError } from '../errors.js';

export type AvLib = typeof import('node-av/lib');
export type AvConst = typeof import('node-av/constants');
export interface Av {
  lib: AvLib;
  c: AvConst;
}

let loaded: Av | null = null;
let loading: Promise<Av> | null = null;

function polyfillWithResolvers(): void {
  // node-av's async demuxer uses Promise.withResolvers (Node 22+); without it, it silently yields
  // nothing on Node 20. tacet uses the sync API, but keep every entry point safe.
  const P = Promise as unknown as { withResolvers?: unknown };
  if (typeof P.withResolvers !== 'function') {
    P.withResolvers = function withResolvers<T>() {
      let resolve!: (v: T) => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    };
  }
}

/** Loads node-av once (its native binding and constants) and quiets FFmpeg's own logging. */
export async function loadAv(): Promise<Av> {
  if (loaded) return loaded;
  loading ??= (async () => {
    polyfillWithResolvers();
    const [lib, c] = await Promise.all([import('node-av/lib'), import('node-av/constants')]);
    // FFmpeg prints to stderr directly; tacet reports problems itself (one line per error).
    lib.Log.setLevel(process.env.TACET_FFMPEG_LOG ? c.AV_LOG_WARNING : c.AV_LOG_QUIET);
    loaded = { lib, c };
    return loaded;
  })();
  return loading;
}

/** The loaded module; only valid after `await loadAv()`. */
export function av(): Av {
  if (!loaded) throw new Error('node-av used before loadAv()');
  return loaded;
}

/** FFmpeg's message for an error code. */
export function averrorMessage(code: number): string {
  try {
    return av().lib.FFmpegError.strerror(code);
  } catch {
    return `error ${code}`;
  }
}

/** Throws a MediaError for a negative FFmpeg return code. */
export function check(ret: number, what: string): number {
  if (ret < 0) throw new MediaError(`${what}: ${averrorMessage(ret)}`);
  return ret;
}

/** Lets the event loop turn: N-API finalizers, signal handlers and progress timers run only then. */
export function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
