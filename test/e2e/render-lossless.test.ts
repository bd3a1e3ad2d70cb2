// Partial-lossless rendering (issue #5): GOPs that survive a cut untouched are copied bit for bit,
// the stretches around cuts are re-encoded, and the joined stream decodes completely with every
// frame where the timeline puts it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateMedia } from '../../src/media/generate.js';
import { scanGops } from '../../src/media/packets.js';
import { probe } from '../../src/media/probe.js';
import { renderTimeline, type RenderReport } from '../../src/render/render.js';
import { VideoSource } from '../../src/render/video-source.js';
import type { Clip, Timeline } from '../../src/timeline/model.js';
import { rational } from '../../src/timeline/rational.js';
import { runCli } from '../helpers/cli.js';
import { FRAME_NUMBER_FILTER, tempDir } from '../helpers/media.js';
import { audioSeconds, clipsOf, decodeFrames, layerTimeline, videoPackets } from '../helpers/lossless.js';

const RATE = rational(30, 1);
/** 29.5 s at 30 fps: 885 frames, GOPs of exactly 30 (the last one 15 frames long). */
const FRAMES = 885;
const GOP = 30;
let tmp: ReturnType<typeof tempDir>;
let src: string;

before(async () => {
  tmp = tempDir();
  src = join(tmp.dir, 'talk.mp4');
  await generateMedia(src, {
    duration: FRAMES / 30,
    // The frame number painted into the picture, and a moving pattern below it so that no two
    // encodings of a frame can come out byte-identical by chance.
    video: {
      width: 320,
      height: 240,
      rate: RATE,
      source: 'color',
      filters: `${FRAME_NUMBER_FILTER}[bg];testsrc2=size=64x48:rate=30[fg];[bg][fg]overlay=x='mod(n*5\\,250)':y=180:shortest=1`,
    },
    audio: { sampleRate: 48000, layout: 'stereo', bursts: [[0, 29.5]] },
    // B-frames and CABAC like real recordings; a keyframe exactly every second.
    videoOptions: { preset: 'veryfast', g: String(GOP), 'x264-params': 'scenecut=0' },
  });
});
after(() => tmp.cleanup());

/** Video packet data hashes by frame index (from pts), and the frames whose decoding time is not increasing. */
async function packetHashes(path: string): Promise<{ byFrame: Map<number, string>; dtsBackwards: number }> {
  const p = await videoPackets(path, RATE);
  const byFrame = new Map([...p.byFrame].map(([i, v]) => [i, createHash('sha1').update(v.data).digest('hex')] as const));
  return { byFrame, dtsBackwards: p.dtsBackwards };
}

function timeline(clips: Clip[]): Timeline {
  return layerTimeline(clips, RATE);
}

/**
 * Decodes all of `path` once: no broken packet, `expected` frames, each showing the expected source
 * frame (the number painted into its luma), and the audio ending within one frame of the video.
 */
async function assertFrames(path: string, expected: number[]): Promise<void> {
  const { frames, end: videoEnd } = await decodeFrames(path, RATE);
  assert.equal(frames.length, expected.length);
  assert.deepEqual(frames.map((f) => f.number), expected.map((n) => n % 64));
  const audioEnd = await audioSeconds(path);
  assert.ok(Math.abs(videoEnd - audioEnd) <= 1 / 30 + 1e-6, `video ends at ${videoEnd} s, audio at ${audioEnd} s`);
}

async function assertCopiedBitExact(out: string, report: RenderReport): Promise<number> {
  const lossless = report.partialLossless;
  assert.ok(lossless?.used, `partial lossless not used: ${lossless && !lossless.used ? lossless.reason : ''}`);
  const source = await packetHashes(src);
  const output = await packetHashes(out);
  assert.equal(output.dtsBackwards, 0, 'decoding times must increase');
  let checked = 0;
  for (const span of lossless.copied) {
    for (let o = span.start; o < span.end; o++) {
      assert.equal(output.byFrame.get(o), source.byFrame.get(span.srcStart + o - span.start), `output frame ${o}`);
      checked++;
    }
  }
  assert.equal(checked, lossless.copiedFrames);
  return checked;
}

test('untouched GOPs are copied bit for bit; cuts inside GOPs, at GOP edges, a speed change and the short last GOP', async () => {
  // Cuts inside GOPs (95, 160), a range on GOP edges (300..450), a 2x stretch, the last (15-frame) GOP.
  const ranges: Array<[number, number, number?]> = [
    [0, 95],
    [160, 290],
    [300, 450],
    [456, 516, 2],
    [530, 700],
    [740, FRAMES],
  ];
  const clips = clipsOf(src, ranges);
  const tl = timeline(clips);
  const out = join(tmp.dir, 'cuts.mp4');
  const report = await renderTimeline(tl, new Map([[src, await probe(src)]]), { output: out, render: {} });
  const copied = await assertCopiedBitExact(out, report);
  const lossless = report.partialLossless!;
  assert.ok(lossless.used);
  // Whole GOPs: 0-89, 180-269, 300-449, 540-689, 750-884 (the last one short); everything else re-encoded.
  assert.deepEqual(
    lossless.copied.map((s) => [s.srcStart, s.srcStart + s.end - s.start]),
    [
      [0, 90],
      [180, 270],
      [300, 450],
      [540, 690],
      [750, FRAMES],
    ],
  );
  const total = clips.reduce((n, c) => n + c.dur, 0);
  assert.equal(copied + lossless.encodedFrames, total);
  const expected = clips.flatMap((c) => Array.from({ length: c.dur }, (_, i) => Math.round((c.offset + i) * c.speed)));
  await assertFrames(out, expected);
});

test('Matroska output from the CLI (silence-free recording, --cut ranges) copies too; --no-partial-lossless re-encodes every frame', async () => {
  const source = await packetHashes(src);
  const kept = Array.from({ length: FRAMES }, (_, i) => i).filter((i) => !(i >= 95 && i < 160) && !(i >= 400 && i < 500));
  const copies: number[] = [];
  for (const [name, extra, debugLine] of [
    ['cli.mkv', [], /^tacet: debug: partial lossless: copied 675 of 720 frames, re-encoded 45 in 2 segment\(s\)$/m],
    ['cli-full.mkv', ['--no-partial-lossless'], /^tacet: debug: partial lossless not used: turned off \(--no-partial-lossless\)$/m],
  ] as const) {
    const out = join(tmp.dir, name);
    const r = await runCli([src, '--edit', 'none', '--cut', '95,160', '--cut', '400,500', '-o', out, '--no-open', '--debug', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    // --debug says what the render decided.
    assert.match(r.stderr, debugLine);
    await assertFrames(out, kept);
    // (Matroska stores no decoding times: the demuxer guesses them, so they are not checked here.)
    const output = await packetHashes(out);
    let same = 0;
    for (const [o, hash] of output.byFrame) if (hash === source.byFrame.get(kept[o])) same++;
    copies.push(same);
  }
  // GOPs 0-89, 180-389 and 510-884 are whole: 675 frames copied; none without partial lossless.
  assert.equal(copies[0], 90 + 210 + 375);
  assert.equal(copies[1], 0);
});

test('open GOPs (leading pictures that reference the GOP before) are never copied: the render falls back and stays frame-exact', async () => {
  const open = join(tmp.dir, 'open-gop.mp4');
  const frames = 240;
  await generateMedia(open, {
    duration: frames / 30,
    video: { width: 160, height: 120, rate: RATE, source: 'color', filters: FRAME_NUMBER_FILTER },
    audio: { sampleRate: 48000, layout: 'stereo', bursts: [[0, 8]] },
    videoOptions: { preset: 'veryfast', g: String(GOP), 'x264-params': 'scenecut=0:open-gop=1' },
  });
  const info = await probe(open);
  const scan = await scanGops(open, info.video[0].index, RATE, 4);
  assert.ok(scan.starts.length >= frames / GOP, 'keyframes found');
  assert.deepEqual(scan.copyable.filter(Boolean), [], 'no GOP of an open-GOP stream is copyable');
  const clips: Clip[] = [
    { src: open, start: 0, dur: 100, offset: 0, speed: 1, stream: 0, volume: 1 },
    { src: open, start: 100, dur: 90, offset: 150, speed: 1, stream: 0, volume: 1 },
  ];
  const out = join(tmp.dir, 'open-out.mp4');
  const tl = { ...timeline(clips), resolution: [160, 120] as [number, number] };
  const report = await renderTimeline(tl, new Map([[open, info]]), { output: out, render: {} });
  assert.deepEqual(report.partialLossless, { used: false, reason: 'no whole GOP of the source survives' });
  await assertFrames(out, [...Array.from({ length: 100 }, (_, i) => i), ...Array.from({ length: 90 }, (_, i) => 150 + i)]);
});

test('after a seek the jump is not taken for a GOP length: every later cut is skipped by seeking too', async () => {
  // Before the fix, the distance between the last keyframe before a seek and the first after it
  // became the "GOP length", so the next long cut was decoded through instead of skipped.
  const source = await VideoSource.open(src, 0, RATE);
  try {
    for (const target of [200, 500, 800]) source.frameAt(target);
    assert.equal(source.seeks, 3);
    // Each seek lands at most two GOPs before its target.
    assert.ok(source.decoded <= 3 * (2 * GOP + 1), `decoded ${source.decoded} frames`);
  } finally {
    source.close();
  }
});
