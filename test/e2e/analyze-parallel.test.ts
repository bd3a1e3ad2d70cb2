// Parallel audio analysis gives the same levels as the single-threaded path, frame for frame:
// generated 40-second recordings split into 4 ranges (split threshold and, for AAC, segment length
// injected), for PCM, MP3, Opus (Ogg and Matroska) and AAC (M4A, MP4 with video, Matroska), at 30/1
// and 30000/1001, at 44.1 and 48 kHz where the codec allows. Pink noise makes FFmpeg's AAC encoder
// use noise substitution (PNS), whose random state no seek restores: AAC levels are
// segment-defined (see src/analyze/parallel.ts), and these files show that this matters.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { existsSync } from 'node:fs';
import { analyzeAudio, analyzeAudioSerial } from '../../src/analyze/audio.js';
import { generateMedia } from '../../src/media/generate.js';
import { rational } from '../../src/timeline/rational.js';
import { SHARED_MEDIA, tempDir } from '../helpers/media.js';

const EXAMPLE = join(SHARED_MEDIA, 'example.mp4');

const SECONDS = 40;
const SPLIT = { splitSeconds: 10, ranges: 4, segmentSeconds: 5 };
const cases: Array<{ ext: string; sr: number; audio?: string; video?: boolean }> = [
  { ext: 'wav', sr: 44100 },
  { ext: 'wav', sr: 48000 },
  { ext: 'mp3', sr: 44100 },
  { ext: 'mp3', sr: 48000 },
  { ext: 'opus', sr: 48000 },
  { ext: 'webm', sr: 48000 },
  { ext: 'mkv', sr: 48000, audio: 'libopus' },
  { ext: 'm4a', sr: 44100 },
  { ext: 'm4a', sr: 48000 },
  { ext: 'mp4', sr: 44100, video: true },
  { ext: 'mkv', sr: 48000, audio: 'aac' },
];
const key = (c: (typeof cases)[number]) => `${c.ext}-${c.sr}-${c.audio ?? ''}`;
const rates = [rational(30, 1), rational(30000, 1001)];

let tmp: ReturnType<typeof tempDir>;
const paths = new Map<string, string>();
before(async () => {
  tmp = tempDir();
  for (const c of cases) {
    const path = join(tmp.dir, `noise-${key(c)}.${c.ext}`);
    // Pink noise (so that codecs use their noise tools) switched loud/quiet: speech-like levels.
    const graph =
      `anoisesrc=d=${SECONDS}:c=pink:r=${c.sr}:a=0.4:seed=7,` +
      `volume='if(lt(mod(t\\,7)\\,4)\\,1\\,0.01)':eval=frame,aformat=channel_layouts=stereo`;
    await generateMedia(path, {
      duration: SECONDS,
      audio: { sampleRate: c.sr, layout: 'stereo', graph },
      encoders: c.audio ? { audio: c.audio } : undefined,
      video: c.video ? { width: 64, height: 36, rate: rational(2, 1) } : undefined,
    });
    paths.set(key(c), path);
  }
});
after(() => tmp.cleanup());

for (const c of cases) {
  for (const tb of rates) {
    test(`${key(c)} at ${tb.num}/${tb.den}: parallel levels are identical to single-threaded`, async () => {
      const path = paths.get(key(c))!;
      const serial = await analyzeAudio(path, 0, tb, null, undefined, undefined, { ...SPLIT, parallel: false });
      const split = await analyzeAudio(path, 0, tb, null, undefined, undefined, SPLIT);
      assert.ok(Math.abs(serial.levels.length - SECONDS * (tb.num / tb.den)) < 2, `${serial.levels.length} levels`);
      assert.deepEqual(split.levels, serial.levels);
      assert.equal(split.seconds, serial.seconds);
      assert.deepEqual(split.mode, { kind: 'parallel', ranges: 4 });
      const aac = c.ext === 'm4a' || c.ext === 'mp4' || c.audio === 'aac';
      // 40 s in 5 s segments: 8 of them, decoded one after another by the single-threaded path.
      assert.deepEqual(serial.mode, { kind: 'serial', why: aac ? 'segments of 8' : 'single-threaded' });
    });
  }
}

test('AAC with noise substitution: segments differ from one continuous decode, only slightly', async () => {
  const path = paths.get('m4a-44100-')!;
  const tb = rational(30, 1);
  const continuous = await analyzeAudioSerial(path, 0, tb, null);
  const segmented = await analyzeAudio(path, 0, tb, null, undefined, undefined, { ...SPLIT, parallel: false });
  const segment0 = 5 * 30; // the first segment is decoded from the top: the continuous decode
  assert.deepEqual(segmented.levels.subarray(0, segment0), continuous.levels.subarray(0, segment0));
  let differing = 0;
  let max = 0;
  for (let i = 0; i < continuous.levels.length; i++) {
    const d = Math.abs(continuous.levels[i] - segmented.levels[i]);
    if (d) differing++;
    max = Math.max(max, d);
  }
  assert.ok(differing > 0, 'the test file must exercise PNS, or the identity tests above prove nothing for AAC');
  assert.ok(max < 0.05 * 65535, `max difference ${max / 65535}`);
});

test('AAC without noise substitution (a real recording): segments equal the continuous decode', async (t) => {
  if (!existsSync(EXAMPLE)) return t.skip(`${EXAMPLE} missing`);
  const tb = rational(30, 1);
  const continuous = await analyzeAudioSerial(EXAMPLE, 0, tb, null);
  const segmented = await analyzeAudio(EXAMPLE, 0, tb, null, undefined, undefined, { splitSeconds: 1, ranges: 3, segmentSeconds: 2 });
  assert.deepEqual(segmented.mode, { kind: 'parallel', ranges: 3 });
  assert.deepEqual(segmented.levels, continuous.levels);
});

test('one channel: parallel equals serial', async () => {
  const path = paths.get('mp3-44100-')!;
  const tb = rational(30000, 1001);
  const serial = await analyzeAudio(path, 0, tb, 1, undefined, undefined, { parallel: false });
  const split = await analyzeAudio(path, 0, tb, 1, undefined, undefined, { splitSeconds: 10, ranges: 3 });
  assert.deepEqual(split.levels, serial.levels);
  assert.equal(split.mode?.kind, 'parallel');
  const aac = paths.get('m4a-48000-')!;
  const aacSerial = await analyzeAudio(aac, 0, tb, 0, undefined, undefined, { ...SPLIT, parallel: false });
  const aacSplit = await analyzeAudio(aac, 0, tb, 0, undefined, undefined, { ...SPLIT, ranges: 3 });
  assert.deepEqual(aacSplit.levels, aacSerial.levels);
  assert.deepEqual(aacSplit.mode, { kind: 'parallel', ranges: 3 });
});

test('short inputs stay serial; progress reaches the end in parallel', async () => {
  const path = paths.get('wav-48000-')!;
  const short = await analyzeAudio(path, 0, rational(30, 1), null);
  assert.equal(short.mode?.kind, 'serial'); // 40 s is below the default 600 s split
  let last = 0;
  const split = await analyzeAudio(path, 0, rational(30, 1), null, (done) => (last = done), undefined, { splitSeconds: 10, ranges: 4 });
  assert.equal(split.mode?.kind, 'parallel');
  assert.equal(last, SECONDS);
});
