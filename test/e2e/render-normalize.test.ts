// -anorm/--audio-normalize on real renders: peak normalisation lands the decoded output's largest
// sample on the target, EBU normalisation lands the integrated loudness (measured by an
// independent BS.1770 implementation) on the target, the gain is one constant per track, each
// track is normalised on its own, and bad values are one-line errors.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AudioReader } from '../../src/media/audio-reader.js';
import { generateMedia } from '../../src/media/generate.js';
import { probe } from '../../src/media/probe.js';
import { renderTimeline } from '../../src/render/render.js';
import type { Clip, Timeline } from '../../src/timeline/model.js';
import { rational } from '../../src/timeline/rational.js';
import { runCli } from '../helpers/cli.js';
import { integratedLoudness, samplePeak } from '../helpers/loudness.js';
import { tempDir } from '../helpers/media.js';

let tmp: ReturnType<typeof tempDir>;
let quiet: string;
before(async () => {
  tmp = tempDir();
  // A quiet tone (0.05, i.e. -26 dBFS) in two bursts, a quieter one (0.015) in a third, silence
  // (a -66 dB hiss) between: `--edit audio` cuts the silences, so the render has cuts and fades.
  quiet = join(tmp.dir, 'quiet.wav');
  await generateMedia(quiet, {
    duration: 8,
    audio: {
      sampleRate: 48000,
      layout: 'stereo',
      expr: '(0.05*(gte(t\\,1)*lt(t\\,2)+gte(t\\,3)*lt(t\\,4.5))+0.015*gte(t\\,6)*lt(t\\,7))*sin(2*PI*440*t)+0.0005*sin(2*PI*97*t)',
    },
  });
});
after(() => tmp.cleanup());

const dB = (x: number): number => 20 * Math.log10(x);

async function readAll(path: string, nth = 0): Promise<Float32Array> {
  const reader = await AudioReader.open(path, nth, { format: 'flt', chunkSamples: 65536 });
  const parts: Float32Array[] = [];
  try {
    for (let c = reader.read(); c; c = reader.read()) parts.push(c.data.slice(0, c.samples * c.channels));
  } finally {
    reader.close();
  }
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

test('the BS.1770 helper reads a 1 kHz stereo sine at 0.1 as -20 LUFS', async () => {
  // BS.1770: a 0 dBFS 1 kHz sine in one channel reads -3.01 LKFS, so one in both reads 20·log10(A).
  const path = join(tmp.dir, 'sine1k.wav');
  await generateMedia(path, { duration: 3, audio: { sampleRate: 44100, layout: 'stereo', expr: '0.1*sin(2*PI*1000*t)' } });
  const loudness = await integratedLoudness(path);
  assert.ok(Math.abs(loudness - -20) < 0.1, `measured ${loudness} LUFS`);
});

test('peak:t=-3 brings the largest decoded sample to -3 dBFS with one constant gain', async () => {
  const plain = join(tmp.dir, 'plain.wav');
  const normed = join(tmp.dir, 'peak.wav');
  const r1 = await runCli([quiet, '--edit', 'audio', '-o', plain, '--progress', 'none']);
  assert.equal(r1.code, 0, r1.stderr);
  const r2 = await runCli([quiet, '--edit', 'audio', '-anorm', 'peak:t=-3', '-o', normed, '--progress', 'none']);
  assert.equal(r2.code, 0, r2.stderr);
  const before = await readAll(plain);
  const afterNorm = await readAll(normed);
  assert.ok(before.length > 48000 * 2 * 3, 'the edit kept the tone bursts');
  assert.equal(afterNorm.length, before.length, 'normalising does not change the length');
  const peakBefore = before.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  const peakAfter = afterNorm.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(Math.abs(dB(peakBefore) - -26) < 0.5, `the input peak is about -26 dBFS (${dB(peakBefore)})`);
  assert.ok(Math.abs(dB(peakAfter) - -3) < 0.1, `output peak ${dB(peakAfter)} dBFS`);
  // Every sample is the plain render's times the same gain (up to 16-bit rounding): pass 1
  // measured exactly what pass 2 wrote, cuts and fades included.
  const gain = peakAfter / peakBefore;
  let worst = 0;
  for (let k = 0; k < before.length; k++) worst = Math.max(worst, Math.abs(afterNorm[k] - before[k] * gain));
  assert.ok(worst < 3 / 32768 * gain, `largest deviation from a constant gain: ${worst}`);
});

test('ebu:i=-20 brings the integrated loudness to -20 LUFS', async () => {
  const out = join(tmp.dir, 'ebu.wav');
  const r = await runCli([quiet, '--edit', 'audio', '-anorm', 'ebu:i=-20', '-o', out, '--progress', 'none']);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /warning/);
  const plain = join(tmp.dir, 'plain.wav'); // from the test above, or render it now
  const rp = await runCli([quiet, '--edit', 'audio', '-o', plain, '--progress', 'none']);
  assert.equal(rp.code, 0, rp.stderr);
  const loudBefore = await integratedLoudness(plain);
  const loudAfter = await integratedLoudness(out);
  assert.ok(loudBefore < -25, `the input is quieter than the target (${loudBefore} LUFS)`);
  assert.ok(Math.abs(loudAfter - -20) < 0.5, `output loudness ${loudAfter} LUFS`);
  // Default true-peak ceiling is -2 dBTP; a sine's true peak equals its sample peak.
  assert.ok(dB(await samplePeak(out)) <= -2, 'the true-peak ceiling holds');
});

test('ebu: when the true peak forbids the target, the gain stops at the ceiling and says so', async () => {
  const out = join(tmp.dir, 'ebu-capped.wav');
  const r = await runCli([quiet, '-anorm', 'ebu:i=-5,tp=-6', '-o', out, '--progress', 'none']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /reaching -5\.0 LUFS would push the true peak above -6\.0 dBTP/);
  const peak = dB(await samplePeak(out));
  assert.ok(peak <= -5.9 && peak > -6.5, `peak ${peak} dBFS sits at the -6 dBTP ceiling`);
  assert.ok((await integratedLoudness(out)) < -6, 'the loudness target was not forced');
});

test('each audio track is normalised on its own; both passes report progress', async () => {
  const src = join(tmp.dir, 'two-tracks.mkv');
  await generateMedia(src, {
    duration: 3,
    audio: { sampleRate: 48000, layout: 'mono', expr: '0.05*sin(2*PI*300*t)' },
    moreAudio: [{ sampleRate: 48000, layout: 'mono', expr: '0.4*sin(2*PI*500*t)*gte(t\\,1)' }],
    encoders: { audio: 'pcm_s16le' },
  });
  const info = await probe(src);
  const clip = (stream: number, offset: number): Clip => ({ src, start: 0, dur: 60, offset, speed: 1, stream, volume: 1 });
  const tl: Timeline = {
    tb: rational(30, 1),
    background: '#000000',
    resolution: [64, 64],
    sampleRate: 48000,
    layout: 'mono',
    langs: ['und', 'und'],
    v: [],
    a: [[clip(0, 15)], [clip(1, 15)]],
  };
  const out = join(tmp.dir, 'two-tracks-out.mkv');
  const stages: string[] = [];
  await renderTimeline(tl, new Map([[src, info]]), {
    output: out,
    render: { audioNormalize: 'peak:-1' },
    onProgress: (_d, _t, stage) => {
      const name = stage ?? 'Rendering';
      if (stages.at(-1) !== name) stages.push(name);
    },
  });
  assert.deepEqual(stages, ['Measuring loudness', 'Rendering']);
  assert.ok(Math.abs(dB(await samplePeak(out, 0)) - -1) < 0.1);
  assert.ok(Math.abs(dB(await samplePeak(out, 1)) - -1) < 0.1);

  // With --mix-audio-streams the one mixed track is what is measured and normalised.
  const mixed = join(tmp.dir, 'two-tracks-mixed.mkv');
  await renderTimeline(tl, new Map([[src, info]]), { output: mixed, render: { audioNormalize: 'peak:-1', mixAudioStreams: true } });
  assert.equal((await probe(mixed)).audio.length, 1);
  assert.ok(Math.abs(dB(await samplePeak(mixed, 0)) - -1) < 0.1);
});

test('bad -anorm values are one-line errors', async () => {
  for (const [value, message] of [
    ['ebu:i=5', /^tacet: error: --audio-normalize: i=5 is out of range; give -70 to -5 LUFS\n$/],
    ['peak:t=abc', /^tacet: error: --audio-normalize: t=abc is not a number\n$/],
    ['loud', /^tacet: error: --audio-normalize: unknown kind "loud"; use ebu\[/],
    ['ebu:tp=1', /tp=1 is out of range/],
    ['ebu:volume=3', /ebu has no parameter "volume"/],
  ] as const) {
    const r = await runCli([quiet, '-anorm', value, '-o', join(tmp.dir, 'never.wav'), '--progress', 'none']);
    assert.equal(r.code, 1, value);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${value}`);
  }
});
