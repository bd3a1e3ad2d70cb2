// End-to-end check of the Shotcut and Kdenlive exports against something outside our code: melt
// (the MLT command line both editors are built on) renders each written file, and the rendered
// video must have exactly the timeline's frame count, show the right source frames (each frame
// carries its number in its luma), and last as long in audio. Media is generated in-process:
// 4 s at 160x120, 30, 30000/1001 and 25 fps, stereo, mono, two audio streams, audio only; every
// timeline has several clips and one 1.5x clip.
//
// Runs whenever `melt` is on PATH; skipped with a message otherwise, except under CI (CI set),
// where a missing melt is a failure: .ci/run installs it.
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeKdenlive, writeShotcut } from '../../src/export/mlt.js';
import type { Exporter } from '../../src/export/types.js';
import { AudioReader } from '../../src/media/audio-reader.js';
import { loadAv } from '../../src/media/av.js';
import { chooseEncoders } from '../../src/media/codecs.js';
import { StreamDecoder } from '../../src/media/decoder.js';
import { burstExpr, generateMedia } from '../../src/media/generate.js';
import { OutputFile } from '../../src/media/output.js';
import { probe } from '../../src/media/probe.js';
import type { MediaInfo } from '../../src/media/types.js';
import { runsToTimeline } from '../../src/timeline/clips.js';
import { type Timeline, timelineLength } from '../../src/timeline/model.js';
import type { Rational } from '../../src/timeline/rational.js';
import { meltAvailable, renderWithMelt } from '../helpers/melt.js';
import { FRAME_NUMBER_FILTER, SHARED_MEDIA, frameNumberOf, hasSharedMedia, meanLumas, measure, peakBetween, tempDir } from '../helpers/media.js';

const DURATION = 4;
/** Loud tone in the first audio stream; the second stream (when there is one) is loud later. */
const BURSTS_1: Array<[number, number]> = [[0, 1]];
const BURSTS_2: Array<[number, number]> = [[2, 3]];

interface Case {
  name: string;
  file: string;
  rate: Rational | null;
  audio: Array<{ layout: 'mono' | 'stereo'; sampleRate: number }>;
}

const CASES: Case[] = [
  // Spaces, '#', '%' and non-ASCII in the name: melt must open the path exactly as written.
  { name: '30 fps stereo, awkward file name', file: 'talk #1 100% é.mp4', rate: { num: 30, den: 1 }, audio: [{ layout: 'stereo', sampleRate: 48000 }] },
  { name: '30000/1001 stereo', file: 'ntsc.mp4', rate: { num: 30000, den: 1001 }, audio: [{ layout: 'stereo', sampleRate: 44100 }] },
  { name: '25 fps mono', file: 'pal mono.mkv', rate: { num: 25, den: 1 }, audio: [{ layout: 'mono', sampleRate: 48000 }] },
  {
    name: '30000/1001 two audio streams',
    file: 'two streams.mkv',
    rate: { num: 30000, den: 1001 },
    audio: [
      { layout: 'stereo', sampleRate: 48000 },
      { layout: 'mono', sampleRate: 48000 },
    ],
  },
  { name: 'audio only', file: 'voice.m4a', rate: null, audio: [{ layout: 'stereo', sampleRate: 48000 }] },
];

/**
 * Video plus two audio streams. generateMedia writes one audio stream, so this drives the same
 * encoders and lavfi sources itself.
 */
async function generateTwoStreams(path: string, c: Case): Promise<void> {
  await loadAv();
  const codecs = chooseEncoders('.mkv', 'h264', null);
  const out = OutputFile.create(path, path);
  try {
    const rate = c.rate!;
    const video = out.addVideo({ encoder: codecs.video!, width: 160, height: 120, frameRate: rate, sar: { num: 1, den: 1 }, pixelFormat: 'yuv420p', options: { preset: 'ultrafast' } });
    const sinks = c.audio.map((a) => out.addAudio({ encoder: codecs.audio!, sampleRate: a.sampleRate, layout: a.layout }));
    out.begin();
    const dec = await StreamDecoder.open(`testsrc2=size=160x120:rate=${rate.num}/${rate.den}:duration=${DURATION},${FRAME_NUMBER_FILTER}`, 'video', 0, { inputFormat: 'lavfi' });
    try {
      let n = 0;
      for (let f = dec.next(); f; f = dec.next()) video.write(f, n++);
    } finally {
      dec.close();
    }
    for (const [i, a] of c.audio.entries()) {
      const e = burstExpr(i === 0 ? BURSTS_1 : BURSTS_2);
      const graph = `aevalsrc=exprs=${a.layout === 'stereo' ? `${e}|${e}` : e}:s=${a.sampleRate}:d=${DURATION}:c=${a.layout}`;
      const reader = await AudioReader.open(graph, 0, { format: 'flt', inputFormat: 'lavfi', chunkSamples: 16384, sampleRate: a.sampleRate, layout: a.layout });
      try {
        for (let chunk = reader.read(); chunk; chunk = reader.read()) sinks[i].write(chunk.data, chunk.samples);
      } finally {
        reader.close();
      }
    }
    out.finish();
  } finally {
    out.close();
  }
}

/** Kept runs in seconds; the second one plays at 1.5x. */
const RUNS: Array<[number, number, number]> = [
  [0, 0.5, 1],
  [0.8, 1.6, 1.5],
  [2.0, 2.6, 1],
  [3.0, 3.8, 1],
];

function timelineFor(info: MediaInfo, tb: Rational): Timeline {
  const fps = tb.num / tb.den;
  const runs = RUNS.map(([a, b, speed]) => ({ start: Math.round(a * fps), end: Math.round(b * fps), speed, volume: 1 }));
  const tl = runsToTimeline(runs, info, tb);
  // An audio-only timeline would render at 1920x1080; a small frame keeps the render fast.
  if (!info.video.length) tl.resolution = [160, 120];
  return tl;
}

/** The source frame number (mod 64, as painted) each output frame must show. */
function expectedFrameNumbers(tl: Timeline): number[] {
  const want: number[] = [];
  for (const clip of tl.v[0]) for (let n = 0; n < clip.dur; n++) want.push(Math.round((clip.offset + n) * clip.speed) % 64);
  return want;
}

const WRITERS: Array<{ name: string; ext: string; write: Exporter }> = [
  { name: 'shotcut', ext: 'mlt', write: writeShotcut },
  { name: 'kdenlive', ext: 'kdenlive', write: writeKdenlive },
];

/**
 * Writes `tl` with writer `w`, renders it with melt and checks what melt made: the timeline's
 * exact frame count, and audio as long as the video. Returns the rendered file.
 */
async function renderAndCheckLength(w: (typeof WRITERS)[number], tl: Timeline, info: MediaInfo, dir: string, name: string): Promise<string> {
  // The project file gets a plain name: melt cannot load a project whose own file name has '%'
  // (it percent-decodes it). The media path inside keeps its awkward name.
  const stem = name.replace(/[^A-Za-z0-9]+/g, '_');
  const project = join(dir, `${stem}.${w.ext}`);
  const rendered = join(dir, `${stem}.${w.name}.mp4`);
  writeFileSync(project, w.write({ timeline: tl, sources: new Map([[info.path, info]]) }, {}));
  const stderr = await renderWithMelt(project, rendered);
  // melt exits 0 even when it cannot load the project; it says so on stderr.
  assert.doesNotMatch(stderr, /Failed to load/, `${w.name}: melt loads the project`);
  assert.ok(statSync(rendered).size > 0, `${w.name}: melt wrote ${rendered}; stderr: ${stderr}`);
  const length = timelineLength(tl);
  const m = await measure(rendered);
  assert.equal(m.videoFrames, length, `${w.name}: melt rendered the timeline's ${length} frames`);
  const seconds = (length * tl.tb.den) / tl.tb.num;
  assert.ok(Math.abs(m.audioSeconds - seconds) < 0.05, `${w.name}: audio lasts ${m.audioSeconds} s, timeline ${seconds} s`);
  return rendered;
}

if (!meltAvailable()) {
  if (process.env.CI) {
    test('melt is installed (required in CI)', () => {
      assert.fail('melt is not on PATH: CI must install it (.ci/run runs apt-get install -y melt)');
    });
  } else {
    test('MLT exports render in melt', { skip: 'melt is not on PATH; install it (apt-get install -y melt) to check Shotcut/Kdenlive exports' }, () => {});
  }
} else {
  describe('Shotcut and Kdenlive exports render in melt', { concurrency: 2 }, () => {
    let tmp: ReturnType<typeof tempDir>;
    const sources = new Map<string, MediaInfo>();
    before(async () => {
      tmp = tempDir('tacet-melt-');
      for (const c of CASES) {
        const path = join(tmp.dir, c.file);
        if (c.audio.length > 1) await generateTwoStreams(path, c);
        else {
          await generateMedia(path, {
            duration: DURATION,
            audio: { ...c.audio[0], bursts: BURSTS_1 },
            ...(c.rate ? { video: { width: 160, height: 120, rate: c.rate, filters: FRAME_NUMBER_FILTER } } : {}),
          });
        }
        sources.set(c.name, await probe(path));
      }
    });
    after(() => tmp?.cleanup());

    for (const c of CASES) {
      test(c.name, async () => {
        const info = sources.get(c.name)!;
        assert.equal(info.audio.length, c.audio.length, 'generated the audio streams');
        const tb = c.rate ?? { num: 30, den: 1 };
        const tl = timelineFor(info, tb);
        assert.ok(tl.v.length === 0 || tl.v[0].some((clip) => clip.speed === 1.5), 'has the 1.5x clip');
        await Promise.all(
          WRITERS.map(async (w) => {
            const rendered = await renderAndCheckLength(w, tl, info, tmp.dir, c.file);
            if (c.rate) {
              const got = (await meanLumas(rendered)).map(frameNumberOf);
              assert.deepEqual(got, expectedFrameNumbers(tl), `${w.name}: every output frame shows the right source frame`);
            }
            // The first clip holds the first stream's tone (amplitude 0.5): its audio track is
            // heard, and only once (the video track's producer has its audio off; twice would
            // peak near 1).
            const fps = tb.num / tb.den;
            const peak = await peakBetween(rendered, 0.05, 0.45);
            assert.ok(peak > 0.2 && peak < 0.75, `${w.name}: first audio stream is heard once (peak ${peak})`);
            if (c.audio.length > 1) {
              // Timeline clip 3 is source 2.0–2.6 s, where only the second stream has a tone:
              // the second audio track must play stream 2 (audio_index), mixed in.
              const clip3 = tl.a[1][2];
              const from = clip3.start / fps + 0.05;
              const to = (clip3.start + clip3.dur) / fps - 0.05;
              assert.ok((await peakBetween(rendered, from, to)) > 0.1, `${w.name}: second audio stream is heard on its own track`);
            }
          }),
        );
      });
    }

    // A real recording (H.264 with B-frames, AAC with priming, 720p): the same checks on length.
    test('shared example.mp4', { skip: hasSharedMedia ? false : 'no ../shared/media/example.mp4' }, async () => {
      const info = await probe(join(SHARED_MEDIA, 'example.mp4'));
      const tb = info.video[0].avgFrameRate!;
      const fps = tb.num / tb.den;
      const runs = [
        [0, 0.5, 1],
        [10, 12, 1.5],
        [20, 21, 1],
        [40, 41, 1],
      ].map(([a, b, speed]) => ({ start: Math.round(a * fps), end: Math.round(b * fps), speed, volume: 1 }));
      const tl = runsToTimeline(runs, info, tb);
      await Promise.all(WRITERS.map((w) => renderAndCheckLength(w, tl, info, tmp.dir, 'example.mp4')));
    });
  });
}
