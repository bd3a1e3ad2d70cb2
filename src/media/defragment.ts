/**
 * Turns a fragmented MP4/MOV written by FFmpeg's mov muxer (empty moov, one moof+mdat per
 * fragment) into the file FFmpeg's normal muxer writes for the same packets: one moov with full
 * sample tables, before the sample data (faststart) or after it. Memory stays bounded by one
 * fragment: every table is written by walking the fragments again, never from a list of samples
 * (the exceptions are small: a few numbers per subtitle cue, one bit per video packet when the
 * encoder marks disposable frames).
 *
 * The normal muxer's moov is reproduced box by box (movenc.c in FFmpeg 7-8): durations, edit
 * lists, sync/dependency tables, AAC/Opus roll groups, bit rates in esds/btrt, cover art, chunk
 * layout (samples interleaved by decode time, chunks of consecutive samples under 1 MiB).
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { MediaError } from '../errors.js';
import { FragmentSampleCursor, bufferBoxes, childBoxes, findChild, readAt, readTrackExtends, type Box, type TrackExtends } from './isobmff.js';

/** FFmpeg's mov muxer flavour: .mp4 "mp4", .mov "mov", .m4a/.m4v "ipod". */
export type Mp4Mode = 'mp4' | 'mov' | 'ipod';

/** What the converter must know about one output stream that the fragments do not record. */
export interface FlatStream {
  kind: 'video' | 'audio' | 'subtitle' | 'cover';
  /** FFmpeg codec name (h264, aac, mov_text, mjpeg, …). */
  codec: string;
  /** dts of the first packet written (stream time base = the track's timescale). */
  firstDts: bigint | null;
  /**
   * The muxer's start_cts: pts - dts of the first packet, lowered by any smaller one among the
   * packets with dts <= 0 (FFmpeg 8).
   */
  startCts: bigint | null;
  /** Largest pts + duration over the packets written (the normal muxer's end_pts). */
  endPts: bigint | null;
  /** Bit set of packets marked disposable (packet i = bit i), or null when none was. */
  disposable: Uint8Array | null;
  /** Cover art: the picture and its iTunes data type (13 JPEG, 14 PNG, 27 BMP). */
  cover: { data: Buffer; type: number } | null;
  /** Codec extradata the encoder replaced at the end (FLAC STREAMINFO), else null. */
  newExtradata: Buffer | null;
  /** mov_text: every cue written (the normal muxer's subtitle samples depend on them). */
  cues: CueRecords | null;
  /** Stream bit rate and the encoder's CPB properties (for esds/btrt). */
  bitRate: bigint;
  cpb: { max: bigint; avg: bigint; bufferSize: bigint } | null;
}

export interface FlattenOptions {
  mode: Mp4Mode;
  faststart: boolean;
  /** One entry per muxer stream, in stream order (track id = index + 1). */
  streams: FlatStream[];
}

/** What a conversion did (for benchmarks and tests). */
export interface FlattenReport {
  fragments: number;
  samples: number;
  bytes: number;
}

const SYNC_NOT = 0x10000;
const CHUNK_LIMIT = 1 << 20;
const INT32_MAX = 0x7fffffffn;

// ---------------------------------------------------------------------------------------------
// Writing

/** Sequential file writer through a 256 KiB buffer; `position` counts every byte written. */
class FileWriter {
  private readonly buf = Buffer.allocUnsafe(256 << 10);
  private n = 0;
  position = 0;

  constructor(private readonly fd: number) {}

  private room(k: number): void {
    if (this.n + k > this.buf.length) this.flush();
  }

  u8(v: number): void {
    this.room(1);
    this.buf[this.n++] = v & 0xff;
    this.position += 1;
  }

  u16(v: number): void {
    this.room(2);
    this.buf.writeUInt16BE(v & 0xffff, this.n);
    this.n += 2;
    this.position += 2;
  }

  u32(v: number | bigint): void {
    this.room(4);
    this.buf.writeUInt32BE(typeof v === 'number' ? v >>> 0 : Number(BigInt.asUintN(32, v)), this.n);
    this.n += 4;
    this.position += 4;
  }

  u64(v: number | bigint): void {
    this.room(8);
    if (typeof v === 'number' && v >= 0) {
      this.buf.writeUInt32BE(Math.floor(v / 0x100000000), this.n);
      this.buf.writeUInt32BE(v >>> 0, this.n + 4);
    } else this.buf.writeBigUInt64BE(BigInt.asUintN(64, BigInt(v)), this.n);
    this.n += 8;
    this.position += 8;
  }

  type(t: string): void {
    this.room(4);
    this.buf.write(t, this.n, 4, 'latin1');
    this.n += 4;
    this.position += 4;
  }

  /** Writes b[start, end) (no view is made: copying millions of samples allocates nothing). */
  range(b: Buffer, start: number, end: number): void {
    const len = end - start;
    if (len > this.buf.length / 2) {
      this.bytes(b.subarray(start, end));
      return;
    }
    this.room(len);
    b.copy(this.buf, this.n, start, end);
    this.n += len;
    this.position += len;
  }

  bytes(b: Buffer): void {
    if (b.length > this.buf.length / 2) {
      this.flush();
      writeAll(this.fd, b);
    } else {
      this.room(b.length);
      b.copy(this.buf, this.n);
      this.n += b.length;
    }
    this.position += b.length;
  }

  flush(): void {
    if (this.n) writeAll(this.fd, this.buf.subarray(0, this.n));
    this.n = 0;
  }
}

function writeAll(fd: number, b: Buffer): void {
  let off = 0;
  while (off < b.length) off += writeSync(fd, b, off, b.length - off);
}

/** A box (or part of one) of known size, written later. */
type Node = { size: number; write: (w: FileWriter) => void };

const raw = (b: Buffer): Node => ({ size: b.length, write: (w) => w.bytes(b) });

function box(type: string, children: Node[]): Node {
  const size = 8 + children.reduce((s, c) => s + c.size, 0);
  return {
    size,
    write: (w) => {
      w.u32(size);
      w.type(type);
      for (const c of children) c.write(w);
    },
  };
}

/** A full box whose payload (after version/flags) is `payload` bytes written by `body`. */
function fullBox(type: string, version: number, flags: number, payload: number, body: (w: FileWriter) => void): Node {
  const size = 12 + payload;
  return {
    size,
    write: (w) => {
      const at = w.position;
      w.u32(size);
      w.type(type);
      w.u8(version);
      w.u8(flags >> 16);
      w.u16(flags & 0xffff);
      body(w);
      if (w.position - at !== size) throw new MediaError(`internal error: ${type} box came out ${w.position - at} bytes, expected ${size}`);
    },
  };
}

function boxBytes(fd: number, b: Box): Buffer {
  return readAt(fd, b.start, b.end - b.start);
}

// ---------------------------------------------------------------------------------------------
// Exact integer rescaling (av_rescale_rnd)

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q;
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return -floorDiv(-a, b);
}

// ---------------------------------------------------------------------------------------------
// Samples

/** One sample as the tables and the layout see it. */
interface SampleView {
  /** Decode time: relative for fragment tracks (see `rawDts`), as written for mov_text. */
  dts: number;
  duration: number;
  size: number;
  flags: number;
  cts: number;
  hasCts: boolean;
  /** Where its data lies in the fragmented file; -1 for an empty mov_text sample the muxer adds. */
  offset: number;
  index: number;
  readonly sync: boolean;
}

/** The fragmented file being read. */
interface Source {
  fd: number;
  /** First top-level box after the moov. */
  start: number;
  end: number;
}

/** The samples of an audio or video track in decode order, with the normal muxer's durations. */
class TrackSamples implements SampleView {
  dts = 0;
  duration = 0;
  size = 0;
  flags = 0;
  cts = 0;
  hasCts = false;
  offset = 0;
  index = -1;
  private readonly c: FragmentSampleCursor;

  constructor(src: Source, t: TrackPlan) {
    this.c = new FragmentSampleCursor(src.fd, src.start, src.end, t.ext);
  }

  get sync(): boolean {
    return (this.flags & SYNC_NOT) === 0;
  }

  next(): boolean {
    const c = this.c;
    if (!c.next()) return false;
    this.dts = c.dts;
    this.duration = c.duration;
    this.size = c.size;
    this.flags = c.flags;
    this.cts = c.cts;
    this.hasCts = c.hasCts;
    this.offset = c.offset;
    this.index++;
    return true;
  }
}

/** A sample of a mov_text track, as the normal muxer would have indexed it. */
interface TextSample {
  dts: number;
  /** pts + packet duration (the muxer's end_pts candidate). */
  end: number;
  duration: number;
  size: number;
  offset: number;
}

/** Per-cue facts recorded as packets were written (a subtitle track has few). */
export interface CueRecords {
  dts: number[];
  pts: number[];
  duration: number[];
  size: number[];
}

/**
 * The normal muxer's handling of one mov_text track, replayed over the packet order: each cue as
 * it comes (a dts going backwards is moved after the last one, as check_pkt does), and an empty
 * "end" sample at the end of the last cue whenever a packet of any stream arrives whose dts, in
 * its own time base, exceeds that end (movenc.c compares them so), and at the trailer. The
 * fragmented file cannot keep these: FFmpeg inserts them afresh after every fragment flush.
 */
class TextReplay {
  count = 0;
  private lastIsEnd = false;
  private start: number | null = null;
  private trackDuration = 0;
  private lastDts = 0;
  /** Next cue to deliver. */
  next = 0;
  private readonly cursor: FragmentSampleCursor | null;
  private readonly cues: CueRecords;
  readonly view: SampleView & { end: number } = {
    dts: 0,
    end: 0,
    duration: 0,
    size: 0,
    flags: 0,
    cts: 0,
    hasCts: false,
    offset: 0,
    index: -1,
    sync: true,
  };

  constructor(
    src: Source,
    readonly t: TrackPlan,
    /** Builds t.text on the first replay; later replays only place the same samples. */
    private readonly build: boolean,
  ) {
    this.cursor = build ? new FragmentSampleCursor(src.fd, src.start, src.end, t.ext) : null;
    this.cues = t.stream.cues ?? { dts: [], pts: [], duration: [], size: [] };
    if (build) t.text = [];
  }

  /** The next cue's packet dts (its position in the interleaved order), or null after the last. */
  headDts(): number | null {
    return this.next < this.cues.dts.length ? this.cues.dts[this.next] : null;
  }

  /** Whether a packet with dts `dts` (its own time base) makes the muxer end the last cue first. */
  triggered(dts: number): boolean {
    return (this.count === 0 || !this.lastIsEnd) && this.trackDuration < dts;
  }

  /** Whether the trailer writes a last end sample. */
  get open(): boolean {
    return !this.lastIsEnd;
  }

  /** The muxer's empty end sample, at the end of the last cue. */
  endSample(): SampleView {
    const v = this.push(this.trackDuration, this.trackDuration, 0, 2, -1);
    this.lastIsEnd = true;
    return v;
  }

  /** The next cue. */
  cueSample(): SampleView {
    const c = this.cues;
    const k = this.next++;
    let dts = c.dts[k];
    let pts = c.pts[k];
    if (this.count && dts < this.lastDts) pts = dts = this.lastDts + 1;
    let offset = -1;
    if (this.cursor) {
      // Its data: the next sample of the same size (empty ones are all alike).
      while (this.cursor.next()) {
        if (this.cursor.size === c.size[k]) {
          offset = this.cursor.offset;
          break;
        }
      }
      if (offset < 0) throw new MediaError(`subtitle sample ${k} is missing from the fragmented file`);
    }
    const v = this.push(dts, pts, c.duration[k], c.size[k], offset);
    this.lastIsEnd = false;
    return v;
  }

  private push(dts: number, pts: number, duration: number, size: number, offset: number): SampleView {
    if (this.start === null) this.start = dts;
    const text = this.t.text!;
    if (this.build) text.push({ dts, end: pts + duration, duration: 0, size, offset });
    const s = text[this.count];
    if (s.dts !== dts || s.size !== size) throw new MediaError('internal error: subtitle samples replayed differently');
    Object.assign(this.view, { dts, end: s.end, size, offset: s.offset, index: this.count });
    this.lastDts = dts;
    this.trackDuration = dts - this.start + duration;
    this.count++;
    return this.view;
  }
}

/** Everything known about one output track before its boxes are written. */
interface TrackPlan {
  stream: FlatStream;
  streamIndex: number;
  trackId: number;
  trak: Box;
  ext: TrackExtends;
  timescale: number;
  /** mov_text: its samples, replayed (see TextReplay); null for fragment tracks. */
  text: TextSample[] | null;
  // From the scan
  count: number;
  totalSize: number;
  sizesEqual: boolean;
  firstSize: number;
  firstDuration: number;
  durationsEqual: boolean;
  sttsEntries: number;
  trackDuration: number;
  hasCtts: boolean;
  cttsEntries: number;
  syncCount: number;
  firstRel: number;
  roll: RollGroups | null;
  // Timing
  startDts: bigint;
  startCts: bigint;
  endPts: bigint;
  // From the layout
  chunkCount: number;
  stscEntries: number;
  lastOffset: number;
}

/** Roll groups (sgpd/sbgp) as the normal muxer computes them for AAC and Opus. */
interface RollGroups {
  /** Roll distance of each group, in group order. */
  distances: number[];
  /** (sample count, group index) runs; group 0 = none. */
  runs: Array<[number, number]>;
}

/** Calls `fn` for each sample of one track in decode order. */
function forEachSample(src: Source, t: TrackPlan, fn: (s: SampleView) => void): void {
  if (t.text) {
    const v = { dts: 0, duration: 0, size: 0, flags: 0, cts: 0, hasCts: false, offset: 0, index: 0, sync: true };
    t.text.forEach((x, i) => fn(Object.assign(v, { dts: x.dts, duration: x.duration, size: x.size, offset: x.offset, index: i })));
    return;
  }
  const s = new TrackSamples(src, t);
  while (s.next()) fn(s);
}

/** Counts and run lengths of one track for every table's size. */
function scanTrack(src: Source, t: TrackPlan): void {
  let prevDuration = -1;
  let prevCts: number | null = null;
  const opus = t.stream.codec === 'opus';
  const aac = t.stream.codec === 'aac';
  const roll: RollGroups | null = opus || aac ? { distances: [], runs: [] } : null;
  const recent: number[] = [];
  let rollFailed = false;
  let lastDistance = -1;
  const rollSamples = 3840; // 80 ms at 48 kHz (FFmpeg's Opus seek pre-roll)
  Object.assign(t, { count: 0, totalSize: 0, sizesEqual: true, durationsEqual: true, sttsEntries: 0, trackDuration: 0, hasCtts: false, cttsEntries: 0, syncCount: 0 });
  forEachSample(src, t, (s) => {
    if (t.count === 0) {
      t.firstSize = s.size;
      t.firstDuration = s.duration;
      t.firstRel = s.dts;
    }
    t.count++;
    t.totalSize += s.size;
    if (s.size !== t.firstSize) t.sizesEqual = false;
    if (s.duration !== t.firstDuration) t.durationsEqual = false;
    if (s.duration !== prevDuration || t.count === 1) t.sttsEntries++;
    prevDuration = s.duration;
    t.trackDuration += s.duration;
    if (s.hasCts) t.hasCtts = true;
    if (prevCts === null || s.cts !== prevCts) t.cttsEntries++;
    prevCts = s.cts;
    if (s.sync) t.syncCount++;
    if (opus && roll) {
      let remaining = rollSamples;
      let distance = 0;
      for (let j = recent.length - 1; j >= 0; j--) {
        remaining -= recent[j];
        distance++;
        if (remaining <= 0) break;
      }
      if (remaining > 0) distance = 0;
      if (distance > 32) rollFailed = true;
      if (t.count > 1 && distance === lastDistance) roll.runs[roll.runs.length - 1][0]++;
      else {
        if (distance) roll.distances.push(distance);
        roll.runs.push([1, distance ? roll.distances.length : 0]);
      }
      lastDistance = distance;
      recent.push(s.duration);
      if (recent.length > 33) recent.shift();
    }
  });
  if (aac && roll && t.count) {
    roll.distances.push(1);
    roll.runs.push([t.count, 1]);
  }
  // The muxer writes nothing when a distance is out of range or no sample has a group.
  t.roll = roll && !rollFailed && roll.distances.length ? roll : null;
}

// ---------------------------------------------------------------------------------------------
// Layout: the order the normal muxer would have written the samples in

/**
 * Calls `fn` for every sample of every track in the normal muxer's order, with its offset in the
 * sample data: packets as FFmpeg's interleaver hands them over (by dts, then stream index), and
 * the mov_text samples it adds itself where it adds them (see TextReplay). Returns the data size.
 */
function layout(src: Source, tracks: TrackPlan[], fn: (t: number, s: SampleView, at: number) => void, build = false): number {
  const media = tracks.map((t) => (t.stream.codec === 'mov_text' ? null : new TrackSamples(src, t)));
  const texts = tracks.map((t) => (t.stream.codec === 'mov_text' ? new TextReplay(src, t, build) : null));
  const live = media.map((c) => (c ? c.next() : false));
  let at = 0;
  const emit = (i: number, s: SampleView): void => {
    fn(i, s, at);
    at += s.size;
  };
  /** Before a packet with dts `dts` reaches the muxer: the end samples it triggers. */
  const ends = (dts: number): void => {
    texts.forEach((x, i) => {
      if (x?.triggered(dts)) emit(i, x.endSample());
    });
  };
  for (;;) {
    let best = -1;
    let bestDts = 0;
    for (let i = 0; i < tracks.length; i++) {
      let dts: number;
      const text = texts[i];
      if (text) {
        const d = text.headDts();
        if (d === null) continue;
        dts = d;
      } else {
        if (!live[i]) continue;
        dts = rawDts(tracks[i], media[i]!);
      }
      if (best < 0 || before(dts, tracks[i], bestDts, tracks[best])) (best = i), (bestDts = dts);
    }
    if (best < 0) break;
    ends(bestDts);
    const text = texts[best];
    if (text) emit(best, text.cueSample());
    else {
      emit(best, media[best]!);
      live[best] = media[best]!.next();
    }
  }
  // The trailer ends every subtitle track whose last sample is a cue.
  texts.forEach((x, i) => {
    if (x?.open) emit(i, x.endSample());
  });
  return at;
}

/** A sample's decode time as the muxer saw it (its stream's time base). */
function rawDts(t: TrackPlan, s: SampleView): number {
  return Number(t.startDts) + (s.dts - t.firstRel);
}

/** Whether dts `da` of track `ta` comes before dts `db` of `tb` (ties: lower stream first). */
function before(da: number, ta: TrackPlan, db: number, tb: TrackPlan): boolean {
  let x = da * tb.timescale;
  let y = db * ta.timescale;
  if (!Number.isSafeInteger(x) || !Number.isSafeInteger(y)) {
    // Products past 2^53 (days of 90 kHz video): compare exactly.
    const bx = BigInt(da) * BigInt(tb.timescale);
    const by = BigInt(db) * BigInt(ta.timescale);
    if (bx !== by) return bx < by;
    x = y = 0;
  }
  if (x !== y) return x < y;
  return ta.streamIndex < tb.streamIndex;
}

/**
 * Per-track chunking by FFmpeg's rule (build_chunks): a chunk is a run of the track's samples that
 * lie back to back in the output, kept under 1 MiB.
 */
class Chunker {
  private start = -1;
  private size = 0;
  private samples = 0;
  private number = 0;

  constructor(private readonly done: (number: number, offset: number, samples: number) => void) {}

  /** Adds the track's next sample, placed at `at`. */
  add(at: number, size: number): void {
    if (this.start >= 0 && this.start + this.size === at && this.size + size < CHUNK_LIMIT) {
      this.size += size;
      this.samples++;
      return;
    }
    this.finish();
    this.number++;
    this.start = at;
    this.size = size;
    this.samples = 1;
  }

  /** Reports the chunk in progress (call once more at the end). */
  finish(): void {
    if (this.start >= 0) this.done(this.number, this.start, this.samples);
    this.start = -1;
  }
}

/** Calls `fn` for each chunk of track `me` (number from 1, data offset, sample count), in order. */
function forEachChunk(src: Source, all: TrackPlan[], me: number, fn: (number: number, offset: number, samples: number) => void): void {
  const chunker = new Chunker(fn);
  layout(src, all, (i, s, at) => {
    if (i === me) chunker.add(at, s.size);
  });
  chunker.finish();
}

// ---------------------------------------------------------------------------------------------
// Sample tables

/** The stbl tables after stsd, in the normal muxer's order. */
function sampleTables(src: Source, t: TrackPlan, all: TrackPlan[], dataOffset: number): Node[] {
  const out: Node[] = [];
  const video = t.stream.kind === 'video';
  out.push(
    fullBox('stts', 0, 0, 4 + 8 * t.sttsEntries, (w) => {
      w.u32(t.sttsEntries);
      let count = 0;
      let dur = -1;
      forEachSample(src, t, (s) => {
        if (count && s.duration === dur) count++;
        else {
          if (count) w.u32(count), w.u32(dur);
          count = 1;
          dur = s.duration;
        }
      });
      if (count) w.u32(count), w.u32(dur);
    }),
  );
  if (video && t.syncCount && t.syncCount < t.count) {
    out.push(
      fullBox('stss', 0, 0, 4 + 4 * t.syncCount, (w) => {
        w.u32(t.syncCount);
        forEachSample(src, t, (s) => {
          if (s.sync) w.u32(s.index + 1);
        });
      }),
    );
  }
  const disposable = t.stream.disposable;
  if (video && disposable) {
    out.push(
      fullBox('sdtp', 0, 0, t.count, (w) => {
        forEachSample(src, t, (s) => {
          const i = s.index;
          const reference = i >> 3 < disposable.length && disposable[i >> 3] & (1 << (i & 7)) ? 2 : 0;
          w.u8(((s.sync ? 2 : 1) << 4) | (reference << 2));
        });
      }),
    );
  }
  if (video && t.hasCtts && t.count) {
    out.push(
      fullBox('ctts', 0, 0, 4 + 8 * t.cttsEntries, (w) => {
        w.u32(t.cttsEntries);
        let count = 0;
        let cts = 0;
        forEachSample(src, t, (s) => {
          if (count && s.cts === cts) count++;
          else {
            if (count) w.u32(count), w.u32(cts);
            count = 1;
            cts = s.cts;
          }
        });
        if (count) w.u32(count), w.u32(cts);
      }),
    );
  }
  const me = all.indexOf(t);
  out.push(
    fullBox('stsc', 0, 0, 4 + 12 * t.stscEntries, (w) => {
      w.u32(t.stscEntries);
      let prev = -1;
      forEachChunk(src, all, me, (number, _offset, samples) => {
        if (samples === prev) return;
        w.u32(number);
        w.u32(samples);
        w.u32(1);
        prev = samples;
      });
    }),
  );
  out.push(
    t.sizesEqual
      ? fullBox('stsz', 0, 0, 8, (w) => {
          w.u32(Math.max(1, t.firstSize));
          w.u32(t.count);
        })
      : fullBox('stsz', 0, 0, 8 + 4 * t.count, (w) => {
          w.u32(0);
          w.u32(t.count);
          forEachSample(src, t, (s) => w.u32(s.size));
        }),
  );
  // As movenc.c: 64-bit offsets when the track's last sample lies beyond 4 GiB.
  const co64 = t.lastOffset + dataOffset > 0xffffffff;
  out.push(
    fullBox(co64 ? 'co64' : 'stco', 0, 0, 4 + (co64 ? 8 : 4) * t.chunkCount, (w) => {
      w.u32(t.chunkCount);
      forEachChunk(src, all, me, (_number, offset) => {
        if (co64) w.u64(offset + dataOffset);
        else w.u32(offset + dataOffset);
      });
    }),
  );
  const roll = t.roll;
  if (roll) {
    out.push(
      fullBox('sgpd', 1, 0, 12 + 2 * roll.distances.length, (w) => {
        w.type('roll');
        w.u32(2);
        w.u32(roll.distances.length);
        for (const d of roll.distances) w.u16(-d);
      }),
    );
    out.push(
      fullBox('sbgp', 0, 0, 8 + 8 * roll.runs.length, (w) => {
        w.type('roll');
        w.u32(roll.runs.length);
        for (const [count, group] of roll.runs) w.u32(count), w.u32(group);
      }),
    );
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Headers

/** The ftyp FFmpeg's normal (unfragmented) muxer writes for these streams. */
export function normalFtyp(mode: Mp4Mode, streams: FlatStream[]): Buffer {
  const timed = streams.filter((s) => s.kind !== 'cover');
  const hasVideo = timed.some((s) => s.kind === 'video');
  const hasH264 = timed.some((s) => s.codec === 'h264');
  const hasAv1 = timed.some((s) => s.codec === 'av1');
  const major = mode === 'mov' ? 'qt  ' : mode === 'ipod' ? (hasVideo ? 'M4V ' : 'M4A ') : 'isom';
  const brands = [major];
  if (mode !== 'mov') {
    if (mode === 'mp4' && hasAv1) brands.push('av01');
    if (mode !== 'mp4') brands.push('isom');
    brands.push('iso2');
    if (hasH264) brands.push('avc1');
    if (mode === 'mp4') brands.push('mp41');
  }
  const b = Buffer.alloc(16 + 4 * brands.length);
  b.writeUInt32BE(b.length, 0);
  b.write('ftyp', 4, 'latin1');
  b.write(major, 8, 'latin1');
  b.writeUInt32BE(0x200, 12);
  brands.forEach((x, i) => b.write(x, 16 + 4 * i, 'latin1'));
  return b;
}

/** mvhd with the movie's duration and next track id. */
function mvhdNode(src: Buffer, duration: bigint, nextTrackId: number): Node {
  const v = src[8];
  const times = v === 1 ? [src.readBigUInt64BE(12), src.readBigUInt64BE(20)] : [BigInt(src.readUInt32BE(12)), BigInt(src.readUInt32BE(16))];
  const timescale = src.readUInt32BE(v === 1 ? 28 : 20);
  const rest = Buffer.from(src.subarray(v === 1 ? 40 : 28));
  rest.writeUInt32BE(nextTrackId, rest.length - 4);
  const version = duration < INT32_MAX ? 0 : 1;
  return fullBox('mvhd', version, 0, (version ? 28 : 16) + rest.length, (w) => {
    if (version) w.u64(times[0]), w.u64(times[1]), w.u32(timescale), w.u64(duration);
    else w.u32(times[0]), w.u32(times[1]), w.u32(timescale), w.u32(duration);
    w.bytes(rest);
  });
}

/** tkhd with the track's duration (movie timescale). */
function tkhdNode(src: Buffer, duration: bigint): Node {
  const v = src[8];
  const flags = src.readUIntBE(9, 3);
  const times = v === 1 ? [src.readBigUInt64BE(12), src.readBigUInt64BE(20)] : [BigInt(src.readUInt32BE(12)), BigInt(src.readUInt32BE(16))];
  const id = src.readUInt32BE(v === 1 ? 28 : 20);
  const rest = src.subarray(v === 1 ? 44 : 32);
  const version = duration < INT32_MAX ? 0 : 1;
  return fullBox('tkhd', version, flags, (version ? 32 : 20) + rest.length, (w) => {
    if (version) w.u64(times[0]), w.u64(times[1]), w.u32(id), w.u32(0), w.u64(duration);
    else w.u32(times[0]), w.u32(times[1]), w.u32(id), w.u32(0), w.u32(duration);
    w.bytes(rest);
  });
}

/** mdhd with the media duration (track timescale). */
function mdhdNode(src: Buffer, duration: bigint): Node {
  const v = src[8];
  const times = v === 1 ? [src.readBigUInt64BE(12), src.readBigUInt64BE(20)] : [BigInt(src.readUInt32BE(12)), BigInt(src.readUInt32BE(16))];
  const timescale = src.readUInt32BE(v === 1 ? 28 : 20);
  const rest = src.subarray(v === 1 ? 40 : 28);
  const version = duration < INT32_MAX ? 0 : 1;
  return fullBox('mdhd', version, 0, (version ? 28 : 16) + rest.length, (w) => {
    if (version) w.u64(times[0]), w.u64(times[1]), w.u32(timescale), w.u64(duration);
    else w.u32(times[0]), w.u32(times[1]), w.u32(timescale), w.u32(duration);
    w.bytes(rest);
  });
}

/** Durations of one track the way movenc.c computes them (with edit lists on). */
function trackTimes(t: TrackPlan, movieTimescale: number): { media: bigint; movie: bigint; edts: Node } {
  const ts = BigInt(t.timescale);
  const mts = BigInt(movieTimescale);
  const samplesDuration = t.endPts - (t.startDts + t.startCts);
  const movie = ceilDiv(t.endPts * mts, ts);
  let duration = ceilDiv(samplesDuration * mts, ts);
  const delay = floorDiv((t.startDts + t.startCts) * mts, ts);
  const version = duration < INT32_MAX && delay < INT32_MAX ? 0 : 1;
  const entries: Array<[bigint, bigint]> = [];
  if (delay > 0n) {
    entries.push([delay, -1n]);
    entries.push([duration, t.startCts]);
  } else {
    duration += delay;
    entries.push([duration, t.startDts < 0n ? -t.startDts : 0n]);
  }
  const elst = fullBox('elst', version, 0, 4 + entries.length * (version ? 20 : 12), (w) => {
    w.u32(entries.length);
    for (const [d, mediaTime] of entries) {
      if (version) w.u64(d), w.u64(mediaTime);
      else w.u32(d), w.u32(mediaTime);
      w.u32(0x10000);
    }
  });
  return { media: samplesDuration, movie, edts: box('edts', [elst]) };
}

/**
 * The bit rates movenc.c puts in esds/btrt: the average of the samples (`computed`, 0 before any
 * sample, as in the fragmented moov), with its fallbacks; FFmpeg 8 writes no average when the
 * encoder's CPB properties give none (checked against the bundled FFmpeg in tests).
 */
function bitRates(s: FlatStream, computed: bigint): { avg: bigint; max: bigint; buffer: bigint } {
  let avg = computed;
  if (!avg) avg = BigInt.asUintN(32, s.cpb?.avg || s.bitRate || s.cpb?.max || 0n);
  let max = s.bitRate > avg ? s.bitRate : avg;
  if (s.cpb && s.cpb.max > max) max = s.cpb.max;
  if (s.cpb && !s.cpb.avg) avg = 0n;
  return { avg, max: BigInt.asUintN(32, max), buffer: s.cpb ? BigInt.asUintN(32, s.cpb.bufferSize / 8n) : 0n };
}

/** The normal muxer's bit rates for a track once every sample is known. */
function trackBitRates(t: TrackPlan): { avg: bigint; max: bigint; buffer: bigint } {
  const computed = t.trackDuration ? BigInt.asUintN(32, (BigInt(t.totalSize) * 8n * BigInt(t.timescale)) / BigInt(t.trackDuration)) : 0n;
  return bitRates(t.stream, computed);
}

/** Offset of the first child box inside a sample entry at `e` (by handler and entry version). */
function sampleEntryChildren(b: Buffer, e: number, handler: string): number {
  if (handler === 'vide') return e + 8 + 78;
  if (handler === 'soun') {
    const v = b.readUInt16BE(e + 16);
    return e + 8 + 28 + (v === 1 ? 16 : v === 2 ? 36 : 0);
  }
  return -1;
}

/** Patches the esds DecoderConfigDescriptor's bit rates in place (`p`: esds payload after version). */
function patchEsds(b: Buffer, p: number, end: number, rates: { avg: bigint; max: bigint }): void {
  const descriptor = (q: number): { tag: number; body: number; end: number } | null => {
    if (q + 2 > end) return null;
    const tag = b[q];
    let len = 0;
    let k = q + 1;
    for (let i = 0; i < 4 && k < end; i++) {
      const c = b[k++];
      len = (len << 7) | (c & 0x7f);
      if (!(c & 0x80)) break;
    }
    return { tag, body: k, end: Math.min(end, k + len) };
  };
  const es = descriptor(p);
  if (!es || es.tag !== 3) return;
  const esFlags = b[es.body + 2];
  let q = es.body + 3;
  if (esFlags & 0x80) q += 2;
  if (esFlags & 0x40) q += 1 + b[q];
  if (esFlags & 0x20) q += 2;
  const dc = descriptor(q);
  if (!dc || dc.tag !== 4 || dc.body + 13 > dc.end) return;
  b.writeUInt32BE(Number(rates.max), dc.body + 5);
  b.writeUInt32BE(Number(rates.avg), dc.body + 9);
}

/**
 * The stsd as the normal muxer writes it: bit rates in esds and in FFmpeg's own btrt (always the
 * sample entry's last box in MP4; a copied mov_text description may hold another), the final FLAC
 * STREAMINFO, MOV's constant packet duration.
 */
function stsdNode(src: Buffer, t: TrackPlan, handler: string, mode: Mp4Mode): Node {
  const b = Buffer.from(src);
  const e = 16;
  if (b.length < e + 8) return raw(b);
  const entryEnd = e + b.readUInt32BE(e);
  const first = sampleEntryChildren(b, e, handler);
  if (entryEnd > b.length) return raw(b);
  const rates = trackBitRates(t);
  const fragRates = bitRates(t.stream, 0n);
  // FFmpeg adds a btrt to MP4 sample entries of every kind when it has any non-zero value.
  const ownBtrt = mode === 'mp4';
  const hadBtrt = ownBtrt && (fragRates.avg || fragRates.max || fragRates.buffer) ? true : false;
  const wantBtrt = ownBtrt && (rates.avg || rates.max || rates.buffer) ? true : false;
  let dfla: { start: number; end: number } | null = null;
  const visit = (from: number, to: number): void => {
    for (const x of bufferBoxes(b, from, to)) {
      if (x.type === 'esds') patchEsds(b, x.body + 4, x.end, rates);
      else if (x.type === 'wave') visit(x.body, x.end);
      else if (x.type === 'dfLa') dfla = { start: x.start, end: x.end };
    }
  };
  if (first >= 0) visit(first, entryEnd);
  // SoundDescription v2 (MOV, rates above 65535 Hz) states a constant packet duration, if any.
  if (handler === 'soun' && mode === 'mov' && b.readUInt16BE(e + 16) === 2 && e + 68 <= entryEnd) {
    b.writeUInt32BE(t.durationsEqual ? t.firstDuration : 0, e + 64);
  }
  const btrt = Buffer.alloc(20);
  btrt.writeUInt32BE(20, 0);
  btrt.write('btrt', 4, 'latin1');
  btrt.writeUInt32BE(Number(rates.buffer), 8);
  btrt.writeUInt32BE(Number(rates.max), 12);
  btrt.writeUInt32BE(Number(rates.avg), 16);
  const pieces: Buffer[] = [];
  let at = 0;
  const d = dfla as { start: number; end: number } | null;
  const info = t.stream.newExtradata;
  if (d && info && t.stream.codec === 'flac') {
    // The normal muxer writes the encoder's final STREAMINFO (sample count, MD5) as the one block.
    const box = Buffer.alloc(16 + info.length);
    box.writeUInt32BE(box.length, 0);
    box.write('dfLa', 4, 'latin1');
    box.writeUInt32BE(0x80000000 + info.length, 12);
    info.copy(box, 16);
    pieces.push(b.subarray(at, d.start), box);
    at = d.end;
  }
  const tail = entryEnd - 20;
  if (hadBtrt && tail > e + 8 && b.readUInt32BE(tail) === 20 && b.toString('latin1', tail + 4, tail + 8) === 'btrt') {
    pieces.push(b.subarray(at, tail));
    if (wantBtrt) pieces.push(btrt);
    at = entryEnd;
  } else if (!hadBtrt && wantBtrt) {
    pieces.push(b.subarray(at, entryEnd), btrt);
    at = entryEnd;
  }
  pieces.push(b.subarray(at));
  const out = Buffer.concat(pieces);
  const growth = out.length - b.length;
  if (growth) {
    out.writeUInt32BE(out.readUInt32BE(0) + growth, 0);
    out.writeUInt32BE(out.readUInt32BE(e) + growth, e);
  }
  return raw(out);
}

/** udta with the cover art the normal muxer adds to iTunes metadata (ilst/covr). */
function udtaWithCovers(fd: number, udta: Box | null, covers: Array<{ data: Buffer; type: number }>): Node | null {
  const covr = box(
    'covr',
    covers.map((c) => {
      const h = Buffer.alloc(16);
      h.writeUInt32BE(16 + c.data.length, 0);
      h.write('data', 4, 'latin1');
      h.writeUInt32BE(c.type, 8);
      return raw(Buffer.concat([h, c.data]));
    }),
  );
  const hdlr = (): Node => {
    const h = Buffer.alloc(33);
    h.writeUInt32BE(33, 0);
    h.write('hdlr', 4, 'latin1');
    h.write('mdirappl', 16, 'latin1');
    return raw(h);
  };
  const ilstWith = (ilst: Box | null): Node => {
    const items: Node[] = ilst ? [...childBoxes(fd, ilst.body, ilst.end)].map((b) => raw(boxBytes(fd, b))) : [];
    const types = ilst ? [...childBoxes(fd, ilst.body, ilst.end)].map((b) => b.type) : [];
    let at = types.findIndex((x) => x === 'trkn' || x === 'disk' || x === 'tmpo');
    if (at < 0) at = items.length;
    items.splice(at, 0, covr);
    return box('ilst', items);
  };
  const metaWith = (meta: Box | null): Node => {
    const children: Node[] = [];
    let sawIlst = false;
    if (meta) {
      for (const b of childBoxes(fd, meta.body + 4, meta.end)) {
        if (b.type === 'ilst') {
          children.push(ilstWith(b));
          sawIlst = true;
        } else children.push(raw(boxBytes(fd, b)));
      }
    } else children.push(hdlr());
    if (!sawIlst) children.push(ilstWith(null));
    return fullBox('meta', 0, 0, children.reduce((s, c) => s + c.size, 0), (w) => children.forEach((c) => c.write(w)));
  };
  if (!covers.length) return udta ? raw(boxBytes(fd, udta)) : null;
  const children: Node[] = [];
  let sawMeta = false;
  if (udta) {
    for (const b of childBoxes(fd, udta.body, udta.end)) {
      if (b.type === 'meta') {
        children.push(metaWith(b));
        sawMeta = true;
      } else children.push(raw(boxBytes(fd, b)));
    }
  }
  if (!sawMeta) children.unshift(metaWith(null));
  return box('udta', children);
}

// ---------------------------------------------------------------------------------------------
// Conversion

/**
 * Writes `dst` from the fragmented file `src` (see the module comment). Throws MediaError when
 * `src` is not a fragmented file this muxer wrote.
 */
export function flattenFragmentedMp4(src: string, dst: string, opts: FlattenOptions): FlattenReport {
  const fd = openSync(src, 'r');
  let out = -1;
  try {
    const end = fstatSync(fd).size;
    let moov: Box | null = null;
    let after = 0;
    let fragments = 0;
    for (const b of childBoxes(fd, 0, end)) {
      if (b.type === 'moov') (moov = b), (after = b.end);
      else if (b.type === 'moof') fragments++;
    }
    if (!moov) throw new MediaError(`${src}: no moov box`);
    const mvhd = findChild(fd, moov, 'mvhd');
    if (!mvhd) throw new MediaError(`${src}: no mvhd box`);
    const mvhdBytes = boxBytes(fd, mvhd);
    const movieTimescale = mvhdBytes.readUInt32BE(mvhdBytes[8] === 1 ? 28 : 20);
    const exts = readTrackExtends(fd, moov);
    const traks = new Map<number, Box>();
    for (const b of childBoxes(fd, moov.body, moov.end)) {
      if (b.type !== 'trak') continue;
      const tkhd = findChild(fd, b, 'tkhd');
      if (!tkhd) continue;
      const h = readAt(fd, tkhd.body, 24);
      traks.set(h.readUInt32BE(h[0] === 1 ? 20 : 12), b);
    }

    const source: Source = { fd, start: after, end };
    const tracks: TrackPlan[] = [];
    const covers: Array<{ data: Buffer; type: number }> = [];
    opts.streams.forEach((stream, i) => {
      if (stream.kind === 'cover') {
        if (stream.cover && stream.cover.data.length) covers.push(stream.cover);
        return;
      }
      const trackId = i + 1;
      const trak = traks.get(trackId);
      if (!trak) throw new MediaError(`${src}: no track ${trackId}`);
      const mdhd = findChild(fd, findChild(fd, trak, 'mdia') ?? trak, 'mdhd');
      if (!mdhd) throw new MediaError(`${src}: track ${trackId} has no mdhd`);
      const m = readAt(fd, mdhd.body, 24);
      const t: TrackPlan = {
        stream,
        streamIndex: i,
        trackId,
        trak,
        ext: exts.get(trackId) ?? { trackId, duration: 0, size: 0, flags: 0 },
        timescale: m.readUInt32BE(m[0] === 1 ? 20 : 12),
        text: null,
        count: 0,
        totalSize: 0,
        sizesEqual: true,
        firstSize: 0,
        firstDuration: 0,
        durationsEqual: true,
        sttsEntries: 0,
        trackDuration: 0,
        hasCtts: false,
        cttsEntries: 0,
        syncCount: 0,
        firstRel: 0,
        roll: null,
        startDts: 0n,
        startCts: 0n,
        endPts: 0n,
        chunkCount: 0,
        stscEntries: 0,
        lastOffset: 0,
      };
      if (stream.codec !== 'mov_text') {
        scanTrack(source, t);
        if (!t.count) return; // the normal muxer leaves out tracks without samples
        mediaTiming(t);
      }
      tracks.push(t);
    });

    // The layout once: subtitle samples, chunk counts and the last sample's place (stsc/stco sizes).
    const prevCounts = tracks.map(() => -1);
    const chunkers = tracks.map(
      (t, i) =>
        new Chunker((_number, _offset, samples) => {
          t.chunkCount++;
          if (samples !== prevCounts[i]) t.stscEntries++;
          prevCounts[i] = samples;
        }),
    );
    const dataSize = layout(
      source,
      tracks,
      (i, s, at) => {
        chunkers[i].add(at, s.size);
        tracks[i].lastOffset = at;
      },
      true,
    );
    for (const c of chunkers) c.finish();
    for (const t of tracks) if (t.text) textTiming(source, t);

    const ftyp = normalFtyp(opts.mode, opts.streams);
    const large = dataSize + 8 > 0xffffffff;
    const moovFor = (dataOffset: number): Node => buildMoov(source, moov!, mvhdBytes, movieTimescale, tracks, covers, opts, dataOffset);
    let dataStart = ftyp.length + 16;
    let moovNode: Node;
    if (opts.faststart) {
      // As movenc.c: the moov's size depends on stco vs co64, which depends on where data lands.
      let size = moovFor(dataStart).size;
      for (let i = 0; i < 4; i++) {
        const again = moovFor(dataStart + size).size;
        if (again === size) break;
        size = again;
      }
      dataStart += size;
      moovNode = moovFor(dataStart);
    } else moovNode = moovFor(dataStart);

    out = openSync(dst, 'w');
    const w = new FileWriter(out);
    w.bytes(ftyp);
    if (opts.faststart) moovNode.write(w);
    if (large) {
      w.u32(1);
      w.type('mdat');
      w.u64(dataSize + 16);
    } else {
      w.u32(8);
      w.type(opts.mode === 'mov' ? 'wide' : 'free');
      w.u32(dataSize + 8);
      w.type('mdat');
    }
    if (w.position !== dataStart) throw new MediaError(`internal error: sample data at ${w.position}, expected ${dataStart}`);
    copySamples(source, tracks, w);
    if (!opts.faststart) moovNode.write(w);
    w.flush();
    return { fragments, samples: tracks.reduce((s, t) => s + t.count, 0), bytes: w.position };
  } finally {
    closeSync(fd);
    if (out >= 0) closeSync(out);
  }
}

/** Start and end times the normal muxer would hold for an audio/video track (first packet, end). */
function mediaTiming(t: TrackPlan): void {
  const s = t.stream;
  t.startDts = s.firstDts ?? 0n;
  t.startCts = s.startCts ?? 0n;
  t.endPts = s.endPts ?? t.startDts + BigInt(t.trackDuration);
}

/** Durations, counts and times of a replayed subtitle track (its last sample, an end, lasts 0). */
function textTiming(src: Source, t: TrackPlan): void {
  const text = t.text!;
  let endPts = -Infinity;
  text.forEach((x, i) => {
    x.duration = i + 1 < text.length ? text[i + 1].dts - x.dts : 0;
    endPts = Math.max(endPts, x.end);
  });
  scanTrack(src, t);
  t.startDts = BigInt(text[0]?.dts ?? 0);
  t.startCts = 0n;
  t.endPts = BigInt(text.length ? endPts : 0);
}

function buildMoov(
  src: Source,
  moov: Box,
  mvhdBytes: Buffer,
  movieTimescale: number,
  tracks: TrackPlan[],
  covers: Array<{ data: Buffer; type: number }>,
  opts: FlattenOptions,
  dataOffset: number,
): Node {
  const fd = src.fd;
  let movieDuration = 0n;
  let maxId = 1;
  const children: Node[] = [];
  let udtaDone = false;
  const traks: Node[] = [];
  for (const t of tracks) {
    const times = trackTimes(t, movieTimescale);
    if (times.movie > movieDuration) movieDuration = times.movie;
    if (t.trackId > maxId) maxId = t.trackId;
    traks.push(trakNode(src, t, times, tracks, opts.mode, dataOffset));
  }
  let traksPlaced = false;
  for (const b of childBoxes(fd, moov.body, moov.end)) {
    if (b.type === 'mvhd') children.push(mvhdNode(mvhdBytes, movieDuration, maxId + 1));
    else if (b.type === 'trak' || b.type === 'mvex') {
      if (!traksPlaced) children.push(...traks);
      traksPlaced = true;
    } else if (b.type === 'udta') {
      const u = opts.mode === 'mov' ? raw(boxBytes(fd, b)) : udtaWithCovers(fd, b, covers);
      if (u) children.push(u);
      udtaDone = true;
    } else children.push(raw(boxBytes(fd, b)));
  }
  if (!traksPlaced) children.push(...traks);
  if (!udtaDone && opts.mode !== 'mov' && covers.length) {
    const u = udtaWithCovers(fd, null, covers);
    if (u) children.push(u);
  }
  return box('moov', children);
}

function trakNode(src: Source, t: TrackPlan, times: { media: bigint; movie: bigint; edts: Node }, all: TrackPlan[], mode: Mp4Mode, dataOffset: number): Node {
  const fd = src.fd;
  const children: Node[] = [];
  for (const b of childBoxes(fd, t.trak.body, t.trak.end)) {
    if (b.type === 'tkhd') {
      children.push(tkhdNode(boxBytes(fd, b), times.movie));
      children.push(times.edts);
    } else if (b.type === 'edts') continue;
    else if (b.type === 'mdia') children.push(mdiaNode(src, b, t, times.media, all, mode, dataOffset));
    else children.push(raw(boxBytes(fd, b)));
  }
  return box('trak', children);
}

function mdiaNode(src: Source, mdia: Box, t: TrackPlan, duration: bigint, all: TrackPlan[], mode: Mp4Mode, dataOffset: number): Node {
  const fd = src.fd;
  const hdlr = findChild(fd, mdia, 'hdlr');
  const handler = hdlr ? readAt(fd, hdlr.body + 8, 4).toString('latin1') : '';
  const children: Node[] = [];
  for (const b of childBoxes(fd, mdia.body, mdia.end)) {
    if (b.type === 'mdhd') children.push(mdhdNode(boxBytes(fd, b), duration));
    else if (b.type === 'minf') {
      const minf: Node[] = [];
      for (const c of childBoxes(fd, b.body, b.end)) {
        if (c.type !== 'stbl') {
          minf.push(raw(boxBytes(fd, c)));
          continue;
        }
        const stsd = findChild(fd, c, 'stsd');
        const stbl: Node[] = [];
        if (stsd) stbl.push(stsdNode(boxBytes(fd, stsd), t, handler, mode));
        stbl.push(...sampleTables(src, t, all, dataOffset));
        minf.push(box('stbl', stbl));
      }
      children.push(box('minf', minf));
    } else children.push(raw(boxBytes(fd, b)));
  }
  return box('mdia', children);
}

/** Copies every sample into the output in layout order, reading each track forward. */
function copySamples(src: Source, tracks: TrackPlan[], w: FileWriter): void {
  const readers = tracks.map(() => new SampleReader(src.fd));
  const empty = Buffer.alloc(2);
  layout(src, tracks, (i, s) => {
    if (s.offset < 0) w.range(empty, 0, s.size);
    else readers[i].copy(s.offset, s.size, w);
  });
}

/** Reads one track's sample data forward through its own buffer (samples of any size). */
class SampleReader {
  private readonly buf = Buffer.allocUnsafe(256 << 10);
  private bufStart = 0;
  private bufLen = 0;

  constructor(private readonly fd: number) {}

  copy(offset: number, size: number, w: FileWriter): void {
    while (size > 0) {
      if (offset < this.bufStart || offset >= this.bufStart + this.bufLen) {
        this.bufStart = offset;
        this.bufLen = readSync(this.fd, this.buf, 0, this.buf.length, offset);
        if (this.bufLen <= 0) throw new MediaError(`sample data ends early at ${offset}`);
      }
      const from = offset - this.bufStart;
      const n = Math.min(size, this.bufLen - from);
      w.range(this.buf, from, from + n);
      offset += n;
      size -= n;
    }
  }
}


