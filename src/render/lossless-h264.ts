/**
 * Partial-lossless copying of H.264 (see lossless.ts). Copied pictures refer to the source's
 * SPS/PPS; the re-encoded ones come from libx264 configured with an SPS/PPS id the source does not
 * use (x264's `sps-id`; its PPS takes the same id) and with the source's profile, level, pixel
 * format and colour description. The output's avcC lists both sets (avcC allows several), so the
 * stream keeps the ordinary `avc1` sample entry (and Matroska's CodecPrivate) every player reads,
 * packets are copied bit for bit, and decoders switch SPS at IDRs as the slices ask. (In-band sets
 * with `avc3` would mean rewriting the copied packets and are less widely supported.) Copied GOPs
 * start with an IDR and are closed, so nothing references across a join.
 */
import { MediaError } from '../errors.js';
import {
  freeParameterSetId,
  isAvcC,
  lengthPrefixed,
  mergeAvcC,
  nalType,
  NAL_PPS,
  NAL_SPS,
  parseAvcC,
  splitAnnexB,
  spsLevel,
  spsProfile,
  type AvcConfig,
} from '../media/h264.js';
import { scanGops, type GopScan } from '../media/packets.js';
import { SegmentEncoder, x264ProfileName, type SegmentEncoderSpec } from '../media/segment-encoder.js';
import { sourcePicture, type CopyPreparation, type CopySource } from './lossless-codec.js';

/** libx264 writes profile_idc ≤ the one asked for; a decoder set up for the source's profile must accept it. */
function profileFits(encoder: number, source: number): boolean {
  const nested = [66, 77, 100];
  return encoder === source || (nested.includes(encoder) && nested.includes(source) && encoder <= source);
}

/** Reads the source's avcC, checks that libx264 can match it, and scans its GOPs. */
export async function prepareH264(src: CopySource): Promise<CopyPreparation> {
  const par = src.reader.codecpar;
  const extradata = par.extradata;
  if (!isAvcC(extradata)) return { reason: 'the source has no avcC parameter sets' };
  let avcc: AvcConfig;
  try {
    avcc = parseAvcC(extradata);
  } catch (e) {
    if (e instanceof MediaError) return { reason: e.message };
    throw e;
  }
  if (avcc.sps.length === 0 || avcc.pps.length === 0) return { reason: 'the source has no parameter sets in its header' };
  const profile = x264ProfileName(par.profile);
  if (!profile) return { reason: `H.264 profile ${par.profile} cannot be matched by libx264` };
  const paramSetId = freeParameterSetId(avcc);
  if (paramSetId === null) return { reason: 'no free parameter-set id' };
  const spec: SegmentEncoderSpec = {
    encoder: 'libx264',
    ...sourcePicture(src),
    level: avcc.level,
    options: { profile, 'x264-params': `sps-id=${paramSetId}` },
  };
  let merged: Buffer;
  let encoderDelay: number;
  try {
    const probe = SegmentEncoder.open(spec);
    try {
      const encSps = splitAnnexB(probe.extradata).filter((n) => nalType(n) === NAL_SPS);
      if (!encSps.every((s) => profileFits(spsProfile(s), avcc.profile) && spsLevel(s) <= avcc.level)) {
        return { reason: 'the encoder cannot match the source profile and level' };
      }
      merged = mergeAvcC(avcc, probe.extradata);
      encoderDelay = probe.delay;
    } finally {
      probe.close();
    }
  } catch (e) {
    if (e instanceof MediaError) return { reason: e.message };
    throw e;
  }
  let scan: GopScan;
  try {
    scan = await scanGops(src.path, src.video.index, src.fps, avcc.lengthSize, src.signal);
  } catch (e) {
    if (e instanceof MediaError) return { reason: `the source could not be scanned: ${e.message}` };
    throw e;
  }
  return {
    extradata: merged,
    codecTag: null,
    scan,
    encoderDelay,
    spec,
    // Parameter sets live in the avcC only; access unit delimiters are not needed in MP4/Matroska.
    reframe: (annexB) => lengthPrefixed(splitAnnexB(annexB).filter((n) => ![NAL_SPS, NAL_PPS, 9].includes(nalType(n))), avcc.lengthSize),
    startsGop: (pkt) => pkt.isKeyframe,
  };
}
