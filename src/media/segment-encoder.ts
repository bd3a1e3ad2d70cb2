/**
 * The encoder for one re-encoded stretch of a partially copied stream: libx264 or libx265 with its
 * parameter sets in the global header (never in-band), and the source's profile, level, pixel
 * format and colour description, so that one avcC or hvcC can describe both the copied pictures
 * and these. (libx264 is told a parameter-set id the source does not use; libx265's ids are
 * renumbered afterwards, see lossless-hevc.ts.)
 */
import { MediaError } from '../errors.js';
import type { Rational } from '../timeline/rational.js';
import { av, averrorMessage, check } from './av.js';
import type { AvFrame } from './decoder.js';
import type { AvPacket } from './packets.js';

type Lib = ReturnType<typeof av>['lib'];
type CodecContext = InstanceType<Lib['CodecContext']>;

/** How the segments must be encoded to fit the copied stream. */
export interface SegmentEncoderSpec {
  /** libx264 or libx265. */
  encoder: string;
  width: number;
  height: number;
  /** AVPixelFormat of the source. */
  pixelFormat: number;
  frameRate: Rational;
  sar: Rational;
  /** AVColorRange, AVColorPrimaries, AVColorTransferCharacteristic, AVColorSpace, AVChromaLocation of the source. */
  color: { range: number; primaries: number; trc: number; space: number; chromaLocation: number };
  /** H.264 level_idc of the source (e.g. 31 for 3.1), when the encoder takes it from the codec context. */
  level?: number;
  /** Encoder options (private ones included): profile, x264-params, x265-params, … */
  options: Record<string, string>;
}

/** H.264 profile number (FFmpeg's AV_PROFILE_H264_*) → libx264 profile name, for the profiles libx264 can write. */
export function x264ProfileName(profile: number): string | null {
  const names: Record<number, string> = { 66: 'baseline', 578: 'baseline', 77: 'main', 100: 'high', 110: 'high10', 122: 'high422', 244: 'high444' };
  return names[profile] ?? null;
}

/** One encoder instance: every segment gets a fresh one, so it starts with an IDR and ends flushed. */
export class SegmentEncoder {
  private readonly pkt: AvPacket;
  private constructor(
    private readonly ctx: CodecContext,
    private readonly name: string,
  ) {
    const { lib } = av();
    this.pkt = new lib.Packet();
    this.pkt.alloc();
  }

  /** Opens the encoder for `spec`; throws MediaError when it cannot (unsupported pixel format or profile). */
  static open(spec: SegmentEncoderSpec): SegmentEncoder {
    const { lib, c } = av();
    const name = spec.encoder;
    const codec = lib.Codec.findEncoderByName(name as never);
    if (!codec) throw new MediaError(`encoder ${name} is not available`);
    const supported = codec.pixelFormats;
    if (supported && !supported.includes(spec.pixelFormat as never)) throw new MediaError(`${name} cannot write the source pixel format`);
    const ctx = new lib.CodecContext();
    ctx.allocContext3(codec);
    try {
      ctx.setFlags(c.AV_CODEC_FLAG_GLOBAL_HEADER);
      ctx.width = spec.width;
      ctx.height = spec.height;
      ctx.pixelFormat = spec.pixelFormat as never;
      ctx.timeBase = new lib.Rational(spec.frameRate.den, spec.frameRate.num);
      ctx.framerate = new lib.Rational(spec.frameRate.num, spec.frameRate.den);
      ctx.sampleAspectRatio = new lib.Rational(spec.sar.num, spec.sar.den);
      ctx.colorRange = spec.color.range as never;
      ctx.colorPrimaries = spec.color.primaries as never;
      ctx.colorTrc = spec.color.trc as never;
      ctx.colorSpace = spec.color.space as never;
      ctx.chromaLocation = spec.color.chromaLocation as never;
      if (spec.level !== undefined) ctx.level = spec.level;
      ctx.threadCount = 0;
      // Options are set one by one, never as a Dictionary (see setOptions in output.ts).
      for (const [option, value] of Object.entries(spec.options)) {
        const r = ctx.setOption(option, value);
        if (r < 0) throw new MediaError(`${name}: invalid option ${option}=${value}: ${averrorMessage(r)}`);
      }
      const r = ctx.open2Sync(codec, null);
      if (r < 0) throw new MediaError(`could not open ${name}: ${averrorMessage(r)}`);
    } catch (e) {
      ctx.freeContext();
      throw e;
    }
    return new SegmentEncoder(ctx, name);
  }

  /** The encoder's parameter sets (and whatever else its global header holds), Annex B. */
  get extradata(): Buffer {
    const x = this.ctx.extraData;
    if (!x || x.length === 0) throw new MediaError(`${this.name} gave no global header`);
    return Buffer.from(x);
  }

  /** Frames between a picture's decoding and its display (B-frame reordering). */
  get delay(): number {
    return this.ctx.hasBFrames;
  }

  /**
   * Encodes `frame` as frame `n` (null drains the encoder); `onPacket` gets each packet (Annex B,
   * timestamps in frames), valid only during the call.
   */
  encode(frame: AvFrame | null, n: number, onPacket: (pkt: AvPacket) => void): void {
    const { c } = av();
    if (frame) {
      if (frame.width !== this.ctx.width || frame.height !== this.ctx.height || frame.format !== this.ctx.pixelFormat) {
        throw new MediaError('a decoded frame differs in size or pixel format from the stream being copied');
      }
      // x264 turns a forwarded I picture type into a forced keyframe; let the encoder choose.
      frame.pictType = c.AV_PICTURE_TYPE_NONE;
      frame.pts = BigInt(n);
      frame.duration = 1n;
      frame.timeBase = this.ctx.timeBase;
    }
    const r = this.ctx.sendFrameSync(frame);
    if (r < 0 && r !== c.AVERROR_EOF) throw new MediaError(`${this.name} failed: ${averrorMessage(r)}`);
    for (;;) {
      const g = this.ctx.receivePacketSync(this.pkt);
      if (g === c.AVERROR_EAGAIN || g === c.AVERROR_EOF) break;
      check(g, 'encoding');
      onPacket(this.pkt);
      this.pkt.unref();
    }
  }

  close(): void {
    this.pkt.free();
    this.ctx.freeContext();
  }
}
