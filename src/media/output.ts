import { MediaError } from '../errors.js';
import type { Rational } from '../timeline/rational.js';
import { av, averrorMessage, check } from './av.js';
import type { AvFrame } from './decoder.js';
import { FilterPipe } from './filter.js';
import { FlatMp4Output } from './flat-mp4.js';
import { layoutFromName } from './layout.js';

type Lib = ReturnType<typeof av>['lib'];
type FormatContext = InstanceType<Lib['FormatContext']>;
type CodecContext = InstanceType<Lib['CodecContext']>;
type Stream = InstanceType<Lib['Stream']>;
type Packet = InstanceType<Lib['Packet']>;
type CodecParameters = InstanceType<Lib['CodecParameters']>;

export interface VideoEncodeSpec {
  encoder: string;
  width: number;
  height: number;
  /** Frames per second of the output; also the encoder's time base (inverted). */
  frameRate: Rational;
  sar: Rational;
  /** Pixel format name the encoder should use if it supports it (else its first supported). */
  pixelFormat: string;
  options?: Record<string, string>;
  /** Colour of the bars around a frame of another shape ("#rrggbb"); default black. */
  padColor?: string;
}

export interface AudioEncodeSpec {
  encoder: string;
  sampleRate: number;
  /** Layout name, e.g. "stereo". */
  layout: string;
  bitrate?: number;
  lang?: string | null;
  /** Timestamp of the first sample, in samples (a stream that starts late); default 0. */
  startSample?: number;
}

/**
 * A stream whose packets are written as they are, without an encoder: subtitles (copied or
 * converted as text), Matroska attachments, cover art.
 */
export interface CopiedStreamSpec {
  /** Input stream parameters to copy; null builds them from `mediaType`/`codecId` (a converted subtitle). */
  from: CodecParameters | null;
  /** FFmpeg AVMediaType; overrides the copied one (cover art becomes an attachment in Matroska). */
  mediaType?: number;
  /** FFmpeg AVCodecID; overrides the copied one. */
  codecId?: number;
  /** Codec private data (mov_text sample description, attachment bytes); undefined keeps the copied one. */
  extradata?: Buffer | null;
  /** Time base asked for; the muxer may choose another at begin() (read `stream.timeBase` after it). */
  timeBase: Rational;
  /** AV_DISPOSITION_* flags (default, forced, attached_pic, …). */
  disposition: number;
  /** Stream tags (language, title, filename, mimetype, …). */
  metadata: Record<string, string>;
}

/** One encoder feeding one output stream; packets go straight to the muxer. */
abstract class EncoderSink {
  protected readonly pkt: Packet;
  constructor(
    protected readonly out: OutputFile,
    readonly ctx: CodecContext,
    readonly stream: Stream,
  ) {
    const { lib } = av();
    this.pkt = new lib.Packet();
    this.pkt.alloc();
  }

  protected encode(frame: AvFrame | null): void {
    const { c } = av();
    const r = this.ctx.sendFrameSync(frame);
    if (r < 0 && r !== c.AVERROR_EOF) throw new MediaError(`encoder ${this.ctx.codecId} failed: ${averrorMessage(r)}`);
    for (;;) {
      const g = this.ctx.receivePacketSync(this.pkt);
      if (g === c.AVERROR_EAGAIN || g === c.AVERROR_EOF) break;
      check(g, 'encoding');
      this.pkt.streamIndex = this.stream.index;
      this.pkt.rescaleTs(this.ctx.timeBase, this.stream.timeBase);
      this.out.writePacket(this.pkt);
    }
  }

  /** Drains the encoder at the end. */
  abstract finish(): void;

  close(): void {
    this.pkt.free();
    this.ctx.freeContext();
  }
}

/** Takes decoded video frames (any size or pixel format) and encodes them at given output frame numbers. */
export class VideoSink extends EncoderSink {
  private convert: FilterPipe | null = null;
  private convertKey = '';
  private readonly chain: (w: number, h: number, fmt: number) => string;

  constructor(out: OutputFile, ctx: CodecContext, stream: Stream, readonly spec: VideoEncodeSpec) {
    super(out, ctx, stream);
    const { c } = av();
    const targetFmt = ctx.pixelFormat;
    const pad = padColorArg(spec.padColor);
    this.chain = (w, h, fmt) => {
      const parts: string[] = [];
      if (w !== spec.width || h !== spec.height) {
        parts.push(
          `scale=${spec.width}:${spec.height}:force_original_aspect_ratio=decrease`,
          `pad=${spec.width}:${spec.height}:(ow-iw)/2:(oh-ih)/2:color=${pad}`,
        );
      }
      if (targetFmt === c.AV_PIX_FMT_PAL8) {
        // GIF: a palette made for each frame (streaming: palettegen's single mode emits one per
        // frame), so colours stay true instead of a fixed 256-colour cube's banding.
        parts.push('split[tacet_pa][tacet_pb];[tacet_pa]palettegen=stats_mode=single:reserve_transparent=0[tacet_pal];[tacet_pb][tacet_pal]paletteuse=new=1:dither=bayer:bayer_scale=3');
      } else if (fmt !== targetFmt || parts.length) parts.push(`format=pix_fmts=${targetFmt}`);
      return parts.join(',');
    };
  }

  /** Encodes `frame` as output frame number `n` (timeline frame). The frame is not kept. */
  write(frame: AvFrame, n: number): void {
    const { c } = av();
    const chain = this.chain(frame.width, frame.height, frame.format);
    // x264 turns a forwarded I picture type into a forced keyframe; let the encoder choose.
    frame.pictType = c.AV_PICTURE_TYPE_NONE;
    frame.pts = BigInt(n);
    frame.duration = 1n;
    frame.timeBase = this.ctx.timeBase;
    if (!chain) {
      this.encode(frame);
      return;
    }
    const key = `${frame.width}x${frame.height}/${frame.format}`;
    if (!this.convert || key !== this.convertKey) {
      this.convert?.close();
      this.convert = FilterPipe.create(
        {
          kind: 'video',
          width: frame.width,
          height: frame.height,
          pixelFormat: frame.format,
          timeBase: this.ctx.timeBase,
          sar: frame.sampleAspectRatio,
        },
        chain,
      );
      this.convertKey = key;
    }
    // Kept: a source slower than the timeline gives the same frame for several output frames.
    this.convert.push(frame, true);
    for (let f = this.convert.pull(); f; f = this.convert.pull()) {
      f.pts = BigInt(n);
      f.pictType = c.AV_PICTURE_TYPE_NONE;
      this.encode(f);
    }
  }

  finish(): void {
    this.encode(null);
  }

  override close(): void {
    this.convert?.close();
    super.close();
  }
}

/** Takes interleaved float samples in any amount and encodes them in the encoder's frame size. */
export class AudioSink extends EncoderSink {
  private readonly pipe: FilterPipe;
  private written = 0;
  private readonly layout: { nbChannels: number; order: number; mask: bigint };

  constructor(out: OutputFile, ctx: CodecContext, stream: Stream, readonly spec: AudioEncodeSpec) {
    super(out, ctx, stream);
    const { lib } = av();
    this.layout = ctx.channelLayout;
    const fmtName = lib.avGetSampleFmtName(ctx.sampleFormat);
    const frameSize = ctx.frameSize > 0 ? ctx.frameSize : 0;
    const chain = [
      `aformat=sample_fmts=${fmtName}`,
      frameSize ? `asetnsamples=n=${frameSize}:p=0` : 'asetnsamples=n=4096:p=0',
      // Without this, AAC packets get the wrong time base after concat-like joins.
      `asettb=1/${spec.sampleRate}`,
    ].join(',');
    this.pipe = FilterPipe.create(
      {
        kind: 'audio',
        sampleRate: spec.sampleRate,
        sampleFormat: lib.avGetSampleFmtFromName('flt'),
        layout: `0x${this.layout.mask.toString(16)}`,
        timeBase: { num: 1, den: spec.sampleRate },
      },
      chain,
    );
  }

  /** Channels of the encoded stream (of every sample written). */
  get channels(): number {
    return this.layout.nbChannels;
  }

  /** Number of samples (per channel) written so far. */
  get samplesWritten(): number {
    return this.written;
  }

  /** Appends `samples` interleaved float samples (data.length = samples × channels). */
  write(data: Float32Array, samples: number): void {
    if (samples <= 0) return;
    this.pipe.pushSamples(data, samples, this.layout, this.spec.sampleRate, (this.spec.startSample ?? 0) + this.written);
    this.written += samples;
    this.drain();
  }

  private drain(): void {
    for (let f = this.pipe.pull(); f; f = this.pipe.pull()) this.encode(f);
  }

  finish(): void {
    this.pipe.push(null);
    this.drain();
    this.encode(null);
  }

  override close(): void {
    this.pipe.close();
    super.close();
  }
}

/**
 * A media file being written: streams are added, then `begin()` writes the header, packets are
 * interleaved by FFmpeg, and `finish()` drains encoders and writes the trailer. The file is written
 * at `tempPath`; the caller renames it when everything succeeded. MP4/MOV/M4A files go through
 * FFmpeg's fragmented mode and are made unfragmented at `finish()` (flat-mp4.ts), so that memory
 * does not grow with their length.
 */
export class OutputFile {
  private readonly sinks: EncoderSink[] = [];
  private started = false;
  private closed = false;
  private io: InstanceType<Lib['IOContext']> | null = null;
  /** MP4/MOV written fragmented, then made unfragmented at finish (bounded memory); else null. */
  private flat: FlatMp4Output | null = null;
  private constructor(
    readonly fmt: FormatContext,
    readonly tempPath: string,
    /** The name the user asked for: errors name it, not the temporary file. */
    private readonly shownPath: string,
    private readonly muxerOptions: Record<string, string>,
  ) {}

  /** Creates a muxer whose format is guessed from `formatPath`'s extension (or `formatName`). */
  static create(tempPath: string, formatPath: string, opts: { formatName?: string; muxerOptions?: Record<string, string> } = {}): OutputFile {
    const { lib } = av();
    const fmt = new lib.FormatContext();
    const r = fmt.allocOutputContext2(null, opts.formatName ?? null, formatPath);
    if (r < 0 || !fmt.oformat) throw new MediaError(`no muxer for output ${formatPath}: ${averrorMessage(r)}`);
    return new OutputFile(fmt, tempPath, formatPath, opts.muxerOptions ?? {});
  }

  /** Short name of the chosen muxer, e.g. "mp4", "matroska". */
  get formatName(): string {
    return this.fmt.oformat?.name ?? '';
  }

  private newEncoder(name: string): { ctx: CodecContext; codec: NonNullable<ReturnType<Lib['Codec']['findEncoderByName']>> } {
    const { lib, c } = av();
    quietEncoderLibrary(name);
    const codec = lib.Codec.findEncoderByName(name as never);
    if (!codec) throw new MediaError(`encoder ${name} is not available`);
    const ctx = new lib.CodecContext();
    ctx.allocContext3(codec);
    if (this.fmt.oformat?.hasFlags(c.AVFMT_GLOBALHEADER)) ctx.setFlags(c.AV_CODEC_FLAG_GLOBAL_HEADER);
    return { ctx, codec };
  }

  /** Adds a video stream encoded with `spec`. */
  addVideo(spec: VideoEncodeSpec): VideoSink {
    const { lib } = av();
    const { ctx, codec } = this.newEncoder(spec.encoder);
    ctx.width = spec.width;
    ctx.height = spec.height;
    ctx.timeBase = new lib.Rational(spec.frameRate.den, spec.frameRate.num);
    ctx.framerate = new lib.Rational(spec.frameRate.num, spec.frameRate.den);
    ctx.sampleAspectRatio = new lib.Rational(spec.sar.num, spec.sar.den);
    const wanted = lib.avGetPixFmtFromName(spec.pixelFormat);
    const supported = codec.pixelFormats;
    ctx.pixelFormat = !supported || supported.includes(wanted) ? wanted : supported[0];
    ctx.threadCount = 0;
    setOptions(ctx, spec.options ?? {}, spec.encoder);
    const r = ctx.open2Sync(codec, null);
    if (r < 0) throw new MediaError(`could not open video encoder ${spec.encoder}: ${averrorMessage(r)}`);
    const stream = this.fmt.newStream(null);
    check(stream.codecpar.fromContext(ctx), 'video stream parameters');
    stream.timeBase = ctx.timeBase;
    stream.avgFrameRate = ctx.framerate;
    stream.sampleAspectRatio = ctx.sampleAspectRatio;
    const sink = new VideoSink(this, ctx, stream, spec);
    this.sinks.push(sink);
    return sink;
  }

  /** Adds an audio stream encoded with `spec`. */
  addAudio(spec: AudioEncodeSpec): AudioSink {
    const { lib } = av();
    const { ctx, codec } = this.newEncoder(spec.encoder);
    ctx.sampleRate = spec.sampleRate;
    const channels = layoutFromName(spec.layout);
    ctx.channelLayout = channels as never;
    const formats = codec.sampleFormats;
    ctx.sampleFormat = formats && formats.length ? formats[0] : lib.avGetSampleFmtFromName('fltp');
    const rates = codec.supportedSamplerates;
    if (rates && rates.length && !rates.includes(spec.sampleRate)) {
      throw new MediaError(`encoder ${spec.encoder} does not support ${spec.sampleRate} Hz`);
    }
    ctx.timeBase = new lib.Rational(1, spec.sampleRate);
    if (spec.bitrate) ctx.bitRate = BigInt(spec.bitrate);
    const r = ctx.open2Sync(codec, null);
    if (r < 0) throw new MediaError(`could not open audio encoder ${spec.encoder}: ${averrorMessage(r)}`);
    const stream = this.fmt.newStream(null);
    check(stream.codecpar.fromContext(ctx), 'audio stream parameters');
    stream.timeBase = ctx.timeBase;
    if (spec.lang) {
      const md = new lib.Dictionary();
      md.set('language', spec.lang);
      stream.metadata = md;
    }
    const sink = new AudioSink(this, ctx, stream, spec);
    this.sinks.push(sink);
    return sink;
  }

  /**
   * Adds a stream without an encoder; its packets are handed to `writePacket` with their stream
   * index and timestamps in the stream's time base as it is after `begin()`.
   */
  addCopiedStream(spec: CopiedStreamSpec): Stream {
    const { lib } = av();
    if (this.started) throw new MediaError('stream added after the header was written');
    const stream = this.fmt.newStream(null);
    const par = stream.codecpar;
    if (spec.from) check(spec.from.copy(par), 'copying stream parameters');
    if (spec.mediaType !== undefined) par.codecType = spec.mediaType as never;
    if (spec.codecId !== undefined) par.codecId = spec.codecId as never;
    if (spec.extradata !== undefined) par.extradata = spec.extradata;
    // A codec tag is container-specific (e.g. mov's 'tx3g'); the muxer picks its own.
    par.codecTag = 0;
    stream.timeBase = new lib.Rational(spec.timeBase.num, spec.timeBase.den);
    stream.disposition = spec.disposition as never;
    const entries = Object.entries(spec.metadata);
    if (entries.length) {
      // The stream keeps its own copy of the dictionary (node-av copies on assignment).
      const md = new lib.Dictionary();
      for (const [k, v] of entries) md.set(k, v);
      stream.metadata = md;
    }
    return stream;
  }

  /** Opens the file and writes the header; call after adding every stream. */
  begin(): void {
    const { lib, c } = av();
    this.flat = FlatMp4Output.plan(this.fmt, this.muxerOptions, this.tempPath);
    const path = this.flat?.fragmentPath ?? this.tempPath;
    // The muxer reopens its url for faststart's second pass: it must name the temp file.
    this.fmt.url = path;
    if (!this.fmt.oformat?.hasFlags(c.AVFMT_NOFILE)) {
      const io = new lib.IOContext();
      const r = io.open2Sync(path, c.AVIO_FLAG_WRITE);
      if (r < 0) throw new MediaError(`could not write ${this.shownPath}: ${averrorMessage(r)}`);
      this.fmt.pb = io;
      this.io = io;
    }
    setOptions(this.fmt, this.flat?.muxerOptions ?? this.muxerOptions, 'muxer');
    const r = this.fmt.writeHeaderSync(null);
    if (r < 0) throw new MediaError(`could not write header of ${this.shownPath}: ${averrorMessage(r)}`);
    this.flat?.started(this.fmt);
    this.started = true;
  }

  /**
   * Hands one packet to the interleaving muxer (encoder sinks and copied streams). FFmpeg takes
   * the packet's data; the caller may free the packet afterwards.
   */
  writePacket(pkt: Packet): void {
    if (!this.started) throw new MediaError('packet written before header');
    this.flat?.record(pkt);
    const r = this.fmt.interleavedWriteFrameSync(pkt);
    if (r < 0) throw new MediaError(`could not write to ${this.shownPath}: ${averrorMessage(r)}`);
    this.flat?.afterWrite(this.fmt);
  }

  /** Drains every encoder, writes the trailer and closes the file. */
  finish(): void {
    for (const s of this.sinks) s.finish();
    check(this.fmt.interleavedWriteFrameSync(null), 'flushing muxer');
    const r = this.fmt.writeTrailerSync();
    if (r < 0) throw new MediaError(`could not finish ${this.shownPath}: ${averrorMessage(r)}`);
    this.releaseMuxer();
    this.flat?.convert(this.tempPath);
  }

  /** Releases everything (also after an error; the caller deletes the temp file). */
  close(): void {
    this.releaseMuxer();
    this.flat?.discard();
  }

  private releaseMuxer(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.sinks) s.close();
    // Detach pb before closing it: freeing the context with a closed pb attached segfaults.
    if (this.io) {
      this.fmt.pb = null;
      this.io.closepSync();
    }
    this.fmt.freeContext();
  }
}


/**
 * Sets FFmpeg options (private ones included) on a context. Options are never passed as a
 * Dictionary: FFmpeg frees or replaces the dictionary it is given, and node-av's finalizer then
 * frees it again, crashing the process at exit ("double free or corruption").
 */
function setOptions(target: { setOption(name: string, value: string): number }, options: Record<string, string>, what: string): void {
  for (const [name, value] of Object.entries(options)) {
    const r = target.setOption(name, value);
    if (r < 0) throw new MediaError(`${what}: invalid option ${name}=${value}: ${averrorMessage(r)}`);
  }
}

/** The sample rate closest to `wanted` that `encoder` accepts (preferring higher rates). */
export function nearestSupportedRate(encoder: string, wanted: number): number {
  const codec = av().lib.Codec.findEncoderByName(encoder as never);
  const rates = codec?.supportedSamplerates;
  if (!rates || rates.length === 0 || rates.includes(wanted)) return wanted;
  const higher = rates.filter((r) => r >= wanted).sort((a, b) => a - b);
  return higher[0] ?? Math.max(...rates);
}

/**
 * SVT-AV1 writes a banner and its configuration straight to stderr (not through FFmpeg's log) each
 * time an encoder opens, unless SVT_LOG says otherwise: keep it to errors unless the user set it.
 */
function quietEncoderLibrary(encoder: string): void {
  if (encoder === 'libsvtav1' && process.env.SVT_LOG === undefined) process.env.SVT_LOG = '1';
}

/** FFmpeg colour argument for a "#rrggbb" background (black when absent or malformed). */
function padColorArg(color: string | undefined): string {
  return color && /^#[0-9a-f]{6}$/i.test(color) ? `0x${color.slice(1)}` : 'black';
}

/** Whether FFmpeg knows a pixel format name (`yuv420p`, `rgb24`, …). */
export function pixelFormatExists(name: string): boolean {
  return av().lib.avGetPixFmtFromName(name) >= 0;
}

/** Pixel format names an encoder takes, or null when it does not say. */
export function encoderPixelFormats(encoder: string): string[] | null {
  const { lib } = av();
  const formats = lib.Codec.findEncoderByName(encoder as never)?.pixelFormats;
  return formats && formats.length ? formats.map((f) => lib.avGetPixFmtName(f) ?? String(f)) : null;
}

/** Why a trial open failed: an option the encoder does not have, or the open's error. */
export interface TrialFailure {
  option?: string;
  /** True when `option` does not exist for the encoder (rather than having a bad value). */
  missing?: boolean;
  /** The layouts the encoder takes, when the asked-for layout is not one of them. */
  layout?: string;
  error: string;
}

/**
 * Opens `encoder` on a small picture with `options` and closes it again, to learn before any work
 * whether it accepts them; null when it does.
 */
export function trialOpenVideo(encoder: string, pixelFormat: string, options: Record<string, string>): TrialFailure | null {
  const { lib } = av();
  quietEncoderLibrary(encoder);
  const codec = lib.Codec.findEncoderByName(encoder as never);
  if (!codec) return { error: `encoder ${encoder} is not available` };
  const ctx = new lib.CodecContext();
  ctx.allocContext3(codec);
  try {
    ctx.width = 64;
    ctx.height = 64;
    ctx.timeBase = new lib.Rational(1, 25);
    ctx.framerate = new lib.Rational(25, 1);
    ctx.pixelFormat = lib.avGetPixFmtFromName(pixelFormat);
    ctx.threadCount = 1;
    for (const [name, value] of Object.entries(options)) {
      const r = ctx.setOption(name, value);
      if (r < 0) return { option: name, missing: r === av().c.AVERROR_OPTION_NOT_FOUND, error: averrorMessage(r) };
    }
    const r = ctx.open2Sync(codec, null);
    return r < 0 ? { error: averrorMessage(r) } : null;
  } finally {
    ctx.freeContext();
  }
}

/** Like trialOpenVideo for an audio encoder at `sampleRate` with layout `layout`. */
export function trialOpenAudio(encoder: string, sampleRate: number, layout: string, bitrate: number | undefined): TrialFailure | null {
  const { lib } = av();
  const codec = lib.Codec.findEncoderByName(encoder as never);
  if (!codec) return { error: `encoder ${encoder} is not available` };
  const channels = layoutFromName(layout);
  const allowed = codec.channelLayouts;
  if (allowed && allowed.length && !allowed.some((l) => l.nbChannels === channels.nbChannels && (l.order !== 1 || BigInt(l.mask) === channels.mask))) {
    const names = allowed.map((l) => lib.avChannelLayoutDescribe(l as never) ?? `${l.nbChannels}c`);
    return { layout: [...new Set(names)].join(', '), error: 'unsupported layout' };
  }
  const ctx = new lib.CodecContext();
  ctx.allocContext3(codec);
  try {
    ctx.sampleRate = sampleRate;
    ctx.channelLayout = channels as never;
    const formats = codec.sampleFormats;
    ctx.sampleFormat = formats && formats.length ? formats[0] : lib.avGetSampleFmtFromName('fltp');
    ctx.timeBase = new lib.Rational(1, sampleRate);
    if (bitrate) ctx.bitRate = BigInt(bitrate);
    const r = ctx.open2Sync(codec, null);
    return r < 0 ? { error: averrorMessage(r) } : null;
  } finally {
    ctx.freeContext();
  }
}
