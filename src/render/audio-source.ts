import { AudioReader, type PcmChunk } from '../media/audio-reader.js';

/** Seek instead of decoding forward when the gap is longer than this many seconds. */
const SEEK_GAP_SECONDS = 10;

/**
 * Reads exact sample ranges of one audio stream, already converted to the output's rate and
 * layout, decoding forward and seeking across long gaps. Keeps at most one decoded chunk.
 */
export class AudioSource {
  private chunk: PcmChunk<Float32Array> | null = null;
  /** Samples of `chunk` already consumed. */
  private used = 0;
  private ended = false;
  seeks = 0;

  private constructor(
    private readonly reader: AudioReader<Float32Array>,
    private readonly noSeek: boolean,
  ) {}

  /**
   * Opens the `nth` audio stream of `path`, converting to `sampleRate` and `layout`. `noSeek`
   * (`--no-seek`): decode straight through cuts; only a jump backwards still seeks.
   */
  static async open(path: string, nth: number, sampleRate: number, layout: string, opts: { noSeek?: boolean } = {}): Promise<AudioSource> {
    const reader = await AudioReader.open(path, nth, { format: 'flt', sampleRate, layout, chunkSamples: 8192, absolute: true });
    return new AudioSource(reader, opts.noSeek === true);
  }

  get channels(): number {
    return this.reader.channels;
  }

  get skipped(): number {
    return this.reader.skipped;
  }

  /** Position of the next unread sample. */
  private get position(): number {
    return this.chunk ? this.chunk.position + this.used : Number.POSITIVE_INFINITY;
  }

  private load(): boolean {
    if (this.ended) return false;
    const next = this.reader.read();
    if (!next) {
      this.ended = true;
      this.chunk = null;
      return false;
    }
    // The chunk's memory belongs to the decoder's frame and is reused by the next read: copy.
    this.chunk = { ...next, data: next.data.slice(0, next.samples * next.channels) };
    this.used = 0;
    return true;
  }

  /**
   * Streams samples [start, start + count) to `emit` in pieces; missing samples (past the end, or
   * holes in the stream) are silence. `emit` gets (data, samples, offsetInRange).
   */
  copyRange(start: number, count: number, emit: (data: Float32Array, samples: number, offset: number) => void): void {
    const ch = this.reader.channels;
    if (this.chunk === null && !this.ended) this.load();
    const pos = this.position;
    if (start < pos || (!this.noSeek && start - pos > SEEK_GAP_SECONDS * this.reader.sampleRate)) {
      if (!(this.chunk === null && this.ended && start >= pos)) {
        this.reader.seek(start);
        this.seeks++;
        this.chunk = null;
        this.ended = false;
        this.load();
      }
    }
    let done = 0;
    while (done < count) {
      const want = start + done;
      if (!this.chunk) {
        emitSilence(emit, count - done, ch, done);
        return;
      }
      const cStart = this.chunk.position;
      const cEnd = cStart + this.chunk.samples;
      if (cEnd <= want) {
        this.load();
        continue;
      }
      if (cStart > want) {
        // A hole before this chunk (or pre-roll landed late): fill with silence up to it.
        const gap = Math.min(cStart - want, count - done);
        emitSilence(emit, gap, ch, done);
        done += gap;
        continue;
      }
      const from = want - cStart;
      const n = Math.min(cEnd - want, count - done);
      emit(this.chunk.data.subarray(from * ch, (from + n) * ch), n, done);
      this.used = from + n;
      done += n;
    }
  }

  close(): void {
    this.reader.close();
  }
}

function emitSilence(emit: (d: Float32Array, s: number, o: number) => void, samples: number, ch: number, offset: number): void {
  const block = 4096;
  for (let i = 0; i < samples; i += block) {
    const n = Math.min(block, samples - i);
    emit(new Float32Array(n * ch), n, offset + i);
  }
}

/** Where rendered samples go: an encoder's AudioSink, or a meter or gain stage in front of one. */
export interface PcmSink {
  /** Appends `samples` interleaved float samples (data.length ≥ samples × channels). */
  write(data: Float32Array, samples: number): void;
}

/** One clip's audio: where it starts in the source, how long it is, and whether its edges are cuts. */
export interface AudioClipPlan {
  /** First source sample. */
  srcStart: number;
  /** Output samples of the whole clip. */
  count: number;
  fadeIn: boolean;
  fadeOut: boolean;
  gain: number;
}

/**
 * Applies a clip's gain and its short linear fades (at edges that meet a cut, so joined waveforms
 * do not click) to `samples` samples that start at `offset` within the clip. Returns `data` itself
 * when nothing changes, else a modified copy.
 */
export function shapeClipAudio(data: Float32Array, samples: number, offset: number, clip: AudioClipPlan, fadeSamples: number, ch: number): Float32Array {
  const count = clip.count;
  const fade = Math.min(fadeSamples, Math.floor(count / 2));
  const needsFade = fade > 0 && ((clip.fadeIn && offset < fade) || (clip.fadeOut && offset + samples > count - fade));
  if (!needsFade && clip.gain === 1) return data;
  const out = data.slice(0, samples * ch);
  for (let i = 0; i < samples; i++) {
    const k = offset + i;
    let g = clip.gain;
    if (clip.fadeIn && k < fade) g *= (k + 0.5) / fade;
    if (clip.fadeOut && k >= count - fade) g *= (count - k - 0.5) / fade;
    if (g === 1) continue;
    for (let c = 0; c < ch; c++) out[i * ch + c] *= g;
  }
  return out;
}

/** Writes samples [from, to) of a normal-speed clip (offsets within the clip) to `sink`. */
export function writeClipAudio(
  source: AudioSource,
  sink: PcmSink,
  clip: AudioClipPlan,
  from: number,
  to: number,
  fadeSamples: number,
): void {
  const ch = source.channels;
  source.copyRange(clip.srcStart + from, to - from, (data, samples, rangeOffset) => {
    sink.write(shapeClipAudio(data, samples, from + rangeOffset, clip, fadeSamples, ch), samples);
  });
}
