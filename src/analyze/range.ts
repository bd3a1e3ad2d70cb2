/**
 * One range of a parallel audio analysis: decodes from a seek point with pre-roll, discards up to
 * the exact sample where the range starts and reduces samples with the serial code (PeakReducer)
 * until its last frame ends. Runs inside a pool worker; also callable directly (tests, debugging).
 */
import { AudioReader } from '../media/audio-reader.js';
import { yieldToLoop } from '../media/av.js';
import { checkChannel, PeakReducer } from './audio.js';
import { ChunkSizer } from './chunks.js';

/** What a worker decodes; plain data so it crosses postMessage unchanged (floats stay exact). */
export interface RangeJob {
  path: string;
  stream: number;
  channel: number | null;
  tb: { num: number; den: number };
  /** First sample of the range, counted from the stream's first decoded sample. */
  startSample: number;
  /** ChunkSizer state at startSample (from the serial recurrence). */
  startErr: number;
  /** Frames in this range; null: to the end of the stream (the last range). */
  frames: number | null;
  /** First sample of the next range (= where this one's last frame ends); null for the last. */
  endSample: number | null;
  /** Seconds decoded before startSample so that the decoder's state has settled. */
  prerollSeconds: number;
  /** Sample frames hashed on both sides of each boundary to prove the stitch is exact. */
  verifySamples: number;
  /**
   * Segment-defined decoding (see parallel.ts): null for a continuous decode from one seek point.
   * Otherwise the range is a run of whole segments: startSample and each sample listed here start
   * one (frame starts, ascending, inside the range), and every segment except the stream's first is
   * decoded by a fresh decoder from an exact seek `prerollSeconds` before it.
   */
  segments: number[] | null;
  /** Shared progress/cancel block: Int32 [0] = cancel flag; Float64 slot `slot` = samples done. */
  shared?: SharedArrayBuffer;
  slot?: number;
}

/** What comes back; `head` must equal the previous range's `tail` for the stitch to count. */
export interface RangeResult {
  levels: Uint16Array;
  /** Hash of the `verifySamples` before startSample as this range decoded them (after pre-roll). */
  head: number | null;
  /** Hash of the `verifySamples` before endSample as this range decoded them. */
  tail: number | null;
  /** Position just after the last sample this range consumed. */
  endPosition: number;
  sampleRate: number;
  skipped: number;
}

/** Byte offset of the Float64 progress slots in the shared block (after the Int32 cancel flag). */
export const PROGRESS_OFFSET = 8;

/** FNV-1a over s16 values: order-sensitive and cheap enough to run on a few thousand samples. */
function hashInto(h: number, data: Int16Array, from: number, to: number): number {
  for (let k = from; k < to; k++) h = Math.imul(h ^ (data[k] & 0xffff), 16777619);
  return h;
}

/**
 * Decodes and reduces one range. `onProgress` (samples done) is for in-process callers; workers
 * report through the job's shared block.
 */
export async function runRange(job: RangeJob, onProgress?: (samples: number) => void): Promise<RangeResult> {
  const reader = await AudioReader.open(job.path, job.stream, { format: 's16', chunkSamples: 32768 });
  try {
    const ch = reader.channels;
    const sr = reader.sampleRate;
    checkChannel(job.path, job.stream, ch, job.channel);
    const cancel = job.shared ? new Int32Array(job.shared, 0, 1) : null;
    const progress = job.shared ? new Float64Array(job.shared, PROGRESS_OFFSET) : null;
    const expected = job.frames ?? Math.ceil(((reader.durationHint || 60) * sr - job.startSample) / ((sr * job.tb.den) / job.tb.num)) + 2;
    const reducer = new PeakReducer(new ChunkSizer(sr, job.tb, job.startErr), ch, job.channel, Math.max(16, expected), job.frames ?? Infinity);
    const start = job.startSample;
    const end = job.endSample ?? Infinity;
    const segmented = job.segments !== null;
    // Where decoding restarts: the range's start, then (segment-defined) each later segment.
    const restarts = [start, ...(job.segments ?? [])];
    const v = segmented ? 0 : job.verifySamples;
    let head: number | null = start > 0 && !segmented ? 0x811c9dc5 : null;
    let tail: number | null = job.endSample !== null && !segmented ? 0x811c9dc5 : null;
    let headOk = start === 0 || segmented;
    let pending = null as ReturnType<typeof reader.read>;
    let lastPos = start;
    let lastYield = performance.now();
    let ended = false;
    for (let seg = 0; seg < restarts.length && !ended; seg++) {
      const segStart = restarts[seg];
      const segEnd = seg + 1 < restarts.length ? restarts[seg + 1] : end;
      if (segStart > 0) {
        // The reader anchors positions on the first chunk it decodes from the top; seeking before
        // that would count from the seek point instead of the stream's first sample.
        const first = seg === 0 ? reader.read() : null;
        if (!segmented && first && first.position + first.samples > segStart - v) {
          pending = first; // the range starts in the first chunk: decoding from the top is exact
          headOk = true;
        } else {
          reader.seek(segStart, job.prerollSeconds, { exact: segmented, snap: true });
        }
      }
      for (let firstAfterSeek = true; ; firstAfterSeek = false) {
        const chunk = pending ?? reader.read();
        pending = null;
        if (!chunk) {
          ended = true;
          break;
        }
        const p = chunk.position;
        const n = chunk.samples;
        const data = chunk.data as Int16Array;
        // The pre-roll must reach back past the head region, or the stitch cannot be verified.
        if (firstAfterSeek && seg === 0 && start > 0 && p <= start - v) headOk = true;
        if (head !== null && p < start && p + n > start - v) {
          head = hashInto(head, data, (Math.max(p, start - v) - p) * ch, (Math.min(p + n, start) - p) * ch);
        }
        if (tail !== null && p < end && p + n > end - v) {
          tail = hashInto(tail, data, (Math.max(p, end - v, start) - p) * ch, (Math.min(p + n, end) - p) * ch);
        }
        if (p + n > segStart && p < segEnd) {
          const from = Math.max(0, segStart - p);
          const upto = Math.min(n, segEnd - p);
          const used = reducer.feed(data, from, upto - from);
          lastPos = p + from + used;
        }
        if (reducer.full || p + n >= segEnd) break;
        const done = Math.max(0, lastPos - start);
        if (progress && job.slot !== undefined) progress[job.slot] = done;
        const now = performance.now();
        if (now - lastYield > 50) {
          lastYield = now;
          onProgress?.(done);
          await yieldToLoop(); // N-API finalizers run only when the loop turns
          if (cancel && Atomics.load(cancel, 0) !== 0) throw new Error('analysis cancelled');
        }
      }
      if (reducer.full) break;
    }
    // A final partial chunk gets its level: in the last range, or where the stream ended early.
    const levels = job.frames === null || ended ? reducer.finish() : reducer.levels.finish();
    if (progress && job.slot !== undefined) progress[job.slot] = Math.max(0, lastPos - start);
    onProgress?.(Math.max(0, lastPos - start));
    return {
      levels,
      head: headOk ? head : null,
      tail: lastPos === end ? tail : null,
      endPosition: lastPos,
      sampleRate: sr,
      skipped: reader.skipped,
    };
  } finally {
    reader.close();
  }
}
