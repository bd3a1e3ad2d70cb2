// Partial-lossless rendering of HEVC (issue #5): GOPs that survive a cut are copied (their slices bit
// for bit), the stretches around cuts are re-encoded by libx265 under parameter-set ids of their
// own, and the joined stream decodes completely with every frame where the timeline puts it, for
// closed GOPs (IDR) and open GOPs (CRA with RASL pictures that refer to the GOP before).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateMedia } from '../../src/media/generate.js';
import { splitLengthPrefixed } from '../../src/media/h264.js';
import { HEVC_BLA_N_LP, HEVC_CRA, HEVC_SPS, hevcNalType, hvccNals, isLeading, isVcl, parseHvcC, spsInfo } from '../../src/media/hevc.js';
import { scanHevcGops, type HevcGopScan } from '../../src/media/packets.js';
import { probe } from '../../src/media/probe.js';
import type { LosslessReport } from '../../src/render/lossless.js';
import { renderTimeline } from '../../src/render/render.js';
import type { Clip, Timeline } from '../../src/timeline/model.js';
import { rational } from '../../src/timeline/rational.js';
import { runCli } from '../helpers/cli.js';
import { audioSeconds, clipsOf, decodeFrames, layerTimeline, videoPackets, type DecodedFrame, type VideoPackets } from '../helpers/lossless.js';
import { FRAME_NUMBER_FILTER, SHARED_MEDIA, tempDir } from '../helpers/media.js';

const RATE = rational(30, 1);
const GOP = 30;
let tmp: ReturnType<typeof tempDir>;
/** 5.5 s, closed GOPs (IDR every second; the last GOP 15 frames). */
let closed: string;
const CLOSED_FRAMES = 165;
/** 8 s, open GOPs: a CRA every second whose leading (RASL) pictures refer to the GOP before. */
let open: string;
const OPEN_FRAMES = 240;
/** 3 s, closed GOPs, parameter sets repeated in every keyframe sample. */
let inBand: string;
const IN_BAND_FRAMES = 90;

/** An HEVC recording with the frame number painted in and a moving pattern below it. */
async function generate(path: string, frames: number, x265: string): Promise<void> {
  await generateMedia(path, {
    duration: frames / 30,
    video: {
      width: 320,
      height: 240,
      rate: RATE,
      source: 'color',
      filters: `${FRAME_NUMBER_FILTER}[bg];testsrc2=size=64x48:rate=30[fg];[bg][fg]overlay=x='mod(n*5\\,250)':y=180:shortest=1`,
    },
    audio: { sampleRate: 48000, layout: 'stereo', bursts: [[0, frames / 30]] },
    encoders: { video: 'libx265' },
    // B-frames like x265's default, a keyframe exactly every second.
    videoOptions: { preset: 'ultrafast', 'x265-params': `keyint=${GOP}:min-keyint=${GOP}:scenecut=0:${x265}` },
  });
}

before(async () => {
  tmp = tempDir();
  closed = join(tmp.dir, 'closed.mp4');
  open = join(tmp.dir, 'open.mp4');
  await generate(closed, CLOSED_FRAMES, 'open-gop=0');
  await generate(open, OPEN_FRAMES, 'open-gop=1');
  inBand = join(tmp.dir, 'in-band.mp4');
  await generate(inBand, IN_BAND_FRAMES, 'open-gop=0:repeat-headers=1');
});
after(() => tmp.cleanup());

function timeline(clips: Clip[], resolution: [number, number] = [320, 240]): Timeline {
  return layerTimeline(clips, RATE, resolution);
}

/** The source frame each output frame shows. */
function expectedFrames(clips: Clip[]): number[] {
  return clips.flatMap((c) => Array.from({ length: c.dur }, (_, i) => Math.round((c.offset + i) * c.speed)));
}

/** The coded slices of a sample, in order. */
function slices(sample: Buffer): Buffer[] {
  return splitLengthPrefixed(sample, 4).filter((n) => isVcl(hevcNalType(n)));
}

type Copied = Extract<LosslessReport, { used: true }>['copied'];

/**
 * Checks a partial-lossless output against its source: copied pictures keep their slices bit for
 * bit (a CRA entered from elsewhere only changes its nal_unit_type to BLA_N_LP, and none of its
 * leading pictures is copied), the copied frames decode to exactly the source's pictures, every
 * frame decodes, in the timeline's order, dts increases and the audio ends with the video.
 */
async function assertOutput(source: string, out: string, copied: Copied, expected: number[]): Promise<{ packets: VideoPackets; blas: number }> {
  const src = await videoPackets(source, RATE);
  const output = await videoPackets(out, RATE);
  assert.equal(output.dtsBackwards, 0, 'decoding times must increase');
  let blas = 0;
  for (const span of copied) {
    for (let o = span.start; o < span.end; o++) {
      const from = src.byFrame.get(span.srcStart + o - span.start)!;
      const to = output.byFrame.get(o)!;
      const a = slices(from.data);
      const b = slices(to.data);
      assert.equal(b.length, a.length, `slices of output frame ${o}`);
      for (let i = 0; i < a.length; i++) {
        if (span.reset && o === span.start) {
          assert.equal(hevcNalType(a[i]), HEVC_CRA);
          assert.equal(hevcNalType(b[i]), HEVC_BLA_N_LP, `output frame ${o} is a BLA picture`);
          assert.deepEqual(b[i].subarray(1), a[i].subarray(1), `output frame ${o}: only the NAL unit type changes`);
          assert.equal(b[i][0] & 0x81, a[i][0] & 0x81);
          blas++;
        } else {
          assert.deepEqual(b[i], a[i], `output frame ${o} is copied bit for bit`);
          if (span.reset) assert.ok(!isLeading(hevcNalType(b[i])), `no leading picture after the BLA at output frame ${span.start}`);
        }
      }
    }
  }
  const [decodedSource, decodedOut] = [await decodeFrames(source, RATE), await decodeFrames(out, RATE)];
  const shown = decodedOut.frames;
  assert.equal(shown.length, expected.length, 'every frame of the timeline is decoded');
  assert.deepEqual(
    shown.map((f: DecodedFrame) => f.number),
    expected.map((n) => n % 64),
  );
  for (const span of copied) {
    for (let o = span.start; o < span.end; o++) {
      assert.equal(shown[o].hash, decodedSource.frames[span.srcStart + o - span.start].hash, `output frame ${o} decodes to the source's picture`);
    }
  }
  const audioEnd = await audioSeconds(out);
  assert.ok(Math.abs(decodedOut.end - audioEnd) <= 1 / 30 + 1e-6, `video ends at ${decodedOut.end} s, audio at ${audioEnd} s`);
  return { packets: output, blas };
}

/** SPS ids listed in an hvcC. */
function spsIds(extradata: Buffer | null): number[] {
  return hvccNals(parseHvcC(extradata!), HEVC_SPS).map((s) => spsInfo(s).id);
}

test('closed GOPs: untouched GOPs are copied bit for bit; cuts inside GOPs, at GOP edges, a speed change and the short last GOP', async () => {
  // Cut inside GOP 1 (35), into GOP 2 (70), jumps from GOP edge 120 to 150 (the 15-frame last GOP), a 2x stretch.
  const clips = clipsOf(closed, [
    [0, 35],
    [70, 120],
    [150, CLOSED_FRAMES],
    [126, 138, 2],
  ]);
  const out = join(tmp.dir, 'closed-out.mp4');
  const report = await renderTimeline(timeline(clips), new Map([[closed, await probe(closed)]]), { output: out, render: {} });
  const lossless = report.partialLossless;
  assert.ok(lossless?.used, `partial lossless not used: ${lossless && !lossless.used ? lossless.reason : ''}`);
  assert.deepEqual(
    lossless.copied.map((s) => [s.srcStart, s.srcStart + s.end - s.start]),
    [
      [0, 30],
      [90, 120],
      [150, CLOSED_FRAMES],
    ],
  );
  assert.equal(lossless.copiedFrames + lossless.encodedFrames, clips.reduce((n, c) => n + c.dur, 0));
  const { packets } = await assertOutput(closed, out, lossless.copied, expectedFrames(clips));
  // All parameter sets are out of band, so the sample entry is hvc1 (the one Apple's players read);
  // the hvcC lists the source's SPS and libx265's under another id.
  assert.equal(packets.codecTag, 'hvc1');
  assert.equal((await probe(out)).video[0].codec, 'hevc');
  const ids = spsIds(packets.extradata);
  assert.equal(ids.length, 2);
  assert.deepEqual(ids.slice(0, 1), spsIds((await videoPackets(closed, RATE)).extradata));
  assert.notEqual(ids[1], ids[0]);
});

test('open GOPs: leading pictures are copied only after the GOP they refer to; a CRA entered from elsewhere becomes a BLA', async () => {
  const info = await probe(open);
  const scan: HevcGopScan = await scanHevcGops(open, info.video[0].index, RATE, 4, hvccSets(await videoPackets(open, RATE)));
  const n = scan.starts.length;
  assert.equal(n, OPEN_FRAMES / GOP);
  assert.ok(scan.copyable.every(Boolean), 'every GOP is copyable');
  // After the first (IDR) GOP, each starts with a CRA whose leading pictures are shown before it.
  assert.deepEqual(scan.reset, [false, ...Array(n - 1).fill(true)]);
  for (let g = 1; g < n; g++) assert.ok(scan.keys[g] > scan.starts[g], `GOP ${g} has leading pictures`);
  const { starts, keys } = scan;
  // A: GOPs 0-2 whole (their RASL pictures follow the GOP they refer to); B: from GOP 4's start
  // (a jump: its CRA is entered from elsewhere) to inside GOP 5; C: from inside GOP 6 to the end.
  const ranges: Array<[number, number]> = [
    [0, starts[3]],
    [starts[4], keys[5] + 10],
    [keys[6] + 5, OPEN_FRAMES],
  ];
  const clips = clipsOf(open, ranges);
  const out = join(tmp.dir, 'open-out.mp4');
  const report = await renderTimeline(timeline(clips), new Map([[open, info]]), { output: out, render: {} });
  const lossless = report.partialLossless;
  assert.ok(lossless?.used, `partial lossless not used: ${lossless && !lossless.used ? lossless.reason : ''}`);
  assert.deepEqual(
    lossless.copied.map((s) => [s.srcStart, s.srcStart + s.end - s.start, s.reset ?? false]),
    [
      [0, starts[3], false],
      [keys[4], starts[5], true],
      [keys[7], OPEN_FRAMES, true],
    ],
  );
  const { blas } = await assertOutput(open, out, lossless.copied, expectedFrames(clips));
  assert.equal(blas, 2);
});

test('a source with parameter sets in its samples keeps them there and gets the hev1 sample entry', async () => {
  const clips = clipsOf(inBand, [
    [0, 40],
    [50, IN_BAND_FRAMES],
  ]);
  const out = join(tmp.dir, 'in-band-out.mp4');
  const report = await renderTimeline(timeline(clips), new Map([[inBand, await probe(inBand)]]), { output: out, render: {} });
  const lossless = report.partialLossless;
  assert.ok(lossless?.used, `partial lossless not used: ${lossless && !lossless.used ? lossless.reason : ''}`);
  assert.deepEqual(
    lossless.copied.map((s) => [s.srcStart, s.srcStart + s.end - s.start]),
    [
      [0, 30],
      [60, IN_BAND_FRAMES],
    ],
  );
  const { packets } = await assertOutput(inBand, out, lossless.copied, expectedFrames(clips));
  assert.equal(packets.codecTag, 'hev1');
  // The copied keyframes are whole samples as in the source, their VPS/SPS/PPS included.
  const source = await videoPackets(inBand, RATE);
  const spans: Copied = lossless.copied;
  for (const frame of [0, 60]) {
    const at = spans.find((s) => s.srcStart === frame)!.start;
    const sample = packets.byFrame.get(at)!.data;
    assert.deepEqual(sample, source.byFrame.get(frame)!.data);
    assert.ok(splitLengthPrefixed(sample, 4).some((n) => hevcNalType(n) === HEVC_SPS));
  }
});

test('Matroska from the CLI copies HEVC too, and --debug says how much', async () => {
  const out = join(tmp.dir, 'cli.mkv');
  // Cuts inside GOPs: frames 45-99 and 160-199 go.
  const r = await runCli([open, '--edit', 'none', '--cut', '45,100', '--cut', '160,200', '-o', out, '--no-open', '--debug']);
  assert.equal(r.code, 0, r.stderr);
  const m = /^tacet: debug: partial lossless: copied (\d+) of (\d+) frames, re-encoded (\d+) in (\d+) segment\(s\)$/m.exec(r.stderr);
  assert.ok(m, r.stderr);
  const kept = Array.from({ length: OPEN_FRAMES }, (_, i) => i).filter((i) => !(i >= 45 && i < 100) && !(i >= 160 && i < 200));
  assert.equal(Number(m[2]), kept.length);
  assert.equal(Number(m[1]) + Number(m[3]), kept.length);
  assert.ok(Number(m[1]) >= 60, `copied ${m[1]} frames`);
  const { frames } = await decodeFrames(out, RATE);
  assert.deepEqual(
    frames.map((f) => f.number),
    kept.map((i) => i % 64),
  );
  assert.equal((await probe(out)).video[0].codec, 'hevc');
});

const sharedHevc = join(SHARED_MEDIA, 'testsrc-hevc.mp4');
test('the shared HEVC recording: kept whole it is copied packet for packet; cut inside its one GOP it is re-encoded', { skip: !existsSync(sharedHevc) && 'shared media missing' }, async () => {
  const out = join(tmp.dir, 'shared.mp4');
  const r = await runCli([sharedHevc, '--edit', 'none', '-o', out, '--no-open', '--debug']);
  assert.equal(r.code, 0, r.stderr);
  // The audio runs a little longer than the 60 video frames: the timeline's last frame repeats the last picture.
  const m = /^tacet: debug: partial lossless: copied 60 of (\d+) frames, re-encoded (\d+) in \d+ segment\(s\)$/m.exec(r.stderr);
  assert.ok(m, r.stderr);
  assert.equal(Number(m[1]), 60 + Number(m[2]));
  assert.ok(Number(m[2]) <= 1);
  const [a, b] = [await videoPackets(sharedHevc, RATE), await videoPackets(out, RATE)];
  assert.equal(a.byFrame.size, 60);
  for (const [i, p] of a.byFrame) assert.deepEqual(b.byFrame.get(i)!.data, p.data, `frame ${i}`);
  assert.equal(b.codecTag, 'hvc1');
  assert.equal((await decodeFrames(out, RATE)).frames.length, Number(m[1]));
  const info = await probe(sharedHevc);
  const clips: Clip[] = [{ src: sharedHevc, start: 0, dur: 40, offset: 10, speed: 1, stream: 0, volume: 1 }];
  const report = await renderTimeline(timeline(clips, [640, 360]), new Map([[sharedHevc, info]]), { output: join(tmp.dir, 'shared-cut.mp4'), render: {} });
  assert.deepEqual(report.partialLossless, { used: false, reason: 'no whole GOP of the source survives' });
});

/** The VPS, SPS and PPS of a file's hvcC. */
function hvccSets(p: VideoPackets): Buffer[] {
  const cfg = parseHvcC(p.extradata!);
  return [32, 33, 34].flatMap((t) => hvccNals(cfg, t));
}
