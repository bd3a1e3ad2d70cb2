// --transition dissolve on real renders: a picture whose luma steps every second is cut in the
// middle; around the join the frames blend the two sides monotonically, frames far from it are
// untouched, the length is unchanged, the ends fade from/to the background, and the audio
// cross-fades without a click (and without the cut's 3 ms fade-to-zero).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AudioReader } from '../../src/media/audio-reader.js';
import { generateMedia } from '../../src/media/generate.js';
import { runCli } from '../helpers/cli.js';
import { meanLumas, tempDir } from '../helpers/media.js';

let tmp: ReturnType<typeof tempDir>;
let src: string;
before(async () => {
  tmp = tempDir();
  src = join(tmp.dir, 'steps.mkv');
  // Luma 40, 70, 100, 130, 160, 190 for seconds 0..5; a steady 440 Hz tone (16-bit PCM, exact).
  await generateMedia(src, {
    duration: 6,
    video: { width: 64, height: 48, rate: { num: 30, den: 1 }, source: 'color', filters: "geq=lum='40+30*floor(T)':cb=128:cr=128" },
    audio: { sampleRate: 48000, layout: 'stereo', expr: '0.3*sin(2*PI*440*t)' },
    encoders: { audio: 'pcm_s16le' },
  });
});
after(() => tmp.cleanup());

async function render(name: string, extra: string[]): Promise<string> {
  const out = join(tmp.dir, name);
  // Cutting 2.5 s–3.5 s joins source frame 74 (luma 100) to source frame 105 (luma 130) at timeline frame 75.
  const r = await runCli([src, '--edit', 'none', '--cut', '2.5s,3.5s', ...extra, '-o', out, '--progress', 'none']);
  assert.equal(r.code, 0, r.stderr);
  return out;
}

async function firstChannel(path: string): Promise<Float32Array> {
  const reader = await AudioReader.open(path, 0, { format: 'flt', chunkSamples: 65536 });
  const parts: number[] = [];
  try {
    for (let c = reader.read(); c; c = reader.read()) for (let i = 0; i < c.samples; i++) parts.push(c.data[i * c.channels]);
  } finally {
    reader.close();
  }
  return Float32Array.from(parts);
}

const peakIn = (x: Float32Array, from: number, to: number): number => {
  let p = 0;
  for (let i = from; i < to; i++) p = Math.max(p, Math.abs(x[i]));
  return p;
};

test('dissolve:10 blends 10 frames around the cut, fades both ends, keeps the length', async () => {
  const plain = await render('plain.mkv', []);
  const dissolved = await render('dissolve.mkv', ['--transition', 'dissolve:10']);
  const a = await meanLumas(plain);
  const b = await meanLumas(dissolved);
  assert.equal(a.length, 150);
  assert.equal(b.length, a.length, 'the timeline length does not change');
  // Frames 70..79 climb from the outgoing side (100) to the incoming side (130).
  const around = b.slice(70, 80);
  for (let k = 0; k < around.length; k++) {
    assert.ok(around[k] > 100 && around[k] < 130, `frame ${70 + k}: ${around[k]} lies between the two sides`);
    if (k > 0) assert.ok(around[k] > around[k - 1] + 1, `frame ${70 + k} is brighter than the one before`);
  }
  assert.ok(Math.abs(b[69] - 100) < 1.5 && Math.abs(b[80] - 130) < 1.5, 'the dissolve is exactly 10 frames');
  // Far from the join and the ends, the picture is the plain render's.
  for (const k of [12, 30, 50, 65, 85, 100, 120, 135]) assert.ok(Math.abs(b[k] - a[k]) < 1.5, `frame ${k} is untouched`);
  // Fades from and to the background (black: luma 16) over 10 frames.
  assert.ok(Math.abs(b[0] - 16) < 2, `first frame ${b[0]} is the background`);
  assert.ok(Math.abs(b[149] - 16) < 2, `last frame ${b[149]} is the background`);
  for (let k = 1; k < 10; k++) assert.ok(b[k] > b[k - 1], 'the fade-in brightens steadily');

  const pa = await firstChannel(plain);
  const pb = await firstChannel(dissolved);
  assert.equal(pb.length, pa.length, 'audio length unchanged');
  const joinSample = 75 * 1600;
  // The plain cut fades to zero for 3 ms at the join; the cross-fade keeps the tone going.
  assert.ok(peakIn(pa, joinSample - 48, joinSample + 48) < 0.1, 'the plain render has its cut fades');
  assert.ok(peakIn(pb, joinSample - 48, joinSample + 48) > 0.25, 'the dissolve replaces them with a cross-fade');
  // No click: no sample-to-sample jump beyond what the tone (at most √2 louder mid-fade) can do.
  const slope = 0.3 * Math.SQRT2 * 2 * Math.PI * 440 / 48000;
  let worst = 0;
  for (let i = 1; i < pb.length; i++) worst = Math.max(worst, Math.abs(pb[i] - pb[i - 1]));
  assert.ok(worst < slope * 1.1, `largest jump ${worst} (a tone's own slope is at most ${slope})`);
  // The audio fades in from silence and out to silence.
  assert.ok(peakIn(pb, 0, 480) < 0.02, 'silent start');
  assert.ok(peakIn(pb, pb.length - 480, pb.length) < 0.02, 'silent end');
});

test('MIN-CUT leaves shorter cuts as plain cuts (the ends still fade)', async () => {
  const plain = await meanLumas(join(tmp.dir, 'plain.mkv'));
  const kept = await meanLumas(await render('mincut.mkv', ['--transition', 'dissolve:10:2s']));
  assert.equal(kept.length, plain.length);
  for (let k = 60; k < 90; k++) assert.ok(Math.abs(kept[k] - plain[k]) < 1.5, `frame ${k} is the plain cut's`);
  assert.ok(Math.abs(kept[0] - 16) < 2);
});

test('bad --transition values are one-line errors', async () => {
  for (const [value, message] of [
    ['wipe:1s', /^tacet: error: --transition: unknown transition "wipe"; use dissolve:DURATION\[:MIN-CUT\]\n$/],
    ['dissolve', /^tacet: error: --transition: give a duration, e\.g\. dissolve:0\.5s\n$/],
    ['dissolve:abc', /^tacet: error: --transition: invalid time value "abc": it must start with a number\n$/],
  ] as const) {
    const r = await runCli([src, '--transition', value, '-o', join(tmp.dir, 'never.mkv'), '--progress', 'none']);
    assert.equal(r.code, 1, value);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${value}`);
  }
});
