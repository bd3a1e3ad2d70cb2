// auto-editor 31's own test suite pins that, at default settings, it keeps 523 of the 1272
// frames of example.mp4 (output 17.433 s). tacet must keep exactly the same frames.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { SHARED_MEDIA, hasSharedMedia, measure, tempDir } from '../helpers/media.js';

const example = join(SHARED_MEDIA, 'example.mp4');
const skip = hasSharedMedia ? false : 'shared/media is absent (needs ../shared/media/example.mp4)';
let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

test('example.mp4: default edit keeps 523 of 1272 frames (auto-editor 31 parity)', { skip }, async () => {
  const r = await runCli([example, '--export', 'v3', '-o', '-', '--no-cache']);
  assert.equal(r.code, 0, r.stderr);
  const tl = JSON.parse(r.stdout);
  const video = tl.v[0] as Array<{ start: number; dur: number; offset: number }>;
  const kept = video.reduce((n, c) => n + c.dur, 0);
  assert.equal(kept, 523);
  assert.equal(tl.timebase, '30/1');
});

test('example.mp4: rendered output has 523 frames and audio ending within one frame of video', { skip }, async () => {
  const out = join(tmp.dir, 'example_ALTERED.mp4');
  const r = await runCli([example, '-o', out, '--no-cache']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /kept 523 of 1272 frames/);
  const m = await measure(out);
  assert.equal(m.videoFrames, 523);
  assert.ok(Math.abs(m.videoEnd - 523 / 30) < 1e-6, `video ends at ${m.videoEnd}`);
  assert.ok(Math.abs(m.audioSeconds - m.videoEnd) <= 1 / 30, `audio ${m.audioSeconds}s vs video ${m.videoEnd}s`);
  assert.equal(m.videoCodec, 'h264');
  assert.equal(m.audioCodec, 'aac');
  assert.equal(m.sampleRate, 48000);
  assert.equal(m.channels, 2);
});
