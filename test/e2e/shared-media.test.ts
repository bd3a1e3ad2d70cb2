// Real recordings from ../shared/media: the output keeps the source's codecs where the
// container allows (HEVC stays HEVC, ALAC stays ALAC), and audio ends with the video.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { SHARED_MEDIA, hasSharedMedia, measure, tempDir } from '../helpers/media.js';

const skip = hasSharedMedia ? false : 'shared/media is absent';
let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

const CASES: Array<{ file: string; edit: string; video: string | null; audio: string }> = [
  { file: 'testsrc-hevc.mp4', edit: 'none', video: 'hevc', audio: 'aac' },
  { file: 'testsrc.mkv', edit: 'none', video: 'h264', audio: 'aac' },
  { file: 'test_yuv422p.mp4', edit: 'none', video: 'h264', audio: 'aac' },
  { file: 'mono.mp3', edit: 'audio', video: null, audio: 'mp3' },
  { file: 'alac.m4a', edit: 'audio', video: null, audio: 'alac' },
  { file: 'aac.m4a', edit: 'audio', video: null, audio: 'aac' },
  { file: 'pcm-f32le.wav', edit: 'audio', video: null, audio: 'pcm_f32le' },
];

for (const c of CASES) {
  test(`${c.file}: keeps ${c.video ?? 'no video'} / ${c.audio}, streams end together`, { skip }, async () => {
    const out = join(tmp.dir, `out-${c.file}`);
    const r = await runCli([join(SHARED_MEDIA, c.file), '--edit', c.edit, '-o', out, '--no-cache']);
    assert.equal(r.code, 0, r.stderr);
    const kept = Number(/kept (\d+) of (\d+)/.exec(r.stdout)?.[1]);
    const m = await measure(out);
    assert.equal(m.videoCodec, c.video);
    assert.equal(m.audioCodec, c.audio);
    const seconds = kept / 30; // every file here is 30 fps or audio-only (30/1 timebase)
    if (c.video) {
      assert.equal(m.videoFrames, kept);
      assert.ok(Math.abs(m.audioSeconds - m.videoEnd) <= 1 / 30, `audio ${m.audioSeconds} video ${m.videoEnd}`);
    } else {
      assert.ok(Math.abs(m.audioSeconds - seconds) <= 1 / 30, `audio ${m.audioSeconds} want ${seconds}`);
    }
  });
}
