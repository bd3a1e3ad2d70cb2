/**
 * Packet-level reading of one video stream, without decoding: the GOP scan that partial-lossless
 * rendering plans with, and a forward reader that hands out packets for copying.
 */
import { MediaError } from '../errors.js';
import type { Rational } from '../timeline/rational.js';
import { av, averrorMessage, yieldToLoop } from './av.js';
import { NOPTS } from './decoder.js';
import { hasIdrSlice } from './h264.js';
import { openFormat } from './probe.js';

type Lib = ReturnType<typeof av>['lib'];
type FormatContext = InstanceType<Lib['FormatContext']>;
export type AvPacket = InstanceType<Lib['Packet']>;

/**
 * The source's GOPs in decode order, as found by scanning packet headers: a few numbers per GOP.
 * GOP i holds source frames [starts[i], starts[i] + lengths[i]).
 */
export interface GopTable {
  starts: number[];
  lengths: number[];
  /**
   * The GOP starts with an IDR, is closed at both ends (no frame before or after it in decode order
   * is shown inside it), has one packet per frame on the frame grid and no gap to the next GOP.
   */
  copyable: boolean[];
}

/** Source frame index of a timestamp (index = round(seconds × fps), as VideoSource counts) and its distance from the grid. */
export function frameIndexOf(ts: bigint, tb: Rational, fps: Rational): { index: number; offGrid: number } {
  const exact = (Number(ts) * tb.num * fps.num) / (tb.den * fps.den);
  const index = Math.round(exact);
  return { index, offGrid: Math.abs(exact - index) };
}

/** What the scan of a source's video packets found. */
export interface GopScan extends GopTable {
  /** Largest (position in its GOP's decode order) − (position in display order), over copyable GOPs: the reordering delay in frames. */
  delay: number;
  /** Packets read. */
  packets: number;
}

/** A frame's timestamp may be this far from the frame grid (Matroska's millisecond rounding) and still count as on it. */
const GRID_TOLERANCE = 0.1;

/**
 * Reads the packet headers (and the first NAL units of keyframes) of stream `streamIndex` of an
 * H.264 file and describes its GOPs (see GopTable for when one is copyable). Memory: three
 * numbers per GOP, plus the frame indices of the GOP being read.
 */
export async function scanGops(path: string, streamIndex: number, fps: Rational, lengthSize: number, signal?: AbortSignal): Promise<GopScan> {
  const fmt = await openFormat(path);
  const { lib, c } = av();
  const pkt = new lib.Packet();
  pkt.alloc();
  const stream = fmt.streams[streamIndex];
  if (!stream) throw new MediaError(`stream ${streamIndex} does not exist in ${path}`);
  const tb = { num: stream.timeBase.num, den: stream.timeBase.den };
  const scan: GopScan = { starts: [], lengths: [], copyable: [], delay: 0, packets: 0 };
  // The GOP being read (start = -1: packets before the first keyframe, never copyable).
  let start = -1;
  let startClean = false;
  let ok = false;
  let count = 0;
  let minIdx = Infinity;
  let maxIdx = -Infinity;
  let delay = 0;
  const seen = new Set<number>();
  let maxShown = -Infinity;
  const close = (nextStart: number | null): void => {
    if (start < 0) return;
    const copyable =
      ok && startClean && minIdx === start && maxIdx - minIdx + 1 === count && seen.size === count && (nextStart === null || nextStart === maxIdx + 1);
    scan.starts.push(start);
    scan.lengths.push(count);
    scan.copyable.push(copyable);
    if (copyable) scan.delay = Math.max(scan.delay, delay);
  };
  try {
    for (;;) {
      pkt.unref();
      const r = fmt.readFrameSync(pkt);
      if (r < 0) {
        if (r !== c.AVERROR_EOF) throw new MediaError(`could not read ${path}: ${averrorMessage(r)}`);
        break;
      }
      if (pkt.streamIndex !== streamIndex) continue;
      if (++scan.packets % 4096 === 0) {
        await yieldToLoop();
        if (signal?.aborted) break;
      }
      const pts = pkt.pts;
      const { index, offGrid } = pts === NOPTS ? { index: NaN, offGrid: 1 } : frameIndexOf(pts, tb, fps);
      if (pkt.isKeyframe && !Number.isNaN(index)) {
        const data = pkt.data;
        const idr = !!data && isIdr(data, lengthSize);
        // The cut before this keyframe is clean only when everything decoded so far is shown before it.
        const clean = idr && maxShown < index;
        close(index);
        // A GOP ending here is copyable only if the boundary is clean: `close` checked contiguity;
        // an unclean boundary also spoils the GOP before it.
        if (!clean && scan.copyable.length) scan.copyable[scan.copyable.length - 1] = false;
        start = index;
        startClean = clean;
        ok = true;
        count = 0;
        minIdx = Infinity;
        maxIdx = -Infinity;
        delay = 0;
        seen.clear();
      }
      if (Number.isNaN(index) || offGrid > GRID_TOLERANCE || pkt.hasFlags(c.AV_PKT_FLAG_CORRUPT) || pkt.hasFlags(c.AV_PKT_FLAG_DISCARD)) ok = false;
      if (!Number.isNaN(index)) {
        if (start >= 0) {
          delay = Math.max(delay, start + count - index);
          minIdx = Math.min(minIdx, index);
          maxIdx = Math.max(maxIdx, index);
          seen.add(index);
        }
        maxShown = Math.max(maxShown, index);
      }
      count++;
    }
    close(null);
    return scan;
  } finally {
    pkt.free();
    fmt.closeInputSync();
  }
}

/** A keyframe sample with an IDR slice; a malformed one is simply not copied. */
function isIdr(sample: Buffer, lengthSize: number): boolean {
  try {
    return hasIdrSlice(sample, lengthSize);
  } catch {
    return false;
  }
}

/** Reads the packets of one stream forward, seeking to keyframes on request. */
export class PacketReader {
  private readonly pkt: AvPacket;
  /** The current packet is valid and not yet taken. */
  private held = false;
  private ended = false;
  readonly tb: Rational;

  private constructor(
    private readonly fmt: FormatContext,
    readonly streamIndex: number,
    readonly fps: Rational,
  ) {
    const { lib } = av();
    this.pkt = new lib.Packet();
    this.pkt.alloc();
    const t = fmt.streams[streamIndex].timeBase;
    this.tb = { num: t.num, den: t.den };
  }

  /** Opens `path` for reading the packets of container stream `streamIndex`. */
  static async open(path: string, streamIndex: number, fps: Rational): Promise<PacketReader> {
    return new PacketReader(await openFormat(path), streamIndex, fps);
  }

  /** Parameters of the stream being read (valid until close). */
  get codecpar(): InstanceType<Lib['CodecParameters']> {
    return this.fmt.streams[this.streamIndex].codecpar;
  }

  /** The next packet (still owned by the reader until `take`), or null at the end. */
  peek(): AvPacket | null {
    if (this.held) return this.pkt;
    const { c } = av();
    while (!this.ended) {
      this.pkt.unref();
      const r = this.fmt.readFrameSync(this.pkt);
      if (r < 0) {
        if (r !== c.AVERROR_EOF) throw new MediaError(`could not read packets: ${averrorMessage(r)}`);
        this.ended = true;
        break;
      }
      if (this.pkt.streamIndex !== this.streamIndex) continue;
      this.held = true;
      return this.pkt;
    }
    return null;
  }

  /** Marks the peeked packet as used: the next `peek` reads a new one. */
  take(): void {
    this.held = false;
  }

  /** Source frame index of a packet of this stream. */
  indexOf(pkt: AvPacket): number {
    if (pkt.pts === NOPTS) throw new MediaError('a copied packet has no timestamp');
    return frameIndexOf(pkt.pts, this.tb, this.fps).index;
  }

  /** Seeks so that the next packets start at a keyframe at or before source frame `frame`. */
  seekBefore(frame: number): void {
    const { c } = av();
    const ts = BigInt(Math.max(0, Math.floor((frame * this.fps.den * this.tb.den) / (this.fps.num * this.tb.num))));
    const r = this.fmt.seekFrameSync(this.streamIndex, ts, c.AVSEEK_FLAG_BACKWARD);
    if (r < 0) throw new MediaError(`seek failed: ${averrorMessage(r)}`);
    this.held = false;
    this.ended = false;
  }

  close(): void {
    this.pkt.free();
    this.fmt.closeInputSync();
  }
}
