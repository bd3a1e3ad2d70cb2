/**
 * How audio levels are computed: one continuous decode, segment-defined decoding, or either of
 * those split into ranges decoded by a worker pool.
 *
 * Continuous (PCM, MP3, FLAC, Opus): the levels are those of one decode from the first sample.
 * Parallel ranges decode from a seek point with pre-roll; each range hashes the samples just before
 * its start as it decoded them, and the previous range hashes the same samples as it decoded them
 * continuously; any mismatch (or a short range, or a corrupt packet) discards the parallel result
 * and the single-threaded path runs.
 *
 * Segment-defined (AAC): FFmpeg's AAC decoder keeps a random state for noise substitution (PNS)
 * from its first frame on, which no seek can restore, so no range after a seek can match a
 * continuous decode exactly. Instead the levels are *defined* by fixed segments of
 * SEGMENT_SECONDS (boundaries at timeline-frame starts, from the serial chunk recurrence): segment
 * 0 is decoded from the top, every later one by a fresh decoder from the first packet at or after
 * SEGMENT_PREROLL seconds before it. Single-threaded and parallel runs decode exactly these
 * segments, so they agree by construction; a range is a run of whole segments. Inputs up to one
 * segment long are one continuous decode, as before; longer ones differ from a continuous decode
 * only inside noise-substituted bands (other random numbers, same energy).
 *
 * Range boundaries in both modes come from the serial recurrence, so ranges end exactly where the
 * next begins.
 */
import { MediaError } from '../errors.js';
import { AudioReader } from '../media/audio-reader.js';
import type { Rational } from '../timeline/rational.js';
import { analyzeAudioSerial, checkChannel, type AnalysisProgress, type AnalyzeAudioOptions, type AudioAnalysisResult } from './audio.js';
import { frameStarts, type FrameStart } from './chunks.js';
import { PROGRESS_OFFSET, runRange, type RangeJob, type RangeResult } from './range.js';

/**
 * Codecs whose decoders, after a seek and one second of pre-roll, give bit-identical samples to a
 * continuous decode (checked by test/e2e/analyze-parallel.test.ts).
 */
const EXACT_AFTER_PREROLL = new Set(['mp3', 'mp3float', 'flac', 'opus']);

/** Codecs analysed in fixed segments (see the file comment). */
const SEGMENT_DEFINED = new Set(['aac']);

/** Length of a segment of segment-defined decoding, seconds (part of the levels' definition). */
export const SEGMENT_SECONDS = 300;

/** Pre-roll before each segment (AAC needs one frame for its overlap; SBR settles in a few). */
const SEGMENT_PREROLL = 0.5;

/** Whether the codec's decoder is known to settle bit-exactly after pre-roll. */
export function parallelCodec(codec: string): boolean {
  return EXACT_AFTER_PREROLL.has(codec) || codec.startsWith('pcm_');
}

/** Whether the codec's levels are segment-defined. */
export function segmentedCodec(codec: string): boolean {
  return SEGMENT_DEFINED.has(codec);
}

/**
 * Default length above which analysis splits (seconds). Below it, starting worker threads (each
 * loads node-av) costs more than the pool saves on two cores.
 */
export const DEFAULT_SPLIT_SECONDS = 600;

interface StreamFacts {
  codec: string;
  sampleRate: number;
  channels: number;
  seconds: number;
}

function factsOf(reader: AudioReader): StreamFacts {
  return { codec: reader.codec, sampleRate: reader.sampleRate, channels: reader.channels, seconds: reader.durationHint };
}

/**
 * Levels of one audio stream by the right method for its codec and length (see the file comment).
 * The file is opened once for the facts; a single-threaded continuous decode goes on with it.
 */
export async function analyzeAudioPlanned(
  path: string,
  stream: number,
  tb: Rational,
  channel: number | null,
  onProgress: AnalysisProgress | undefined,
  signal: AbortSignal | undefined,
  opts: AnalyzeAudioOptions,
): Promise<AudioAnalysisResult> {
  let reader: AudioReader<Int16Array> | null = await AudioReader.open(path, stream, { format: 's16', chunkSamples: 32768 });
  try {
    const f = factsOf(reader);
    checkChannel(path, stream, f.channels, channel);
    const segmented = segmentedCodec(f.codec) && f.sampleRate > 0;
    const perFrame = (f.sampleRate * tb.den) / tb.num;
    const totalFrames = Math.floor((f.seconds * f.sampleRate) / perFrame);
    const segFrames = Math.max(1, Math.round(((opts.segmentSeconds ?? SEGMENT_SECONDS) * tb.num) / tb.den));
    // Segment starts after the first (frame indices); the last segment runs to the end of the stream.
    const segCuts: number[] = [];
    if (segmented) for (let k = segFrames; k < totalFrames; k += segFrames) segCuts.push(k);
    const split = opts.splitSeconds ?? DEFAULT_SPLIT_SECONDS;
    const canSplit = segmented || parallelCodec(f.codec);
    const long = opts.parallel !== false && f.seconds > split && f.sampleRate > 0 && canSplit;
    // The pool module is loaded only for inputs that may use it.
    const threads = long ? (await import('./pool.js')).poolSize() : 1;
    // One range per thread: each range opens the file, and with MP4 every open re-reads the sample
    // index; a second range per thread (for load balance) raised the peak RSS of 1 h of AAC in
    // .m4a from 139 to 150 MB.
    const count = long ? (opts.ranges ?? threads) : 1;
    if (long && count >= 2) {
      reader.close();
      reader = null;
      const r = await runParallel(path, stream, tb, channel, f, count, segmented ? segCuts : null, totalFrames, onProgress, signal);
      if (typeof r !== 'string') return r;
      return single(path, stream, tb, channel, f, segmented ? segCuts : null, onProgress, signal, r);
    }
    if (!segmented || segCuts.length === 0) {
      const why = f.seconds > split && !canSplit ? `codec ${f.codec} does not decode bit-exactly after a seek` : undefined;
      const r = reader;
      reader = null; // analyzeAudioSerial closes it
      return await analyzeAudioSerial(path, stream, tb, channel, onProgress, signal, why, r);
    }
    reader.close();
    reader = null;
    return await single(path, stream, tb, channel, f, segCuts, onProgress, signal);
  } finally {
    reader?.close();
  }
}

/** The single-threaded result: one continuous decode, or the segments one after another. */
async function single(
  path: string,
  stream: number,
  tb: Rational,
  channel: number | null,
  f: StreamFacts,
  segCuts: number[] | null,
  onProgress: AnalysisProgress | undefined,
  signal: AbortSignal | undefined,
  why?: string,
): Promise<AudioAnalysisResult> {
  if (!segCuts || segCuts.length === 0) return analyzeAudioSerial(path, stream, tb, channel, onProgress, signal, why);
  const starts = frameStarts(f.sampleRate, tb, segCuts);
  const job: RangeJob = {
    path,
    stream,
    channel,
    tb: { num: tb.num, den: tb.den },
    startSample: 0,
    startErr: 0,
    frames: null,
    endSample: null,
    prerollSeconds: SEGMENT_PREROLL,
    verifySamples: 0,
    segments: starts.map((s) => s.sample),
  };
  try {
    const r = await runRange(job, (done) => {
      onProgress?.(done / f.sampleRate, f.seconds);
      if (signal?.aborted) throw signal.reason;
    });
    return { levels: r.levels, seconds: r.endPosition / f.sampleRate, skipped: r.skipped, mode: { kind: 'serial', why: why ?? `segments of ${starts.length + 1}` } };
  } catch (e) {
    // A seek that cannot be made exact: the continuous decode is the only definition left.
    if (e instanceof MediaError && !signal?.aborted) {
      return analyzeAudioSerial(path, stream, tb, channel, onProgress, signal, `segmented decode failed: ${e.message}`);
    }
    throw e;
  }
}

/** Range boundaries (frame indices): near-equal shares, on segment starts when segmented. */
function rangeCuts(count: number, totalFrames: number, segCuts: number[] | null): number[] {
  if (!segCuts) return Array.from({ length: count }, (_, i) => Math.floor((i * totalFrames) / count));
  const n = Math.min(count, segCuts.length + 1);
  const cuts = [0];
  for (let i = 1; i < n; i++) cuts.push(segCuts[Math.round((i * (segCuts.length + 1)) / n) - 1]);
  return cuts;
}

/** The parallel result, or why it cannot be used (then the caller runs the single-threaded path). */
async function runParallel(
  path: string,
  stream: number,
  tb: Rational,
  channel: number | null,
  f: StreamFacts,
  count: number,
  segCuts: number[] | null,
  totalFrames: number,
  onProgress: AnalysisProgress | undefined,
  signal: AbortSignal | undefined,
): Promise<AudioAnalysisResult | string> {
  const { runAllOnPool, joinLevels } = await import('./pool.js');
  const cuts = rangeCuts(count, totalFrames, segCuts);
  const starts = frameStarts(f.sampleRate, tb, cuts);
  const segStarts = segCuts ? frameStarts(f.sampleRate, tb, segCuts) : [];
  const shared = new SharedArrayBuffer(PROGRESS_OFFSET + 8 * starts.length);
  const jobs: RangeJob[] = starts.map((s: FrameStart, i) => {
    const next = starts[i + 1];
    const inside = segStarts.filter((g) => g.frame > s.frame && (!next || g.frame < next.frame)).map((g) => g.sample);
    return {
      path,
      stream,
      channel,
      tb: { num: tb.num, den: tb.den },
      startSample: s.sample,
      startErr: s.err,
      frames: next ? next.frame - s.frame : null,
      endSample: next ? next.sample : null,
      prerollSeconds: segCuts ? SEGMENT_PREROLL : 1,
      verifySamples: 4096,
      segments: segCuts ? inside : null,
      shared,
      slot: i,
    };
  });
  const results = await runAllOnPool<RangeJob, RangeResult>(
    jobs,
    shared,
    signal,
    onProgress ? (done) => onProgress(done / f.sampleRate, f.seconds) : null,
  );
  if (typeof results === 'string') return results;
  const why = verify(jobs, results);
  if (why) return why;
  const levels = joinLevels(results);
  const last = results[results.length - 1];
  onProgress?.(last.endPosition / f.sampleRate, f.seconds);
  const skipped = results.reduce((a, r) => a + r.skipped, 0);
  return { levels, seconds: last.endPosition / f.sampleRate, skipped, mode: { kind: 'parallel', ranges: jobs.length } };
}

/** Why the ranges cannot be stitched into the single-threaded result, or null when they can. */
function verify(jobs: RangeJob[], results: RangeResult[]): string | null {
  for (let i = 0; i < jobs.length; i++) {
    const r = results[i];
    if (jobs[i].frames !== null && r.levels.length !== jobs[i].frames) return `range ${i} ended early (duration metadata longer than the stream)`;
    // Segment-defined ranges are identical by construction, corrupt packets included.
    if (jobs[i].segments !== null) continue;
    if (r.skipped > 0) return 'corrupt packets: decoder state after a skip depends on where decoding began';
    if (i > 0) {
      const prev = results[i - 1];
      if (r.head === null || prev.tail === null || r.head !== prev.tail) return `range ${i} does not match the continuous decode at its start`;
    }
  }
  return null;
}
