/**
 * Partial-lossless video rendering: whole source GOPs that survive unchanged are copied packet for
 * packet; only the stretches around cuts (and speed changes) are decoded and re-encoded. H.264
 * (lossless-h264.ts) and HEVC (lossless-hevc.ts) sources are copied.
 *
 * How the joins stay decodable:
 * - Parameter sets. Copied pictures refer to the source's parameter sets; the re-encoded ones to the
 *   encoder's, under ids the source does not use. The output's decoder configuration (avcC, hvcC)
 *   lists both, so copied packets stay bit for bit as they were and decoders switch sets at the
 *   random access points where the joins are.
 * - References. Each re-encoded stretch gets a fresh encoder: it starts with an IDR and is flushed
 *   at its end. Copied GOPs are closed at both ends (the scan checks that no picture on either side
 *   of a GOP boundary is shown on the other side) and start with an IDR, or with an HEVC CRA that
 *   either continues the GOP before it or is entered as a splice point (its leading pictures
 *   re-encoded, the CRA written as a BLA; see the plan's `reset`), so nothing references across a join.
 * - Timestamps. pts = output frame number. The k-th packet in decode order of a stretch starting
 *   at output frame S gets dts = S + k − D, where D is the largest reordering delay of the source
 *   and the encoder: dts then rises by one per packet across every join and never passes pts.
 */
import { MediaError } from '../errors.js';
import { av } from '../media/av.js';
import { NOPTS } from '../media/decoder.js';
import type { OutputFile } from '../media/output.js';
import { PacketReader, type AvPacket } from '../media/packets.js';
import { SegmentEncoder } from '../media/segment-encoder.js';
import type { MediaInfo } from '../media/types.js';
import { timelineLength, type Clip, type Timeline } from '../timeline/model.js';
import { ratEquals, toNumber, type Rational } from '../timeline/rational.js';
import type { CopyPreparation, CopySetup, CopySource } from './lossless-codec.js';
import { prepareH264 } from './lossless-h264.js';
import { prepareHevc } from './lossless-hevc.js';
import { copiedFrames, planLossless, type PlanSpan } from './lossless-plan.js';
import { sourceFrameIndex } from '../timeline/clips.js';
import type { RenderRequest } from './settings.js';
import { VideoSource } from './video-source.js';

/** Source codecs that are copied, with the encoder the output must be written with and how to prepare the copy. */
const CODECS = new Map<string, { encoder: string; prepare: (src: CopySource, ext: string) => Promise<CopyPreparation> }>([
  ['h264', { encoder: 'libx264', prepare: (src) => prepareH264(src) }],
  ['hevc', { encoder: 'libx265', prepare: prepareHevc }],
]);

/** Containers whose H.264/HEVC sample entry is an avcC/hvcC (copied packets stay length-prefixed). */
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
  if (![...CODECS.values()].some((c) => c.encoder === p.encoder)) return 'only H.264 and HEVC are copied';
  const keys = new Set(p.layer.map((c) => `${c.stream}#${c.src}`));
  if (keys.size !== 1) return 'the video comes from several sources';
  const clip = p.layer[0];
  const v = p.sources.get(clip.src)?.video[clip.stream];
  if (!v) return 'the video source is missing';
  const codec = CODECS.get(v.codec);
  if (!codec) return `source codec is ${v.codec}; only H.264 and HEVC are copied`;
  if (codec.encoder !== p.encoder) return `source codec is ${v.codec} but the output is written with ${p.encoder}`;
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

/** Writes the main video layer partly by copying source GOPs; same role as the full render's VideoLayerWriter. */
export class LosslessVideoWriter {
  private readonly clips: Clip[];
  private readonly frameTb: Rational;
  private readonly outPkt: AvPacket;
  private si = 0;
  private ci = 0;
  private n = 0;
  /** Source frame the reader's next packet shows (a GOP's first picture in decode order), or -1 when unknown. */
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
    private readonly setup: CopySetup,
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
      const setup = await CODECS.get(v.codec)!.prepare({ path: clip.src, video: v, fps, reader, signal: opts.signal }, opts.ext);
      if ('reason' in setup) return setup;
      const spans = planLossless(layer, setup.scan);
      if (copiedFrames(spans) === 0) return { reason: 'no whole GOP of the source survives' };
      const stream = out.addCopiedStream({
        from: reader.codecpar,
        extradata: setup.extradata,
        timeBase: { num: tl.tb.den, den: tl.tb.num },
        disposition: 0,
        metadata: {},
      });
      if (setup.codecTag) stream.codecpar.codecTag = setup.codecTag;
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
      const delay = Math.max(setup.scan.delay, setup.encoderDelay);
      const writer = new LosslessVideoWriter(out, stream, spans, reader, setup, delay, layer, tl, toNumber(fps), openSource);
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

  /** Index of the scanned GOP that shows source frame `frame`. */
  private gopAt(frame: number): number {
    const starts = this.setup.scan.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= frame) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * Copies the source GOP whose frames start at output frame `this.n`: all of it, or, for a copy
   * entering a CRA GOP from elsewhere (`reset`), its pictures from the CRA on (the leading ones,
   * shown before it, are re-encoded).
   */
  private copyGop(span: Extract<PlanSpan, { kind: 'copy' }>): void {
    const first = span.srcStart + (this.n - span.start);
    const scan = this.setup.scan;
    const g = this.gopAt(first);
    const key = scan.keys?.[g] ?? scan.starts[g];
    if (first !== scan.starts[g] && first !== key) throw new MediaError(`source frame ${first} does not start a GOP`);
    if (this.readerAt !== key) this.seekToGop(key);
    const start = this.n;
    const entering = span.reset === true && start === span.start;
    let k = 0;
    let pkt = this.reader.peek();
    for (; pkt; pkt = this.reader.peek()) {
      const startsGop = this.setup.startsGop(pkt);
      if (startsGop && (k > 0 || this.reader.indexOf(pkt) !== key)) break;
      const index = this.reader.indexOf(pkt);
      if (index < first) {
        // A leading picture of a CRA entered from elsewhere: its frame was re-encoded.
        if (!entering) throw new MediaError('the source changed while it was being copied');
        this.reader.take();
        continue;
      }
      const shown = start + index - first;
      if (shown >= span.end) throw new MediaError('the source changed while it was being copied');
      if (k === 0 && entering && this.setup.enterGop && pkt.data) {
        const o = this.outPkt;
        o.unref();
        o.data = this.setup.enterGop(pkt.data);
        o.isKeyframe = true;
        this.write(o, shown, start - this.delay);
      } else {
        this.write(pkt, shown, start + k - this.delay);
      }
      this.reader.take();
      k++;
    }
    this.n = start + k;
    this.readerAt = pkt && pkt.pts !== NOPTS ? this.reader.indexOf(pkt) : -1;
  }

  /** Positions the reader on the first packet of the GOP whose first picture in decode order shows source frame `frame`. */
  private seekToGop(frame: number): void {
    for (let back = 0; back <= 8; back++) {
      this.reader.seekBefore(frame - (back === 0 ? 0 : 2 ** back * 30));
      for (let pkt = this.reader.peek(); pkt; pkt = this.reader.peek()) {
        const starts = this.setup.startsGop(pkt);
        const idx = this.reader.indexOf(pkt);
        if (starts && idx === frame) return;
        if (starts && idx > frame) break; // landed after it (seek by decoding time): go further back
        this.reader.take();
      }
    }
    throw new MediaError(`could not find the keyframe of source frame ${frame}`);
  }

  private async encodeUntil(span: PlanSpan, end: number): Promise<void> {
    if (!this.enc) {
      this.enc = SegmentEncoder.open(this.setup.spec);
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
    const o = this.outPkt;
    o.unref();
    o.data = this.setup.reframe(data);
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
