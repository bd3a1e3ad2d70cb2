// The partial-lossless planner: which output frames are copied as whole source GOPs and which are
// re-encoded, for cuts inside GOPs, on GOP edges, speed changes, uncopyable GOPs, the last,
// shorter GOP and HEVC open GOPs (CRA pictures with leading pictures). Also the avcC and NAL
// helpers the copy relies on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  buildAvcC,
  freeParameterSetId,
  lengthPrefixed,
  mergeAvcC,
  parseAvcC,
  ppsIds,
  splitAnnexB,
  splitLengthPrefixed,
  spsId,
} from '../../src/media/h264.js';
import { copiedFrames, planLossless, type GopTable, type PlanSpan } from '../../src/render/lossless-plan.js';
import type { Clip } from '../../src/timeline/model.js';

/** GOPs of `size` frames covering `frames` frames (the last one shorter), all copyable unless listed. */
function gops(size: number, frames: number, uncopyable: number[] = []): GopTable {
  const t: GopTable = { starts: [], lengths: [], copyable: [] };
  for (let s = 0; s < frames; s += size) {
    t.starts.push(s);
    t.lengths.push(Math.min(size, frames - s));
    t.copyable.push(!uncopyable.includes(s));
  }
  return t;
}

/** Clips end to end from [srcStart, srcEnd, speed?] (speed-scaled offsets as in v3 timelines). */
function clips(ranges: Array<[number, number, number?]>): Clip[] {
  const out: Clip[] = [];
  let start = 0;
  for (const [a, b, speed = 1] of ranges) {
    const dur = (b - a) / speed;
    out.push({ src: 's.mp4', start, dur, offset: a / speed, speed, stream: 0, volume: 1 });
    start += dur;
  }
  return out;
}

const C = (start: number, end: number, srcStart: number): PlanSpan => ({ kind: 'copy', start, end, srcStart });
const E = (start: number, end: number): PlanSpan => ({ kind: 'encode', start, end });

test('a clip covering whole GOPs is copied; partial GOPs at its ends are re-encoded', () => {
  assert.deepEqual(planLossless(clips([[15, 95]]), gops(30, 300)), [E(0, 15), C(15, 75, 30), E(75, 80)]);
});

test('cuts exactly on GOP edges need no re-encoding', () => {
  assert.deepEqual(planLossless(clips([[0, 60], [120, 180]]), gops(30, 300)), [C(0, 60, 0), C(60, 120, 120)]);
});

test('re-encoded stretches on both sides of a cut form one segment', () => {
  // 0..50 then 70..150: GOP 30..59 is cut at 50, GOP 60..89 at 70.
  assert.deepEqual(planLossless(clips([[0, 50], [70, 150]]), gops(30, 300)), [C(0, 30, 0), E(30, 70), C(70, 130, 90)]);
});

test('a clip inside one GOP is all re-encoded', () => {
  assert.deepEqual(planLossless(clips([[31, 58]]), gops(30, 300)), [E(0, 27)]);
});

test('speed clips are re-encoded; normal-speed clips around them still copy', () => {
  assert.deepEqual(planLossless(clips([[0, 60], [60, 120, 2], [120, 180]]), gops(30, 300)), [C(0, 60, 0), E(60, 90), C(90, 150, 120)]);
});

test('the last, shorter GOP is copied when the clip reaches the end of the source', () => {
  assert.deepEqual(planLossless(clips([[200, 285]]), gops(30, 285)), [E(0, 10), C(10, 85, 210)]);
  // ... and re-encoded when the clip stops before its end.
  assert.deepEqual(planLossless(clips([[210, 284]]), gops(30, 285)), [C(0, 60, 210), E(60, 74)]);
});

test('frames past the end of the source (a frozen last frame) are re-encoded', () => {
  assert.deepEqual(planLossless(clips([[240, 320]]), gops(30, 300)), [C(0, 60, 240), E(60, 80)]);
});

test('GOPs the scan found unsafe (open GOP, VFR, no IDR) are re-encoded', () => {
  assert.deepEqual(planLossless(clips([[0, 120]]), gops(30, 300, [30, 60])), [C(0, 30, 0), E(30, 90), C(90, 120, 90)]);
});

test('clips split only for volume are joined, so GOPs across the split are copied', () => {
  const split = clips([[0, 45], [45, 90]]);
  split[1].volume = 0.5;
  assert.deepEqual(planLossless(split, gops(30, 300)), [C(0, 90, 0)]);
});

test('a backward jump in the source starts a new copy span; gaps between clips belong to no span', () => {
  const cs: Clip[] = [
    { src: 's.mp4', start: 0, dur: 60, offset: 120, speed: 1, stream: 0, volume: 1 },
    { src: 's.mp4', start: 70, dur: 60, offset: 0, speed: 1, stream: 0, volume: 1 },
  ];
  const plan = planLossless(cs, gops(30, 300));
  assert.deepEqual(plan, [C(0, 60, 120), C(70, 130, 0)]);
  assert.equal(copiedFrames(plan), 120);
});

test('irregular GOPs (keyframes wherever the encoder chose)', () => {
  const t: GopTable = { starts: [0, 12, 100, 101, 250], lengths: [12, 88, 1, 149, 50], copyable: [true, true, true, true, true] };
  assert.deepEqual(planLossless(clips([[5, 260]]), t), [E(0, 7), C(7, 245, 12), E(245, 255)]);
});

/**
 * HEVC open GOPs as x265 writes them: GOP g (g ≥ 1) starts with a CRA at 30·g whose `lead` leading
 * pictures are shown just before it, so its frames are [30·g − lead, 30·(g+1) − lead).
 */
function openGops(frames: number, lead: number): GopTable {
  const t: GopTable = { starts: [], lengths: [], copyable: [], keys: [], reset: [] };
  for (let key = 0; key < frames; key += 30) {
    const start = key === 0 ? 0 : key - lead;
    t.starts.push(start);
    t.lengths.push(Math.min(key + 30 - lead, frames) - start);
    t.copyable.push(true);
    t.keys!.push(key);
    t.reset!.push(key > 0);
  }
  return t;
}
const R = (start: number, end: number, srcStart: number): PlanSpan => ({ kind: 'copy', start, end, srcStart, reset: true });

test('HEVC open GOPs: a CRA GOP right after the GOP it refers to is copied whole, leading pictures included', () => {
  // GOPs [0, 27), [27, 57), [57, 87), …: one copy across the CRAs at 30 and 60.
  assert.deepEqual(planLossless(clips([[0, 87]]), openGops(300, 3)), [C(0, 87, 0)]);
});

test('HEVC open GOPs: entered after a cut, a CRA GOP is copied from its CRA on, its leading frames re-encoded', () => {
  // 0..40 then 88..150 (output 40..102): GOP [87, 117) begins before the clip, its CRA (90, output
  // 42) does not; 88 and 89 are re-encoded; GOP [117, 147) continues the copy; 147..149 re-encoded.
  assert.deepEqual(planLossless(clips([[0, 40], [88, 150]]), openGops(300, 3)), [C(0, 27, 0), E(27, 42), R(42, 99, 90), E(99, 102)]);
});

test('HEVC open GOPs: a jump from one GOP edge to another still re-encodes the leading frames of the CRA jumped to', () => {
  // 0..57 then 117..177: GOPs [0, 57) copied; GOP [117, 147) is entered from elsewhere.
  assert.deepEqual(planLossless(clips([[0, 57], [117, 177]]), openGops(300, 3)), [C(0, 57, 0), E(57, 60), R(60, 117, 120)]);
});

test('HEVC: without leading pictures a CRA is entered directly, even right after a copy; IDR GOPs need nothing', () => {
  assert.deepEqual(planLossless(clips([[0, 30], [90, 150]]), openGops(300, 0)), [C(0, 30, 0), R(30, 90, 90)]);
  const idr: GopTable = { ...gops(30, 300), keys: gops(30, 300).starts, reset: Array(10).fill(false) };
  assert.deepEqual(planLossless(clips([[0, 30], [90, 150]]), idr), [C(0, 30, 0), C(30, 90, 90)]);
});

// ---- H.264 helpers ----

/** A minimal SPS (High, level 3.1, given id) and PPS; only the leading fields matter here. */
function sps(id: number): Buffer {
  // profile 100, flags 0, level 31, then ue(id) followed by a 1 bit padding pattern.
  const bits = ue(id) + '1';
  return Buffer.concat([Buffer.from([0x67, 100, 0, 31]), bitsToBytes(bits)]);
}
function pps(id: number, spsRef: number): Buffer {
  return Buffer.concat([Buffer.from([0x68]), bitsToBytes(ue(id) + ue(spsRef) + '1')]);
}
function ue(v: number): string {
  const b = (v + 1).toString(2);
  return '0'.repeat(b.length - 1) + b;
}
function bitsToBytes(bits: string): Buffer {
  const padded = bits.padEnd(Math.ceil(bits.length / 8) * 8, '0');
  return Buffer.from(padded.match(/.{8}/g)!.map((x) => parseInt(x, 2)));
}

test('avcC round trip, parameter-set ids, and merging the encoder sets under a free id', () => {
  const src = { profile: 100, compatibility: 0, level: 31, lengthSize: 4, sps: [sps(0)], pps: [pps(0, 0)], tail: Buffer.from([0xfd, 0xf8, 0xf8, 0]) };
  const bytes = buildAvcC(src);
  assert.deepEqual(parseAvcC(bytes), src);
  assert.equal(spsId(sps(0)), 0);
  assert.equal(spsId(sps(17)), 17);
  assert.deepEqual(ppsIds(pps(3, 17)), { pps: 3, sps: 17 });
  const id = freeParameterSetId(src);
  assert.equal(id, 1);
  const encoder = Buffer.concat([Buffer.from([0, 0, 0, 1]), sps(1), Buffer.from([0, 0, 1]), pps(1, 1)]);
  const merged = parseAvcC(mergeAvcC(src, encoder));
  assert.deepEqual(merged.sps.map(spsId), [0, 1]);
  assert.deepEqual(merged.pps.map((p) => ppsIds(p).pps), [0, 1]);
  assert.deepEqual(merged.tail, src.tail);
  // The same id on both sides would make the copied pictures decode with the encoder's sets.
  assert.throws(() => mergeAvcC(src, Buffer.concat([Buffer.from([0, 0, 0, 1]), sps(0), Buffer.from([0, 0, 0, 1]), pps(0, 0)])), /SPS id 0/);
});

test('Annex B and length-prefixed framing convert both ways, emulation prevention kept in the payload', () => {
  const nals = [Buffer.from([0x65, 0, 0, 3, 1, 9]), Buffer.from([0x41, 7]), Buffer.from([0x06, 5, 0, 0, 3])];
  const annexB = Buffer.concat(nals.flatMap((n, i) => [Buffer.from(i === 1 ? [0, 0, 1] : [0, 0, 0, 1]), n]));
  assert.deepEqual(splitAnnexB(annexB), nals);
  for (const size of [1, 2, 4]) assert.deepEqual(splitLengthPrefixed(lengthPrefixed(nals, size), size), nals);
  assert.throws(() => splitLengthPrefixed(Buffer.from([0, 0, 0, 9, 1]), 4), /longer than the sample/);
});
