/**
 * Partial-lossless copying of HEVC (see lossless.ts).
 *
 * Parameter sets. libx265 has no option to choose its VPS/SPS/PPS ids (all 0, like most
 * sources'), so its sets are renumbered to ids the source does not use and its slices are made to
 * refer to the new PPS id. slice_pic_parameter_set_id is the first ue(v) of every slice header;
 * the new id is chosen so that its code is longer by exactly one byte (0 → 15..30), so the rest of
 * each slice, slice data and entry points included, moves by a whole byte and is not touched.
 * The output's hvcC then lists the source's sets and the encoder's, as H.264's avcC does, and
 * copied packets stay bit for bit as they were. Because no parameter set is sent in-band, the
 * MP4/MOV sample entry can be `hvc1` (the one Apple's players require) unless the source itself
 * carries sets in its samples, which keeps `hev1`. (Sending the encoder's sets in-band under the
 * same ids would force `hev1` and change the copied packets that follow each re-encoded stretch.)
 *
 * Joins. A re-encoded stretch starts with an IDR (a fresh encoder), which begins a new coded video
 * sequence; so does a copied GOP that starts with an IDR or BLA. A copied GOP that starts with a
 * CRA either continues the GOP before it in the source, or (see the plan's `reset`) is entered
 * from elsewhere: its leading pictures, which may refer to the GOP before it in the source, are
 * left out and their frames re-encoded, and the CRA is written as a BLA picture, the splice point
 * HEVC defines: it begins a new sequence, and the pictures still waiting for output are shown.
 * (An end-of-sequence NAL unit before the CRA would begin one too, but a CRA after it drops every
 * picture still waiting, and decoders that output one picture per packet, like FFmpeg before 7.1,
 * always have some waiting.) That one NAL unit type is the only change to copied packets.
 */
import { MediaError } from '../errors.js';
import { lengthPrefixed, splitAnnexB, splitLengthPrefixed } from '../media/h264.js';
import {
  craAsBla,
  freeId,
  HEVC_PPS,
  HEVC_SPS,
  HEVC_VPS,
  hevcNalType,
  hvccLengthSize,
  hvccNals,
  isHvcC,
  isVcl,
  mergeHvcC,
  parseHvcC,
  ppsIdKeepingAlignment,
  ppsIds,
  renumberParameterSet,
  spsInfo,
  vpsId,
  withSlicePpsId,
  type HevcPtl,
  type HvcConfig,
  type ParameterSetIds,
} from '../media/hevc.js';
import { scanHevcGops, startsHevcGop, type HevcGopScan } from '../media/packets.js';
import { SegmentEncoder, type SegmentEncoderSpec } from '../media/segment-encoder.js';
import { sourcePicture, type CopyPreparation, type CopySource } from './lossless-codec.js';

/** Containers whose muxer takes a sample entry (codec tag) for HEVC. */
const MOV_CONTAINERS = ['.mp4', '.m4v', '.mov'];

/** A decoder set up for the source's profile must decode what libx265 writes (Main within Main 10). */
function profileFits(encoder: HevcPtl, source: HevcPtl): boolean {
  if (encoder.profileSpace !== 0 || source.profileSpace !== 0) return false;
  return encoder.profile === source.profile || (encoder.profile === 1 && source.profile === 2);
}

/** The libx265 configuration and its parameter sets (as libx265 numbered them). */
interface EncoderSets {
  spec: SegmentEncoderSpec;
  vps: Buffer;
  sps: Buffer;
  pps: Buffer;
  delay: number;
}

/** Opens libx265 once for `spec` to read its parameter sets. */
function probeEncoder(spec: SegmentEncoderSpec): EncoderSets {
  const probe = SegmentEncoder.open(spec);
  try {
    const nals = splitAnnexB(probe.extradata);
    const one = (type: number): Buffer => {
      const found = nals.filter((n) => hevcNalType(n) === type);
      if (found.length !== 1) throw new MediaError(`libx265 gave ${found.length} parameter sets of type ${type}`);
      return Buffer.from(found[0]);
    };
    const sps = one(HEVC_SPS);
    // FFmpeg does not report libx265's B-frame delay (has_b_frames stays 0); its SPS says it.
    return { spec, vps: one(HEVC_VPS), sps, pps: one(HEVC_PPS), delay: Math.max(probe.delay, spsInfo(sps).reorder) };
  } finally {
    probe.close();
  }
}

/** Ids for the encoder's parameter sets that the source uses neither in its hvcC nor in-band; null when there are none. */
function chooseIds(hvcc: HvcConfig, scan: HevcGopScan, enc: EncoderSets): ParameterSetIds | null {
  const used = (type: number, idOf: (n: Buffer) => number): Set<number> =>
    new Set([...hvccNals(hvcc, type).map(idOf), ...(scan.inBandIds.get(type) ?? [])]);
  const vps = freeId(used(HEVC_VPS, vpsId), 16);
  const sps = freeId(used(HEVC_SPS, (n) => spsInfo(n).id), 16);
  const pps = ppsIdKeepingAlignment(ppsIds(enc.pps).pps, used(HEVC_PPS, (n) => ppsIds(n).pps));
  return vps === null || sps === null || pps === null ? null : { vps, sps, pps };
}

/** x265 settings for the stretches: closed GOPs (so nothing in a stretch refers past its start), no info SEI. */
const X265_PARAMS = 'open-gop=0:info=0';

/** Reads the source's hvcC, checks that libx265 can match it, scans its GOPs and builds the output's hvcC. */
export async function prepareHevc(src: CopySource, ext: string): Promise<CopyPreparation> {
  const extradata = src.reader.codecpar.extradata;
  if (!isHvcC(extradata)) return { reason: 'the source has no hvcC parameter sets' };
  let hvcc: HvcConfig;
  let headerSets: Buffer[];
  let sourcePtl: HevcPtl;
  try {
    hvcc = parseHvcC(extradata);
    headerSets = [HEVC_VPS, HEVC_SPS, HEVC_PPS].flatMap((t) => hvccNals(hvcc, t));
    if ([HEVC_VPS, HEVC_SPS, HEVC_PPS].some((t) => hvccNals(hvcc, t).length === 0)) {
      return { reason: 'the source has no parameter sets in its header' };
    }
    // The SPS says what the stream is; some muxers leave the hvcC's copy of it blank.
    sourcePtl = spsInfo(hvccNals(hvcc, HEVC_SPS)[0]).ptl;
  } catch (e) {
    if (e instanceof MediaError) return { reason: e.message };
    throw e;
  }
  const lengthSize = hvccLengthSize(hvcc);
  const base = { encoder: 'libx265', ...sourcePicture(src) };
  let enc: EncoderSets;
  try {
    enc = probeEncoder({ ...base, options: { 'x265-params': X265_PARAMS } });
    if (!profileFits(spsInfo(enc.sps).ptl, sourcePtl)) return { reason: 'the encoder cannot match the source profile' };
  } catch (e) {
    if (e instanceof MediaError) return { reason: e.message };
    throw e;
  }
  let scan: HevcGopScan;
  try {
    scan = await scanHevcGops(src.path, src.video.index, src.fps, lengthSize, headerSets, src.signal);
  } catch (e) {
    if (e instanceof MediaError) return { reason: `the source could not be scanned: ${e.message}` };
    throw e;
  }
  const ids = chooseIds(hvcc, scan, enc);
  if (!ids) return { reason: 'no free parameter-set ids' };
  let merged: Buffer;
  try {
    const sets = [enc.vps, enc.sps, enc.pps].map((n) => renumberParameterSet(n, ids));
    merged = mergeHvcC(hvcc, sets, spsInfo(enc.sps).ptl, !scan.inBandParameterSets);
  } catch (e) {
    if (e instanceof MediaError) return { reason: e.message };
    throw e;
  }
  return {
    extradata: merged,
    codecTag: MOV_CONTAINERS.includes(ext) ? (scan.inBandParameterSets ? 'hev1' : 'hvc1') : null,
    scan,
    encoderDelay: enc.delay,
    spec: enc.spec,
    // Only the slices are kept: the parameter sets are in the hvcC; SEI and delimiters are not needed.
    reframe: (annexB) =>
      lengthPrefixed(
        splitAnnexB(annexB)
          .filter((n) => isVcl(hevcNalType(n)))
          .map((n) => withSlicePpsId(n, ids.pps)),
        lengthSize,
      ),
    startsGop: (pkt) => startsHevcGop(pkt.data, lengthSize),
    enterGop: (sample) => craAsBla(sample, splitLengthPrefixed(sample, lengthSize)),
  };
}
