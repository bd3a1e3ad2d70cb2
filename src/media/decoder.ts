import { MediaError, UserError } from '../errors.js';
import { av, averrorMessage, check } from './av.js';
import type { MediaInput } from './mp4-input.js';
import { openInput } from './probe.js';

type Lib = ReturnType<typeof av>['lib'];
export type AvFrame = InstanceType<Lib['Frame']>;
type CodecContext = InstanceType<Lib['CodecContext']>;
type Packet = InstanceType<Lib['Packet']>;
type Stream = InstanceType<Lib['Stream']>;

export const NOPTS = -0x8000000000000000n;

/** Opens a decoder for `stream` (also used to start a fresh one after an exact seek). */
function openCodec(path: string, kind: 'audio' | 'video', stream: Stream, threads: number): CodecContext {
  const { lib } = av();
  const codec = lib.Codec.findDecoder(stream.codecpar.codecId);
  if (!codec) throw new MediaError(`no decoder for ${kind} codec ${lib.avGetCodecName(stream.codecpar.codecId)} in ${path}`);
  const ctx = new lib.CodecContext();
  ctx.allocContext3(codec);
  check(ctx.parametersToContext(stream.codecpar), 'decoder parameters');
  ctx.pktTimebase = stream.timeBase;
  ctx.threadCount = threads;
  const ret = ctx.open2Sync(codec, null);
  if (ret < 0) {
    ctx.freeContext();
    throw new MediaError(`could not open ${kind} decoder for ${path}: ${averrorMessage(ret)}`);
  }
  return ctx;
}

/**
 * Demuxes one stream of a file and decodes it frame by frame with the sync API.
 * Owns the workarounds for decoding: corrupt packets are counted and skipped instead of throwing,
 * and no stream is ever marked `discard` (node-av 6.1.1's mov demuxer then reports EOF after a
 * few packets).
 */
export class StreamDecoder {
  /** Packets (or frames) the decoder rejected and that were skipped. */
  skipped = 0;
  private eof = false;
  private flushed = false;
  /** After an exact seek: packets before this pts (stream time base) are not decoded. */
  private dropBefore: bigint | null = null;
  /** Whether the first packet after an exact seek was seen (it must not lie after the target). */
  private landed = true;
  private readonly pkt: Packet;
  private readonly frame: AvFrame;

  private constructor(
    readonly path: string,
    /** The demuxer (FFmpeg's, or a lazily read MP4's). */
    readonly input: MediaInput,
    readonly stream: Stream,
    /** Replaced when a seek asks for a fresh decoder. */
    public ctx: CodecContext,
    private readonly threads: number,
  ) {
    const { lib } = av();
    this.pkt = new lib.Packet();
    this.pkt.alloc();
    this.frame = new lib.Frame();
    this.frame.alloc();
  }

  /** Opens `path` and a decoder for its `nth` stream of `kind` (0-based among that kind). */
  static async open(path: string, kind: 'audio' | 'video', nth: number, opts: { threads?: number; inputFormat?: string } = {}): Promise<StreamDecoder> {
    const input = await openInput(path, opts.inputFormat);
    const fmt = input.fmt;
    const { c } = av();
    const type = kind === 'audio' ? c.AVMEDIA_TYPE_AUDIO : c.AVMEDIA_TYPE_VIDEO;
    const candidates = fmt.streams.filter(
      (s) => s.codecpar.codecType === type && !(kind === 'video' && s.hasDisposition(c.AV_DISPOSITION_ATTACHED_PIC)),
    );
    const stream = candidates[nth];
    if (!stream) {
      input.close();
      if (candidates.length === 0) throw new UserError(`${path} has no ${kind} stream`);
      throw new UserError(`${kind} stream ${nth} does not exist in ${path} (it has ${candidates.length})`);
    }
    let ctx: CodecContext;
    try {
      ctx = openCodec(path, kind, stream, opts.threads ?? 0);
    } catch (e) {
      input.close();
      throw e;
    }
    return new StreamDecoder(path, input, stream, ctx, opts.threads ?? 0);
  }

  /** Container duration in microseconds (FFmpeg's, for the whole file; may be negative when unknown). */
  get durationUs(): number {
    return this.input.durationUs;
  }

  /** Reads the next raw packet of the file (of any stream until the decoder's stream is the only one left). */
  readPacket(pkt: Packet): number {
    return this.input.read(pkt, this.stream.index);
  }

  /** Seeks the demuxer alone to a keyframe of this stream at or before `ts` (stream time base); the decoder is untouched. */
  seekPackets(ts: bigint): number {
    return this.input.seek(this.stream.index, ts);
  }

  /** Stream time base as a plain object. */
  get timeBase(): { num: number; den: number } {
    const tb = this.stream.timeBase;
    return { num: tb.num, den: tb.den };
  }

  /**
   * Returns the next decoded frame (owned by the decoder: valid until the next call) or null at
   * the end of the stream.
   */
  next(): AvFrame | null {
    const { c } = av();
    const frame = this.frame;
    for (;;) {
      frame.unref();
      const r = this.ctx.receiveFrameSync(frame);
      if (r >= 0) return frame;
      if (r === c.AVERROR_EOF) return null;
      if (r !== c.AVERROR_EAGAIN) {
        // A broken frame: count it and go on; the decoder recovers at the next packet.
        this.skipped++;
        continue;
      }
      if (this.flushed) return null;
      this.feed();
    }
  }

  private feed(): void {
    const { c } = av();
    const pkt = this.pkt;
    const index = this.stream.index;
    while (!this.eof) {
      pkt.unref();
      const r = this.input.read(pkt, index);
      if (r < 0) {
        if (r !== c.AVERROR_EOF) this.skipped++; // read errors at the end of a truncated file
        this.eof = true;
        break;
      }
      if (pkt.streamIndex !== index) continue;
      if (this.dropBefore !== null) {
        if (pkt.pts === NOPTS) throw new MediaError(`packets without timestamps after a seek in ${this.path}`);
        if (!this.landed && pkt.pts > this.dropBefore) throw new MediaError(`seek in ${this.path} landed after its target`);
        this.landed = true;
        if (pkt.pts < this.dropBefore) continue;
        this.dropBefore = null;
      }
      const s = this.ctx.sendPacketSync(pkt);
      pkt.unref();
      if (s < 0 && s !== c.AVERROR_EAGAIN) this.skipped++;
      return;
    }
    if (!this.flushed) {
      this.ctx.sendPacketSync(null);
      this.flushed = true;
    }
  }

  /**
   * Seeks so that the next frames start at or before `seconds` (a keyframe), and resets the decoder.
   * Callers discard frames before their target themselves.
   *
   * `exact`: decoding starts at the first packet whose pts is at or after `seconds`, with a freshly
   * opened decoder, so that what it outputs depends only on `seconds` and the file, never on where
   * the demuxer landed or on what was decoded before (flushing does not reset every decoder's
   * state: FFmpeg's AAC decoder keeps its noise-substitution random state). Throws a MediaError
   * when the demuxer lands after the target (then no such guarantee holds).
   */
  seek(seconds: number, opts: { exact?: boolean } = {}): void {
    const { c } = av();
    const tb = this.stream.timeBase;
    const ts = BigInt(Math.floor((Math.max(0, seconds) * tb.den) / tb.num));
    const r = this.input.seek(this.stream.index, ts);
    if (r < 0) throw new MediaError(`seek failed in ${this.path}: ${averrorMessage(r)}`);
    if (opts.exact) {
      const fresh = openCodec(this.path, this.stream.codecpar.codecType === c.AVMEDIA_TYPE_VIDEO ? 'video' : 'audio', this.stream, this.threads);
      this.ctx.freeContext();
      this.ctx = fresh;
      this.dropBefore = ts;
      this.landed = false;
    } else {
      this.ctx.flushBuffers();
      this.dropBefore = null;
    }
    this.eof = false;
    this.flushed = false;
  }

  /** Best-effort presentation time of a decoded frame in seconds, or null. */
  frameSeconds(frame: AvFrame): number | null {
    const ts = frame.bestEffortTimestamp !== NOPTS ? frame.bestEffortTimestamp : frame.pts;
    if (ts === NOPTS) return null;
    const tb = this.stream.timeBase;
    return (Number(ts) * tb.num) / tb.den;
  }

  /** Releases the decoder and closes the file. */
  close(): void {
    this.pkt.free();
    this.frame.free();
    this.ctx.freeContext();
    this.input.close();
  }
}
