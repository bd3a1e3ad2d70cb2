/**
 * MP4/MOV sample tables read lazily from the file. FFmpeg's mov demuxer turns every table into an
 * in-memory index when a file is opened (24+ bytes per packet: ~70 MB at the peak for six hours of
 * AAC); walking the tables from disk instead keeps a few buffers per track, however long the file.
 */
import { childBoxes, FileCursor, findChild, findPath, readAt, type Box } from './isobmff.js';

/** One edit-list entry, durations in the movie time scale, media time in the track's. */
export type Edit = { duration: number; mediaTime: number; rate: number };

/** Where one track's tables are, and what the small ones say. */
export type TrackTables = {
  /** tkhd track_ID (FFmpeg's stream id). */
  id: number;
  /** mdhd time scale (FFmpeg's stream time base is its inverse). */
  timescale: number;
  /** Handler type, e.g. "soun", "vide", "text". */
  handler: string;
  edits: Edit[];
  sampleCount: number;
  /** Sum of every sample's stts duration, in the track time scale. */
  totalDuration: number;
  stbl: Box;
  stts: Box;
  ctts: Box | null;
  stsc: Box;
  stsz: Box;
  /** stco or co64. */
  chunkOffsets: Box;
  wideOffsets: boolean;
  chunkCount: number;
  stss: Box | null;
  /** Whether the track has more than one sample description (then samples may switch codecs). */
  stsdCount: number;
};

/** The parts of an MP4 file the lazy reader needs. */
export type Mp4Layout = { moov: Box; movieTimescale: number; tracks: TrackTables[]; fileSize: number };

function fullBoxVersion(fd: number, box: Box): number {
  return readAt(fd, box.body, 1)[0] ?? 0;
}

function u32At(fd: number, pos: number): number {
  return readAt(fd, pos, 4).readUInt32BE(0);
}

function readEdits(fd: number, trak: Box): Edit[] {
  const elst = findPath(fd, trak, ['edts', 'elst']);
  if (!elst) return [];
  const v = fullBoxVersion(fd, elst);
  const cur = new FileCursor(fd, elst.body + 4, elst.end, 4096);
  const n = cur.u32();
  const edits: Edit[] = [];
  for (let i = 0; i < n; i++) {
    const duration = v === 1 ? cur.u64() : cur.u32();
    const mediaTime = v === 1 ? cur.i64() : cur.i32();
    const rate = cur.i32() / 65536;
    edits.push({ duration, mediaTime, rate });
  }
  return edits;
}

function sumStts(fd: number, stts: Box): { samples: number; duration: number } {
  const cur = new FileCursor(fd, stts.body + 4, stts.end);
  const n = cur.u32();
  let samples = 0;
  let duration = 0;
  for (let i = 0; i < n; i++) {
    const count = cur.u32();
    const delta = cur.u32();
    samples += count;
    duration += count * delta;
  }
  return { samples, duration };
}

function readTrack(fd: number, trak: Box): TrackTables | null {
  const tkhd = findChild(fd, trak, 'tkhd');
  const mdhd = findPath(fd, trak, ['mdia', 'mdhd']);
  const hdlr = findPath(fd, trak, ['mdia', 'hdlr']);
  const stbl = findPath(fd, trak, ['mdia', 'minf', 'stbl']);
  if (!tkhd || !mdhd || !hdlr || !stbl) return null;
  const id = u32At(fd, tkhd.body + (fullBoxVersion(fd, tkhd) === 1 ? 20 : 12));
  const timescale = u32At(fd, mdhd.body + (fullBoxVersion(fd, mdhd) === 1 ? 20 : 12));
  const handler = readAt(fd, hdlr.body + 8, 4).toString('latin1');
  const stsd = findChild(fd, stbl, 'stsd');
  const stts = findChild(fd, stbl, 'stts');
  const stsc = findChild(fd, stbl, 'stsc');
  const stsz = findChild(fd, stbl, 'stsz');
  const stco = findChild(fd, stbl, 'stco');
  const co64 = findChild(fd, stbl, 'co64');
  const chunkOffsets = stco ?? co64;
  if (!stsd || !stts || !stsc || !stsz || !chunkOffsets || timescale === 0) return null;
  const { samples, duration } = sumStts(fd, stts);
  const sampleCount = u32At(fd, stsz.body + 8);
  if (samples !== sampleCount) return null;
  return {
    id,
    timescale,
    handler,
    edits: readEdits(fd, trak),
    sampleCount,
    totalDuration: duration,
    stbl,
    stts,
    ctts: findChild(fd, stbl, 'ctts'),
    stsc,
    stsz,
    chunkOffsets,
    wideOffsets: chunkOffsets.type === 'co64',
    chunkCount: u32At(fd, chunkOffsets.body + 4),
    stss: findChild(fd, stbl, 'stss'),
    stsdCount: u32At(fd, stsd.body + 4),
  };
}

/**
 * The moov and per-track tables of an unfragmented MP4/MOV file, or null when the file is
 * something else (not ISO base media, fragmented, compressed moov, a track without the usual
 * tables): those files are left to FFmpeg's own demuxer.
 */
export function readMp4Layout(fd: number, fileSize: number): Mp4Layout | null {
  let moov: Box | null = null;
  let first = true;
  for (const box of childBoxes(fd, 0, fileSize)) {
    if (first && box.type !== 'ftyp' && box.type !== 'moov' && box.type !== 'wide' && box.type !== 'free' && box.type !== 'mdat') return null;
    first = false;
    if (box.type === 'moof') return null;
    if (box.type === 'moov') {
      if (moov) return null;
      moov = box;
    }
  }
  if (!moov) return null;
  if (findChild(fd, moov, 'mvex') || findChild(fd, moov, 'cmov')) return null;
  const mvhd = findChild(fd, moov, 'mvhd');
  if (!mvhd) return null;
  const movieTimescale = u32At(fd, mvhd.body + (fullBoxVersion(fd, mvhd) === 1 ? 20 : 12));
  const tracks: TrackTables[] = [];
  for (const box of childBoxes(fd, moov.body, moov.end)) {
    if (box.type !== 'trak') continue;
    const t = readTrack(fd, box);
    if (!t) return null;
    tracks.push(t);
  }
  return { moov, movieTimescale, tracks, fileSize };
}

/** One sample as the tables describe it (times in the track time scale, before any edit). */
export type Sample = {
  index: number;
  offset: number;
  size: number;
  dts: number;
  /** Composition time: dts plus the ctts offset. */
  cts: number;
  duration: number;
  sync: boolean;
  /** 0-based chunk holding the sample. */
  chunk: number;
};

/** Run-length table cursor (stts and ctts share the shape: count, value). */
class RunCursor {
  private readonly cur: FileCursor;
  private left = 0;
  private entriesLeft: number;
  value = 0;

  constructor(fd: number, box: Box) {
    this.cur = new FileCursor(fd, box.body + 8, box.end, 16 * 1024);
    this.entriesLeft = readAt(fd, box.body + 4, 4).readUInt32BE(0);
  }

  /** Skips `n` samples. */
  skip(n: number, signed: boolean): void {
    while (n > 0) {
      if (this.left === 0) {
        if (this.entriesLeft === 0) return;
        this.entriesLeft--;
        this.left = this.cur.u32();
        this.value = signed ? this.cur.i32() : this.cur.u32();
        continue;
      }
      const k = Math.min(this.left, n);
      this.left -= k;
      n -= k;
    }
  }

  /** The value for the next sample (0 past the end of the table). */
  take(signed: boolean): number {
    while (this.left === 0) {
      if (this.entriesLeft === 0) return 0;
      this.entriesLeft--;
      this.left = this.cur.u32();
      this.value = signed ? this.cur.i32() : this.cur.u32();
    }
    this.left--;
    return this.value;
  }
}

/**
 * Walks a track's samples in decode order from any sample, reading the tables through small
 * buffers. Positioning (`seekSample`) scans the run-length tables from their start; the
 * per-sample tables (stsz, stco, stss) are read where needed.
 */
export class SampleWalker {
  private stts!: RunCursor;
  private ctts: RunCursor | null = null;
  private readonly sizes: FileCursor;
  private readonly offsets: FileCursor;
  private readonly syncs: FileCursor | null;
  private readonly constantSize: number;
  private readonly syncCount: number;
  private next_ = 0;
  private dts = 0;
  private chunk = 0;
  private leftInChunk = 0;
  private offset = 0;
  /** stsc state: current entry's samples per chunk and the first chunk (0-based) of the next entry. */
  private stscCur!: FileCursor;
  private stscLeft = 0;
  private perChunk = 0;
  private nextEntryChunk = Infinity;
  private nextSync = Infinity;
  /** stss entry holding `nextSync`. */
  private syncEntry = 0;
  private entryChunk = 0;

  constructor(
    private readonly fd: number,
    readonly t: TrackTables,
  ) {
    this.constantSize = u32At(fd, t.stsz.body + 4);
    this.sizes = new FileCursor(fd, t.stsz.body + 12, t.stsz.end, 64 * 1024);
    this.offsets = new FileCursor(fd, t.chunkOffsets.body + 8, t.chunkOffsets.end, 16 * 1024);
    this.syncCount = t.stss ? u32At(fd, t.stss.body + 4) : 0;
    this.syncs = t.stss ? new FileCursor(fd, t.stss.body + 8, t.stss.end, 4096) : null;
    this.seekSample(0);
  }

  private syncNumber(entry: number): number {
    this.syncs!.seek(this.t.stss!.body + 8 + entry * 4);
    return this.syncs!.u32() - 1;
  }

  /** Points `nextSync` at the first sync sample at or after `index`. */
  private findSync(index: number): void {
    if (!this.syncs) return;
    let lo = 0;
    let hi = this.syncCount;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.syncNumber(mid) < index) lo = mid + 1;
      else hi = mid;
    }
    this.syncEntry = lo;
    this.nextSync = lo < this.syncCount ? this.syncNumber(lo) : Infinity;
  }

  /** The last sync sample at or before `index` (0 when none). */
  syncAtOrBefore(index: number): number {
    if (!this.syncs) return index;
    let lo = 0;
    let hi = this.syncCount;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.syncNumber(mid) <= index) lo = mid + 1;
      else hi = mid;
    }
    return lo === 0 ? 0 : this.syncNumber(lo - 1);
  }

  /** Index of the last sample whose dts is at or before `dts` (0 when all are later). */
  sampleAtDts(dts: number): number {
    const cur = new FileCursor(this.fd, this.t.stts.body + 8, this.t.stts.end, 16 * 1024);
    const n = u32At(this.fd, this.t.stts.body + 4);
    let index = 0;
    let at = 0;
    for (let e = 0; e < n; e++) {
      const count = cur.u32();
      const delta = cur.u32();
      if (delta > 0 && at + count * delta > dts) return index + Math.max(0, Math.floor((dts - at) / delta));
      index += count;
      at += count * delta;
    }
    return Math.max(0, this.t.sampleCount - 1);
  }

  /** Loads the next stsc entry (first chunk, samples per chunk) and peeks at where the one after starts. */
  private readStscEntry(): void {
    this.stscLeft--;
    this.entryChunk = this.stscCur.u32() - 1;
    this.perChunk = this.stscCur.u32();
    this.stscCur.u32(); // sample description index (one description: checked by the caller)
    if (this.stscLeft > 0) {
      const save = this.stscCur.pos;
      this.nextEntryChunk = this.stscCur.u32() - 1;
      this.stscCur.seek(save);
    } else {
      this.nextEntryChunk = Infinity;
    }
  }

  private chunkOffset(chunk: number): number {
    this.offsets.seek(this.t.chunkOffsets.body + 8 + chunk * (this.t.wideOffsets ? 8 : 4));
    return this.t.wideOffsets ? this.offsets.u64() : this.offsets.u32();
  }

  private sizeOf(index: number): number {
    if (this.constantSize) return this.constantSize;
    this.sizes.seek(this.t.stsz.body + 12 + index * 4);
    return this.sizes.u32();
  }

  /** Positions the walker so that `next()` returns sample `index`. */
  seekSample(index: number): void {
    const t = this.t;
    this.stts = new RunCursor(this.fd, t.stts);
    this.ctts = t.ctts ? new RunCursor(this.fd, t.ctts) : null;
    // dts of `index`: the stts durations before it.
    const cur = new FileCursor(this.fd, t.stts.body + 8, t.stts.end, 16 * 1024);
    const n = u32At(this.fd, t.stts.body + 4);
    let skipped = 0;
    let dts = 0;
    for (let e = 0; e < n && skipped < index; e++) {
      const count = cur.u32();
      const delta = cur.u32();
      const k = Math.min(count, index - skipped);
      skipped += k;
      dts += k * delta;
    }
    this.dts = dts;
    this.stts.skip(index, false);
    this.ctts?.skip(index, true);
    // The chunk holding `index`, and the first sample of that chunk.
    this.stscCur = new FileCursor(this.fd, t.stsc.body + 8, t.stsc.end, 4096);
    this.stscLeft = u32At(this.fd, t.stsc.body + 4);
    let first = 0;
    let chunk = 0;
    this.perChunk = 0;
    this.nextEntryChunk = Infinity;
    while (this.stscLeft > 0) {
      this.readStscEntry();
      const end = Math.min(this.nextEntryChunk, t.chunkCount);
      const samplesHere = (end - this.entryChunk) * this.perChunk;
      if (index < first + samplesHere || this.nextEntryChunk === Infinity) {
        const within = this.perChunk ? Math.floor((index - first) / this.perChunk) : 0;
        chunk = this.entryChunk + within;
        first += within * this.perChunk;
        break;
      }
      first += samplesHere;
    }
    this.chunk = chunk;
    this.leftInChunk = this.perChunk - (index - first);
    let offset = chunk < t.chunkCount ? this.chunkOffset(chunk) : 0;
    for (let i = first; i < index; i++) offset += this.sizeOf(i);
    this.offset = offset;
    this.next_ = index;
    this.findSync(index);
  }

  /** The next sample in decode order, or null after the last. */
  next(): Sample | null {
    const t = this.t;
    const index = this.next_;
    if (index >= t.sampleCount) return null;
    while (this.leftInChunk <= 0) {
      this.chunk++;
      if (this.chunk >= this.nextEntryChunk && this.stscLeft > 0) this.readStscEntry();
      if (this.chunk >= t.chunkCount) return null;
      this.offset = this.chunkOffset(this.chunk);
      this.leftInChunk = this.perChunk;
    }
    const size = this.sizeOf(index);
    const duration = this.stts.take(false);
    const ctsOffset = this.ctts ? this.ctts.take(true) : 0;
    let sync = true;
    if (this.syncs) {
      sync = index === this.nextSync;
      if (sync) {
        this.syncEntry++;
        this.nextSync = this.syncEntry < this.syncCount ? this.syncNumber(this.syncEntry) : Infinity;
      }
    }
    const s: Sample = { index, offset: this.offset, size, dts: this.dts, cts: this.dts + ctsOffset, duration, sync, chunk: this.chunk };
    this.offset += size;
    this.dts += duration;
    this.leftInChunk--;
    this.next_++;
    return s;
  }
}
