import { AudioReader } from '../media/audio-reader.js';
import { yieldToLoop } from '../media/av.js';
import { UserError } from '../errors.js';
import type { Rational } from '../timeline/rational.js';
import { ChunkSizer } from './chunks.js';
import { toUnorm16 } from './unorm16.js';

/** Growable unorm16 array: levels are the only per-frame data analysis keeps. */
export class LevelBuffer {
  private buf: Uint16Array;
  length = 0;
  constructor(expected = 1024) {
    this.buf = new Uint16Array(Math.max(16, expected));
  }
  /** Appends one level. */
  push(v: number): void {
    if (this.length === this.buf.length) {
      const bigger = new Uint16Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.length++] = v;
  }
  /** The levels as a right-sized array. */
  finish(): Uint16Array {
    return this.buf.slice(0, this.length);
  }
}

/** Peak |sample| (0..32768) → unorm16 level, precomputed: the per-chunk cost is one lookup. */
let peakToLevel: Uint16Array | null = null;
function levelTable(): Uint16Array {
  if (!peakToLevel) {
    peakToLevel = new Uint16Array(32769);
    // auto-editor divides by 32767 and saturates at 1, so -32768 counts as full scale.
    for (let m = 0; m <= 32768; m++) peakToLevel[m] = toUnorm16(Math.min(m, 32767) / 32767);
  }
  return peakToLevel;
}

export interface AudioAnalysisResult {
  levels: Uint16Array;
  /** Largest end time of the stream's decoded audio, in seconds. */
  seconds: number;
  /** Packets the decoder skipped as corrupt. */
  skipped: number;
}

export interface AnalysisProgress {
  (doneSeconds: number, totalSeconds: number): void;
}

/**
 * Loudness per timeline frame of one audio stream, streamed: samples are reduced to one unorm16
 * per frame as they are decoded and never kept.
 */
export async function analyzeAudio(
  path: string,
  stream: number,
  tb: Rational,
  channel: number | null,
  onProgress?: AnalysisProgress,
  signal?: AbortSignal,
): Promise<AudioAnalysisResult> {
  const reader = await AudioReader.open(path, stream, { format: 's16', chunkSamples: 32768 });
  try {
    const channels = reader.channels;
    if (channel !== null && (channel < 0 || channel >= channels)) {
      throw new UserError(`audio stream ${stream} of ${path} has ${channels} channel(s); channel ${channel} does not exist`);
    }
    const table = levelTable();
    const sizer = new ChunkSizer(reader.sampleRate, tb);
    const total = reader.durationHint;
    const levels = new LevelBuffer(Math.ceil((total || 60) * (tb.num / tb.den)) + 2);
    let need = sizer.next();
    let fresh = true; // no sample in the current chunk yet
    let peak = 0;
    let samplesSeen = 0;
    let lastYield = performance.now();
    for (;;) {
      const chunk = reader.read();
      if (!chunk) break;
      const data = chunk.data as Int16Array;
      const n = chunk.samples;
      const start = channel ?? 0;
      const step = channels;
      const span = channel === null ? channels : 1;
      let i = 0;
      while (i < n) {
        const take = Math.min(need, n - i);
        const endIdx = (i + take) * step;
        if (span === 1) {
          for (let k = i * step + start; k < endIdx; k += step) {
            const s = data[k];
            const a = s < 0 ? -s : s;
            if (a > peak) peak = a;
          }
        } else {
          for (let k = i * step; k < endIdx; k++) {
            const s = data[k];
            const a = s < 0 ? -s : s;
            if (a > peak) peak = a;
          }
        }
        fresh = false;
        i += take;
        need -= take;
        if (need === 0) {
          levels.push(table[peak]);
          peak = 0;
          fresh = true;
          need = sizer.next();
        }
      }
      samplesSeen += n;
      const now = performance.now();
      if (now - lastYield > 50) {
        lastYield = now;
        onProgress?.(samplesSeen / reader.sampleRate, total);
        await yieldToLoop();
        if (signal?.aborted) throw signal.reason;
      }
    }
    if (!fresh) levels.push(table[peak]); // a final partial chunk still gets a level
    onProgress?.(samplesSeen / reader.sampleRate, total);
    return { levels: levels.finish(), seconds: samplesSeen / reader.sampleRate, skipped: reader.skipped };
  } finally {
    reader.close();
  }
}
