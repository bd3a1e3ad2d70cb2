// Parallel audio analysis gives the same levels as the serial path, frame for frame: generated
// recordings of two minutes split into 4 ranges (split threshold injected), for PCM, MP3 and Opus
// at 30/1 and 30000/1001, at 44.1 and 48 kHz where the codec allows. AAC falls back to serial:
// FFmpeg's AAC decoder keeps a noise-substitution (PNS) random state from the first frame on, so a
// range decoded after a seek can differ (measured: levels differed ~4 s after a boundary on pink
// noise although the samples at the boundary matched).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { analyzeAudio } from '../../src/analyze/audio.js';
import { generateMedia } from '../../src/media/generate.js';
import { rational } from '../../src/timeline/rational.js';
import { tempDir } from '../helpers/media.js';

const SECONDS = 120;
const cases: Array<{ ext: string; sr: number; parallel: boolean }> = [
  { ext: 'wav', sr: 44100, parallel: true },
  { ext: 'wav', sr: 48000, parallel: true },
  { ext: 'mp3', sr: 44100, parallel: true },
  { ext: 'mp3', sr: 48000, parallel: true },
  { ext: 'opus', sr: 48000, parallel: true },
  { ext: 'm4a', sr: 44100, parallel: false },
  { ext: 'm4a', sr: 48000, parallel: false },
];
const rates = [rational(30, 1), rational(30000, 1001)];

let tmp: ReturnType<typeof tempDir>;
const paths = new Map<string, string>();
before(async () => {
  tmp = tempDir();
  for (const c of cases) {
    const path = join(tmp.dir, `noise-${c.sr}.${c.ext}`);
    // Pink noise (so that codecs use their noise tools) switched loud/quiet: speech-like levels.
    const graph =
      `anoisesrc=d=${SECONDS}:c=pink:r=${c.sr}:a=0.4:seed=7,` +
      `volume='if(lt(mod(t\\,7)\\,4)\\,1\\,0.01)':eval=frame,aformat=channel_layouts=stereo`;
    await generateMedia(path, { duration: SECONDS, audio: { sampleRate: c.sr, layout: 'stereo', graph } });
    paths.set(`${c.ext}-${c.sr}`, path);
  }
});
after(() => tmp.cleanup());

for (const c of cases) {
  for (const tb of rates) {
    test(`${c.ext} ${c.sr} Hz at ${tb.num}/${tb.den}: parallel levels are identical to serial`, async () => {
      const path = paths.get(`${c.ext}-${c.sr}`)!;
      const serial = await analyzeAudio(path, 0, tb, null, undefined, undefined, { parallel: false });
      const split = await analyzeAudio(path, 0, tb, null, undefined, undefined, { splitSeconds: 10, ranges: 4 });
      assert.deepEqual(split.levels, serial.levels);
      assert.equal(split.seconds, serial.seconds);
      if (c.parallel) {
        assert.deepEqual(split.mode, { kind: 'parallel', ranges: 4 });
      } else {
        assert.equal(split.mode?.kind, 'serial');
        assert.match((split.mode as { why: string }).why, /codec aac/);
      }
    });
  }
}

test('one channel: parallel equals serial', async () => {
  const path = paths.get('mp3-44100')!;
  const tb = rational(30000, 1001);
  const serial = await analyzeAudio(path, 0, tb, 1, undefined, undefined, { parallel: false });
  const split = await analyzeAudio(path, 0, tb, 1, undefined, undefined, { splitSeconds: 10, ranges: 3 });
  assert.deepEqual(split.levels, serial.levels);
  assert.equal(split.mode?.kind, 'parallel');
});

test('short inputs stay serial; progress reaches the end in parallel', async () => {
  const path = paths.get('wav-48000')!;
  const short = await analyzeAudio(path, 0, rational(30, 1), null);
  assert.equal(short.mode?.kind, 'serial'); // 120 s is below the default 600 s split
  let last = 0;
  const split = await analyzeAudio(path, 0, rational(30, 1), null, (done) => (last = done), undefined, { splitSeconds: 10, ranges: 4 });
  assert.equal(split.mode?.kind, 'parallel');
  assert.equal(last, SECONDS);
});
