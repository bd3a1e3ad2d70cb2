import { MediaError } from '../errors.js';
import { av, averrorMessage } from './av.js';
import type { AvFrame } from './decoder.js';

type Lib = ReturnType<typeof av>['lib'];
type FilterGraph = InstanceType<Lib['FilterGraph']>;
type FilterContext = InstanceType<Lib['FilterContext']>;

/** Parameters of the frames a filter graph receives. */
export type FilterInput =
  | { kind: 'audio'; sampleRate: number; sampleFormat: number; layout: string; timeBase: { num: number; den: number } }
  | {
      kind: 'video';
      width: number;
      height: number;
      pixelFormat: number;
      timeBase: { num: number; den: number };
      sar: { num: number; den: number };
    };

/** FFmpeg's channel_layout argument for an abuffer source: a mask, or "Nc" when unordered. */
export function layoutArg(layout: { nbChannels: number; mask: bigint }): string {
  return layout.mask === 0n ? `${layout.nbChannels}c` : `0x${layout.mask.toString(16)}`;
}

/**
 * One linear filter graph: a buffer source, FFmpeg filters given as text, a buffer sink.
 * Letting FFmpeg convert and re-chunk keeps frames that cross into JS few and large.
 */
export class FilterPipe {
  private readonly out: AvFrame;
  private constructor(
    private readonly graph: FilterGraph,
    private readonly src: FilterContext,
    private readonly sink: FilterContext,
  ) {
    const { lib } = av();
    this.out = new lib.Frame();
    this.out.alloc();
  }

  /** Builds `source → chain → sink`; `chain` is FFmpeg filter syntax (may be empty). */
  static create(input: FilterInput, chain: string, threads = 1): FilterPipe {
    const { lib } = av();
    const graph = new lib.FilterGraph();
    graph.alloc();
    graph.nbThreads = threads;
    const tb = `${input.timeBase.num}/${input.timeBase.den}`;
    const source =
      input.kind === 'audio'
        ? `abuffer@in=time_base=${tb}:sample_rate=${input.sampleRate}:sample_fmt=${input.sampleFormat}:channel_layout=${input.layout}`
        : `buffer@in=video_size=${input.width}x${input.height}:pix_fmt=${input.pixelFormat}:time_base=${tb}:pixel_aspect=${input.sar.num || 1}/${input.sar.den || 1}`;
    const sinkName = input.kind === 'audio' ? 'abuffersink@out' : 'buffersink@out';
    const desc = chain ? `${source},${chain},${sinkName}` : `${source},${sinkName}`;
    let r = graph.parse2(desc);
    if (r < 0) throw new MediaError(`invalid filter graph "${chain}": ${averrorMessage(r)}`);
    r = graph.configSync();
    if (r < 0) throw new MediaError(`could not configure filter graph "${chain}": ${averrorMessage(r)}`);
    const src = graph.getFilter(input.kind === 'audio' ? 'abuffer@in' : 'buffer@in');
    const sink = graph.getFilter(sinkName);
    if (!src || !sink) throw new MediaError('filter graph lost its source or sink');
    return new FilterPipe(graph, src, sink);
  }

  /**
   * Sends a frame in (null = end of stream, flushes the graph). FFmpeg takes the frame's data and
   * leaves it empty, unless `keep` asks for a new reference (a frame the caller writes again).
   */
  push(frame: AvFrame | null, keep = false): void {
    const r = this.src.buffersrcAddFrameSync(frame, keep ? av().c.AV_BUFFERSRC_FLAG_KEEP_REF : undefined);
    if (r < 0) throw new MediaError(`filter graph rejected a frame: ${averrorMessage(r)}`);
  }

  /**
   * Sends `samples` interleaved float samples of `layout` (an audio pipe whose source takes `flt`)
   * as one frame stamped `pts`, in 1/sampleRate. FFmpeg copies them; the caller keeps `data`.
   */
  pushSamples(data: Float32Array, samples: number, layout: { nbChannels: number; order: number; mask: bigint }, sampleRate: number, pts: number): void {
    const { lib, c } = av();
    const frame = lib.Frame.fromAudioBuffer(Buffer.from(data.buffer, data.byteOffset, samples * layout.nbChannels * 4), {
      nbSamples: samples,
      format: c.AV_SAMPLE_FMT_FLT,
      sampleRate,
      channelLayout: layout as never,
      pts: BigInt(pts),
      timeBase: { num: 1, den: sampleRate },
    });
    try {
      this.push(frame);
    } finally {
      frame.free();
    }
  }

  /** Next filtered frame (owned by the pipe until the next pull) or null when it needs input. */
  pull(): AvFrame | null {
    this.out.unref();
    const r = this.sink.buffersinkGetFrameSync(this.out);
    return r >= 0 ? this.out : null;
  }

  /** Time base of the frames the sink returns. */
  get outTimeBase(): { num: number; den: number } {
    const tb = this.sink.buffersinkGetTimeBase();
    return { num: tb.num, den: tb.den };
  }

  /** Frees the graph. */
  close(): void {
    this.out.free();
    this.graph.free();
  }
}
