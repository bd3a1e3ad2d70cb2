/**
 * Opening long MP4/MOV/M4A files without FFmpeg's in-memory sample index.
 *
 * FFmpeg opens a *view* of the file in which the moov's sample tables are cut down to each track's
 * first few hundred samples (the rest of the moov's space is a `free` box, so every byte offset in
 * the file stays valid). FFmpeg therefore still reads the codec parameters, metadata and edit
 * lists itself, and still produces the first packets, edit-list handling included; every later
 * packet comes from walking the full tables on disk (mp4-tables.ts). The two are checked against
 * each other when the file is opened: unless FFmpeg's packets of the view match what the tables
 * say (same sizes, flags and durations, one constant timestamp shift), the file is opened the
 * ordinary way.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { MediaError } from '../errors.js';
import { av, averrorMessage } from './av.js';
import { childBoxes, FileCursor, readAt, type Box } from './isobmff.js';
import { readMp4Layout, SampleWalker, type Edit, type Mp4Layout, type Sample, type TrackTables } from './mp4-tables.js';

type Lib = ReturnType<typeof av>['lib'];
type FormatContext = InstanceType<Lib['FormatContext']>;
type IOContext = InstanceType<Lib['IOContext']>;
type Packet = InstanceType<Lib['Packet']>;

/** Samples per track that FFmpeg sees (after the edit list's start). */
const HEAD_SAMPLES = 300;
/** Boxes inside the moov that are rebuilt (their children change size); all others are copied. */
const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl']);

function box(type: string, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const h = Buffer.alloc(8);
  h.writeUInt32BE(body.length + 8, 0);
  h.write(type, 4, 'latin1');
  return Buffer.concat([h, body]);
}

function u32s(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeInt32BE(v | 0, i * 4));
  return b;
}

/** The first `k` samples' run-length table (stts or ctts), keeping the box's version/flags. */
function truncateRuns(fd: number, b: Box, k: number): Buffer {
  const cur = new FileCursor(fd, b.body + 8, b.end, 16 * 1024);
  const n = readAt(fd, b.body + 4, 4).readUInt32BE(0);
  const entries: number[] = [];
  let left = k;
  for (let e = 0; e < n && left > 0; e++) {
    const count = cur.u32();
    const value = cur.i32();
    const take = Math.min(count, left);
    entries.push(take, value);
    left -= take;
  }
  return box(b.type, readAt(fd, b.body, 4), u32s(entries.length / 2, ...entries));
}

/** stbl tables cut to the first `k` samples (an empty buffer drops the box). */
function truncatedTables(fd: number, t: TrackTables, k: number): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  out.set('stts', truncateRuns(fd, t.stts, k));
  if (t.ctts) out.set('ctts', truncateRuns(fd, t.ctts, k));
  const constant = readAt(fd, t.stsz.body + 4, 4).readUInt32BE(0);
  out.set('stsz', box('stsz', u32s(0, constant, k), constant ? Buffer.alloc(0) : readAt(fd, t.stsz.body + 12, k * 4)));
  // The chunks that hold the first k samples; the last one may be cut short.
  const walker = new SampleWalker(fd, t);
  const chunks: Array<{ chunk: number; offset: number; samples: number }> = [];
  for (let i = 0; i < k; i++) {
    const s = walker.next();
    if (!s) break;
    const last = chunks[chunks.length - 1];
    if (last?.chunk === s.chunk) last.samples++;
    else chunks.push({ chunk: s.chunk, offset: s.offset, samples: 1 });
  }
  const stsc: number[] = [];
  chunks.forEach((c, i) => {
    if (stsc.length === 0 || stsc[stsc.length - 2] !== c.samples) stsc.push(i + 1, c.samples, 1);
  });
  out.set('stsc', box('stsc', u32s(0, stsc.length / 3, ...stsc)));
  if (t.wideOffsets) {
    const b = Buffer.alloc(chunks.length * 8);
    chunks.forEach((c, i) => b.writeBigUInt64BE(BigInt(c.offset), i * 8));
    out.set('co64', box('co64', u32s(0, chunks.length), b));
  } else {
    out.set('stco', box('stco', u32s(0, chunks.length), Buffer.concat(chunks.map((c) => {
      const b = Buffer.alloc(4);
      b.writeUInt32BE(c.offset, 0);
      return b;
    }))));
  }
  if (t.stss) {
    const n = readAt(fd, t.stss.body + 4, 4).readUInt32BE(0);
    const cur = new FileCursor(fd, t.stss.body + 8, t.stss.end, 4096);
    const keep: number[] = [];
    for (let i = 0; i < n; i++) {
      const v = cur.u32();
      if (v > k) break;
      keep.push(v);
    }
    out.set('stss', box('stss', u32s(0, keep.length, ...keep)));
  }
  out.set('sdtp', Buffer.alloc(0)); // one byte per sample, and only a hint
  return out;
}

/** Rebuilds `b` with the tables of each stbl (keyed by the stbl's offset) replaced. */
function rebuild(fd: number, b: Box, tables: Map<number, Map<string, Buffer>>): Buffer {
  if (!CONTAINERS.has(b.type)) return readAt(fd, b.start, b.end - b.start);
  const parts: Buffer[] = [];
  const replace = b.type === 'stbl' ? tables.get(b.start) : undefined;
  for (const child of childBoxes(fd, b.body, b.end)) {
    const replaced = replace?.get(child.type);
    if (replaced) {
      if (replaced.length) parts.push(replaced);
      continue;
    }
    parts.push(rebuild(fd, child, tables));
  }
  return box(b.type, ...parts);
}

/** The track's one non-empty edit (empty edits only delay it), or null. */
function mainEdit(t: TrackTables): Edit | null {
  return t.edits.find((e) => e.mediaTime !== -1) ?? null;
}

/** An edit's duration in the track time scale, rounded as FFmpeg's av_rescale does. */
function editDuration(e: Edit, t: TrackTables, movieTimescale: number): number {
  return Math.round((e.duration * t.timescale) / movieTimescale);
}

/** Why a track cannot be read lazily, or null. Edit lists: empty edits, then at most one plain edit. */
function trackBlocker(t: TrackTables, movieTimescale: number): string | null {
  if (t.stsdCount !== 1) return 'several sample descriptions';
  const edits = t.edits.filter((e) => e.mediaTime !== -1);
  if (edits.length > 1) return 'several edits';
  const e = edits[0];
  if (e) {
    if (e.rate !== 1) return 'an edit with a rate';
    // Where an edit ends before the media, FFmpeg keeps audio samples up to the one that reaches
    // the end (mirrored in sampleLimit); its rules for reordered video are not mirrored.
    if (t.handler !== 'soun' && t.totalDuration - e.mediaTime > editDuration(e, t, movieTimescale)) return 'an edit ending before the media';
  }
  return null;
}

/** How many samples FFmpeg delivers: all, or for audio cut by an edit, up to the one reaching the edit's end. */
function sampleLimit(fd: number, t: TrackTables, movieTimescale: number): number {
  const e = mainEdit(t);
  if (!e) return t.sampleCount;
  const end = e.mediaTime + editDuration(e, t, movieTimescale);
  if (end >= t.totalDuration) return t.sampleCount;
  return new SampleWalker(fd, t).sampleAtDts(end - 1) + 1;
}

/** How a lazily read stream relates to its tables. */
type LazyTrack = {
  tables: TrackTables;
  /** Samples FFmpeg's view holds; later ones come from the tables. */
  head: number;
  /** Samples delivered in all (see sampleLimit). */
  count: number;
  /** FFmpeg's timestamps are the tables' minus this. */
  shift: number;
  /** FFmpeg's stream duration, frame count and bit rate for the whole file (the view's are cut short). */
  duration: number;
  nbFrames: number;
  bitRate: number;
};

/**
 * What opening a file lazily needs, worked out once per file and thread (the analysis opens each
 * segment afresh): its tables, FFmpeg's view, and the check that the two agree. Null when the file
 * is to be opened by FFmpeg alone.
 */
function studyFile(fd: number, size: number): StudiedFile | null {
  const layout = readMp4Layout(fd, size);
  if (!layout || layout.tracks.length === 0) return null;
  if (layout.tracks.some((t) => trackBlocker(t, layout.movieTimescale) !== null)) return null;
  const heads = layout.tracks.map((t) => {
    const walker = new SampleWalker(fd, t);
    return Math.min(t.sampleCount, HEAD_SAMPLES + walker.sampleAtDts(mainEdit(t)?.mediaTime ?? 0));
  });
  if (heads.every((k, i) => k >= layout.tracks[i].sampleCount)) return null;
  const tables = new Map<number, Map<string, Buffer>>();
  layout.tracks.forEach((t, i) => tables.set(t.stbl.start, truncatedTables(fd, t, heads[i])));
  const moov = rebuild(fd, layout.moov, tables);
  const room = layout.moov.end - layout.moov.start;
  if (moov.length + 8 > room) return null;
  const free = Buffer.alloc(8);
  free.writeUInt32BE(room - moov.length, 0);
  free.write('free', 4, 'latin1');
  const view = Buffer.concat([moov, free]);
  const verified = verify(fd, layout, view, heads);
  if (!verified) return null;
  return { layout, view, tracks: verified.tracks, durationUs: verified.durationUs };
}

type StudiedFile = { layout: Mp4Layout; view: Buffer; tracks: Array<LazyTrack | undefined>; durationUs: number };

/** Files studied in this thread, by path, with the size/mtime/inode they had. */
const known = new Map<string, { key: string; parts: StudiedFile | null }>();

/** An MP4 whose moov FFmpeg sees cut down, plus the full tables. */
export class LazyMp4 {
  private constructor(
    readonly path: string,
    /** The open file (closed by `close`). */
    readonly fd: number,
    readonly layout: Mp4Layout,
    private readonly view: Buffer,
    /** By FFmpeg stream index (undefined for cover art). */
    readonly tracks: Array<LazyTrack | undefined>,
    /** Container duration in microseconds (FFmpeg's, for the full file). */
    readonly durationUs: number,
  ) {}

  /**
   * Opens `path` lazily, or returns null when the file is not a plain MP4/MOV, is short enough
   * that the index does not matter, or FFmpeg's view disagrees with the tables.
   */
  static open(path: string): LazyMp4 | null {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return null;
    }
    let ok = false;
    try {
      const st = fstatSync(fd);
      const key = `${st.size}:${st.mtimeMs}:${st.ino}`;
      let found = known.get(path);
      if (found?.key !== key) {
        found = { key, parts: studyFile(fd, st.size) };
        known.delete(path);
        known.set(path, found);
        // A handful of files at most: an edit opens each input a few times, a batch one after another.
        for (const old of known.keys()) if (known.size > 4) known.delete(old);
      }
      if (!found.parts) return null;
      const { layout, view, tracks, durationUs } = found.parts;
      ok = true;
      return new LazyMp4(path, fd, layout, view, tracks, durationUs);
    } catch {
      // Anything odd in the boxes: FFmpeg opens the file the ordinary way and says what is wrong.
      return null;
    } finally {
      if (!ok) closeSync(fd);
    }
  }

  /** Opens FFmpeg on the cut-down view (the caller closes it with `closeView`). */
  openView(): { fmt: FormatContext; io: IOContext } {
    return openView(this.fd, this.layout, this.view);
  }

  /** Gives the view's streams FFmpeg's durations, frame counts and bit rates for the whole file. */
  patch(fmt: FormatContext): void {
    for (const st of fmt.streams) {
      const tr = this.tracks[st.index];
      if (!tr) continue;
      st.duration = BigInt(tr.duration);
      st.nbFrames = BigInt(tr.nbFrames);
      st.codecpar.bitRate = BigInt(tr.bitRate);
    }
  }

  /** The container bit rate FFmpeg derives from the file size and duration. */
  get bitRate(): number {
    return this.durationUs > 0 ? Math.floor((this.layout.fileSize * 8 * 1e6) / this.durationUs) : 0;
  }

  /** Closes the file. */
  close(): void {
    closeSync(this.fd);
  }
}

/** Opens FFmpeg on the file with the moov region replaced by `view` (same length as the moov). */
function openView(fd: number, layout: Mp4Layout, view: Buffer): { fmt: FormatContext; io: IOContext } {
  const { lib, c } = av();
  const size = layout.fileSize;
  const mStart = layout.moov.start;
  const mEnd = layout.moov.end;
  let pos = 0;
  const read = (n: number): Buffer | null => {
    if (pos >= size) return null;
    const len = Math.min(n, size - pos);
    const out = Buffer.alloc(len);
    let done = 0;
    while (done < len) {
      const at = pos + done;
      if (at >= mStart && at < mEnd) {
        // Inside the moov: the cut-down view, then the free box's (never read) payload as zeros.
        const inView = at - mStart;
        const k = Math.min(len - done, mEnd - at);
        if (inView < view.length) view.copy(out, done, inView, Math.min(view.length, inView + k));
        done += k;
      } else {
        const limit = at < mStart ? Math.min(len - done, mStart - at) : len - done;
        const r = readSync(fd, out, done, limit, at);
        if (r <= 0) break;
        done += r;
      }
    }
    pos += done;
    return done > 0 ? out.subarray(0, done) : null;
  };
  const seek = (offset: bigint, whence: number): bigint => {
    if (whence === c.AVSEEK_SIZE) return BigInt(size);
    if (whence === c.AVSEEK_SET) pos = Number(offset);
    else if (whence === c.AVSEEK_CUR) pos += Number(offset);
    else if (whence === c.AVSEEK_END) pos = size + Number(offset);
    else return -1n;
    return BigInt(pos);
  };
  const fmt = new lib.FormatContext();
  fmt.allocContext();
  const io = new lib.IOContext();
  io.allocContextWithCallbacks(4 * 1024, 0, read, null, seek as never);
  fmt.pb = io;
  fmt.setFlags(c.AVFMT_FLAG_CUSTOM_IO);
  // Named, not probed: probing would grow the I/O buffer, which node-av does not free with the context.
  const r = fmt.openInputSync('', lib.InputFormat.findInputFormat('mov'), null);
  if (r < 0) {
    fmt.pb = null;
    throw new MediaError(`could not open MP4 view: ${averrorMessage(r)}`);
  }
  const i = fmt.findStreamInfoSync(null);
  if (i < 0) {
    closeView(fmt, io);
    throw new MediaError(`could not read streams of MP4 view: ${averrorMessage(i)}`);
  }
  return { fmt, io };
}

/** Closes a view opened by `openView` (the custom I/O is not FFmpeg's to free). */
export function closeView(fmt: FormatContext, io: IOContext): void {
  fmt.pb = null;
  fmt.closeInputSync();
  io.freeContext();
}

/**
 * Reads every packet of the view and checks each track's packets against its tables: the last
 * ones (past the edit list's start) must agree in size, duration and key flag and differ in
 * timestamps by one constant. Returns the shift per stream, or null on any disagreement.
 */
function verify(
  fd: number,
  layout: Mp4Layout,
  view: Buffer,
  heads: number[],
): { tracks: Array<LazyTrack | undefined>; durationUs: number } | null {
  const { lib, c } = av();
  let opened: { fmt: FormatContext; io: IOContext };
  try {
    opened = openView(fd, layout, view);
  } catch {
    return null;
  }
  const { fmt, io } = opened;
  const pkt = new lib.Packet();
  pkt.alloc();
  try {
    const streams = fmt.streams;
    const byId = new Map(layout.tracks.map((t, i) => [t.id, i]));
    const byIndex: Array<LazyTrack | undefined> = [];
    const samples: Array<Map<number, Sample> | undefined> = [];
    let mapped = 0;
    for (const st of streams) {
      // Cover art comes from the moov's metadata, not from a track.
      if (st.hasDisposition(c.AV_DISPOSITION_ATTACHED_PIC)) {
        byIndex.push(undefined);
        samples.push(undefined);
        continue;
      }
      const ti = byId.get(st.id);
      const t = ti === undefined ? undefined : layout.tracks[ti];
      if (!t || ti === undefined || st.timeBase.den !== t.timescale || st.timeBase.num !== 1) return null;
      mapped++;
      const walker = new SampleWalker(fd, t);
      const m = new Map<number, Sample>();
      for (let i = 0; i < heads[ti]; i++) {
        const s = walker.next();
        if (!s) break;
        m.set(s.offset, s);
      }
      samples.push(m);
      const e = mainEdit(t);
      byIndex.push({
        tables: t,
        head: heads[ti],
        count: sampleLimit(fd, t, layout.movieTimescale),
        shift: NaN,
        duration: e ? editDuration(e, t, layout.movieTimescale) : t.totalDuration,
        nbFrames: t.sampleCount,
        bitRate: fullBitRate(fd, t, st.codecpar.bitRate, heads[ti]),
      });
    }
    if (mapped !== layout.tracks.length) return null;
    const lastSeen = byIndex.map(() => -1);
    while (fmt.readFrameSync(pkt) >= 0) {
      const i = pkt.streamIndex;
      const tr = byIndex[i];
      if (!tr) {
        pkt.unref();
        continue; // the cover picture
      }
      const s = samples[i]?.get(Number(pkt.pos));
      if (!s) return null;
      const shift = s.dts - Number(pkt.dts);
      const clean = (pkt.flags & ~c.AV_PKT_FLAG_KEY) === 0;
      const agrees =
        clean &&
        pkt.size === s.size &&
        Number(pkt.duration) === s.duration &&
        (pkt.flags & c.AV_PKT_FLAG_KEY ? true : false) === s.sync &&
        s.cts - Number(pkt.pts) === shift &&
        (Number.isNaN(tr.shift) || tr.shift === shift);
      // Before the edit list's start FFmpeg discards or trims packets: only a stable tail counts.
      if (!agrees) tr.shift = NaN;
      else tr.shift = shift;
      lastSeen[i] = s.index;
      pkt.unref();
    }
    for (let i = 0; i < byIndex.length; i++) {
      const tr = byIndex[i];
      if (tr && tr.head < tr.count && (Number.isNaN(tr.shift) || lastSeen[i] !== tr.head - 1)) return null;
    }
    // The container's duration as FFmpeg gives it: the longest stream's end.
    let durationUs = 0;
    for (const st of streams) {
      const tr = byIndex[st.index];
      if (!tr) continue;
      const start = st.startTime === -0x8000000000000000n ? 0 : Number(st.startTime);
      durationUs = Math.max(durationUs, Math.floor(((start + tr.duration) * 1e6) / tr.tables.timescale));
    }
    return { tracks: byIndex, durationUs };
  } finally {
    pkt.free();
    closeView(fmt, io);
  }
}

/**
 * The bit rate FFmpeg derives for a stream without one (all sample bytes over the stts duration),
 * for the whole file; a bit rate the view has from elsewhere (the codec's own header) is kept.
 */
function fullBitRate(fd: number, t: TrackTables, viewRate: bigint, head: number): number {
  const constant = readAt(fd, t.stsz.body + 4, 4).readUInt32BE(0);
  let bytes = 0;
  let headBytes = 0;
  if (constant) {
    bytes = constant * t.sampleCount;
    headBytes = constant * head;
  } else {
    // Summed straight from the stsz table, a block at a time (millions of entries).
    const block = Buffer.alloc(256 * 1024);
    const start = t.stsz.body + 12;
    for (let i = 0; i < t.sampleCount; ) {
      const n = Math.min(block.length / 4, t.sampleCount - i);
      const got = readSync(fd, block, 0, n * 4, start + i * 4);
      if (got < n * 4) throw new RangeError('stsz table cut short');
      for (let k = 0; k < n; k++) {
        const v = block.readUInt32BE(k * 4);
        bytes += v;
        if (i + k < head) headBytes += v;
      }
      i += n;
    }
  }
  let headDuration = 0;
  const walker = new SampleWalker(fd, t);
  for (let i = 0; i < head; i++) headDuration += walker.next()?.duration ?? 0;
  const derived = (b: number, d: number): number => (d > 0 ? Math.floor((b * 8 * t.timescale) / d) : 0);
  if (Number(viewRate) !== derived(headBytes, headDuration)) return Number(viewRate);
  return derived(bytes, t.totalDuration);
}

/** A window of file bytes, refilled as packets are read in file order. */
class DataWindow {
  private buf = Buffer.alloc(128 * 1024);
  private start = 0;
  private len = 0;
  constructor(private readonly fd: number) {}

  /** The `size` bytes at `offset` (a view, valid until the next call). */
  read(offset: number, size: number): Buffer {
    if (offset < this.start || offset + size > this.start + this.len) {
      if (size > this.buf.length) this.buf = Buffer.alloc(size);
      this.start = offset;
      this.len = readSync(this.fd, this.buf, 0, this.buf.length, offset);
      if (this.len < size) throw new MediaError(`the file ends inside a packet (at byte ${offset})`);
    }
    return this.buf.subarray(offset - this.start, offset - this.start + size);
  }
}

/**
 * An opened input: FFmpeg's context for stream facts and codec parameters, and the packets, read
 * with av_read_frame's and av_seek_frame's contracts.
 */
export interface MediaInput {
  readonly fmt: FormatContext;
  /** Container duration (microseconds) and bit rate as FFmpeg gives them for the whole file. */
  readonly durationUs: number;
  readonly bitRate: number;
  /** The next packet: of any stream, except that a lazily read MP4 gives only `want`'s once past its head. */
  read(pkt: Packet, want: number): number;
  /** Seeks `streamIndex` back to a keyframe shown at or before `ts` (its time base). */
  seek(streamIndex: number, ts: bigint): number;
  close(): void;
}

/** A MediaInput over FFmpeg's own demuxer. */
export function ffmpegInput(fmt: FormatContext): MediaInput {
  const { c } = av();
  return {
    fmt,
    durationUs: Number(fmt.duration),
    bitRate: Number(fmt.bitRate),
    read: (pkt) => fmt.readFrameSync(pkt),
    seek: (streamIndex, ts) => fmt.seekFrameSync(streamIndex, ts, c.AVSEEK_FLAG_BACKWARD),
    close: () => fmt.closeInputSync(),
  };
}

/** A lazily read MP4 as a MediaInput: FFmpeg's view for the head, the tables after it. */
export class LazyInput implements MediaInput {
  private readonly view: { fmt: FormatContext; io: IOContext };
  private readonly data: DataWindow;
  private walker: SampleWalker | null = null;
  private walking = -1;
  private fromView = true;

  constructor(private readonly mp4: LazyMp4) {
    this.view = mp4.openView();
    mp4.patch(this.view.fmt);
    this.data = new DataWindow(mp4.fd);
  }

  get fmt(): FormatContext {
    return this.view.fmt;
  }

  get durationUs(): number {
    return this.mp4.durationUs;
  }

  get bitRate(): number {
    return this.mp4.bitRate;
  }

  private walk(streamIndex: number, sample: number): SampleWalker {
    const tr = this.mp4.tracks[streamIndex];
    if (!tr) throw new MediaError(`stream ${streamIndex} of ${this.mp4.path} has no samples to read`);
    if (this.walking !== streamIndex || !this.walker) {
      this.walker = new SampleWalker(this.mp4.fd, tr.tables);
      this.walking = streamIndex;
    }
    this.walker.seekSample(sample);
    return this.walker;
  }

  read(pkt: Packet, want: number): number {
    const { c } = av();
    if (this.fromView) {
      const r = this.view.fmt.readFrameSync(pkt);
      if (r !== c.AVERROR_EOF) return r;
      this.fromView = false;
      const tr = this.mp4.tracks[want];
      if (!tr) return c.AVERROR_EOF;
      this.walk(want, tr.head);
    }
    const tr = this.mp4.tracks[this.walking];
    const s = this.walker?.next();
    if (!tr || !s || s.index >= tr.count) return c.AVERROR_EOF;
    pkt.data = this.data.read(s.offset, s.size);
    pkt.pts = BigInt(s.cts - tr.shift);
    pkt.dts = BigInt(s.dts - tr.shift);
    pkt.duration = BigInt(s.duration);
    pkt.flags = s.sync ? c.AV_PKT_FLAG_KEY : (0 as never);
    pkt.pos = BigInt(s.offset);
    pkt.streamIndex = this.walking;
    return 0;
  }

  seek(streamIndex: number, ts: bigint): number {
    const { c } = av();
    const tr = this.mp4.tracks[streamIndex];
    if (!tr) return this.view.fmt.seekFrameSync(streamIndex, ts, c.AVSEEK_FLAG_BACKWARD);
    const target = Number(ts) + tr.shift;
    const walker = this.walk(streamIndex, 0);
    let s = walker.syncAtOrBefore(walker.sampleAtDts(target));
    // A sync sample decoded at or before the target may still be shown after it (reordering).
    for (;;) {
      walker.seekSample(s);
      const first = walker.next();
      if (!first || first.cts <= target || s === 0) break;
      const earlier = walker.syncAtOrBefore(s - 1);
      if (earlier === s) break;
      s = earlier;
    }
    if (s >= tr.head) {
      this.fromView = false;
      walker.seekSample(s);
      return 0;
    }
    this.fromView = true;
    return this.view.fmt.seekFrameSync(streamIndex, ts, c.AVSEEK_FLAG_BACKWARD);
  }

  close(): void {
    closeView(this.view.fmt, this.view.io);
    this.mp4.close();
  }
}
