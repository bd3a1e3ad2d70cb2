// Parallel video analysis gives the same levels as the serial path, frame for frame: generated
// 20-second 320x240 H.264 videos with motion (testsrc2: a moving pattern and a running clock), 1 s
// GOPs with B-frames, in MP4 and Matroska (also with open GOPs), split into 4 ranges at keyframes,
// at 30/1 and 30000/1001, for motion (whole picture and a region) and blackdetect.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { analyzeVideoPlanned } from '../../src/analyze/video-parallel.js';
import { runVideoRange, type VideoRangeJob } from '../../src/analyze/video-range.js';
import type { VideoMeasureSpec } from '../../src/analyze/video.js';
import { generateMedia } from '../../src/media/generate.js';
import { rational } from '../../src/timeline/rational.js';
import { tempDir } from '../helpers/media.js';

const SECONDS = 20;
const SPLIT = { splitSeconds: 5, ranges: 4 };
const files: Array<{ name: string; ext: string; options: Record<string, string> }> = [
  { name: 'mp4', ext: 'mp4', options: { preset: 'veryfast', g: '30', bf: '3' } },
  { name: 'mkv', ext: 'mkv', options: { preset: 'veryfast', g: '30', bf: '3' } },
  { name: 'mkv-open-gop', ext: 'mkv', options: { preset: 'veryfast', g: '30', bf: '3', 'x264-params': 'open-gop=1' } },
];
const motion: VideoMeasureSpec = { kind: 'motion', width: 400, blur: 9, region: null };

let tmp: ReturnType<typeof tempDir>;
const paths = new Map<string, string>();
before(async () => {
  tmp = tempDir();
  for (const f of files) {
    const path = join(tmp.dir, `moving-${f.name}.${f.ext}`);
    // 10 pictures a second shown 3 times each: motion alternates between change and (near) none.
    await generateMedia(path, {
      duration: SECONDS,
      video: { width: 320, height: 240, rate: rational(30, 1), source: 'testsrc2', filters: 'fps=10,fps=30' },
      videoOptions: f.options,
    });
    paths.set(f.name, path);
  }
});
after(() => tmp.cleanup());

for (const f of files) {
  for (const tb of [rational(30, 1), rational(30000, 1001)]) {
    test(`${f.name} at ${tb.num}/${tb.den}: parallel motion levels are identical to serial`, async () => {
      const path = paths.get(f.name)!;
      const serial = await analyzeVideoPlanned(path, 0, tb, motion, undefined, undefined, { parallel: false });
      const split = await analyzeVideoPlanned(path, 0, tb, motion, undefined, undefined, SPLIT);
      assert.deepEqual(split.mode, { kind: 'parallel', ranges: 4 });
      assert.ok(Math.abs(serial.levels.length - SECONDS * (tb.num / tb.den)) < 3, `${serial.levels.length} levels`);
      const moving = serial.levels.filter((v) => v > 0.05 * 65535).length;
      assert.ok(moving > serial.levels.length / 5 && moving < serial.levels.length / 2, `${moving} moving frames`);
      assert.deepEqual(split.levels, serial.levels);
      assert.equal(split.seconds, serial.seconds);
    });
  }
}

test('motion in a region and blackdetect: parallel equals serial', async () => {
  const path = paths.get('mp4')!;
  const tb = rational(30000, 1001);
  const specs: VideoMeasureSpec[] = [
    { kind: 'motion', width: 200, blur: 3, region: [0.1, 0.2, 0.5, 0.5] },
    { kind: 'black', pixelBlack: 0.3 },
  ];
  for (const spec of specs) {
    const serial = await analyzeVideoPlanned(path, 0, tb, spec, undefined, undefined, { parallel: false });
    const split = await analyzeVideoPlanned(path, 0, tb, spec, undefined, undefined, { splitSeconds: 5, ranges: 3 });
    assert.deepEqual(split.mode, { kind: 'parallel', ranges: 3 });
    assert.ok(new Set(serial.levels).size > 3, `${spec.kind}: levels vary`);
    assert.deepEqual(split.levels, serial.levels, spec.kind);
  }
});

test('short inputs stay serial; progress reaches the end in parallel', async () => {
  const path = paths.get('mkv')!;
  const short = await analyzeVideoPlanned(path, 0, rational(30, 1), motion, undefined, undefined, { ranges: 4 });
  assert.deepEqual(short.mode, { kind: 'serial', why: 'single-threaded' }); // 20 s is below the default 120 s split
  let last = 0;
  const split = await analyzeVideoPlanned(path, 0, rational(30, 1), motion, (done) => (last = done), undefined, SPLIT);
  assert.equal(split.mode.kind, 'parallel');
  assert.ok(Math.abs(last - SECONDS) < 0.1, `progress ${last}`);
});

test('a range equals its slice of the serial levels only with its pre-roll GOP', async () => {
  const path = paths.get('mkv')!; // Matroska: milliseconds, keyframes every 1000
  const tb = rational(30, 1);
  const serial = await analyzeVideoPlanned(path, 0, tb, motion, undefined, undefined, { parallel: false });
  const job: VideoRangeJob = {
    kind: 'video',
    path,
    stream: 0,
    tb: { num: 30, den: 1 },
    measure: motion,
    prerollPts: 9000,
    startPts: 10000,
    endPts: 14000,
    tailFromPts: 13000,
    threads: 1,
  };
  const r = await runVideoRange(job);
  assert.equal(r.startPrev, 299); // the frame at 9.967 s
  assert.equal(r.endPrev, 419);
  assert.deepEqual(r.levels, serial.levels.subarray(300, 420));
  assert.notEqual(r.head, null);
  // The next range's pre-roll, decoded from its own seek, hashes the same as this range's tail.
  const next = await runVideoRange({ ...job, prerollPts: 13000, startPts: 14000, endPts: null, tailFromPts: null });
  assert.equal(next.head, r.tail);
  assert.deepEqual(next.levels, serial.levels.subarray(420));
  // Without pre-roll the first value has no previous frame (0) and fills the grid from index 0.
  const bare = await runVideoRange({ ...job, prerollPts: 10000 });
  assert.equal(bare.startPrev, -1);
  assert.notDeepEqual(bare.levels.subarray(bare.levels.length - 120), serial.levels.subarray(300, 420));
});
