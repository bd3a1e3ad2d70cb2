/**
 * H.264 bitstream helpers for copying packets (pure; no node-av): the avcC decoder configuration
 * record (ISO/IEC 14496-15 §5.3.3.1), parameter-set ids, NAL unit framing.
 *
 * avcC layout: version(8)=1, profile(8), profile_compatibility(8), level(8),
 * 0b111111 + lengthSizeMinusOne(2), 0b111 + numSPS(5), numSPS × {len(16), SPS NAL},
 * numPPS(8), numPPS × {len(16), PPS NAL}, then for profiles 100/110/122/144 four more fields
 * (chroma format, bit depths, SPS extensions) which are kept verbatim.
 */
import { MediaError } from '../errors.js';

export const NAL_IDR = 5;
export const NAL_SPS = 7;
export const NAL_PPS = 8;

/** A parsed avcC record. */
export interface AvcConfig {
  profile: number;
  compatibility: number;
  level: number;
  /** Bytes of the NAL length prefix in samples (1, 2 or 4). */
  lengthSize: number;
  sps: Buffer[];
  pps: Buffer[];
  /** Everything after the PPS list (the high-profile fields), verbatim. */
  tail: Buffer;
}

/** True when `extradata` is an avcC record (as in MP4/MOV/Matroska), not Annex B start codes. */
export function isAvcC(extradata: Buffer | null | undefined): extradata is Buffer {
  return !!extradata && extradata.length >= 7 && extradata[0] === 1;
}

/** Parses an avcC record; throws MediaError when it is malformed. */
export function parseAvcC(buf: Buffer): AvcConfig {
  const bad = (): never => {
    throw new MediaError('malformed H.264 decoder configuration (avcC)');
  };
  if (!isAvcC(buf)) bad();
  let p = 5;
  const take = (n: number): Buffer => {
    if (p + n > buf.length) bad();
    const b = buf.subarray(p, p + n);
    p += n;
    return b;
  };
  const list = (count: number): Buffer[] => {
    const out: Buffer[] = [];
    for (let i = 0; i < count; i++) out.push(Buffer.from(take(take(2).readUInt16BE(0))));
    return out;
  };
  const sps = list(take(1)[0] & 0x1f);
  const pps = list(take(1)[0]);
  return {
    profile: buf[1],
    compatibility: buf[2],
    level: buf[3],
    lengthSize: (buf[4] & 3) + 1,
    sps,
    pps,
    tail: Buffer.from(buf.subarray(p)),
  };
}

/** Writes an avcC record. */
export function buildAvcC(cfg: AvcConfig): Buffer {
  const parts: Buffer[] = [
    Buffer.from([1, cfg.profile, cfg.compatibility, cfg.level, 0xfc | (cfg.lengthSize - 1), 0xe0 | cfg.sps.length]),
  ];
  const push = (nal: Buffer): void => {
    const len = Buffer.alloc(2);
    len.writeUInt16BE(nal.length);
    parts.push(len, nal);
  };
  cfg.sps.forEach(push);
  parts.push(Buffer.from([cfg.pps.length]));
  cfg.pps.forEach(push);
  parts.push(cfg.tail);
  return Buffer.concat(parts);
}

/** The NAL units of an Annex B byte stream (start codes 00 00 01 or 00 00 00 01), without start codes. */
export function splitAnnexB(buf: Buffer): Buffer[] {
  const starts: Array<{ at: number; code: number }> = [];
  for (let i = 0; i + 2 < buf.length; i++) {
    if (buf[i] === 0 && buf[i + 1] === 0 && buf[i + 2] === 1) {
      starts.push({ at: i + 3, code: i > 0 && buf[i - 1] === 0 ? 4 : 3 });
      i += 2;
    }
  }
  const nals: Buffer[] = [];
  for (let k = 0; k < starts.length; k++) {
    const end = k + 1 < starts.length ? starts[k + 1].at - starts[k + 1].code : buf.length;
    if (end > starts[k].at) nals.push(buf.subarray(starts[k].at, end));
  }
  return nals;
}

/** The NAL units of a length-prefixed sample (MP4/Matroska framing); throws MediaError on bad lengths. */
export function splitLengthPrefixed(buf: Buffer, lengthSize: number): Buffer[] {
  const nals: Buffer[] = [];
  let p = 0;
  while (p + lengthSize <= buf.length) {
    const len = buf.readUIntBE(p, lengthSize);
    p += lengthSize;
    if (p + len > buf.length) throw new MediaError('H.264 sample with a NAL unit longer than the sample');
    nals.push(buf.subarray(p, p + len));
    p += len;
  }
  return nals;
}

/** Reframes NAL units with `lengthSize`-byte big-endian length prefixes. */
export function lengthPrefixed(nals: Buffer[], lengthSize: number): Buffer {
  const parts: Buffer[] = [];
  for (const nal of nals) {
    if (nal.length >= 2 ** (8 * lengthSize)) throw new MediaError(`H.264 NAL unit too long for ${lengthSize}-byte lengths`);
    const len = Buffer.alloc(lengthSize);
    len.writeUIntBE(nal.length, 0, lengthSize);
    parts.push(len, nal);
  }
  return Buffer.concat(parts);
}

/** nal_unit_type of a NAL unit. */
export function nalType(nal: Buffer): number {
  return nal[0] & 0x1f;
}

/** Reads unsigned Exp-Golomb values from a NAL unit's payload (emulation prevention removed). */
class BitReader {
  private readonly bytes: number[] = [];
  private bit = 0;
  constructor(nal: Buffer, from: number) {
    // Only the first bytes are ever read (ids come first); unescape a bounded prefix.
    const end = Math.min(nal.length, from + 32);
    let zeros = 0;
    for (let i = from; i < end; i++) {
      const b = nal[i];
      if (zeros >= 2 && b === 3) {
        zeros = 0;
        continue;
      }
      zeros = b === 0 ? zeros + 1 : 0;
      this.bytes.push(b);
    }
  }
  private readBit(): number {
    const byte = this.bytes[this.bit >> 3];
    if (byte === undefined) throw new MediaError('truncated H.264 parameter set');
    const v = (byte >> (7 - (this.bit & 7))) & 1;
    this.bit++;
    return v;
  }
  ue(): number {
    let zeros = 0;
    while (this.readBit() === 0) {
      if (++zeros > 31) throw new MediaError('bad Exp-Golomb code in H.264 parameter set');
    }
    let v = 0;
    for (let i = 0; i < zeros; i++) v = v * 2 + this.readBit();
    return 2 ** zeros - 1 + v;
  }
}

/** seq_parameter_set_id of an SPS NAL unit. */
export function spsId(sps: Buffer): number {
  // NAL header, profile_idc, constraint flags, level_idc, then the id.
  return new BitReader(sps, 4).ue();
}

/** pic_parameter_set_id and the seq_parameter_set_id it refers to, of a PPS NAL unit. */
export function ppsIds(pps: Buffer): { pps: number; sps: number } {
  const r = new BitReader(pps, 1);
  const id = r.ue();
  return { pps: id, sps: r.ue() };
}

/** profile_idc of an SPS NAL unit. */
export function spsProfile(sps: Buffer): number {
  return sps[1];
}

/** level_idc of an SPS NAL unit. */
export function spsLevel(sps: Buffer): number {
  return sps[3];
}

/** True when a length-prefixed sample holds an IDR slice. */
export function hasIdrSlice(sample: Buffer, lengthSize: number): boolean {
  return splitLengthPrefixed(sample, lengthSize).some((n) => nalType(n) === NAL_IDR);
}

/**
 * An avcC holding the source's parameter sets and the encoder's (given as Annex B extradata, as
 * libx264 produces it), for a stream that switches between copied and re-encoded pictures at
 * IDRs. Throws MediaError when the ids collide (the caller then re-encodes everything).
 */
export function mergeAvcC(source: AvcConfig, encoderAnnexB: Buffer): Buffer {
  const nals = splitAnnexB(encoderAnnexB);
  const encSps = nals.filter((n) => nalType(n) === NAL_SPS);
  const encPps = nals.filter((n) => nalType(n) === NAL_PPS);
  if (encSps.length === 0 || encPps.length === 0) throw new MediaError('the encoder gave no H.264 parameter sets');
  const usedSps = new Set(source.sps.map(spsId));
  const usedPps = new Set(source.pps.map((p) => ppsIds(p).pps));
  for (const s of encSps) if (usedSps.has(spsId(s))) throw new MediaError(`SPS id ${spsId(s)} is used by both the source and the encoder`);
  for (const p of encPps) if (usedPps.has(ppsIds(p).pps)) throw new MediaError(`PPS id ${ppsIds(p).pps} is used by both the source and the encoder`);
  if (source.sps.length + encSps.length > 31 || source.pps.length + encPps.length > 255) {
    throw new MediaError('too many H.264 parameter sets for one avcC');
  }
  return buildAvcC({ ...source, sps: [...source.sps, ...encSps.map((b) => Buffer.from(b))], pps: [...source.pps, ...encPps.map((b) => Buffer.from(b))] });
}

/** The lowest SPS id in 0..31 the source does not use (x264 gives its PPS the same id), or null. */
export function freeParameterSetId(source: AvcConfig): number | null {
  const used = new Set([...source.sps.map(spsId), ...source.pps.map((p) => ppsIds(p).pps)]);
  for (let id = 1; id < 32; id++) if (!used.has(id)) return id;
  return used.has(0) ? null : 0;
}
