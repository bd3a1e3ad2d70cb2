/**
 * Parallel audio analysis: a long stream is split at timeline-frame boundaries (found with the
 * serial chunk recurrence, so ranges end exactly where the next begins), each range is decoded by a
 * pool worker from a seek point with pre-roll, and the levels are concatenated. The stitch is
 * verified: each range hashes the samples just before its start as it decoded them after pre-roll,
 * and the previous range hashes the same samples as it decoded them continuously; any mismatch (or
 * a short range, or a corrupt packet) discards the parallel result and the serial path runs.
 */
import { MediaError } from '../errors.js';
import { av } from '../media/av.js';
import { StreamDecoder } from '../media/decoder.js';
import type { Rational } from '../timeline/rational.js';
import { analyzeAudioSerial, checkChannel, type AnalysisProgress, type AnalyzeAudioOptions, type AudioAnalysisResult } from './audio.js';
import { frameStarts } from './chunks.js';
import { poolSize, runOnPool } from './pool.js';
import { PROGRESS_OFFSET, type RangeJob, type RangeResult } from './range.js';

/**
 * Codecs whose decoders, after a seek and one second of pre-roll, give bit-identical samples to a
 * continuous decode (checked by test/e2e/analyze-parallel.test.ts). Others are analysed serially.
 */
const EXACT_AFTER_PREROLL = new Set(['mp3', 'mp3float', 'flac', 'opus']);

/** Whether the codec's decoder is known to settle bit-exactly after pre-roll. */
export function parallelCodec(codec: string): boolean {
  return EXACT_AFTER_PREROLL.has(codec) || codec.startsWith('pcm_');
}

/** Default length above which analysis splits (seconds): shorter files are not worth the start-up. */
export const DEFAULT_SPLIT_SECONDS = 600;

interface StreamFacts {
  codec: string;
  sampleRate: number;
  channels: number;
  seconds: number;
}

async function facts(path: string, stream: number): Promise<StreamFacts> {
  const dec = await StreamDecoder.open(path, 'audio', stream);
  try {
    const st = dec.stream;
    const tb = st.timeBase;
    let seconds = 0;
    if (st.duration > 0n && tb.den) seconds = (Number(st.duration) * tb.num) / tb.den;
    else if (dec.fmt.duration > 0n) seconds = Number(dec.fmt.duration) / 1e6;
    return { codec: av().lib.avGetCodecName(st.codecpar.codecId) ?? '', sampleRate: dec.ctx.sampleRate, channels: dec.ctx.channels, seconds };
  } finally {
    dec.close();
  }
}

/**
 * Analyses in parallel ranges when the input is long enough and its codec allows it; returns the
 * serial result (with the reason) when the parallel one cannot be proven identical, and null when
 * the input should simply take the serial path.
 */
export async function analyzeAudioParallel(
  path: string,
  stream: number,
  tb: Rational,
  channel: number | null,
  onProgress: AnalysisProgress | undefined,
  signal: AbortSignal | undefined,
  opts: AnalyzeAudioOptions,
): Promise<AudioAnalysisResult | null> {
  const split = opts.splitSeconds ?? DEFAULT_SPLIT_SECONDS;
  const f = await facts(path, stream);
  checkChannel(path, stream, f.channels, channel);
  if (!(f.seconds > split) || !(f.sampleRate > 0)) return null;
  const count = opts.ranges ?? poolSize();
  if (count < 2) return null;
  if (!parallelCodec(f.codec)) {
    return analyzeAudioSerial(path, stream, tb, channel, onProgress, signal, `codec ${f.codec} does not decode bit-exactly after a seek`);
  }
  const perFrame = (f.sampleRate * tb.den) / tb.num;
  const totalFrames = Math.floor((f.seconds * f.sampleRate) / perFrame);
  const cuts = Array.from({ length: count }, (_, i) => Math.floor((i * totalFrames) / count));
  const starts = frameStarts(f.sampleRate, tb, cuts);
  const shared = new SharedArrayBuffer(PROGRESS_OFFSET + 8 * count);
  const jobs: RangeJob[] = starts.map((s, i) => {
    const next = starts[i + 1];
    return {
      path,
      stream,
      channel,
      tb: { num: tb.num, den: tb.den },
      startSample: s.sample,
      startErr: s.err,
      frames: next ? next.frame - s.frame : null,
      endSample: next ? next.sample : null,
      prerollSeconds: 1,
      verifySamples: 4096,
      shared,
      slot: i,
    };
  });
  const cancel = new Int32Array(shared, 0, 1);
  const progress = new Float64Array(shared, PROGRESS_OFFSET, count);
  const onAbort = () => Atomics.store(cancel, 0, 1);
  signal?.addEventListener('abort', onAbort);
  const timer = onProgress
    ? setInterval(() => onProgress(progress.reduce((a, b) => a + b, 0) / f.sampleRate, f.seconds), 100)
    : null;
  let results: RangeResult[];
  try {
    const settled = await Promise.allSettled(jobs.map((j) => runOnPool(j)));
    if (signal?.aborted) throw signal.reason;
    const failed = settled.find((s) => s.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failed) {
      // A user error (bad channel, missing stream) is the same in serial; anything else may be a
      // seek problem of this file, which the serial path does not have.
      if (failed.reason instanceof MediaError) {
        return analyzeAudioSerial(path, stream, tb, channel, onProgress, signal, `parallel range failed: ${failed.reason.message}`);
      }
      throw failed.reason;
    }
    results = settled.map((s) => (s as PromiseFulfilledResult<RangeResult>).value);
  } finally {
    if (timer) clearInterval(timer);
    signal?.removeEventListener('abort', onAbort);
  }
  const why = verify(jobs, results);
  if (why) return analyzeAudioSerial(path, stream, tb, channel, onProgress, signal, why);
  const total = results.reduce((a, r) => a + r.levels.length, 0);
  const levels = new Uint16Array(total);
  let at = 0;
  for (const r of results) {
    levels.set(r.levels, at);
    at += r.levels.length;
  }
  const last = results[results.length - 1];
  onProgress?.(last.endPosition / f.sampleRate, f.seconds);
  return { levels, seconds: last.endPosition / f.sampleRate, skipped: 0, mode: { kind: 'parallel', ranges: count } };
}

/** Why the ranges cannot be stitched into the serial result, or null when they can. */
function verify(jobs: RangeJob[], results: RangeResult[]): string | null {
  for (let i = 0; i < jobs.length; i++) {
    const r = results[i];
    if (r.skipped > 0) return 'corrupt packets: decoder state after a skip depends on where decoding began';
    if (jobs[i].frames !== null && r.levels.length !== jobs[i].frames) return `range ${i} ended early (duration metadata longer than the stream)`;
    if (i > 0) {
      const prev = results[i - 1];
      if (r.head === null || prev.tail === null || r.head !== prev.tail) return `range ${i} does not match the continuous decode at its start`;
    }
  }
  return null;
}
