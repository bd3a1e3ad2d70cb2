import { MediaError, UserError } from '../errors.js';
import { av, averrorMessage, check } from './av.js';
import { openFormat } from './probe.js';

type Lib = ReturnType<typeof av>['lib'];
export type AvFrame = InstanceType<Lib['Frame']>;
type FormatContext = InstanceType<Lib['FormatContext']>;
type CodecContext = InstanceType<Lib['CodecContext']>;
type Packet = InstanceType<Lib['Packet']>;
type Stream = InstanceType<Lib['Stream']>;

export const NOPTS = -0x8000000000000000n;

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
  private readonly pkt: Packet;
  private readonly frame: AvFrame;

  private constructor(
    readonly path: string,
    readonly fmt: FormatContext,
    readonly stream: Stream,
    readonly ctx: CodecContext,
  ) {
    const { lib } = av();
    this.pkt = new lib.Packet();
    this.pkt.alloc();
    this.frame = new lib.Frame();
    this.frame.alloc();
  }

  /** Opens `path` and a decoder for its `nth` stream of `kind` (0-based among that kind). */
  static async open(path: string, kind: 'audio' | 'video', nth: number, opts: { threads?: number; inputFormat?: string } = {}): Promise<StreamDecoder> {
    const fmt = await openFormat(path, opts.inputFormat);
    const { lib, c } = av();
    const type = kind === 'audio' ? c.AVMEDIA_TYPE_AUDIO : c.AVMEDIA_TYPE_VIDEO;
    const candidates = fmt.streams.filter(
      (s) => s.codecpar.codecType === type && !(kind === 'video' && s.hasDisposition(c.AV_DISPOSITION_ATTACHED_PIC)),
    );
    const stream = candidates[nth];
    if (!stream) {
      fmt.closeInputSync();
      if (candidates.length === 0) throw new UserError(`${path} has no ${kind} stream`);
      throw new UserError(`${kind} stream ${nth} does not exist in ${path} (it has ${candidates.length})`);
    }
    const codec = lib.Codec.findDecoder(stream.codecpar.codecId);
    if (!codec) {
      fmt.closeInputSync();
      throw new MediaError(`no decoder for ${kind} codec ${lib.avGetCodecName(stream.codecpar.codecId)} in ${path}`);
    }
    const ctx = new lib.CodecContext();
    ctx.allocContext3(codec);
    check(ctx.parametersToContext(stream.codecpar), 'decoder parameters');
    ctx.pktTimebase = stream.timeBase;
    ctx.threadCount = opts.threads ?? 0;
    const ret = ctx.open2Sync(codec, null);
    if (ret < 0) {
      fmt.closeInputSync();
      throw new MediaError(`could not open ${kind} decoder for ${path}: ${averrorMessage(ret)}`);
    }
    return new StreamDecoder(path, fmt, stream, ctx);
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
      const r = this.fmt.readFrameSync(pkt);
      if (r < 0) {
        if (r !== c.AVERROR_EOF) this.skipped++; // read errors at the end of a truncated file
        this.eof = true;
        break;
      }
      if (pkt.streamIndex !== index) continue;
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
   */
  seek(seconds: number): void {
    const { c } = av();
    const tb = this.stream.timeBase;
    const ts = BigInt(Math.floor((Math.max(0, seconds) * tb.den) / tb.num));
    const r = this.fmt.seekFrameSync(this.stream.index, ts, c.AVSEEK_FLAG_BACKWARD);
    if (r < 0) throw new MediaError(`seek failed in ${this.path}: ${averrorMessage(r)}`);
    this.ctx.flushBuffers();
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
    this.fmt.closeInputSync();
  }
}
