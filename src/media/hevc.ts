/**
 * HEVC bitstream helpers for copying packets (pure; no node-av): NAL unit types, the hvcC decoder
 * configuration record (ISO/IEC 14496-15 §8.3.3.1), parameter-set ids and renumbering them, and
 * the one slice-header field partial-lossless rendering rewrites (slice_pic_parameter_set_id).
 *
 * hvcC layout: version(8)=1, profile_space(2) tier(1) profile_idc(5), compatibility flags(32),
 * constraint flags(48), level_idc(8), 0xf + min_spatial_segmentation(12), 0x3f + parallelism(2),
 * 0x3f + chroma_format(2), 0x1f + bit_depth_luma−8(3), 0x1f + bit_depth_chroma−8(3),
 * avg_frame_rate(16), constant_frame_rate(2) num_temporal_layers(3) temporal_id_nested(1)
 * length_size−1(2), num_arrays(8), then per array: completeness(1) 0(1) nal_type(6), count(16),
 * count × {len(16), NAL unit}. The 22 header bytes are kept verbatim except the fields changed on
 * purpose (level, tier, completeness).
 */
import { MediaError } from '../errors.js';

/** nal_unit_type values (H.265 table 7-1) that partial-lossless rendering looks for. */
export const HEVC_RASL_N = 8;
export const HEVC_RASL_R = 9;
export const HEVC_BLA_W_LP = 16;
export const HEVC_BLA_N_LP = 18;
export const HEVC_IDR_W_RADL = 19;
export const HEVC_IDR_N_LP = 20;
export const HEVC_CRA = 21;
export const HEVC_VPS = 32;
export const HEVC_SPS = 33;
export const HEVC_PPS = 34;
export const HEVC_EOS = 36;
export const HEVC_EOB = 37;

/** nal_unit_type of an HEVC NAL unit (6 bits after the forbidden bit). */
export function hevcNalType(nal: Buffer): number {
  return (nal[0] >> 1) & 0x3f;
}

/** A coded slice segment (types 0–31). */
export function isVcl(type: number): boolean {
  return type < 32;
}

/** An intra random access point: BLA, IDR or CRA (16–23). */
export function isIrap(type: number): boolean {
  return type >= 16 && type <= 23;
}

/** A leading picture: RADL (6, 7) or RASL (8, 9). */
export function isLeading(type: number): boolean {
  return type >= 6 && type <= 9;
}

/** A parameter set: VPS, SPS or PPS. */
export function isParameterSet(type: number): boolean {
  return type === HEVC_VPS || type === HEVC_SPS || type === HEVC_PPS;
}


/** One array of an hvcC record. */
export interface HvccArray {
  complete: boolean;
  type: number;
  nals: Buffer[];
}

/** A parsed hvcC record. */
export interface HvcConfig {
  /** The 22 bytes before the arrays, verbatim. */
  header: Buffer;
  arrays: HvccArray[];
}

/** True when `extradata` is an hvcC record (as in MP4/MOV/Matroska), not Annex B start codes. */
export function isHvcC(extradata: Buffer | null | undefined): extradata is Buffer {
  return !!extradata && extradata.length >= 23 && extradata[0] === 1;
}

/** Parses an hvcC record; throws MediaError when it is malformed. */
export function parseHvcC(buf: Buffer): HvcConfig {
  const bad = (): never => {
    throw new MediaError('malformed HEVC decoder configuration (hvcC)');
  };
  if (!isHvcC(buf)) bad();
  let p = 22;
  const take = (n: number): Buffer => {
    if (p + n > buf.length) bad();
    const b = buf.subarray(p, p + n);
    p += n;
    return b;
  };
  const count = take(1)[0];
  const arrays: HvccArray[] = [];
  for (let i = 0; i < count; i++) {
    const head = take(1)[0];
    const n = take(2).readUInt16BE(0);
    const nals: Buffer[] = [];
    for (let k = 0; k < n; k++) nals.push(Buffer.from(take(take(2).readUInt16BE(0))));
    arrays.push({ complete: (head & 0x80) !== 0, type: head & 0x3f, nals });
  }
  return { header: Buffer.from(buf.subarray(0, 22)), arrays };
}

/** Writes an hvcC record. */
export function buildHvcC(cfg: HvcConfig): Buffer {
  const parts: Buffer[] = [cfg.header, Buffer.from([cfg.arrays.length])];
  for (const a of cfg.arrays) {
    const head = Buffer.alloc(3);
    head[0] = (a.complete ? 0x80 : 0) | (a.type & 0x3f);
    head.writeUInt16BE(a.nals.length, 1);
    parts.push(head);
    for (const nal of a.nals) {
      const len = Buffer.alloc(2);
      len.writeUInt16BE(nal.length);
      parts.push(len, nal);
    }
  }
  return Buffer.concat(parts);
}

/** Bytes of the NAL length prefix in samples (1, 2 or 4). */
export function hvccLengthSize(cfg: HvcConfig): number {
  return (cfg.header[21] & 3) + 1;
}

/** The NAL units of one type listed in an hvcC. */
export function hvccNals(cfg: HvcConfig, type: number): Buffer[] {
  return cfg.arrays.filter((a) => a.type === type).flatMap((a) => a.nals);
}

/** Profile, tier and level of a profile_tier_level() or hvcC header. */
export interface HevcPtl {
  profileSpace: number;
  tier: number;
  profile: number;
  /** general_profile_compatibility_flag[j] as bit (31 − j). */
  compatibility: number;
  level: number;
}

/** General profile, tier and level of an hvcC. */
export function hvccPtl(cfg: HvcConfig): HevcPtl {
  const h = cfg.header;
  return { profileSpace: h[1] >> 6, tier: (h[1] >> 5) & 1, profile: h[1] & 0x1f, compatibility: h.readUInt32BE(2), level: h[12] };
}

/** RBSP of a NAL unit's payload (after its 2-byte header): emulation prevention bytes removed. */
export function unescapeRbsp(nal: Buffer): Buffer {
  const out = Buffer.alloc(nal.length);
  let n = 0;
  let zeros = 0;
  for (let i = 2; i < nal.length; i++) {
    const b = nal[i];
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    zeros = b === 0 ? zeros + 1 : 0;
    out[n++] = b;
  }
  return out.subarray(0, n);
}

/** A NAL unit from a 2-byte header and an RBSP (emulation prevention bytes inserted). */
export function escapeRbsp(header: Buffer, rbsp: Buffer): Buffer {
  const out = Buffer.alloc(2 + rbsp.length + (rbsp.length >> 1) + 1);
  out[0] = header[0];
  out[1] = header[1];
  let n = 2;
  let zeros = 0;
  for (const b of rbsp) {
    if (zeros >= 2 && b <= 3) {
      out[n++] = 3;
      zeros = 0;
    }
    out[n++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  // A NAL unit may not end in a zero byte (cabac_zero_words are followed by 0x03).
  if (rbsp.length && rbsp[rbsp.length - 1] === 0) out[n++] = 3;
  return Buffer.from(out.subarray(0, n));
}

/** Reads bits from an RBSP. */
class BitReader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  bit(): number {
    const byte = this.buf[this.pos >> 3];
    if (byte === undefined) throw new MediaError('truncated HEVC NAL unit');
    const v = (byte >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return v;
  }
  u(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }
  ue(): number {
    let zeros = 0;
    while (this.bit() === 0) {
      if (++zeros > 31) throw new MediaError('bad Exp-Golomb code in an HEVC NAL unit');
    }
    return 2 ** zeros - 1 + this.u(zeros);
  }
  skip(n: number): void {
    this.pos += n;
  }
}

/** Bits of ue(v) for `value`. */
function ueBits(value: number): number[] {
  const code = value + 1;
  const len = Math.floor(Math.log2(code)) + 1;
  const bits: number[] = [];
  for (let i = 0; i < len - 1; i++) bits.push(0);
  for (let i = len - 1; i >= 0; i--) bits.push(Math.floor(code / 2 ** i) & 1);
  return bits;
}

/** Length in bits of ue(v) for `value`. */
export function ueLength(value: number): number {
  return 2 * Math.floor(Math.log2(value + 1)) + 1;
}

function uBits(value: number, n: number): number[] {
  const bits: number[] = [];
  for (let i = n - 1; i >= 0; i--) bits.push(Math.floor(value / 2 ** i) & 1);
  return bits;
}

/** Bit `i` of an RBSP. */
function bitAt(buf: Buffer, i: number): number {
  return (buf[i >> 3] >> (7 - (i & 7))) & 1;
}

/**
 * An RBSP with the bits [from, to) replaced by `bits`. Parameter sets (`trailing`: the RBSP ends
 * in rbsp_trailing_bits) are re-aligned whatever the change in length; other RBSPs (slices, whose
 * data must stay byte-aligned) only accept changes by whole bytes, which move everything after
 * the field by whole bytes and leave it otherwise untouched.
 */
function replaceBits(rbsp: Buffer, from: number, to: number, bits: number[], trailing: boolean): Buffer {
  const shift = bits.length - (to - from);
  if (!trailing) {
    if (shift % 8 !== 0) throw new MediaError('an HEVC slice header field can only change length by whole bytes');
    const out: number[] = [];
    let acc = 0;
    let nbits = 0;
    const push = (b: number): void => {
      acc = (acc << 1) | b;
      if (++nbits === 8) {
        out.push(acc);
        acc = 0;
        nbits = 0;
      }
    };
    for (let i = 0; i < from; i++) push(bitAt(rbsp, i));
    for (const b of bits) push(b);
    // `to` and the write position are now congruent mod 8: finish the byte, then copy whole bytes.
    let i = to;
    for (; i & 7; i++) push(bitAt(rbsp, i));
    return Buffer.concat([Buffer.from(out), rbsp.subarray(i >> 3)]);
  }
  let stop = rbsp.length * 8 - 1;
  while (stop >= 0 && bitAt(rbsp, stop) === 0) stop--;
  if (stop < to) throw new MediaError('HEVC parameter set without trailing bits');
  const all: number[] = [];
  for (let i = 0; i < from; i++) all.push(bitAt(rbsp, i));
  all.push(...bits);
  for (let i = to; i < stop; i++) all.push(bitAt(rbsp, i));
  all.push(1);
  while (all.length % 8) all.push(0);
  const out = Buffer.alloc(all.length / 8);
  for (let i = 0; i < all.length; i++) if (all[i]) out[i >> 3] |= 0x80 >> (i & 7);
  return out;
}

/** Skips a profile_tier_level(1, maxSubLayersMinus1) and returns its general part. */
function readPtl(r: BitReader, maxSubLayersMinus1: number): HevcPtl {
  const profileSpace = r.u(2);
  const tier = r.u(1);
  const profile = r.u(5);
  const compatibility = r.u(32);
  r.skip(48);
  const level = r.u(8);
  const profilePresent: number[] = [];
  const levelPresent: number[] = [];
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    profilePresent.push(r.bit());
    levelPresent.push(r.bit());
  }
  if (maxSubLayersMinus1 > 0) for (let i = maxSubLayersMinus1; i < 8; i++) r.skip(2);
  for (let i = 0; i < maxSubLayersMinus1; i++) {
    if (profilePresent[i]) r.skip(88);
    if (levelPresent[i]) r.skip(8);
  }
  return { profileSpace, tier, profile, compatibility, level };
}

/** vps_video_parameter_set_id of a VPS. */
export function vpsId(vps: Buffer): number {
  return new BitReader(unescapeRbsp(vps)).u(4);
}

/** What an SPS says about itself: its id, the VPS it refers to, its general profile, tier and level, and its reordering. */
export interface SpsInfo {
  id: number;
  vps: number;
  ptl: HevcPtl;
  /** sps_max_num_reorder_pics of the highest sub-layer: how many pictures can come before one in decode order and after it in output order. */
  reorder: number;
}

/** Reads an SPS's ids, profile_tier_level and reordering. */
export function spsInfo(sps: Buffer): SpsInfo {
  const r = new BitReader(unescapeRbsp(sps));
  const vps = r.u(4);
  const maxSubLayersMinus1 = r.u(3);
  r.skip(1);
  const ptl = readPtl(r, maxSubLayersMinus1);
  const id = r.ue();
  const chromaFormat = r.ue();
  if (chromaFormat === 3) r.skip(1); // separate_colour_plane_flag
  r.ue(); // pic_width_in_luma_samples
  r.ue(); // pic_height_in_luma_samples
  if (r.bit()) for (let i = 0; i < 4; i++) r.ue(); // conformance window offsets
  r.ue(); // bit_depth_luma_minus8
  r.ue(); // bit_depth_chroma_minus8
  r.ue(); // log2_max_pic_order_cnt_lsb_minus4
  const allSubLayers = r.bit();
  let reorder = 0;
  for (let i = allSubLayers ? 0 : maxSubLayersMinus1; i <= maxSubLayersMinus1; i++) {
    r.ue(); // sps_max_dec_pic_buffering_minus1
    reorder = r.ue();
    r.ue(); // sps_max_latency_increase_plus1
  }
  return { id, vps, ptl, reorder };
}

/** pps_pic_parameter_set_id and the SPS id it refers to. */
export function ppsIds(pps: Buffer): { pps: number; sps: number } {
  const r = new BitReader(unescapeRbsp(pps));
  const id = r.ue();
  return { pps: id, sps: r.ue() };
}

/** Parameter-set ids: a VPS, an SPS and a PPS. */
export interface ParameterSetIds {
  vps: number;
  sps: number;
  pps: number;
}

/** A VPS, SPS or PPS with its own id and the ids it refers to set to `ids`. */
export function renumberParameterSet(nal: Buffer, ids: ParameterSetIds): Buffer {
  const type = hevcNalType(nal);
  const header = nal.subarray(0, 2);
  let rbsp = unescapeRbsp(nal);
  if (type === HEVC_VPS) {
    rbsp = replaceBits(rbsp, 0, 4, uBits(ids.vps, 4), true);
  } else if (type === HEVC_SPS) {
    const r = new BitReader(rbsp);
    r.skip(4);
    const maxSubLayersMinus1 = r.u(3);
    r.skip(1);
    readPtl(r, maxSubLayersMinus1);
    const from = r.pos;
    r.ue();
    rbsp = replaceBits(rbsp, from, r.pos, ueBits(ids.sps), true);
    rbsp = replaceBits(rbsp, 0, 4, uBits(ids.vps, 4), true);
  } else if (type === HEVC_PPS) {
    const r = new BitReader(rbsp);
    r.ue();
    r.ue();
    rbsp = replaceBits(rbsp, 0, r.pos, [...ueBits(ids.pps), ...ueBits(ids.sps)], true);
  } else {
    throw new MediaError(`HEVC NAL unit type ${type} is not a parameter set`);
  }
  return escapeRbsp(header, rbsp);
}

/** Bit range of slice_pic_parameter_set_id in a slice segment's RBSP, and its value. */
function slicePpsField(rbsp: Buffer, type: number): { from: number; to: number; id: number } {
  const r = new BitReader(rbsp);
  r.skip(isIrap(type) ? 2 : 1); // first_slice_segment_in_pic_flag, no_output_of_prior_pics_flag
  const from = r.pos;
  const id = r.ue();
  return { from, to: r.pos, id };
}

/** slice_pic_parameter_set_id of a coded slice segment. */
export function slicePpsId(nal: Buffer): number {
  return slicePpsField(unescapeRbsp(nal), hevcNalType(nal)).id;
}

/**
 * A coded slice segment referring to PPS `id` instead. The field comes first in the slice header;
 * the new id must be coded in the same number of bits modulo 8 (see ppsIdKeepingAlignment), so
 * everything after it, the slice data included, moves by whole bytes and is copied unchanged.
 */
export function withSlicePpsId(nal: Buffer, id: number): Buffer {
  const rbsp = unescapeRbsp(nal);
  const field = slicePpsField(rbsp, hevcNalType(nal));
  return escapeRbsp(nal.subarray(0, 2), replaceBits(rbsp, field.from, field.to, ueBits(id), false));
}

/** no_output_of_prior_pics_flag of an IRAP slice segment (1: the pictures waiting for output are dropped). */
export function noOutputOfPriorPics(nal: Buffer): boolean {
  // The first payload byte cannot be an emulation prevention byte (the header's second byte is not zero).
  return nal.length > 2 && (nal[2] & 0x40) !== 0;
}

/**
 * The lowest PPS id not in `used` whose ue(v) code is longer than `current`'s by a whole number
 * of bytes (0 → 15..30), so that slice headers can be renumbered without re-aligning slice data;
 * null when there is none.
 */
export function ppsIdKeepingAlignment(current: number, used: Set<number>): number | null {
  for (let id = 0; id < 64; id++) {
    const grow = ueLength(id) - ueLength(current);
    if (id !== current && grow >= 0 && grow % 8 === 0 && !used.has(id)) return id;
  }
  return null;
}

/** The lowest id in [0, limit) not in `used`, or null. */
export function freeId(used: Set<number>, limit: number): number | null {
  for (let id = 0; id < limit; id++) if (!used.has(id)) return id;
  return null;
}

/**
 * The source's hvcC with the encoder's (renumbered) VPS, SPS and PPS added to its arrays, the
 * level and tier raised to the larger of the two, and the parameter-set arrays marked complete
 * (`complete`: no parameter set in the samples, as the `hvc1` sample entry requires) or not.
 */
export function mergeHvcC(source: HvcConfig, encoderSets: Buffer[], encoderPtl: HevcPtl, complete: boolean): Buffer {
  const header = Buffer.from(source.header);
  const src = hvccPtl(source);
  if (encoderPtl.tier > src.tier) header[1] |= 0x20;
  header[12] = Math.max(src.level, encoderPtl.level);
  const arrays: HvccArray[] = [];
  for (const type of [HEVC_VPS, HEVC_SPS, HEVC_PPS]) {
    const nals = [...hvccNals(source, type), ...encoderSets.filter((n) => hevcNalType(n) === type)];
    if (nals.length > 0xffff) throw new MediaError('too many HEVC parameter sets for one hvcC');
    arrays.push({ complete, type, nals });
  }
  // SEI arrays and anything else are kept as they were, after the parameter sets.
  for (const a of source.arrays) if (!isParameterSet(a.type)) arrays.push(a);
  return buildHvcC({ header, arrays });
}

/** What partial-lossless rendering needs to know about one sample (length-prefixed NAL units). */
export interface HevcSampleInfo {
  /** nal_unit_type of the first coded slice, or -1 when the sample has none. */
  vcl: number;
  /** The first slice is an IRAP with no_output_of_prior_pics_flag set. */
  noOutputOfPriorPics: boolean;
  /** VPS, SPS and PPS NAL units carried in the sample (views into it). */
  parameterSets: Buffer[];
  /** The sample holds an end of sequence or end of bitstream NAL unit. */
  endOfSequence: boolean;
  /** The sample holds NAL units of a layer other than the base layer (multi-layer HEVC, e.g. MV-HEVC). */
  otherLayers: boolean;
}

/** Reads the NAL unit headers of a sample; throws MediaError on bad lengths. */
export function hevcSampleInfo(nals: Buffer[]): HevcSampleInfo {
  const info: HevcSampleInfo = { vcl: -1, noOutputOfPriorPics: false, parameterSets: [], endOfSequence: false, otherLayers: false };
  for (const nal of nals) {
    if (nal.length < 2) throw new MediaError('HEVC NAL unit shorter than its header');
    if ((nal[0] & 1) !== 0 || nal[1] >> 3 !== 0) {
      info.otherLayers = true;
      continue;
    }
    const type = hevcNalType(nal);
    if (isVcl(type)) {
      if (info.vcl < 0) {
        info.vcl = type;
        info.noOutputOfPriorPics = isIrap(type) && noOutputOfPriorPics(nal);
      }
    } else if (isParameterSet(type)) {
      info.parameterSets.push(nal);
    } else if (type === HEVC_EOS || type === HEVC_EOB) {
      info.endOfSequence = true;
    }
  }
  return info;
}

/** "type/id" of a VPS, SPS or PPS: parameter sets with the same key replace each other. */
export function parameterSetKey(nal: Buffer): string {
  const type = hevcNalType(nal);
  const id = type === HEVC_VPS ? vpsId(nal) : type === HEVC_SPS ? spsInfo(nal).id : ppsIds(nal).pps;
  return `${type}/${id}`;
}

/**
 * A sample whose CRA slices are made BLA_N_LP slices (only the 6-bit nal_unit_type changes). A
 * splice point: the picture starts a new coded video sequence, decoders output the pictures still
 * waiting (unless the slice says otherwise), and no leading picture may follow, so the caller
 * leaves them out. (An end of sequence before a CRA would also start a sequence, but then every
 * picture still waiting for output is dropped.)
 */
export function craAsBla(sample: Buffer, nals: Buffer[]): Buffer {
  const out = Buffer.from(sample);
  for (const nal of nals) {
    if (hevcNalType(nal) !== HEVC_CRA) continue;
    const at = nal.byteOffset - sample.byteOffset;
    out[at] = (out[at] & 0x81) | (HEVC_BLA_N_LP << 1);
  }
  return out;
}
