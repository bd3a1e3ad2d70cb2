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
