import { AudioReader } from '../media/audio-reader.js';
import { yieldToLoop } from '../media/av.js';
import { UserError } from '../errors.js';
import type { Rational } from '../timeline/rational.js';
import { ChunkSizer } from './chunks.js';
import { simdMinMax } from './simd.js';
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
  /** How the levels were computed (diagnostics and tests; the levels do not depend on it). */
  mode?: { kind: 'serial'; why: string } | { kind: 'parallel'; ranges: number };
}

export interface AnalysisProgress {
  (doneSeconds: number, totalSeconds: number): void;
}

/**
 * The per-sample core shared by the serial loop and the parallel ranges, so both reduce samples
 * with literally the same code: peaks over chunks sized by a ChunkSizer, one level per chunk.
 */
export class PeakReducer {
  private need: number;
  /** Largest and smallest sample of the current chunk (tracked apart: no data-dependent branch). */
  private hi = 0;
  private lo = 0;
  private readonly mm = { hi: 0, lo: 0 };
  /** No sample in the current chunk yet. */
  private fresh = true;
  private readonly table = levelTable();
  readonly levels: LevelBuffer;

  /** `maxLevels` stops a range exactly at its last frame's end (the next range starts there). */
  constructor(
    private readonly sizer: ChunkSizer,
    private readonly channels: number,
    private readonly channel: number | null,
    expected: number,
    private readonly maxLevels = Infinity,
  ) {
    this.levels = new LevelBuffer(expected);
    this.need = sizer.next();
  }

  /** True once `maxLevels` levels are complete. */
  get full(): boolean {
    return this.levels.length >= this.maxLevels;
  }

  /** Reduces sample frames `from` .. `from + n` of an interleaved chunk; returns how many it used. */
  feed(data: Int16Array, from: number, n: number): number {
    const step = this.channels;
    const span = this.channel === null ? step : 1;
    const start = this.channel ?? 0;
    let i = from;
    const end = from + n;
    let hi = this.hi;
    let lo = this.lo;
    let need = this.need;
    // All channels of a large span: vector min/max (simd.ts) over a copy of the span.
    const simd = span === step && n * step >= 256 ? simdMinMax() : null;
    const base = from * step;
    if (simd) simd.load(data, base, end * step);
    const mm = this.mm;
    while (i < end && !this.full) {
      const take = Math.min(need, end - i);
      const endIdx = (i + take) * step;
      if (simd) {
        simd.range(i * step - base, endIdx - base, mm);
        hi = mm.hi > hi ? mm.hi : hi;
        lo = mm.lo < lo ? mm.lo : lo;
      } else {
        // Conditional moves, not |s| and a compare: audio's signs alternate unpredictably, and
        // the branchy form measured ~4x slower.
        for (let k = i * step + (span === 1 ? start : 0), inc = span === 1 ? step : 1; k < endIdx; k += inc) {
          const s = data[k];
          hi = s > hi ? s : hi;
          lo = s < lo ? s : lo;
        }
      }
      this.fresh = false;
      i += take;
      need -= take;
      if (need === 0) {
        this.levels.push(this.table[hi > -lo ? hi : -lo]);
        hi = 0;
        lo = 0;
        this.fresh = true;
        need = this.full ? 0 : this.sizer.next();
      }
    }
    this.hi = hi;
    this.lo = lo;
    this.need = need;
    return i - from;
  }

  /** A final partial chunk still gets a level (only the stream's last range calls this). */
  finish(): Uint16Array {
    if (!this.fresh && !this.full) this.levels.push(this.table[this.hi > -this.lo ? this.hi : -this.lo]);
    this.fresh = true;
    return this.levels.finish();
  }
}

/** Checks `channel` against the stream's layout, with a message that names both. */
export function checkChannel(path: string, stream: number, channels: number, channel: number | null): void {
  if (channel !== null && (channel < 0 || channel >= channels)) {
    throw new UserError(`audio stream ${stream} of ${path} has ${channels} channel(s); channel ${channel} does not exist`);
  }
}

/** Tuning for {@link analyzeAudio}; tests and benchmarks inject these, the CLI uses defaults. */
export interface AnalyzeAudioOptions {
  /** Inputs longer than this (seconds) are analysed in parallel ranges; default 600. */
  splitSeconds?: number;
  /** Number of ranges; default one per thread (see poolSize). */
  ranges?: number;
  /** false forces the single-threaded path. */
  parallel?: boolean;
  /**
   * Segment length of segment-defined codecs (AAC), seconds; default SEGMENT_SECONDS. Tests use
   * short segments; it changes the levels' definition, so the CLI never sets it.
   */
  segmentSeconds?: number;
}

/**
 * Loudness per timeline frame of one audio stream, streamed: samples are reduced to one unorm16
 * per frame as they are decoded and never kept. Long inputs are split into ranges decoded by a
 * worker pool (see parallel.ts); the levels are identical to the single-threaded ones, and when
 * that cannot be guaranteed (codec neither exact after a seek nor segment-defined, boundary check
 * failed) the single-threaded path runs instead.
 */
export async function analyzeAudio(
  path: string,
  stream: number,
  tb: Rational,
  channel: number | null,
  onProgress?: AnalysisProgress,
  signal?: AbortSignal,
  options: AnalyzeAudioOptions = {},
): Promise<AudioAnalysisResult> {
  const { analyzeAudioPlanned } = await import('./parallel.js');
  return analyzeAudioPlanned(path, stream, tb, channel, onProgress, signal, options);
}

/**
 * The continuous single-threaded analysis: one decoder from the first sample to the end (on
 * `opened`, an unread reader of this stream, when given; it is closed here).
 */
export async function analyzeAudioSerial(
  path: string,
  stream: number,
  tb: Rational,
  channel: number | null,
  onProgress?: AnalysisProgress,
  signal?: AbortSignal,
  why?: string,
  opened?: AudioReader<Int16Array>,
): Promise<AudioAnalysisResult> {
  const reader = opened ?? (await AudioReader.open(path, stream, { format: 's16', chunkSamples: 32768 }));
  try {
    const channels = reader.channels;
    checkChannel(path, stream, channels, channel);
    const total = reader.durationHint;
    const reducer = new PeakReducer(new ChunkSizer(reader.sampleRate, tb), channels, channel, Math.ceil((total || 60) * (tb.num / tb.den)) + 2);
    let samplesSeen = 0;
    let lastYield = performance.now();
    for (;;) {
      const chunk = reader.read();
      if (!chunk) break;
      reducer.feed(chunk.data as Int16Array, 0, chunk.samples);
      samplesSeen += chunk.samples;
      const now = performance.now();
      if (now - lastYield > 50) {
        lastYield = now;
        onProgress?.(samplesSeen / reader.sampleRate, total);
        await yieldToLoop();
        if (signal?.aborted) throw signal.reason;
      }
    }
    const levels = reducer.finish();
    onProgress?.(samplesSeen / reader.sampleRate, total);
    return { levels, seconds: samplesSeen / reader.sampleRate, skipped: reader.skipped, mode: { kind: 'serial', why: why ?? 'single-threaded' } };
  } finally {
    reader.close();
  }
}
