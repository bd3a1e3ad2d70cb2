/**
 * Partial-lossless video rendering: whole source GOPs that survive unchanged are copied packet for
 * packet; only the stretches around cuts (and speed changes) are decoded and re-encoded.
 *
 * How the joins stay decodable (H.264):
 * - Parameter sets. Copied pictures refer to the source's SPS/PPS; the re-encoded ones come from
 *   libx264 configured with an SPS/PPS id the source does not use (x264's `sps-id`; its PPS takes
 *   the same id) and with the source's profile, level, pixel format and colour description. The
 *   output's avcC lists both sets (avcC allows several), so the stream keeps the ordinary `avc1`
 *   sample entry (and Matroska's CodecPrivate) every player reads, packets are copied bit for bit,
 *   and decoders switch SPS at IDRs as the slices ask. (In-band sets with `avc3` would mean
 *   rewriting the copied packets and are less widely supported.)
 * - References. Each re-encoded stretch gets a fresh encoder: it starts with an IDR and is flushed
 *   at its end. Copied GOPs start with an IDR and are closed (the scan checks that no picture on
 *   either side of a GOP boundary is shown on the other side), so nothing references across a join.
 * - Timestamps. pts = output frame number. The k-th packet in decode order of a stretch starting
 *   at output frame S gets dts = S + k − D, where D is the largest reordering delay of the source
 *   and the encoder: dts then rises by one per packet across every join and never passes pts.
 */
import { MediaError } from '../errors.js';
import { av } from '../media/av.js';
import {
  freeParameterSetId,
  isAvcC,
  lengthPrefixed,
  mergeAvcC,
  nalType,
  NAL_PPS,
  NAL_SPS,
  parseAvcC,
  splitAnnexB,
  spsLevel,
  spsProfile,
  type AvcConfig,
} from '../media/h264.js';
import type { OutputFile } from '../media/output.js';
import { PacketReader, scanGops, type AvPacket, type GopScan } from '../media/packets.js';
import { SegmentEncoder, x264ProfileName, type SegmentEncoderSpec } from '../media/segment-encoder.js';
import type { MediaInfo } from '../media/types.js';
import { timelineLength, type Clip, type Timeline } from '../timeline/model.js';
import { ratEquals, toNumber, type Rational } from '../timeline/rational.js';
import { copiedFrames, planLossless, type PlanSpan } from './lossless-plan.js';
import { sourceFrameIndex } from '../timeline/clips.js';
import type { RenderRequest } from './settings.js';
import { VideoSource } from './video-source.js';

/** Containers whose H.264 sample entry is an avcC (copied packets stay length-prefixed). */
const CONTAINERS = ['.mp4', '.m4v', '.mov', '.mkv'];

/** Render settings that ask for something other than the source's encoding: any of them means re-encoding everything. */
const REENCODE_SETTINGS: Array<keyof RenderRequest> = ['videoBitrate', 'crf', 'preset', 'gop', 'profile', 'pixFmt', 'scale', 'transition', 'noSeek'];

/** What partial-lossless rendering did, or why it was not used. */
export type LosslessReport =
  | { used: true; copied: Array<Extract<PlanSpan, { kind: 'copy' }>>; copiedFrames: number; encodedFrames: number; segments: number }
  | { used: false; reason: string };

/** Why the video layer cannot be partially copied (a short reason), or null when it can be tried. */
export function losslessBlocker(p: {
  ext: string;
  request: RenderRequest;
  layer: Clip[];
  tl: Timeline;
  sources: Map<string, MediaInfo>;
  encoder: string | null;
}): string | null {
  const r = p.request;
  if (r.partialLossless === false) return 'turned off (--no-partial-lossless)';
  for (const key of REENCODE_SETTINGS) if (r[key] !== undefined && r[key] !== false) return `render setting ${key} asks for re-encoding`;
  if (r.videoCodec !== undefined && r.videoCodec !== 'auto') return 'render setting videoCodec asks for re-encoding';
  if (!CONTAINERS.includes(p.ext)) return `container ${p.ext} is not supported`;
  if (p.encoder !== 'libx264') return 'only H.264 is copied';
  const keys = new Set(p.layer.map((c) => `${c.stream}#${c.src}`));
  if (keys.size !== 1) return 'the video comes from several sources';
  const clip = p.layer[0];
  const v = p.sources.get(clip.src)?.video[clip.stream];
  if (!v) return 'the video source is missing';
  if (v.codec !== 'h264') return `source codec is ${v.codec}`;
  if (!v.avgFrameRate || !ratEquals(v.avgFrameRate, p.tl.tb)) return 'the source frame rate differs from the timeline rate';
  if (v.width !== p.tl.resolution[0] || v.height !== p.tl.resolution[1]) return 'the resolution changes';
  if (!p.layer.some((c) => c.speed === 1 && (c.varispeed ?? 1) === 1)) return 'no clip plays at normal speed';
  // Gaps show the background, which only the full render draws.
  const sorted = [...p.layer].sort((a, b) => a.start - b.start);
  let end = 0;
  for (const c of sorted) {
    if (c.start > end) return 'the video layer has gaps';
    end = Math.max(end, c.start + c.dur);
  }
  if (end < timelineLength(p.tl)) return 'the video layer ends before the timeline';
  return null;
}

/** libx264 writes profile_idc ≤ the one asked for; a decoder set up for the source's profile must accept it. */
function profileFits(encoder: number, source: number): boolean {
  const nested = [66, 77, 100];
  return encoder === source || (nested.includes(encoder) && nested.includes(source) && encoder <= source);
}

/** Writes the main video layer partly by copying source GOPs; same role as the full render's VideoLayerWriter. */
export class LosslessVideoWriter {
  private readonly clips: Clip[];
  private readonly frameTb: Rational;
  private readonly outPkt: AvPacket;
  private si = 0;
  private ci = 0;
  private n = 0;
  /** Source frame the reader's next packet shows (a GOP start), or -1 when unknown. */
  private readerAt = -1;
  private enc: SegmentEncoder | null = null;
  private segStart = 0;
  private segPackets = 0;
  private encoded = 0;
  private segments = 0;

  private constructor(
    private readonly out: OutputFile,
    private readonly stream: ReturnType<OutputFile['addCopiedStream']>,
    private readonly spans: PlanSpan[],
    private readonly reader: PacketReader,
    private readonly avcc: AvcConfig,
    private readonly spec: SegmentEncoderSpec,
    private readonly delay: number,
    layer: Clip[],
    private readonly tl: Timeline,
    private readonly fps: number,
    private readonly openSource: () => Promise<VideoSource>,
  ) {
    this.clips = [...layer].sort((a, b) => a.start - b.start);
    this.frameTb = { num: tl.tb.den, den: tl.tb.num };
    this.outPkt = new (av().lib.Packet)();
    this.outPkt.alloc();
  }

  /**
   * Plans the layer and adds its output stream, or says why the full render must be used instead.
   * Call before `out.begin()`, in the place where the video stream belongs.
   */
  static async create(
    tl: Timeline,
    layer: Clip[],
    sources: Map<string, MediaInfo>,
    out: OutputFile,
    opts: { ext: string; request: RenderRequest; encoder: string | null; videoSources: Map<string, VideoSource>; signal?: AbortSignal },
  ): Promise<{ writer: LosslessVideoWriter } | { reason: string }> {
    const blocker = losslessBlocker({ ext: opts.ext, request: opts.request, layer, tl, sources, encoder: opts.encoder });
    if (blocker) return { reason: blocker };
    const clip = layer[0];
    const v = sources.get(clip.src)!.video[clip.stream];
    const fps = v.avgFrameRate!;
    const reader = await PacketReader.open(clip.src, v.index, fps);
    let keep = false;
    try {
      const par = reader.codecpar;
      const extradata = par.extradata;
      if (!isAvcC(extradata)) return { reason: 'the source has no avcC parameter sets' };
      let avcc: AvcConfig;
      try {
        avcc = parseAvcC(extradata);
      } catch (e) {
        if (e instanceof MediaError) return { reason: e.message };
        throw e;
      }
      if (avcc.sps.length === 0 || avcc.pps.length === 0) return { reason: 'the source has no parameter sets in its header' };
      const profile = x264ProfileName(par.profile);
      if (!profile) return { reason: `H.264 profile ${par.profile} cannot be matched by libx264` };
      const paramSetId = freeParameterSetId(avcc);
      if (paramSetId === null) return { reason: 'no free parameter-set id' };
      const spec: SegmentEncoderSpec = {
        width: v.width,
        height: v.height,
        pixelFormat: par.format,
        frameRate: fps,
        sar: v.sampleAspectRatio,
        color: { range: par.colorRange, primaries: par.colorPrimaries, trc: par.colorTrc, space: par.colorSpace, chromaLocation: par.chromaLocation },
        profile,
        level: avcc.level,
        paramSetId,
      };
      let merged: Buffer;
      let encDelay: number;
      try {
        const probe = SegmentEncoder.open(spec);
        try {
          const encSps = splitAnnexB(probe.extradata).filter((n) => nalType(n) === NAL_SPS);
          if (!encSps.every((s) => profileFits(spsProfile(s), avcc.profile) && spsLevel(s) <= avcc.level)) {
            return { reason: 'the encoder cannot match the source profile and level' };
          }
          merged = mergeAvcC(avcc, probe.extradata);
          encDelay = probe.delay;
        } finally {
          probe.close();
        }
      } catch (e) {
        if (e instanceof MediaError) return { reason: e.message };
        throw e;
      }
      let scan: GopScan;
      try {
        scan = await scanGops(clip.src, v.index, fps, avcc.lengthSize, opts.signal);
      } catch (e) {
        if (e instanceof MediaError) return { reason: `the source could not be scanned: ${e.message}` };
        throw e;
      }
      const spans = planLossless(layer, scan);
      if (copiedFrames(spans) === 0) return { reason: 'no whole GOP of the source survives' };
      const stream = out.addCopiedStream({
        from: par,
        extradata: merged,
        timeBase: { num: tl.tb.den, den: tl.tb.num },
        disposition: 0,
        metadata: {},
      });
      const { lib } = av();
      stream.avgFrameRate = new lib.Rational(tl.tb.num, tl.tb.den);
      stream.sampleAspectRatio = new lib.Rational(v.sampleAspectRatio.num, v.sampleAspectRatio.den);
      const openSource = async (): Promise<VideoSource> => {
        const key = `${clip.src}#${clip.stream}`;
        let src = opts.videoSources.get(key);
        if (!src) {
          src = await VideoSource.open(clip.src, clip.stream, fps);
          opts.videoSources.set(key, src);
        }
        return src;
      };
      const writer = new LosslessVideoWriter(out, stream, spans, reader, avcc, spec, Math.max(scan.delay, encDelay), layer, tl, toNumber(fps), openSource);
      keep = true;
      return { writer };
    } finally {
      if (!keep) reader.close();
    }
  }

  /** What was copied and re-encoded so far. */
  get report(): LosslessReport {
    const copied = this.spans.filter((s): s is Extract<PlanSpan, { kind: 'copy' }> => s.kind === 'copy');
    return { used: true, copied, copiedFrames: copiedFrames(this.spans), encodedFrames: this.encoded, segments: this.segments };
  }

  /** Writes output frames up to `end` (exclusive); copied GOPs are written whole, so it may run a GOP past it. */
  async renderUntil(end: number): Promise<void> {
    while (this.n < end && this.si < this.spans.length) {
      const span = this.spans[this.si];
      if (span.start >= end) return;
      this.n = Math.max(this.n, span.start);
      if (span.kind === 'copy') {
        this.copyGop(span);
      } else {
        await this.encodeUntil(span, end);
      }
      if (this.n >= span.end) this.si++;
    }
  }

  /** Copies the source GOP that starts at output frame `this.n`. */
  private copyGop(span: Extract<PlanSpan, { kind: 'copy' }>): void {
    const first = span.srcStart + (this.n - span.start);
    if (this.readerAt !== first) this.seekToGop(first);
    const start = this.n;
    let k = 0;
    for (let pkt = this.reader.peek(); pkt; pkt = this.reader.peek()) {
      if (k > 0 && pkt.isKeyframe) break;
      const shown = start + this.reader.indexOf(pkt) - first;
      if (shown < start || shown >= span.end) throw new MediaError('the source changed while it was being copied');
      this.write(pkt, shown, start + k - this.delay);
      this.reader.take();
      k++;
    }
    this.n = start + k;
    this.readerAt = first + k;
  }

  /** Positions the reader on the keyframe packet of source frame `frame` (a GOP start found by the scan). */
  private seekToGop(frame: number): void {
    for (let back = 0; back <= 8; back++) {
      this.reader.seekBefore(frame - (back === 0 ? 0 : 2 ** back * 30));
      for (let pkt = this.reader.peek(); pkt; pkt = this.reader.peek()) {
        const idx = this.reader.indexOf(pkt);
        if (pkt.isKeyframe && idx === frame) return;
        if (pkt.isKeyframe && idx > frame) break; // landed after it (seek by decoding time): go further back
        this.reader.take();
      }
    }
    throw new MediaError(`could not find the keyframe of source frame ${frame}`);
  }

  private async encodeUntil(span: PlanSpan, end: number): Promise<void> {
    if (!this.enc) {
      this.enc = SegmentEncoder.open(this.spec);
      this.segStart = this.n;
      this.segPackets = 0;
      this.segments++;
    }
    const stop = Math.min(end, span.end);
    const tb = toNumber(this.tl.tb);
    const src = await this.openSource();
    const onPacket = (pkt: AvPacket): void => this.writeEncoded(pkt);
    for (; this.n < stop; this.n++) {
      while (this.ci < this.clips.length && this.clips[this.ci].start + this.clips[this.ci].dur <= this.n) this.ci++;
      const clip = this.clips[this.ci];
      if (!clip || clip.start > this.n) throw new MediaError(`no clip covers output frame ${this.n}`);
      const frame = src.frameAt(sourceFrameIndex(clip, this.n, this.fps, tb));
      if (frame) {
        this.enc.encode(frame, this.n, onPacket);
        this.encoded++;
      }
    }
    if (this.n >= span.end) this.closeSegment();
  }

  private closeSegment(): void {
    if (!this.enc) return;
    this.enc.encode(null, 0, (pkt) => this.writeEncoded(pkt));
    this.enc.close();
    this.enc = null;
  }

  /** Reframes an encoder packet (Annex B) like the source's samples and writes it. */
  private writeEncoded(pkt: AvPacket): void {
    const data = pkt.data;
    if (!data) return;
    // Parameter sets live in the avcC only; access unit delimiters are not needed in MP4/Matroska.
    const nals = splitAnnexB(data).filter((n) => ![NAL_SPS, NAL_PPS, 9].includes(nalType(n)));
    const o = this.outPkt;
    o.unref();
    o.data = lengthPrefixed(nals, this.avcc.lengthSize);
    o.isKeyframe = pkt.isKeyframe;
    this.write(o, Number(pkt.pts), this.segStart + this.segPackets - this.delay);
    this.segPackets++;
  }

  private write(pkt: AvPacket, pts: number, dts: number): void {
    if (dts > pts) throw new MediaError(`decoding time after presentation time at output frame ${pts}`);
    pkt.streamIndex = this.stream.index;
    pkt.pts = BigInt(pts);
    pkt.dts = BigInt(dts);
    pkt.duration = 1n;
    pkt.pos = -1n;
    pkt.rescaleTs(this.frameTb, this.stream.timeBase);
    this.out.writePacket(pkt);
  }

  /** Drains the last re-encoded stretch; call before the output's trailer is written. */
  finish(): void {
    this.closeSegment();
  }

  close(): void {
    this.enc?.close();
    this.enc = null;
    this.outPkt.free();
    this.reader.close();
  }
}
