/**
 * What partial-lossless rendering needs from each codec it copies (H.264: lossless-h264.ts, HEVC:
 * lossless-hevc.ts): the output's decoder configuration, the source's GOP scan, the encoder for
 * re-encoded stretches, and how that encoder's packets are framed like the copied ones.
 */
import type { AvPacket, GopScan, PacketReader } from '../media/packets.js';
import type { SegmentEncoderSpec } from '../media/segment-encoder.js';
import type { VideoStreamInfo } from '../media/types.js';
import type { Rational } from '../timeline/rational.js';

/** The source stream a codec prepares the copy of. */
export interface CopySource {
  path: string;
  video: VideoStreamInfo;
  fps: Rational;
  /** Open on the stream (its codec parameters and extradata). */
  reader: PacketReader;
  signal?: AbortSignal;
}

/** How the copied stream is written. */
export interface CopySetup {
  /** The output stream's decoder configuration (avcC, hvcC). */
  extradata: Buffer;
  /** Sample entry to ask the MP4/MOV muxer for (e.g. hvc1), or null for its default. */
  codecTag: string | null;
  scan: GopScan;
  /** Frames between decoding and display in the encoder's output (B-frame reordering), at most. */
  encoderDelay: number;
  /** Encoder settings for the re-encoded stretches. */
  spec: SegmentEncoderSpec;
  /** An encoder packet (Annex B) as an output sample. */
  reframe(annexB: Buffer): Buffer;
  /** The source packet starts a GOP as the scan counts them. */
  startsGop(pkt: AvPacket): boolean;
  /**
   * The first sample of a GOP that a copy enters from elsewhere than the GOP before it (a PlanSpan
   * with `reset`), as it must be written; absent when the codec has no such GOPs.
   */
  enterGop?(sample: Buffer): Buffer;
}

/** A setup, or why the codec cannot be copied from this source. */
export type CopyPreparation = CopySetup | { reason: string };

/** The source's picture format (size, pixel format, rate, aspect ratio, colour description), for the encoder. */
export function sourcePicture(src: CopySource): Pick<SegmentEncoderSpec, 'width' | 'height' | 'pixelFormat' | 'frameRate' | 'sar' | 'color'> {
  const par = src.reader.codecpar;
  return {
    width: src.video.width,
    height: src.video.height,
    pixelFormat: par.format,
    frameRate: src.fps,
    sar: src.video.sampleAspectRatio,
    color: { range: par.colorRange, primaries: par.colorPrimaries, trc: par.colorTrc, space: par.colorSpace, chromaLocation: par.chromaLocation },
  };
}
