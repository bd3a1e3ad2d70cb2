/**
 * One range of a parallel video analysis (see video-parallel.ts): seeks to the keyframe before the
 * range's start keyframe, decodes and measures that whole GOP as pre-roll (so that the measure's
 * previous frame and the grid's `prev` index are those of the serial path when the range starts),
 * then places values with the serial code (placeLevel) until the next range's start keyframe.
 * Pre-roll frames and the frames that the next range uses as pre-roll are hashed, gray plane and
 * grid index, so that the caller can prove both sides decoded them identically.
 */
import { MediaError } from '../errors.js';
import { yieldToLoop } from '../media/av.js';
import { NOPTS, StreamDecoder } from '../media/decoder.js';
import { FilterPipe } from '../media/filter.js';
import { LevelBuffer } from './audio.js';
import { PROGRESS_OFFSET } from './range.js';
import { measureOf, placeLevel, type GrayPlane, type VideoMeasureSpec } from './video.js';

/** What a worker decodes; plain data (timestamps in stream time-base ticks). */
export interface VideoRangeJob {
  kind: 'video';
  path: string;
  stream: number;
  tb: { num: number; den: number };
  measure: VideoMeasureSpec;
  /** Keyframe pre-roll starts at; null: decode from the top (the first range). */
  prerollPts: number | null;
  /** The range's first frame (a keyframe); null for the first range. */
  startPts: number | null;
  /** The next range's start keyframe (not measured here); null: to the end of the stream. */
  endPts: number | null;
  /** The next range's prerollPts: frames from here to endPts are hashed into `tail`. */
  tailFromPts: number | null;
  /** Decoder threads (0: FFmpeg's choice). */
  threads: number;
  /** Shared progress/cancel block, laid out as for audio ranges (see range.ts). */
  shared?: SharedArrayBuffer;
  slot?: number;
}

export interface VideoRangeResult {
  levels: Uint16Array;
  /** Grid `prev` when the range's first frame arrived (−1 for the first range). */
  startPrev: number;
  /** Grid `prev` after the range's last frame. */
  endPrev: number;
  /** Hash of the pre-roll frames [prerollPts, startPts) as this range decoded them. */
  head: number | null;
  /** Hash of the frames [tailFromPts, endPts) as this range decoded them. */
  tail: number | null;
  /** Seconds at the last measured frame (as the serial path reports). */
  seconds: number;
  skipped: number;
}

const FNV = 0x811c9dc5;

function hashPlane(h: number, p: GrayPlane, index: number): number {
  h = Math.imul(h ^ (index & 0xffffffff), 16777619);
  for (let y = 0; y < p.height; y++) {
    const row = y * p.stride;
    for (let x = 0; x < p.width; x++) h = Math.imul(h ^ p.data[row + x], 16777619);
  }
  return h;
}

/** Decodes, measures and places one range; throws MediaError when it cannot be made exact. */
export async function runVideoRange(job: VideoRangeJob): Promise<VideoRangeResult> {
  const dec = await StreamDecoder.open(job.path, 'video', job.stream, { threads: job.threads });
  let pipe: FilterPipe | null = null;
  try {
    const stb = dec.timeBase;
    const rate = job.tb.num / job.tb.den;
    const m = measureOf(job.measure);
    const cancel = job.shared ? new Int32Array(job.shared, 0, 1) : null;
    const progress = job.shared ? new Float64Array(job.shared, PROGRESS_OFFSET) : null;
    const origin = job.startPts === null ? 0 : (job.startPts * stb.num) / stb.den;
    // Half a tick early: the seek floors to ticks, and a float product may fall just short.
    if (job.prerollPts !== null) dec.seek(((job.prerollPts - 0.5) * stb.num) / stb.den);
    const levels = new LevelBuffer(1024);
    let prev = -1;
    let startPrev = job.startPts === null ? -1 : null;
    let head: number | null = job.startPts === null ? null : FNV;
    let tail: number | null = job.tailFromPts === null ? null : FNV;
    let lastPts: number | null = null;
    let seconds = 0;
    let reachedEnd = job.endPts === null;
    let lastYield = performance.now();
    for (let f = dec.next(); f; f = dec.next()) {
      // Ranges work on exact packet timestamps; the serial path uses best-effort ones.
      if (f.pts === NOPTS || f.bestEffortTimestamp !== f.pts) throw new MediaError('frame without its own timestamp');
      const pts = Number(f.pts);
      if (job.prerollPts !== null && pts < job.prerollPts) continue; // before the pre-roll keyframe
      if (lastPts === null && job.prerollPts !== null && pts !== job.prerollPts) throw new MediaError('seek did not land on the pre-roll keyframe');
      if (lastPts !== null && pts <= lastPts) throw new MediaError('frame timestamps not increasing');
      lastPts = pts;
      if (job.endPts !== null && pts >= job.endPts) {
        reachedEnd = true;
        break;
      }
      const inRange = job.startPts === null || pts >= job.startPts;
      if (inRange && startPrev === null) startPrev = prev;
      const sec = (pts * stb.num) / stb.den;
      pipe ??= FilterPipe.create(
        { kind: 'video', width: f.width, height: f.height, pixelFormat: f.format, timeBase: stb, sar: { num: 1, den: 1 } },
        typeof m.chain === 'string' ? m.chain : m.chain(f.width, f.height),
      );
      pipe.push(f);
      for (let g = pipe.pull(); g; g = pipe.pull()) {
        const buf = g.data?.[0];
        if (!buf) continue;
        const plane = { data: buf, width: g.width, height: g.height, stride: g.linesize[0] };
        const value = m.measure(plane);
        const index = Math.round(sec * rate);
        if (!inRange) head = hashPlane(head!, plane, index);
        if (tail !== null && pts >= job.tailFromPts!) tail = hashPlane(tail, plane, index);
        prev = placeLevel(inRange ? levels : null, prev, index, value);
      }
      seconds = sec;
      const now = performance.now();
      if (now - lastYield > 50) {
        lastYield = now;
        if (progress && job.slot !== undefined) progress[job.slot] = Math.max(0, sec - origin);
        await yieldToLoop(); // N-API finalizers run only when the loop turns
        if (cancel && Atomics.load(cancel, 0) !== 0) throw new Error('analysis cancelled');
      }
    }
    if (!reachedEnd || startPrev === null) throw new MediaError('range ended before its end keyframe');
    if (progress && job.slot !== undefined) progress[job.slot] = Math.max(0, seconds - origin);
    return { levels: levels.finish(), startPrev, endPrev: prev, head, tail, seconds, skipped: dec.skipped };
  } finally {
    pipe?.close();
    dec.close();
  }
}
