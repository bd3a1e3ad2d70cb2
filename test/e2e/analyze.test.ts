// Audio levels on generated recordings: values where the bursts are, counts for fractional
// samples per frame, per-channel analysis, and the on-disk cache.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { analyzeAudio } from '../../src/analyze/audio.js';
import { audioLevels } from '../../src/analyze/index.js';
import { toUnorm16 } from '../../src/analyze/unorm16.js';
import { generateMedia } from '../../src/media/generate.js';
import { rational } from '../../src/timeline/rational.js';
import { tempDir } from '../helpers/media.js';

let tmp: ReturnType<typeof tempDir>;
let wav44: string;
let stereoLeftOnly: string;
before(async () => {
  tmp = tempDir();
  wav44 = join(tmp.dir, 'bursts-44k.wav');
  await generateMedia(wav44, { duration: 6, audio: { sampleRate: 44100, layout: 'mono', bursts: [[1, 2]] } });
  stereoLeftOnly = join(tmp.dir, 'left.wav');
  await generateMedia(stereoLeftOnly, {
    duration: 2,
    audio: { sampleRate: 48000, layout: 'stereo', graph: 'aevalsrc=exprs=0.5*sin(2*PI*440*t)*gte(t\\,1)|0:s=48000:d=2' },
  });
});
after(() => tmp.cleanup());

test('levels: one per frame, with a final partial frame (44.1 kHz at 30000/1001)', async () => {
  const tb = rational(30000, 1001);
  const r = await analyzeAudio(wav44, 0, tb, null);
  // 6 s × 44100 = 264600 samples at 1471.47 per frame = 179.8 frames → 180 levels.
  assert.equal(r.levels.length, 180);
  assert.equal(r.seconds, 6);
  const threshold = toUnorm16(0.04);
  const active = [...r.levels].map((l, i) => (l >= threshold ? i : -1)).filter((i) => i >= 0);
  // Burst from 1 s to 2 s: frames 29 (29.97 fps × 1 s = 29.97, the frame holding t=1) to 59.
  assert.equal(active[0], 29);
  assert.equal(active[active.length - 1], 59);
  assert.equal(active.length, 31);
  // The tone peaks at 0.5 (s16 16384 → 16384/32767), quantised as unorm16.
  assert.ok(Math.abs(r.levels[40] - toUnorm16(16384 / 32767)) <= 40, `level ${r.levels[40]}`);
});

test('levels: channel= looks at one channel only', async () => {
  const tb = rational(30, 1);
  const left = await analyzeAudio(stereoLeftOnly, 0, tb, 0);
  const right = await analyzeAudio(stereoLeftOnly, 0, tb, 1);
  const both = await analyzeAudio(stereoLeftOnly, 0, tb, null);
  assert.equal(left.levels.length, 60);
  assert.ok(left.levels[45] > 30000);
  assert.equal(Math.max(...right.levels), 0);
  assert.deepEqual(both.levels, left.levels);
  await assert.rejects(analyzeAudio(stereoLeftOnly, 0, tb, 2), /channel 2 does not exist/);
});

test('cache: second analysis is read from disk; a touched file is analysed again; --no-cache writes nothing', async () => {
  const cache = join(tmp.dir, 'cache');
  process.env.TACET_CACHE_DIR = cache;
  try {
    const tb = rational(25, 1);
    let analysed = 0;
    const first = await audioLevels(wav44, 0, null, tb, { onProgress: () => analysed++ });
    assert.ok(analysed > 0);
    assert.equal(readdirSync(cache).filter((f) => f.endsWith('.levels')).length, 1);
    analysed = 0;
    const second = await audioLevels(wav44, 0, null, tb, { onProgress: () => analysed++ });
    assert.equal(analysed, 0, 'served from cache without decoding');
    assert.deepEqual(second.levels, first.levels);
    assert.equal(second.seconds, first.seconds);
    // Another timebase is another entry.
    await audioLevels(wav44, 0, null, rational(30, 1));
    assert.equal(readdirSync(cache).filter((f) => f.endsWith('.levels')).length, 2);
    // A modified file (new mtime) must not reuse the old entry.
    const later = new Date(Date.now() + 5000);
    utimesSync(wav44, later, later);
    analysed = 0;
    await audioLevels(wav44, 0, null, tb, { onProgress: () => analysed++ });
    assert.ok(analysed > 0, 'a changed file is analysed again');
    const noCacheDir = join(tmp.dir, 'nocache');
    process.env.TACET_CACHE_DIR = noCacheDir;
    await audioLevels(wav44, 0, null, tb, { noCache: true });
    assert.equal(existsSync(noCacheDir), false);
  } finally {
    delete process.env.TACET_CACHE_DIR;
  }
});
