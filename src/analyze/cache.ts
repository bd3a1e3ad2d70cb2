import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Bumped whenever the meaning of cached levels changes, so old entries are never read.
 * 2: AAC levels of inputs longer than one segment are segment-defined (analyze/parallel.ts); a
 * change of SEGMENT_SECONDS or of the segment pre-roll must bump it again.
 */
const CACHE_VERSION = 2;

/** Where levels are cached: $TACET_CACHE_DIR, else $XDG_CACHE_HOME/tacet, else ~/.cache/tacet. */
export function cacheDir(): string {
  if (process.env.TACET_CACHE_DIR) return process.env.TACET_CACHE_DIR;
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'tacet');
}

/**
 * Cache key: the file's identity (absolute path, size, mtime) plus every parameter that changes
 * the levels. A changed file gets a new key, so entries never go stale silently.
 */
export function cacheKey(path: string, params: Record<string, string | number | null>): string {
  const st = statSync(path);
  const id = JSON.stringify({ v: CACHE_VERSION, path: resolve(path), size: st.size, mtime: st.mtimeMs, params });
  return createHash('sha256').update(id).digest('hex').slice(0, 32);
}

interface CacheHeader {
  seconds: number;
  count: number;
}

/** Cached levels for a key, or null (missing or unreadable entries are just misses). */
export function readCachedLevels(key: string): { levels: Uint16Array; seconds: number } | null {
  const file = join(cacheDir(), `${key}.levels`);
  try {
    const buf = readFileSync(file);
    const headerLen = buf.readUInt32LE(0);
    const header = JSON.parse(buf.subarray(4, 4 + headerLen).toString('utf8')) as CacheHeader;
    const body = buf.subarray(4 + headerLen);
    if (body.length !== header.count * 2) return null;
    const levels = new Uint16Array(header.count);
    for (let i = 0; i < header.count; i++) levels[i] = body.readUInt16LE(i * 2);
    return { levels, seconds: header.seconds };
  } catch {
    return null;
  }
}

/** Stores levels atomically (temp file + rename); failures are ignored: the cache is optional. */
export function writeCachedLevels(key: string, levels: Uint16Array, seconds: number): void {
  try {
    const dir = cacheDir();
    mkdirSync(dir, { recursive: true });
    const header = Buffer.from(JSON.stringify({ seconds, count: levels.length } satisfies CacheHeader), 'utf8');
    const body = Buffer.alloc(levels.length * 2);
    for (let i = 0; i < levels.length; i++) body.writeUInt16LE(levels[i], i * 2);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(header.length, 0);
    const tmp = join(dir, `${key}.${process.pid}.tmp`);
    writeFileSync(tmp, Buffer.concat([len, header, body]));
    renameSync(tmp, join(dir, `${key}.levels`));
  } catch {
    // A read-only or full cache folder must not fail the edit.
  }
}

/** Deletes every cache entry; returns how many files were removed. */
export function cleanCache(): number {
  const dir = cacheDir();
  let n = 0;
  try {
    for (const f of readdirSync(dir)) {
      if (f.endsWith('.levels') || f.endsWith('.tmp')) {
        rmSync(join(dir, f), { force: true });
        n++;
      }
    }
  } catch {
    return 0;
  }
  return n;
}
