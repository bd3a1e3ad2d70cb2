import type { Rational } from '../timeline/rational.js';
import { ratToString } from '../timeline/rational.js';
import { analyzeAudio, type AnalysisProgress } from './audio.js';
import { cacheKey, readCachedLevels, writeCachedLevels } from './cache.js';

export { cleanCache, cacheDir } from './cache.js';
export { toUnorm16, fromUnorm16 } from './unorm16.js';

export interface LevelsOptions {
  noCache?: boolean;
  onProgress?: AnalysisProgress;
  signal?: AbortSignal;
  /** Called with the number of corrupt packets skipped (only when not served from cache). */
  onSkipped?: (count: number) => void;
}

/** Audio levels of one stream (and optionally one channel), from the cache when the file is unchanged. */
export async function audioLevels(
  path: string,
  stream: number,
  channel: number | null,
  tb: Rational,
  opts: LevelsOptions = {},
): Promise<{ levels: Uint16Array; seconds: number }> {
  const key = cacheKey(path, { method: 'audio', stream, channel, tb: ratToString(tb) });
  if (!opts.noCache) {
    const hit = readCachedLevels(key);
    if (hit) return hit;
  }
  const result = await analyzeAudio(path, stream, tb, channel, opts.onProgress, opts.signal);
  if (result.skipped > 0) opts.onSkipped?.(result.skipped);
  if (!opts.noCache) writeCachedLevels(key, result.levels, result.seconds);
  return { levels: result.levels, seconds: result.seconds };
}
