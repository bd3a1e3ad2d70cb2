/**
 * ISO base media file (MP4/MOV/M4A) boxes read straight from a file descriptor, a few bytes at a
 * time, so that tables of any length can be walked without holding them in memory.
 */
import { readSync } from 'node:fs';

/** Where one box lies in its file. */
export type Box = {
  type: string;
  /** Offset of the box's first byte. */
  start: number;
  /** Offset of the box's payload (after the size/type header, before any version/flags). */
  body: number;
  /** Offset just past the box. */
  end: number;
};

/** Reads up to `length` bytes at `position` (fewer at the end of the file). */
export function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = readSync(fd, buf, 0, length, position);
  return buf.subarray(0, n);
}

/**
 * The box starting at `pos`, or null when no valid box header fits before `limit` (a size of 0
 * means "to the end of the enclosing space", as the format allows).
 */
export function readBox(fd: number, pos: number, limit: number): Box | null {
  if (pos + 8 > limit) return null;
  const h = readAt(fd, pos, 16);
  if (h.length < 8) return null;
  let size = h.readUInt32BE(0);
  const type = h.toString('latin1', 4, 8);
  let header = 8;
  if (size === 1) {
    if (h.length < 16) return null;
    size = Number(h.readBigUInt64BE(8));
    header = 16;
  } else if (size === 0) {
    size = limit - pos;
  }
  if (size < header) return null;
  return { type, start: pos, body: pos + header, end: pos + size };
}

/** The boxes one after another in [start, end); stops at the first box that does not fit. */
export function* childBoxes(fd: number, start: number, end: number): Generator<Box> {
  let pos = start;
  for (;;) {
    const box = readBox(fd, pos, end);
    if (!box || box.end > end) return;
    yield box;
    pos = box.end;
  }
}

/** The boxes one after another in buf[from, to) (boxes already read into memory). */
export function* bufferBoxes(buf: Buffer, from: number, to: number): Generator<Box> {
  let p = from;
  while (p + 8 <= to) {
    let size = buf.readUInt32BE(p);
    let header = 8;
    if (size === 1) {
      if (p + 16 > to) return;
      size = Number(buf.readBigUInt64BE(p + 8));
      header = 16;
    } else if (size === 0) size = to - p;
    if (size < header || p + size > to) return;
    yield { type: buf.toString('latin1', p + 4, p + 8), start: p, body: p + header, end: p + size };
    p += size;
  }
}

/** The first child of `parent` with the given type (null when absent). */
export function findChild(fd: number, parent: Pick<Box, 'body' | 'end'>, type: string, skip = 0): Box | null {
  for (const b of childBoxes(fd, parent.body + skip, parent.end)) if (b.type === type) return b;
  return null;
}

/** Follows a path of box types from `parent` (e.g. mdia/minf/stbl), or null when a step is missing. */
export function findPath(fd: number, parent: Pick<Box, 'body' | 'end'>, path: string[]): Box | null {
  let at: Pick<Box, 'body' | 'end'> | null = parent;
  let found: Box | null = null;
  for (const type of path) {
    found = at ? findChild(fd, at, type) : null;
    if (!found) return null;
    at = found;
  }
  return found;
}

/**
 * Reads big-endian integers sequentially from a region of a file through a small buffer: the way
 * sample tables (a few bytes per packet, millions of packets) are walked without loading them.
 */
export class FileCursor {
  private buf: Buffer;
  private bufStart = 0;
  private bufLen = 0;
  /** Absolute file offset of the next byte to read. */
  pos: number;

  constructor(
    private readonly fd: number,
    start: number,
    readonly end: number,
    bufferSize = 64 * 1024,
  ) {
    this.pos = start;
    this.buf = Buffer.alloc(bufferSize);
  }

  /** Moves to an absolute offset (keeps the buffer when the offset is inside it). */
  seek(pos: number): void {
    this.pos = pos;
  }

  private ensure(n: number): number {
    if (this.pos + n > this.end) throw new RangeError(`read past the end of a box (${this.pos + n} > ${this.end})`);
    const off = this.pos - this.bufStart;
    if (off >= 0 && off + n <= this.bufLen) return off;
    if (n > this.buf.length) this.buf = Buffer.alloc(n);
    this.bufStart = this.pos;
    this.bufLen = readSync(this.fd, this.buf, 0, Math.min(this.buf.length, this.end - this.pos), this.pos);
    if (this.bufLen < n) throw new RangeError(`file ends inside a box (at ${this.pos + this.bufLen})`);
    return 0;
  }

  /** Reads an unsigned 8-bit integer. */
  u8(): number {
    const off = this.ensure(1);
    this.pos += 1;
    return this.buf[off];
  }

  /** Reads an unsigned 32-bit big-endian integer. */
  u32(): number {
    const off = this.ensure(4);
    this.pos += 4;
    return this.buf.readUInt32BE(off);
  }

  /** Reads a signed 32-bit big-endian integer. */
  i32(): number {
    const off = this.ensure(4);
    this.pos += 4;
    return this.buf.readInt32BE(off);
  }

  /** Reads an unsigned 64-bit big-endian integer as a number (exact below 2^53). */
  u64(): number {
    const off = this.ensure(8);
    this.pos += 8;
    return Number(this.buf.readBigUInt64BE(off));
  }

  /** Reads a signed 64-bit big-endian integer as a number. */
  i64(): number {
    const off = this.ensure(8);
    this.pos += 8;
    return Number(this.buf.readBigInt64BE(off));
  }

  /** Copies `n` bytes (for small fields). */
  bytes(n: number): Buffer {
    const off = this.ensure(n);
    this.pos += n;
    return Buffer.from(this.buf.subarray(off, off + n));
  }
}

/** A track's defaults for fragment samples, from its `trex` box (moov/mvex). */
export type TrackExtends = { trackId: number; duration: number; size: number; flags: number };

/** The `trex` defaults of every track of a fragmented file's moov (empty when it has no mvex). */
export function readTrackExtends(fd: number, moov: Box): Map<number, TrackExtends> {
  const out = new Map<number, TrackExtends>();
  const mvex = findChild(fd, moov, 'mvex');
  if (!mvex) return out;
  for (const b of childBoxes(fd, mvex.body, mvex.end)) {
    if (b.type !== 'trex') continue;
    const d = readAt(fd, b.body, 24);
    out.set(d.readUInt32BE(4), { trackId: d.readUInt32BE(4), duration: d.readUInt32BE(12), size: d.readUInt32BE(16), flags: d.readUInt32BE(20) });
  }
  return out;
}

/** trun/tfhd flag bits (ISO/IEC 14496-12 8.8.7, 8.8.8). */
const TFHD_BASE_DATA_OFFSET = 0x1;
const TFHD_SAMPLE_DESCRIPTION = 0x2;
const TFHD_DEFAULT_DURATION = 0x8;
const TFHD_DEFAULT_SIZE = 0x10;
const TFHD_DEFAULT_FLAGS = 0x20;
const TRUN_DATA_OFFSET = 0x1;
const TRUN_FIRST_FLAGS = 0x4;
const TRUN_DURATION = 0x100;
const TRUN_SIZE = 0x200;
const TRUN_FLAGS = 0x400;
const TRUN_CTS = 0x800;

/** One track fragment (traf) of the track being walked, parsed from its moof held in memory. */
type TrackFragment = {
  moof: Buffer;
  /** Absolute file offset of moof[0]. */
  moofStart: number;
  decodeTime: number;
  base: number;
  duration: number;
  size: number;
  flags: number;
  /** Offsets (in `moof`) of this traf's trun boxes' payloads. */
  runs: number[];
};

/**
 * Walks the samples of one track of a fragmented MP4 in decode order, across all its moof boxes,
 * holding at most two moof boxes in memory. A sample's duration is the gap to the next sample's
 * decode time, also across fragments (a trun's last duration is only the muxer's guess when the
 * next fragment's tfdt is exact); the track's last sample keeps the duration its trun gives.
 * `next()` fills the public fields; nothing is allocated per sample.
 */
export class FragmentSampleCursor {
  /** Decode time (track timescale) from the track's fragment decode times. */
  dts = 0;
  duration = 0;
  size = 0;
  /** ISO sample_flags (bit 0x10000: not a sync sample). */
  flags = 0;
  /** Composition offset (0 when the trun has none). */
  cts = 0;
  /** Whether this sample's trun carries composition offsets. */
  hasCts = false;
  /** Absolute file offset of the sample's data. */
  offset = 0;

  private pos: number;
  private spare = Buffer.alloc(0);
  private inUse = Buffer.alloc(0);
  private cur: TrackFragment | null = null;
  private nextFrag: TrackFragment | null | undefined = undefined;
  private run = -1;
  private left = 0;
  private entry = 0;
  private runFlags = 0;
  private firstFlags = -1;
  private dataPos = 0;
  private first = true;

  constructor(
    private readonly fd: number,
    /** Offset of the first top-level box after the moov. */
    start: number,
    private readonly end: number,
    private readonly ext: TrackExtends,
  ) {
    this.pos = start;
  }

  /** Reads the next track fragment of this track from the top-level boxes, or null at the end. */
  private readFragment(): TrackFragment | null {
    for (;;) {
      const box = readBox(this.fd, this.pos, this.end);
      if (!box || box.end > this.end) return null;
      this.pos = box.end;
      if (box.type !== 'moof') continue;
      // Two buffers take turns (the current fragment and the one read ahead), so walking a long
      // file allocates nothing per fragment once they have grown to the largest moof.
      const size = box.end - box.start;
      let buf = this.spare;
      if (buf.length < size) buf = Buffer.allocUnsafe(Math.max(size, buf.length * 2));
      const n = readSync(this.fd, buf, 0, size, box.start);
      if (n < size) return null;
      const frag = parseTraf(buf.subarray(0, size), box.start, this.ext);
      if (frag) {
        this.spare = this.inUse;
        this.inUse = buf;
        return frag;
      }
      this.spare = buf;
    }
  }

  /** Advances to the next sample; false after the last one. */
  next(): boolean {
    while (this.left === 0) {
      if (this.cur && this.run + 1 < this.cur.runs.length) {
        this.openRun(this.run + 1);
        continue;
      }
      const frag = this.nextFrag === undefined ? this.readFragment() : this.nextFrag;
      this.nextFrag = undefined;
      if (!frag) return false;
      this.cur = frag;
      if (!Number.isNaN(frag.decodeTime)) this.dts = frag.decodeTime;
      else if (!this.first) this.dts += this.duration;
      this.duration = 0;
      this.first = true;
      this.dataPos = frag.base;
      this.openRun(0);
    }
    const f = this.cur!;
    const m = f.moof;
    if (!this.first) this.dts += this.duration;
    this.first = false;
    let p = this.entry;
    let duration = f.duration;
    if (this.runFlags & TRUN_DURATION) (duration = m.readUInt32BE(p)), (p += 4);
    this.size = f.size;
    if (this.runFlags & TRUN_SIZE) (this.size = m.readUInt32BE(p)), (p += 4);
    this.flags = f.flags;
    if (this.runFlags & TRUN_FLAGS) (this.flags = m.readUInt32BE(p)), (p += 4);
    else if (this.firstFlags >= 0) this.flags = this.firstFlags;
    this.firstFlags = -1;
    this.hasCts = (this.runFlags & TRUN_CTS) !== 0;
    this.cts = 0;
    if (this.hasCts) (this.cts = m.readInt32BE(p)), (p += 4);
    this.entry = p;
    this.offset = this.dataPos;
    this.dataPos += this.size;
    this.left--;
    this.duration = duration;
    if (this.left === 0 && this.run + 1 >= f.runs.length) {
      // The fragment's last sample: its true duration reaches the next fragment's decode time.
      if (this.nextFrag === undefined) this.nextFrag = this.readFragment();
      if (this.nextFrag && !Number.isNaN(this.nextFrag.decodeTime)) this.duration = this.nextFrag.decodeTime - this.dts;
    }
    return true;
  }

  private openRun(i: number): void {
    const f = this.cur!;
    const m = f.moof;
    const p = f.runs[i];
    this.run = i;
    this.runFlags = m.readUIntBE(p + 1, 3);
    this.left = m.readUInt32BE(p + 4);
    let q = p + 8;
    if (this.runFlags & TRUN_DATA_OFFSET) (this.dataPos = f.base + m.readInt32BE(q)), (q += 4);
    this.firstFlags = -1;
    if (this.runFlags & TRUN_FIRST_FLAGS) (this.firstFlags = m.readUInt32BE(q)), (q += 4);
    this.entry = q;
  }
}

/** The traf of `ext.trackId` in a moof held in memory (null when the moof has none). */
function parseTraf(moof: Buffer, moofStart: number, ext: TrackExtends): TrackFragment | null {
  const boxes = (from: number, to: number): Box[] => [...bufferBoxes(moof, from, to)];
  const top = boxes(0, moof.length)[0];
  if (!top) return null;
  for (const traf of boxes(top.body, top.end)) {
    if (traf.type !== 'traf') continue;
    const children = boxes(traf.body, traf.end);
    const tfhd = children.find((b) => b.type === 'tfhd');
    if (!tfhd || moof.readUInt32BE(tfhd.body + 4) !== ext.trackId) continue;
    const flags = moof.readUIntBE(tfhd.body + 1, 3);
    let q = tfhd.body + 8;
    // Without an explicit base, FFmpeg's (and ISO's) base is the moof itself.
    let base = moofStart;
    if (flags & TFHD_BASE_DATA_OFFSET) (base = Number(moof.readBigUInt64BE(q))), (q += 8);
    if (flags & TFHD_SAMPLE_DESCRIPTION) q += 4;
    let duration = ext.duration;
    if (flags & TFHD_DEFAULT_DURATION) (duration = moof.readUInt32BE(q)), (q += 4);
    let size = ext.size;
    if (flags & TFHD_DEFAULT_SIZE) (size = moof.readUInt32BE(q)), (q += 4);
    let sampleFlags = ext.flags;
    if (flags & TFHD_DEFAULT_FLAGS) sampleFlags = moof.readUInt32BE(q);
    const tfdt = children.find((b) => b.type === 'tfdt');
    // Without a tfdt the fragment continues where the previous one ended (NaN: unknown here).
    let decodeTime = NaN;
    if (tfdt) decodeTime = moof[tfdt.body] === 1 ? Number(moof.readBigInt64BE(tfdt.body + 4)) : moof.readUInt32BE(tfdt.body + 4);
    const runs = children.filter((b) => b.type === 'trun').map((b) => b.body);
    return { moof, moofStart, decodeTime, base, duration, size, flags: sampleFlags, runs };
  }
  return null;
}
