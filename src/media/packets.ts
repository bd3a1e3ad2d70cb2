/**
 * Packet-level reading of one video stream, without decoding: the GOP scan that partial-lossless
 * rendering plans with, and a forward reader that hands out packets for copying.
 */
import { MediaError } from '../errors.js';
import type { Rational } from '../timeline/rational.js';
import { av, averrorMessage, yieldToLoop } from './av.js';
import { NOPTS } from './decoder.js';
import { hasIdrSlice, splitLengthPrefixed } from './h264.js';
import {
  HEVC_BLA_W_LP,
  HEVC_CRA,
  HEVC_RASL_N,
  HEVC_RASL_R,
  hevcNalType,
  hevcSampleInfo,
  isIrap,
  isLeading,
  parameterSetKey,
  type HevcSampleInfo,
} from './hevc.js';
import type { MediaInput } from './mp4-input.js';
import { openInput } from './probe.js';

type Lib = ReturnType<typeof av>['lib'];
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
   * (HEVC: starts with an IRAP picture; see scanHevcGops.)
   */
  copyable: boolean[];
  /**
   * Source frame of each GOP's first picture in decode order (its IRAP), when that can differ from
   * `starts` (HEVC leading pictures are shown before it); absent: the same as `starts`.
   */
  keys?: number[];
  /**
   * The GOP starts with an HEVC CRA picture: a copy that enters it from elsewhere than the GOP
   * before it starts at its key frame (its leading pictures may refer to the GOP before, and are
   * re-encoded instead) and writes the CRA as a BLA picture.
   */
  reset?: boolean[];
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
  const { c } = av();
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
  await visitPackets(path, streamIndex, signal, (pkt, tb) => {
    scan.packets++;
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
  });
  close(null);
  return scan;
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
    private readonly input: MediaInput,
    readonly streamIndex: number,
    readonly fps: Rational,
  ) {
    const { lib } = av();
    this.pkt = new lib.Packet();
    this.pkt.alloc();
    const t = input.fmt.streams[streamIndex].timeBase;
    this.tb = { num: t.num, den: t.den };
  }

  /** Opens `path` for reading the packets of container stream `streamIndex`. */
  static async open(path: string, streamIndex: number, fps: Rational): Promise<PacketReader> {
    return new PacketReader(await openInput(path), streamIndex, fps);
  }

  /** Parameters of the stream being read (valid until close). */
  get codecpar(): InstanceType<Lib['CodecParameters']> {
    return this.input.fmt.streams[this.streamIndex].codecpar;
  }

  /** The next packet (still owned by the reader until `take`), or null at the end. */
  peek(): AvPacket | null {
    if (this.held) return this.pkt;
    const { c } = av();
    while (!this.ended) {
      this.pkt.unref();
      const r = this.input.read(this.pkt, this.streamIndex);
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
    const ts = BigInt(Math.max(0, Math.floor((frame * this.fps.den * this.tb.den) / (this.fps.num * this.tb.num))));
    const r = this.input.seek(this.streamIndex, ts);
    if (r < 0) throw new MediaError(`seek failed: ${averrorMessage(r)}`);
    this.held = false;
    this.ended = false;
  }

  close(): void {
    this.pkt.free();
    this.input.close();
  }
}

/** What the scan of an HEVC source found (see scanHevcGops). */
export interface HevcGopScan extends GopScan {
  keys: number[];
  reset: boolean[];
  /** Some samples carry parameter sets of their own (the output then needs the `hev1` sample entry). */
  inBandParameterSets: boolean;
  /** Ids used by in-band parameter sets, by NAL unit type. */
  inBandIds: Map<number, Set<number>>;
}

/** One HEVC GOP while it is being read. */
interface HevcGop {
  /** Frame index and NAL unit type of its IRAP picture. */
  key: number;
  type: number;
  noOutputOfPriorPics: boolean;
  /** The first IRAP of the file (its RASL pictures are never shown). */
  first: boolean;
  ok: boolean;
  count: number;
  min: number;
  max: number;
  seen: Set<number>;
  /** Largest (decode position) − (frame index). */
  lag: number;
  leading: number;
  rasl: number;
  /** Leading pictures are shown before the IRAP, follow it directly in decode order, and the rest after it. */
  ordered: boolean;
  trailingSeen: boolean;
  /** Largest frame index decoded before the GOP. */
  shownBefore: number;
}

/**
 * Like scanGops for an HEVC stream (length-prefixed samples, `headerSets` = the VPS/SPS/PPS of its
 * hvcC). A GOP runs from an IRAP picture (IDR, CRA, BLA) to the next in decode order and covers
 * the frames its pictures show, leading pictures included. It is copyable when, beyond what
 * GopTable says: its leading pictures are shown right before the IRAP and follow it directly in
 * decode order; it is not a BLA or the file's first picture with RASL pictures (decoders drop
 * those); its IRAP does not drop the pictures waiting for output (no_output_of_prior_pics_flag);
 * no parameter set changed in-band up to its end; no end of sequence comes inside it or right
 * before it; and it has only base-layer NAL units. CRA GOPs are marked `reset` (see GopTable).
 */
export async function scanHevcGops(
  path: string,
  streamIndex: number,
  fps: Rational,
  lengthSize: number,
  headerSets: Buffer[],
  signal?: AbortSignal,
): Promise<HevcGopScan> {
  const header = new Map<string, Buffer>();
  for (const nal of headerSets) header.set(parameterSetKey(nal), nal);
  const scan: HevcGopScan = {
    starts: [],
    lengths: [],
    copyable: [],
    keys: [],
    reset: [],
    delay: 0,
    packets: 0,
    inBandParameterSets: false,
    inBandIds: new Map(),
  };
  let cur = null as HevcGop | null;
  // The GOP before `cur`, kept until the boundary between them has been checked.
  let prev = null as { gop: HevcGop; copyable: boolean } | null;
  let maxShown = -Infinity;
  let irapSeen = false;
  // A parameter set of the header was replaced in-band: nothing from there on is copied.
  let changed = false;
  let afterEndOfSequence = false;
  const push = (g: HevcGop, copyable: boolean): void => {
    scan.starts.push(g.min);
    scan.lengths.push(g.count);
    scan.copyable.push(copyable);
    scan.keys.push(g.key);
    scan.reset.push(g.type === HEVC_CRA);
    if (copyable) scan.delay = Math.max(scan.delay, g.lag + g.min);
  };
  const close = (): void => {
    const g = cur;
    if (!g) return;
    cur = null;
    let copyable =
      g.ok &&
      g.type <= HEVC_CRA &&
      g.max - g.min + 1 === g.count &&
      g.seen.size === g.count &&
      g.ordered &&
      g.key - g.min === g.leading &&
      !(g.rasl > 0 && (g.first || g.type === HEVC_BLA_W_LP)) &&
      !g.noOutputOfPriorPics;
    // A boundary is clean when nothing decoded before the GOP is shown inside it or after it, and
    // the GOP continues the one before without a gap; an unclean boundary spoils both GOPs.
    const clean = g.shownBefore < g.min && (!prev || g.min === prev.gop.max + 1);
    if (!clean) copyable = false;
    if (prev) push(prev.gop, prev.copyable && clean);
    prev = { gop: g, copyable };
  };
  const { c } = av();
  await visitPackets(path, streamIndex, signal, (pkt, tb) => {
    scan.packets++;
    const pts = pkt.pts;
    const { index, offGrid } = pts === NOPTS ? { index: NaN, offGrid: 1 } : frameIndexOf(pts, tb, fps);
    let info: HevcSampleInfo | null = null;
    try {
      const data = pkt.data;
      if (data) info = hevcSampleInfo(splitLengthPrefixed(data, lengthSize));
    } catch {
      info = null;
    }
    if (info && isIrap(info.vcl) && !Number.isNaN(index)) {
      close();
      cur = {
        key: index,
        type: info.vcl,
        noOutputOfPriorPics: info.noOutputOfPriorPics,
        first: !irapSeen,
        ok: !afterEndOfSequence,
        count: 0,
        min: Infinity,
        max: -Infinity,
        seen: new Set(),
        lag: -Infinity,
        leading: 0,
        rasl: 0,
        ordered: true,
        trailingSeen: false,
        shownBefore: maxShown,
      };
      irapSeen = true;
      afterEndOfSequence = false;
    }
    for (const ps of info?.parameterSets ?? []) {
      scan.inBandParameterSets = true;
      try {
        const key = parameterSetKey(ps);
        const [type, id] = key.split('/').map(Number);
        if (!scan.inBandIds.has(type)) scan.inBandIds.set(type, new Set());
        scan.inBandIds.get(type)!.add(id);
        if (!header.get(key)?.equals(ps)) changed = true;
      } catch {
        changed = true;
      }
    }
    if (info?.endOfSequence) afterEndOfSequence = true;
    if (cur) {
      const g: HevcGop = cur;
      if (
        !info ||
        info.vcl < 0 ||
        info.endOfSequence ||
        info.otherLayers ||
        changed ||
        Number.isNaN(index) ||
        offGrid > GRID_TOLERANCE ||
        pkt.hasFlags(c.AV_PKT_FLAG_CORRUPT) ||
        pkt.hasFlags(c.AV_PKT_FLAG_DISCARD)
      ) {
        g.ok = false;
      }
      if (!Number.isNaN(index)) {
        g.lag = Math.max(g.lag, g.count - index);
        g.min = Math.min(g.min, index);
        g.max = Math.max(g.max, index);
        g.seen.add(index);
        if (g.count > 0 && info) {
          if (isLeading(info.vcl)) {
            g.leading++;
            if (info.vcl === HEVC_RASL_N || info.vcl === HEVC_RASL_R) g.rasl++;
            if (index >= g.key || g.trailingSeen) g.ordered = false;
          } else {
            g.trailingSeen = true;
            if (index <= g.key) g.ordered = false;
          }
        }
      }
      g.count++;
    }
    if (!Number.isNaN(index)) maxShown = Math.max(maxShown, index);
  });
  close();
  if (prev) push(prev.gop, prev.copyable);
  return scan;
}

/** True when an HEVC sample (length-prefixed) starts a GOP as scanHevcGops counts them: its first slice is an IRAP. */
export function startsHevcGop(sample: Buffer | null, lengthSize: number): boolean {
  if (!sample) return false;
  try {
    for (const nal of splitLengthPrefixed(sample, lengthSize)) {
      const type = hevcNalType(nal);
      if (type < 32) return isIrap(type);
    }
  } catch {
    return false;
  }
  return false;
}

/** Calls `visit` with every packet of stream `streamIndex` of `path` in file order (stops early when `signal` aborts). */
async function visitPackets(
  path: string,
  streamIndex: number,
  signal: AbortSignal | undefined,
  visit: (pkt: AvPacket, tb: Rational) => void,
): Promise<void> {
  const input = await openInput(path);
  const fmt = input.fmt;
  const { lib, c } = av();
  const pkt = new lib.Packet();
  pkt.alloc();
  try {
    const stream = fmt.streams[streamIndex];
    if (!stream) throw new MediaError(`stream ${streamIndex} does not exist in ${path}`);
    const tb = { num: stream.timeBase.num, den: stream.timeBase.den };
    let n = 0;
    for (;;) {
      pkt.unref();
      const r = input.read(pkt, streamIndex);
      if (r < 0) {
        if (r !== c.AVERROR_EOF) throw new MediaError(`could not read ${path}: ${averrorMessage(r)}`);
        break;
      }
      if (pkt.streamIndex !== streamIndex) continue;
      if (++n % 4096 === 0) {
        await yieldToLoop();
        if (signal?.aborted) break;
      }
      visit(pkt, tb);
    }
  } finally {
    pkt.free();
    input.close();
  }
}
