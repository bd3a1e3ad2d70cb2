// The renderer on hand-made timelines: every output frame is the right source frame (frame
// numbers painted into the picture are read back), audio has the exact sample count, long cuts
// are skipped by seeking, and failures leave no partial file.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { probe } from '../../src/media/probe.js';
import { generateMedia } from '../../src/media/generate.js';
import { frameToSample, renderTimeline } from '../../src/render/render.js';
import type { Clip, Timeline } from '../../src/timeline/model.js';
import { rational, type Rational } from '../../src/timeline/rational.js';
import { FRAME_NUMBER_FILTER, frameNumberOf, meanLumas, measure, peakBetween, tempDir } from '../helpers/media.js';

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

function timeline(src: string, tb: Rational, ranges: Array<[number, number]>, sampleRate: number, layout = 'stereo'): Timeline {
  const clips: Clip[] = [];
  let start = 0;
  for (const [a, b] of ranges) {
    clips.push({ src, start, dur: b - a, offset: a, speed: 1, stream: 0, volume: 1 });
    start += b - a;
  }
  return { tb, background: '#000000', resolution: [96, 64], sampleRate, layout, langs: ['und'], v: [clips], a: [clips] };
}

async function numbered(name: string, seconds: number, rate: Rational, sampleRate: number, gop?: number): Promise<string> {
  const path = join(tmp.dir, name);
  await generateMedia(path, {
    duration: seconds,
    video: { width: 96, height: 64, rate, source: 'color', filters: FRAME_NUMBER_FILTER },
    audio: { sampleRate, layout: 'stereo', bursts: [[0.5, 1]] },
    videoOptions: { preset: 'ultrafast', ...(gop ? { g: String(gop) } : {}) },
  });
  return path;
}

for (const [label, rate, sampleRate] of [
  ['30/1', rational(30, 1), 48000],
  ['30000/1001', rational(30000, 1001), 44100],
] as const) {
  test(`every output frame is the source frame the timeline names (${label}), clips in any order`, async () => {
    const src = await numbered(`numbered-${label.replace('/', '_')}.mp4`, 8, rate, sampleRate);
    const info = await probe(src);
    // Forward cuts, a backward jump (needs a seek back), a one-frame clip, the last frames.
    const ranges: Array<[number, number]> = [
      [0, 10],
      [40, 75],
      [20, 30],
      [100, 101],
      [200, 239],
    ];
    const tl = timeline(src, rate, ranges, sampleRate);
    const out = join(tmp.dir, `out-${label.replace('/', '_')}.mp4`);
    const report = await renderTimeline(tl, new Map([[src, info]]), { output: out });
    const lumas = await meanLumas(out);
    const expected = ranges.flatMap(([a, b]) => Array.from({ length: b - a }, (_, i) => (a + i) % 64));
    assert.equal(lumas.length, expected.length);
    assert.deepEqual(lumas.map(frameNumberOf), expected);
    assert.equal(report.skippedPackets, 0);
    const m = await measure(out);
    const total = expected.length;
    // Audio: exactly the samples of the timeline's frames (AAC may pad the last packet; the
    // decoder trims it with the container's edit list).
    assert.equal(m.audioSamples, frameToSample(total, sampleRate, rate));
  });
}

test('a long cut is skipped by seeking, not decoded', async () => {
  const rate = rational(30, 1);
  const src = await numbered('long.mp4', 60, rate, 48000, 30);
  const info = await probe(src);
  const ranges: Array<[number, number]> = [
    [0, 30],
    [1500, 1530],
  ];
  const out = join(tmp.dir, 'long-out.mp4');
  const report = await renderTimeline(timeline(src, rate, ranges, 48000), new Map([[src, info]]), { output: out });
  assert.ok(report.seeks >= 1, 'seeked');
  assert.ok(report.decodedFrames < 200, `decoded ${report.decodedFrames} of 1800 frames`);
  const lumas = await meanLumas(out);
  assert.deepEqual(
    lumas.map(frameNumberOf),
    [...Array.from({ length: 30 }, (_, i) => i % 64), ...Array.from({ length: 30 }, (_, i) => (1500 + i) % 64)],
  );
});

test('a failed render leaves neither the output nor a temporary file', async () => {
  const rate = rational(30, 1);
  const src = await numbered('fail.mp4', 2, rate, 48000);
  const info = await probe(src);
  const out = join(tmp.dir, 'fail-out.mp4');
  const tl = timeline(src, rate, [[0, 30]], 48000);
  tl.v[0][0].stream = 3; // no such stream: fails after the output was opened
  await assert.rejects(renderTimeline(tl, new Map([[src, info]]), { output: out }), /video stream 3/);
  assert.equal(existsSync(out), false);
  assert.deepEqual(readdirSync(tmp.dir).filter((f) => f.includes('.partial')), []);
});

test('output equal to the input is refused', async () => {
  const rate = rational(30, 1);
  const src = await numbered('same.mp4', 1, rate, 48000);
  const info = await probe(src);
  await assert.rejects(renderTimeline(timeline(src, rate, [[0, 10]], 48000), new Map([[src, info]]), { output: src }), /same file as the input/);
});

test('joins between cut parts of a tone have no click (short fades at cut edges)', async () => {
  const rate = rational(30, 1);
  const src = join(tmp.dir, 'tone.wav');
  await generateMedia(src, { duration: 3, audio: { sampleRate: 48000, layout: 'mono', expr: '0.5*sin(2*PI*440*t)' } });
  const info = await probe(src);
  // 7 frames = 11200 samples is not a whole number of 440 Hz periods: the phases do not meet.
  const tl = timeline(src, rate, [[0, 20], [27, 50], [61, 80]], 48000, 'mono');
  tl.v = [];
  tl.resolution = [1920, 1080];
  const out = join(tmp.dir, 'tone-out.wav');
  await renderTimeline(tl, new Map([[src, info]]), { output: out });
  const { AudioReader } = await import('../../src/media/audio-reader.js');
  const reader = await AudioReader.open(out, 0, { format: 'flt', chunkSamples: 1 << 20 });
  let prev = 0;
  let maxStep = 0;
  let samples = 0;
  for (let c = reader.read(); c; c = reader.read()) {
    for (let i = 0; i < c.samples; i++) {
      maxStep = Math.max(maxStep, Math.abs(c.data[i] - prev));
      prev = c.data[i];
    }
    samples += c.samples;
  }
  reader.close();
  assert.equal(samples, frameToSample(62, 48000, rate));
  // The tone itself never moves more than 2π·440/48000·0.5 ≈ 0.029 per sample; a hard join would.
  assert.ok(maxStep < 0.04, `largest sample step ${maxStep}`);
});

test('an audio stream that starts late stays aligned with the video (placed by pts)', async () => {
  const { AudioReader } = await import('../../src/media/audio-reader.js');
  const { OutputFile } = await import('../../src/media/output.js');
  const { StreamDecoder } = await import('../../src/media/decoder.js');
  const { loadAv } = await import('../../src/media/av.js');
  await loadAv();
  const v = join(tmp.dir, 'late-v.mp4');
  const a = join(tmp.dir, 'late-a.wav');
  await generateMedia(v, { duration: 4, video: { width: 96, height: 64, rate: rational(30, 1) } });
  // Audio stream time: tone from 0.5 s to 1.5 s of the stream, which starts 0.5 s into the file:
  // so the tone plays from 1.0 s to 2.0 s of file time.
  await generateMedia(a, { duration: 3.5, audio: { sampleRate: 48000, layout: 'mono', bursts: [[0.5, 1.5]] } });
  const src = join(tmp.dir, 'late.mkv');
  const out = OutputFile.create(src, src);
  const vs = out.addVideo({ encoder: 'libx264', width: 96, height: 64, frameRate: rational(30, 1), sar: rational(1, 1), pixelFormat: 'yuv420p', options: { preset: 'ultrafast' } });
  const as = out.addAudio({ encoder: 'pcm_s16le', sampleRate: 48000, layout: 'mono', startSample: 24000 });
  out.begin();
  const dec = await StreamDecoder.open(v, 'video', 0);
  let n = 0;
  for (let f = dec.next(); f; f = dec.next()) vs.write(f, n++);
  dec.close();
  const reader = await AudioReader.open(a, 0, { format: 'flt', chunkSamples: 8192 });
  for (let c = reader.read(); c; c = reader.read()) as.write(c.data, c.samples);
  reader.close();
  out.finish();
  const info = await probe(src);
  assert.ok(Math.abs(info.audio[0].startTime - 0.5) < 0.01, `audio starts at ${info.audio[0].startTime}`);
  // Keep 0.5 s – 3.5 s of the file: in the output, the tone must sound from 0.5 s to 1.5 s.
  const tl = timeline(src, rational(30, 1), [[15, 105]], 48000, 'mono');
  const rendered = join(tmp.dir, 'late-out.mkv');
  await renderTimeline(tl, new Map([[src, info]]), { output: rendered });
  assert.ok((await peakBetween(rendered, 0.55, 1.45)) > 0.4, 'tone inside 0.5–1.5 s');
  assert.ok((await peakBetween(rendered, 0, 0.45)) < 0.01, 'silence before');
  assert.ok((await peakBetween(rendered, 1.55, 3)) < 0.01, 'silence after');
});

test('an encoder that cannot take the source rate gets the nearest one it can (44.1 kHz → Opus 48 kHz)', async () => {
  const src = join(tmp.dir, 'voice44.wav');
  await generateMedia(src, { duration: 2, audio: { sampleRate: 44100, layout: 'stereo', bursts: [[0, 2]] } });
  const info = await probe(src);
  const tl = timeline(src, rational(30, 1), [[0, 30], [40, 60]], 44100);
  tl.v = [];
  const { writeOutput } = await import('../../src/core/outputs.js');
  await writeOutput(tl, new Map([[src, info]]), { choice: { kind: 'render', params: {} }, output: join(tmp.dir, 'voice44.webm'), input: src });
  const m = await measure(join(tmp.dir, 'voice44.webm'));
  assert.equal(m.sampleRate, 48000);
  assert.equal(m.audioCodec, 'opus');
  assert.ok(Math.abs(m.audioSeconds - 50 / 30) < 0.03, `audio ${m.audioSeconds}s`);
});
