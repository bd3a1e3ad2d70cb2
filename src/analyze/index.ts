import type { Rational } from '../timeline/rational.js';
import { ratToString } from '../timeline/rational.js';
import { analyzeAudio, type AnalysisProgress } from './audio.js';
import { analyzeVideoPlanned } from './video-parallel.js';
import { cacheKey, readCachedLevels, writeCachedLevels } from './cache.js';

export { cleanCache, cacheDir } from './cache.js';
export { toUnorm16, fromUnorm16 } from './unorm16.js';

export interface LevelsOptions {
  noCache?: boolean;
  onProgress?: AnalysisProgress;
  signal?: AbortSignal;
  /** Called with the number of corrupt packets skipped (only when not served from cache). */
  onSkipped?: (count: number) => void;
  /** Keep audio analysis on the calling thread (the levels are the same either way). */
  singleThreaded?: boolean;
}

interface Computed {
  levels: Uint16Array;
  seconds: number;
  skipped: number;
}

/** Levels from the cache when the file is unchanged, else computed (and stored). */
async function cached(
  path: string,
  params: Record<string, string | number | null>,
  opts: LevelsOptions,
  compute: () => Promise<Computed>,
): Promise<{ levels: Uint16Array; seconds: number }> {
  const key = cacheKey(path, params);
  if (!opts.noCache) {
    const hit = readCachedLevels(key);
    if (hit) return hit;
  }
  const result = await compute();
  if (result.skipped > 0) opts.onSkipped?.(result.skipped);
  if (!opts.noCache) writeCachedLevels(key, result.levels, result.seconds);
  return { levels: result.levels, seconds: result.seconds };
}

/** Audio levels of one stream (and optionally one channel): peak per timeline frame. */
export function audioLevels(
  path: string,
  stream: number,
  channel: number | null,
  tb: Rational,
  opts: LevelsOptions = {},
): Promise<{ levels: Uint16Array; seconds: number }> {
  return cached(path, { method: 'audio', stream, channel, tb: ratToString(tb) }, opts, () =>
    analyzeAudio(path, stream, tb, channel, opts.onProgress, opts.signal, opts.singleThreaded ? { parallel: false } : {}),
  );
}

/** Motion per timeline frame of one video stream (auto-editor's motion method). */
export function motionLevels(
  path: string,
  stream: number,
  tb: Rational,
  p: { width: number; blur: number; region: [number, number, number, number] | null },
  opts: LevelsOptions = {},
): Promise<{ levels: Uint16Array; seconds: number }> {
  const params = { method: 'motion', stream, tb: ratToString(tb), width: p.width, blur: p.blur, region: p.region ? p.region.join(',') : null };
  return cached(path, params, opts, () =>
    analyzeVideoPlanned(path, stream, tb, { kind: 'motion', ...p }, opts.onProgress, opts.signal),
  );
}

/** Share of black pixels per timeline frame of one video stream (auto-editor's blackdetect). */
export function blackLevels(
  path: string,
  stream: number,
  tb: Rational,
  pixelBlack: number,
  opts: LevelsOptions = {},
): Promise<{ levels: Uint16Array; seconds: number }> {
  const params = { method: 'blackdetect', stream, tb: ratToString(tb), pixelBlack };
  return cached(path, params, opts, () => analyzeVideoPlanned(path, stream, tb, { kind: 'black', pixelBlack }, opts.onProgress, opts.signal));
}
