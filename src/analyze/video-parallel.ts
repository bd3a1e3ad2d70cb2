/**
 * How video levels (motion, blackdetect) are computed: one serial decode, or ranges decoded by the
 * worker pool and stitched.
 *
 * Video decoding from a keyframe is deterministic, so a range can start exactly: range boundaries
 * are keyframes found by seeking (cheap: no decoding). Each range after the first seeks to the
 * keyframe before its start keyframe and decodes that GOP as pre-roll: motion compares each frame
 * with the previous one, and the grid placement depends on the previous frame's index, so the
 * range's first value must be computed with the serial path's state. The previous range decodes
 * the same GOP continuously; both hash it (gray planes and grid indices) and also report the grid
 * index where one ends and the other begins. Any mismatch, a seek that does not land on the
 * expected keyframe, frames without their own or with non-increasing timestamps, or corrupt
 * packets discard the parallel result and the serial path runs.
 */
import { av } from '../media/av.js';
import { NOPTS, StreamDecoder } from '../media/decoder.js';
import type { Rational } from '../timeline/rational.js';
import type { AnalysisProgress } from './audio.js';
import { PROGRESS_OFFSET } from './range.js';
import { analyzeVideo, measureOf, type VideoAnalysisResult, type VideoMeasureSpec } from './video.js';
import type { VideoRangeJob, VideoRangeResult } from './video-range.js';

/**
 * Default length above which video analysis splits (seconds). Video decoding and measuring cost
 * far more per second than audio, so the pool pays off sooner than for audio (DEFAULT_SPLIT_SECONDS).
 */
export const DEFAULT_VIDEO_SPLIT_SECONDS = 120;

/**
 * Fewest analysis threads (see poolSize) with which video splits by default. The serial path
 * decodes H.264 with frame threads, which already keep two cores busy: on 2 cores, two ranges with
 * one decoder thread each were not faster (10-minute 720p30 file, see BENCHMARKS.md).
 */
export const MIN_VIDEO_THREADS = 3;

/** Tuning for {@link analyzeVideoPlanned}; tests inject these, the CLI uses defaults. */
export interface AnalyzeVideoOptions {
  /** Inputs longer than this (seconds) are analysed in parallel ranges. */
  splitSeconds?: number;
  /** Number of ranges; default one per thread (see poolSize), none below MIN_VIDEO_THREADS. */
  ranges?: number;
  /** false forces the serial path. */
  parallel?: boolean;
}

/** How the levels were computed (for tests and diagnostics). */
export type VideoMode = { kind: 'serial'; why: string } | { kind: 'parallel'; ranges: number };

/** Per-frame video levels by the serial path or, for long inputs, by the pool (see the file comment). */
export async function analyzeVideoPlanned(
  path: string,
  stream: number,
  tb: Rational,
  spec: VideoMeasureSpec,
  onProgress: AnalysisProgress | undefined,
  signal: AbortSignal | undefined,
  opts: AnalyzeVideoOptions = {},
): Promise<VideoAnalysisResult & { mode: VideoMode }> {
  const serial = async (why: string) => ({
    ...(await analyzeVideo(path, stream, tb, measureOf(spec), onProgress, signal)),
    mode: { kind: 'serial', why } as VideoMode,
  });
  if (opts.parallel === false) return serial('single-threaded');
  const split = opts.splitSeconds ?? DEFAULT_VIDEO_SPLIT_SECONDS;
  const plan = await planRanges(path, stream, split, opts.ranges);
  if (typeof plan === 'string') return serial(plan);
  const r = await runParallel(path, stream, tb, spec, plan, onProgress, signal);
  return typeof r === 'string' ? serial(r) : r;
}

interface Plan {
  /** Per range: [prerollPts, startPts] (null for the first range). */
  starts: Array<[number, number] | null>;
  seconds: number;
  threads: number;
}

/** Range boundaries at keyframes, or why the input stays serial. */
async function planRanges(path: string, stream: number, split: number, ranges: number | undefined): Promise<Plan | string> {
  // Checked before opening the file: below it, the serial path runs exactly as without a pool.
  const threads = (await import('./pool.js')).poolSize();
  if (ranges === undefined && threads < MIN_VIDEO_THREADS) return `single-threaded: ${threads} threads (frame-threaded decoding uses them)`;
  const dec = await StreamDecoder.open(path, 'video', stream, { threads: 1 });
  const { lib } = av();
  const pkt = new lib.Packet();
  pkt.alloc();
  try {
    const st = dec.stream;
    const stb = st.timeBase;
    const seconds = st.duration > 0n ? (Number(st.duration) * stb.num) / stb.den : dec.durationUs / 1e6;
    if (!(seconds > split)) return 'single-threaded';
    const count = ranges ?? threads;
    if (count < 2) return 'single-threaded';
    const origin = st.startTime !== NOPTS ? Number(st.startTime) : 0;
    const ticks = (seconds * stb.den) / stb.num;
    /** The first packet of the stream after a backward seek to `ts`: [pts, dts] of a keyframe, or null. */
    const keyAt = (ts: number): [number, number] | null => {
      if (dec.seekPackets(BigInt(Math.floor(ts))) < 0) return null;
      for (;;) {
        pkt.unref();
        if (dec.readPacket(pkt) < 0) return null;
        if (pkt.streamIndex !== st.index) continue;
        if (!pkt.isKeyframe || pkt.pts === NOPTS) return null;
        // Matroska gives keyframes no dts.
        return [Number(pkt.pts), pkt.dts === NOPTS ? Number(pkt.pts) : Number(pkt.dts)];
      }
    };
    const starts: Array<[number, number] | null> = [null];
    let lastStart = -Infinity;
    for (let i = 1; i < count; i++) {
      const p = keyAt(origin + (i * ticks) / count);
      if (!p || p[0] <= lastStart) continue;
      // The keyframe before it: demuxers seek by pts or by dts, so step back from the smaller.
      let q: [number, number] | null = null;
      for (let back = 1, k = 0; k < 8; k++, back *= 4) {
        q = keyAt(Math.min(p[0], p[1]) - back);
        if (!q || q[0] < p[0]) break;
      }
      if (!q || q[0] >= p[0] || q[0] < lastStart) continue;
      starts.push([q[0], p[0]]);
      lastStart = p[0];
    }
    if (starts.length < 2) return 'no keyframes to split at';
    return { starts, seconds, threads };
  } finally {
    pkt.free();
    dec.close();
  }
}

/** The stitched parallel result, or why it cannot be used. */
async function runParallel(
  path: string,
  stream: number,
  tb: Rational,
  spec: VideoMeasureSpec,
  plan: Plan,
  onProgress: AnalysisProgress | undefined,
  signal: AbortSignal | undefined,
): Promise<(VideoAnalysisResult & { mode: VideoMode }) | string> {
  const { runAllOnPool, joinLevels } = await import('./pool.js');
  const n = plan.starts.length;
  const shared = new SharedArrayBuffer(PROGRESS_OFFSET + 8 * n);
  const jobs: VideoRangeJob[] = plan.starts.map((s, i) => {
    const next = plan.starts[i + 1];
    return {
      kind: 'video',
      path,
      stream,
      tb: { num: tb.num, den: tb.den },
      measure: spec,
      prerollPts: s ? s[0] : null,
      startPts: s ? s[1] : null,
      endPts: next ? next[1] : null,
      tailFromPts: next ? next[0] : null,
      // The ranges already use every core; frame threads would only compete with them.
      threads: plan.threads >= n ? 1 : 0,
      shared,
      slot: i,
    };
  });
  const results = await runAllOnPool<VideoRangeJob, VideoRangeResult>(
    jobs,
    shared,
    signal,
    onProgress ? (done) => onProgress(done, plan.seconds) : null,
  );
  if (typeof results === 'string') return results;
  const why = verify(results);
  if (why) return why;
  const levels = joinLevels(results);
  const last = results[n - 1];
  onProgress?.(plan.seconds, plan.seconds);
  return { levels, seconds: last.seconds, skipped: 0, mode: { kind: 'parallel', ranges: n } };
}

/** Why the ranges cannot be stitched into the serial result, or null when they can. */
function verify(results: VideoRangeResult[]): string | null {
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    if (r.skipped > 0) return 'corrupt packets: decoder output after a skip depends on where decoding began';
    if (i === 0) continue;
    const prev = results[i - 1];
    if (r.head === null || r.head !== prev.tail) return `range ${i} pre-roll differs from the continuous decode`;
    if (r.startPrev !== prev.endPrev) return `range ${i} starts at another grid index than range ${i - 1} ends`;
  }
  return null;
}
