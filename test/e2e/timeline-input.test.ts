// Timelines as input: auto-editor's v1/v2/v3 JSON files, or JSON on stdin, are rendered; a
// broken timeline fails with one clear line.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateMedia } from '../../src/media/generate.js';
import { runCli } from '../helpers/cli.js';
import { FRAME_NUMBER_FILTER, frameNumberOf, meanLumas, measure, tempDir } from '../helpers/media.js';

let tmp: ReturnType<typeof tempDir>;
let src: string;
before(async () => {
  tmp = tempDir();
  src = join(tmp.dir, 'my talk #1.mp4');
  await generateMedia(src, {
    duration: 5,
    video: { width: 96, height: 64, rate: { num: 25, den: 1 }, source: 'color', filters: FRAME_NUMBER_FILTER },
    audio: { sampleRate: 48000, layout: 'stereo', bursts: [[1, 2], [3, 4]] },
  });
});
after(() => tmp.cleanup());

async function keptFramesOf(v3Text: string): Promise<number[]> {
  const tl = JSON.parse(v3Text);
  return (tl.v[0] as Array<{ offset: number; dur: number }>).flatMap((c) => Array.from({ length: c.dur }, (_, i) => (c.offset + i) % 64));
}

for (const version of ['v1', 'v2', 'v3'] as const) {
  test(`a ${version} timeline written by tacet renders the same frames as the direct edit`, async () => {
    const v3 = await runCli([src, '--export', 'v3', '-o', '-', '--no-cache']);
    assert.equal(v3.code, 0, v3.stderr);
    const expected = await keptFramesOf(v3.stdout);
    assert.ok(expected.length > 0 && expected.length < 125);
    const file = join(tmp.dir, `edit.${version === 'v1' ? 'json' : version}`);
    const w = await runCli([src, '--export', version, '-o', file, '--no-cache']);
    assert.equal(w.code, 0, w.stderr);
    const out = join(tmp.dir, `from-${version}.mp4`);
    const r = await runCli([file, '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual((await meanLumas(out)).map(frameNumberOf), expected);
  });
}

test('a timeline on stdin is rendered', async () => {
  const v3 = await runCli([src, '--export', 'v3', '-o', '-', '--no-cache']);
  const out = join(tmp.dir, 'from-stdin.mp4');
  const r = await runCli(['-o', out], { stdin: v3.stdout });
  assert.equal(r.code, 0, r.stderr);
  const m = await measure(out);
  assert.equal(m.videoFrames, (await keptFramesOf(v3.stdout)).length);
});

test('a malformed timeline or one pointing to a missing file fails with one clear line', async () => {
  const bad = join(tmp.dir, 'bad.v3');
  writeFileSync(bad, '{"version": "3", "timebase": ');
  const r1 = await runCli([bad, '-o', join(tmp.dir, 'x.mp4')]);
  assert.equal(r1.code, 1);
  assert.equal(r1.stderr.trim().split('\n').length, 1, r1.stderr);
  const v3 = JSON.parse((await runCli([src, '--export', 'v3', '-o', '-', '--no-cache'])).stdout);
  for (const layer of [...v3.v, ...v3.a]) for (const c of layer) c.src = join(tmp.dir, 'gone.mp4');
  const missing = join(tmp.dir, 'missing.v3');
  writeFileSync(missing, JSON.stringify(v3));
  const r2 = await runCli([missing, '-o', join(tmp.dir, 'y.mp4')]);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /^tacet: error: .*missing source file.*gone\.mp4\n$/);
  const negative = JSON.parse(readFileSync(join(tmp.dir, 'edit.v3'), 'utf8'));
  negative.v[0][0].dur = -3;
  const neg = join(tmp.dir, 'neg.v3');
  writeFileSync(neg, JSON.stringify(negative));
  const r3 = await runCli([neg, '-o', join(tmp.dir, 'z.mp4')]);
  assert.equal(r3.code, 1);
  assert.match(r3.stderr, /dur/);
});

test('-r sets the edit grid and the output frame rate; frames are chosen by nearest index', async () => {
  const out = join(tmp.dir, 'rate25.mp4');
  const r = await runCli([src, '--edit', 'none', '-r', '24', '-o', out, '--no-cache']);
  assert.equal(r.code, 0, r.stderr);
  const numbers = (await meanLumas(out)).map(frameNumberOf);
  // 5 s at 24 fps = 120 frames; output frame n shows source frame round(n × 25 / 24).
  assert.equal(numbers.length, 120);
  assert.deepEqual(numbers, numbers.map((_, n) => Math.round((n * 25) / 24) % 64));
  const m = await measure(out);
  assert.ok(Math.abs(m.videoEnd - 5) < 1e-6, `video ends at ${m.videoEnd}`);
});

test('a decimal frame rate warns that 29.97 is not NTSC', async () => {
  const r = await runCli([src, '--edit', 'none', '-r', '29.97', '--export', 'v3', '-o', '-', '--no-cache']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: .*30000\/1001/);
});
