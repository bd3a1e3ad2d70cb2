// The HEVC bitstream helpers partial-lossless rendering relies on, on parameter sets and slices
// written by libx265 (64x48, its default settings): hvcC records, parameter-set ids and renumbering
// them, the slice header's PPS id, emulation prevention, and turning a CRA into a BLA.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { lengthPrefixed, splitLengthPrefixed } from '../../src/media/h264.js';
import {
  buildHvcC,
  craAsBla,
  escapeRbsp,
  HEVC_BLA_N_LP,
  HEVC_CRA,
  HEVC_PPS,
  HEVC_SPS,
  HEVC_VPS,
  hevcNalType,
  hevcSampleInfo,
  hvccLengthSize,
  hvccNals,
  hvccPtl,
  mergeHvcC,
  parseHvcC,
  ppsIdKeepingAlignment,
  ppsIds,
  renumberParameterSet,
  slicePpsId,
  spsInfo,
  unescapeRbsp,
  vpsId,
  withSlicePpsId,
  type HvcConfig,
} from '../../src/media/hevc.js';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
// libx265's global header and two of its slices (an IDR_N_LP, whose header has one more flag, and a TRAIL_R).
const VPS = hex('40010c01ffff01600000030090000003000003001e959809');
const SPS = hex('42010101600000030090000003000003001ea02083165959ae4caf0169c20000030002000003003c10');
const PPS = hex('4401c173d089');
const IDR = hex('2801af08604affc7f18c59fddbae9bc0d1dd82e0a8e1d3545d742d360fffffbd9778c4faca9d7c03');
const TRAIL = hex('0201d0115784318410fdc41263ac9a6b40');

test('ids and profile of libx265 parameter sets', () => {
  assert.equal(vpsId(VPS), 0);
  const info = spsInfo(SPS);
  assert.deepEqual({ id: info.id, vps: info.vps, profile: info.ptl.profile, tier: info.ptl.tier, level: info.ptl.level }, { id: 0, vps: 0, profile: 1, tier: 0, level: 30 });
  // x265's default B-frame pyramid: two pictures can wait for output.
  assert.equal(info.reorder, 2);
  assert.deepEqual(ppsIds(PPS), { pps: 0, sps: 0 });
});

test('renumbering parameter sets changes only their ids (and back again gives the same bytes)', () => {
  const ids = { vps: 3, sps: 5, pps: 15 };
  const [vps, sps, pps] = [VPS, SPS, PPS].map((n) => renumberParameterSet(n, ids));
  assert.equal(vpsId(vps), 3);
  const info = spsInfo(sps);
  assert.deepEqual([info.id, info.vps], [5, 3]);
  assert.deepEqual(info.ptl, spsInfo(SPS).ptl);
  assert.equal(info.reorder, 2);
  assert.deepEqual(ppsIds(pps), { pps: 15, sps: 5 });
  const zero = { vps: 0, sps: 0, pps: 0 };
  assert.deepEqual(renumberParameterSet(vps, zero), VPS);
  assert.deepEqual(renumberParameterSet(sps, zero), SPS);
  assert.deepEqual(renumberParameterSet(pps, zero), PPS);
});

test('a slice gets a PPS id one byte longer, and everything after the field moves by that byte unchanged', () => {
  assert.equal(ppsIdKeepingAlignment(0, new Set()), 15);
  assert.equal(ppsIdKeepingAlignment(0, new Set([15, 16])), 17);
  assert.equal(ppsIdKeepingAlignment(1, new Set()), 2);
  for (const slice of [IDR, TRAIL]) {
    assert.equal(slicePpsId(slice), 0);
    const moved = withSlicePpsId(slice, 15);
    assert.equal(slicePpsId(moved), 15);
    assert.equal(hevcNalType(moved), hevcNalType(slice));
    assert.equal(unescapeRbsp(moved).length, unescapeRbsp(slice).length + 1);
    // The bytes after the header's first ones are the same, one byte later.
    assert.deepEqual(unescapeRbsp(moved).subarray(2), unescapeRbsp(slice).subarray(1));
    assert.deepEqual(withSlicePpsId(moved, 0), slice);
  }
  // Only whole-byte changes keep the slice data aligned.
  assert.throws(() => withSlicePpsId(TRAIL, 1), /whole bytes/);
});

test('emulation prevention: removed and inserted again, also after a final zero byte', () => {
  const rbsp = Buffer.from([0, 0, 0, 1, 0, 0, 3, 0, 0, 2, 5, 0, 0]);
  const nal = escapeRbsp(Buffer.from([2, 1]), rbsp);
  assert.deepEqual(nal, Buffer.from([2, 1, 0, 0, 3, 0, 1, 0, 0, 3, 3, 0, 0, 3, 2, 5, 0, 0, 3]));
  assert.deepEqual(unescapeRbsp(nal), rbsp);
});

/** An hvcC header like FFmpeg writes for libx265 (Main, level 3.1, 4-byte lengths). */
function config(): HvcConfig {
  const header = hex('0101' + '60000000' + '900000000000' + '5d' + 'f000' + 'fc' + 'fd' + 'f8' + 'f8' + '0000' + '0f');
  return { header, arrays: [{ complete: false, type: HEVC_VPS, nals: [VPS] }, { complete: false, type: HEVC_SPS, nals: [SPS] }, { complete: false, type: HEVC_PPS, nals: [PPS] }, { complete: false, type: 39, nals: [hex('4e01050401020304')] }] };
}

test('hvcC round trip; merging adds the encoder sets, raises the level and marks the arrays complete', () => {
  const cfg = config();
  const bytes = buildHvcC(cfg);
  assert.deepEqual(parseHvcC(bytes), cfg);
  assert.equal(hvccLengthSize(cfg), 4);
  assert.equal(hvccPtl(cfg).level, 93);
  const ids = { vps: 1, sps: 1, pps: 15 };
  const sets = [VPS, SPS, PPS].map((n) => renumberParameterSet(n, ids));
  const merged = parseHvcC(mergeHvcC(cfg, sets, { ...spsInfo(SPS).ptl, level: 120 }, true));
  assert.deepEqual(hvccNals(merged, HEVC_SPS).map((s) => spsInfo(s).id), [0, 1]);
  assert.deepEqual(hvccNals(merged, HEVC_PPS).map((p) => ppsIds(p)), [{ pps: 0, sps: 0 }, { pps: 15, sps: 1 }]);
  assert.deepEqual(merged.arrays.map((a) => [a.type, a.complete]), [[HEVC_VPS, true], [HEVC_SPS, true], [HEVC_PPS, true], [39, false]]);
  assert.equal(hvccPtl(merged).level, 120);
  assert.deepEqual(merged.header.subarray(13), cfg.header.subarray(13));
});

test('a CRA sample becomes a BLA_N_LP sample; nothing else changes', () => {
  const cra = Buffer.from(IDR);
  cra[0] = (cra[0] & 0x81) | (HEVC_CRA << 1);
  const sample = lengthPrefixed([hex('4e01050401020304'), cra, Buffer.from(cra)], 4);
  const info = hevcSampleInfo([hex('4e01050401020304'), cra]);
  assert.equal(info.vcl, HEVC_CRA);
  assert.equal(info.noOutputOfPriorPics, false);
  const bla = craAsBla(sample, splitLengthPrefixed(sample, 4));
  const nals = splitLengthPrefixed(bla, 4);
  assert.deepEqual(nals.map(hevcNalType), [39, HEVC_BLA_N_LP, HEVC_BLA_N_LP]);
  assert.deepEqual(nals[1].subarray(1), cra.subarray(1));
  assert.equal(bla.length, sample.length);
  assert.equal(hevcNalType(splitLengthPrefixed(sample, 4)[1]), HEVC_CRA, 'the source sample is left alone');
});
