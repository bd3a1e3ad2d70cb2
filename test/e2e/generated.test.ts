// End-to-end: recordings generated in-process (tone bursts over near-silence, a test pattern)
// go through the CLI; kept segments and rendered durations are checked against the known bursts.
// A covering set of containers, layouts, sample rates and frame rates (each value at least once).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateMedia, type GenerateSpec } from '../../src/media/generate.js';
import { runCli } from '../helpers/cli.js';
import { measure, tempDir } from '../helpers/media.js';

interface Case {
  name: string;
  ext: string;
  fps: { num: number; den: number } | null;
  sampleRate: number;
  layout: 'mono' | 'stereo';
}

const CASES: Case[] = [
  { name: 'mp4 30fps 48k stereo', ext: '.mp4', fps: { num: 30, den: 1 }, sampleRate: 48000, layout: 'stereo' },
  { name: 'mkv 25fps 44.1k mono', ext: '.mkv', fps: { num: 25, den: 1 }, sampleRate: 44100, layout: 'mono' },
  { name: 'mp4 30000/1001 44.1k stereo', ext: '.mp4', fps: { num: 30000, den: 1001 }, sampleRate: 44100, layout: 'stereo' },
  { name: 'mkv 30000/1001 48k mono', ext: '.mkv', fps: { num: 30000, den: 1001 }, sampleRate: 48000, layout: 'mono' },
  { name: 'wav 48k mono', ext: '.wav', fps: null, sampleRate: 48000, layout: 'mono' },
  { name: 'mp3 44.1k stereo', ext: '.mp3', fps: null, sampleRate: 44100, layout: 'stereo' },
  { name: 'm4a 48k stereo', ext: '.m4a', fps: null, sampleRate: 48000, layout: 'stereo' },
];

const DURATION = 6;
const BURSTS: Array<[number, number]> = [
  [1, 2],
  [3.5, 4.5],
];

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

/** Frames expected to be kept: each burst widened by the default 0.2 s margin on both sides. */
function expectedRuns(tb: number): Array<[number, number]> {
  const m = Math.trunc(0.2 * tb); // auto-editor truncates time → frames
  return BURSTS.map(([a, b]) => [Math.floor(a * tb) - m, Math.ceil(b * tb) + m]);
}

for (const c of CASES) {
  describe(c.name, () => {
    const input = () => join(tmp.dir, `in-${c.name.replace(/[^a-z0-9]/gi, '_')}${c.ext}`);
    const tb = c.fps ? c.fps.num / c.fps.den : 30;

    before(async () => {
      const spec: GenerateSpec = {
        duration: DURATION,
        audio: { sampleRate: c.sampleRate, layout: c.layout, bursts: BURSTS },
        ...(c.fps ? { video: { width: 160, height: 120, rate: c.fps } } : {}),
      };
      await generateMedia(input(), spec);
    });

    test('keeps the bursts plus margin', async () => {
      const r = await runCli([input(), '--export', 'v3', '-o', '-', '--no-cache']);
      assert.equal(r.code, 0, r.stderr);
      const tl = JSON.parse(r.stdout);
      const expectedTb = c.fps ? `${c.fps.num}/${c.fps.den}` : '30/1';
      assert.equal(tl.timebase, expectedTb);
      const clips = tl.a[0] as Array<{ start: number; dur: number; offset: number }>;
      const runs = clips.map((k) => [k.offset, k.offset + k.dur]);
      const want = expectedRuns(tb);
      assert.equal(runs.length, want.length, `runs ${JSON.stringify(runs)}`);
      // Lossy encoders smear a burst edge by a few milliseconds: allow one frame each side.
      for (let i = 0; i < want.length; i++) {
        assert.ok(Math.abs(runs[i][0] - want[i][0]) <= 1, `run ${i} starts at ${runs[i][0]}, want ${want[i][0]}`);
        assert.ok(Math.abs(runs[i][1] - want[i][1]) <= 1, `run ${i} ends at ${runs[i][1]}, want ${want[i][1]}`);
      }
    });

    test('renders the kept frames with audio and video ending together', async () => {
      const out = join(tmp.dir, `out-${c.name.replace(/[^a-z0-9]/gi, '_')}${c.ext}`);
      const r = await runCli([input(), '-o', out, '--no-cache', '--progress', 'none']);
      assert.equal(r.code, 0, r.stderr);
      const kept = Number(/kept (\d+) of/.exec(r.stdout)?.[1]);
      assert.ok(kept > 0, r.stdout);
      const m = await measure(out);
      const seconds = kept / tb;
      assert.equal(m.sampleRate, c.sampleRate);
      assert.equal(m.channels, c.layout === 'mono' ? 1 : 2);
      if (c.fps) {
        assert.equal(m.videoFrames, kept);
        assert.ok(Math.abs(m.videoEnd - seconds) < 1e-3, `video ends at ${m.videoEnd}, want ${seconds}`);
      }
      // Audio: exact sample count (lossy codecs may pad the final frame, never by a whole video frame).
      assert.ok(Math.abs(m.audioSeconds - seconds) <= 1 / tb, `audio ${m.audioSeconds}s, want ${seconds}s`);
    });
  });
}
