import { MediaError } from '../errors.js';
import { av } from './av.js';
import { StreamDecoder } from './decoder.js';
import { FilterPipe, layoutArg } from './filter.js';
import { layoutFromName } from './layout.js';

/** Interleaved samples handed to JS: `samples` per channel, `channels` per sample frame. */
export interface PcmChunk<T extends Int16Array | Float32Array> {
  data: T;
  samples: number;
  channels: number;
  /** Position of the first sample, counted in output samples from the stream's first decoded sample. */
  position: number;
}

export interface AudioReaderOptions {
  format: 's16' | 'flt';
  /** Output rate; default: the stream's own. */
  sampleRate?: number;
  /** Output layout name (e.g. "stereo"); default: the stream's own. */
  layout?: string;
  /** Samples per chunk handed to JS; large chunks mean few N-API crossings. */
  chunkSamples?: number;
  /** Demuxer to force (e.g. "lavfi" to read a generated source). */
  inputFormat?: string;
  /**
   * Count positions from the container's time zero (pts) instead of from the first decoded sample.
   * Rendering uses this so that audio stays aligned with video (whose frames are placed by pts)
   * when a stream starts late; analysis keeps auto-editor's first-sample counting.
   */
  absolute?: boolean;
}

/**
 * Decodes one audio stream to interleaved PCM in large chunks. FFmpeg's resampler does every
 * conversion (float → s16 is lrintf(x × 32768) clipped, as auto-editor measures), and positions
 * are counted from the first decoded sample, as auto-editor counts analysis chunks.
 */
export class AudioReader<T extends Int16Array | Float32Array = Int16Array | Float32Array> {
  private pipe: FilterPipe | null = null;
  private firstPts: number | null = null; // in output samples
  private nextPosition = 0;
  /** True until the first chunk after opening or seeking has anchored positions to its pts. */
  private needAnchor = true;
  private ended = false;
  /** Sizes of the first two frames decoded from the top: the frame grid positions snap to. */
  private firstFrame = 0;
  private frameSize = 0;
  private framesSeen = 0;
  /** Snap the next anchor to the frame grid (set by seek({ snap: true })). */
  private snapAnchor = false;
  private sought = false;
  readonly sampleRate: number;
  readonly channels: number;

  private constructor(
    private readonly dec: StreamDecoder,
    private readonly opts: AudioReaderOptions,
  ) {
    this.sampleRate = opts.sampleRate ?? dec.ctx.sampleRate;
    this.channels = opts.layout ? layoutFromName(opts.layout).nbChannels : dec.ctx.channels;
  }

  /** Opens the `nth` audio stream of `path`. */
  static async open<F extends 's16' | 'flt'>(
    path: string,
    nth: number,
    opts: AudioReaderOptions & { format: F },
  ): Promise<AudioReader<F extends 's16' ? Int16Array : Float32Array>> {
    const dec = await StreamDecoder.open(path, 'audio', nth, { inputFormat: opts.inputFormat });
    return new AudioReader(dec, opts);
  }

  /** FFmpeg's name of the stream's codec (e.g. "aac"). */
  get codec(): string {
    return av().lib.avGetCodecName(this.dec.stream.codecpar.codecId) ?? '';
  }

  /** Packets or frames the decoder could not decode and skipped. */
  get skipped(): number {
    return this.dec.skipped;
  }

  /** Stream duration hint in seconds (container metadata; may be 0). */
  get durationHint(): number {
    const st = this.dec.stream;
    const tb = st.timeBase;
    if (st.duration > 0n && tb.den) return (Number(st.duration) * tb.num) / tb.den;
    const fmtDur = this.dec.durationUs;
    return fmtDur > 0 ? fmtDur / 1e6 : 0;
  }

  private makePipe(frame: { sampleRate: number; format: number; channelLayout: { nbChannels: number; mask: bigint } }): FilterPipe {
    const o = this.opts;
    const parts: string[] = [];
    const sr = this.sampleRate;
    if (o.sampleRate && o.sampleRate !== frame.sampleRate) parts.push(`aresample=${sr}`);
    parts.push(`aformat=sample_fmts=${o.format}${o.layout ? `:channel_layouts=${o.layout}` : ''}`);
    if (o.chunkSamples) parts.push(`asetnsamples=n=${o.chunkSamples}:p=0`);
    // Positions come from the sink's pts; pin its time base to one tick per sample.
    parts.push(`asettb=1/${sr}`);
    return FilterPipe.create(
      {
        kind: 'audio',
        sampleRate: frame.sampleRate,
        sampleFormat: frame.format,
        layout: layoutArg(frame.channelLayout),
        timeBase: this.dec.timeBase,
      },
      parts.join(','),
    );
  }

  /** The next chunk, or null at the end of the stream. Synchronous: callers yield between calls. */
  read(): PcmChunk<T> | null {
    for (;;) {
      if (this.pipe) {
        const out = this.pipe.pull();
        if (out) return this.toChunk(out);
      }
      if (this.ended) return null;
      const frame = this.dec.next();
      if (!frame) {
        this.ended = true;
        this.pipe?.push(null);
        continue;
      }
      if (!this.pipe) this.pipe = this.makePipe(frame);
      if (this.framesSeen < 2 && !this.sought) {
        if (this.framesSeen === 0) this.firstFrame = frame.nbSamples;
        else this.frameSize = frame.nbSamples;
        this.framesSeen++;
      }
      // Decoders may emit frames without pts (raw PCM in some containers); the graph then numbers
      // samples itself, which is what we want.
      this.pipe.push(frame);
    }
  }

  private toChunk(out: NonNullable<ReturnType<FilterPipe['pull']>>): PcmChunk<T> {
    const samples = out.nbSamples;
    const channels = out.channels;
    const buf = out.data?.[0];
    if (!buf) throw new MediaError('audio frame without data');
    const view =
      this.opts.format === 's16'
        ? new Int16Array(buf.buffer, buf.byteOffset, samples * channels)
        : new Float32Array(buf.buffer, buf.byteOffset, samples * channels);
    let position = this.nextPosition;
    const pts = out.pts;
    // Anchor on pts only after opening or seeking, then count samples: containers with coarse
    // time bases (Matroska's 1 ms) would otherwise make positions jitter by a few samples.
    if (this.needAnchor && pts !== -0x8000000000000000n) {
      const p = Number(pts);
      if (this.firstPts === null) this.firstPts = this.opts.absolute ? 0 : p;
      position = p - this.firstPts;
      if (this.snapAnchor) position = this.snap(position);
    }
    this.snapAnchor = false;
    this.needAnchor = false;
    this.nextPosition = position + samples;
    return { data: view as T, samples, channels, position };
  }

  /**
   * A position computed from a coarse pts (Matroska's 1 ms is 48 samples at 48 kHz), moved onto the
   * frame grid of the decode from the top: the first frame's end plus whole frames. Only for
   * streams whose frames after the first all have one size (AAC, MP3, Opus as encoders write it);
   * parallel analysis verifies the result where it matters.
   */
  private snap(position: number): number {
    const tb = this.dec.timeBase;
    const coarse = tb.num * this.sampleRate > tb.den;
    if (!coarse || this.frameSize <= 0 || this.opts.sampleRate || position < this.firstFrame) return position;
    return this.firstFrame + Math.round((position - this.firstFrame) / this.frameSize) * this.frameSize;
  }

  /**
   * Seeks to just before output sample `position` (with pre-roll so the decoder settles); the
   * caller skips samples before its target using chunk positions.
   *
   * `exact`: decoding restarts with a fresh decoder at the first packet at or after the pre-roll
   * point (see StreamDecoder.seek), so the samples depend only on `position` and the pre-roll.
   * `snap`: positions after the seek are snapped to the frame grid (see snap()).
   */
  seek(position: number, prerollSeconds = 0.5, opts: { exact?: boolean; snap?: boolean } = {}): void {
    if (this.firstPts === null) return; // nothing read yet: reading from the start is exact
    const seconds = (position + this.firstPts) / this.sampleRate - prerollSeconds;
    this.dec.seek(seconds, { exact: opts.exact });
    this.snapAnchor = Boolean(opts.snap);
    this.sought = true;
    this.pipe?.close();
    this.pipe = null;
    this.ended = false;
    this.needAnchor = true;
  }

  /** Releases decoder and filters. */
  close(): void {
    this.pipe?.close();
    this.dec.close();
  }
}
