// Every export of example.mp4 through the CLI, each checked by something outside our code where
// one exists (xmllint with Apple's DTD, melt rendering the MLT files), plus Premiere round trips,
// clip sequences and Resolve's extracted audio tracks.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readXmeml } from '../../src/import/xmeml.js';
import { AudioReader } from '../../src/media/audio-reader.js';
import { loadAv, yieldToLoop } from '../../src/media/av.js';
import { generateMedia } from '../../src/media/generate.js';
import { OutputFile } from '../../src/media/output.js';
import { StreamDecoder } from '../../src/media/decoder.js';
import { runCli } from '../helpers/cli.js';
import { meltAvailable, renderWithMelt } from '../helpers/melt.js';
import { FRAME_NUMBER_FILTER, ROOT, SHARED_MEDIA, frameNumberOf, hasSharedMedia, meanLumas, measure, tempDir } from '../helpers/media.js';

const example = join(SHARED_MEDIA, 'example.mp4');
const FORMATS = join(ROOT, '..', 'shared', 'formats');
const skip = hasSharedMedia ? false : 'shared/media is absent';
const has = (cmd: string, arg = '--version') => spawnSync(cmd, [arg], { stdio: 'ignore' }).status === 0;
const hasMelt = meltAvailable();
const hasXmllint = has('xmllint');
const KEPT = 523;

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

async function exportExample(kind: string, ext: string): Promise<string> {
  const out = join(tmp.dir, `example-${kind}${ext}`);
  const r = await runCli([example, '--export', kind, '-o', out, '--no-cache']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(out), `${kind} wrote ${out}`);
  return out;
}

for (const [kind, version] of [
  ['final-cut-pro', '11'],
  ['resolve', '10'],
] as const) {
  test(`example.mp4 → ${kind}: valid against FCPXML 1.${version} DTD (xmllint)`, { skip: skip || (!hasXmllint && !process.env.CI && 'xmllint absent') }, async () => {
    const out = await exportExample(kind, '.fcpxml');
    const r = spawnSync('xmllint', ['--noout', '--dtdvalid', join(FORMATS, `FCPXMLv1_${version}.dtd`), out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(readFileSync(out, 'utf8'), new RegExp(`<fcpxml version="1\\.${version}"`));
  });
}

for (const [kind, ext] of [
  ['shotcut', '.mlt'],
  ['kdenlive', '.kdenlive'],
] as const) {
  test(`example.mp4 → ${kind}: melt renders exactly ${KEPT} frames`, { skip: skip || (!hasMelt && !process.env.CI && 'melt absent') }, async () => {
    const project = await exportExample(kind, ext);
    const rendered = join(tmp.dir, `${kind}-render.mp4`);
    const stderr = await renderWithMelt(project, rendered);
    assert.doesNotMatch(stderr, /Failed to load/);
    const m = await measure(rendered);
    assert.equal(m.videoFrames, KEPT);
  });
}

test('example.mp4 → premiere: structure, and the XML renders back to the same frames', { skip }, async () => {
  const xml = await exportExample('premiere', '.xml');
  const imported = readXmeml(readFileSync(xml, 'utf8'), tmp.dir);
  const video = imported.timeline.v[0];
  assert.equal(video.reduce((n, c) => n + c.dur, 0), KEPT);
  assert.equal(imported.sources.length, 1);
  const out = join(tmp.dir, 'from-premiere.mp4');
  const r = await runCli([xml, '-o', out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal((await measure(out)).videoFrames, KEPT);
});

test('example.mp4 → resolve-fcp7, otio, edl, v1, v2, v3: durations add up to the kept frames', { skip }, async () => {
  const fcp7 = readXmeml(readFileSync(await exportExample('resolve-fcp7', '.xml'), 'utf8'), tmp.dir);
  assert.equal(fcp7.timeline.v[0].reduce((n, c) => n + c.dur, 0), KEPT);
  const otio = JSON.parse(readFileSync(await exportExample('otio', '.otio'), 'utf8'));
  assert.equal(otio.OTIO_SCHEMA, 'Timeline.1');
  const videoTrack = otio.tracks.children.find((t: { kind: string }) => t.kind === 'Video');
  const frames = videoTrack.children.reduce((n: number, c: { source_range: { duration: { value: number } } }) => n + c.source_range.duration.value, 0);
  assert.equal(Math.round(frames), KEPT);
  const edl = readFileSync(await exportExample('edl', '.edl'), 'utf8');
  const events = edl.split('\n').filter((l) => /^\d{3,4}\s/.test(l));
  const lastRecordOut = events[events.length - 1].trim().split(/\s+/).pop()!;
  // Record from 01:00:00:00 at 30 fps: 523 frames later is 01:00:17:13.
  assert.equal(lastRecordOut, '01:00:17:13');
  for (const [kind, ext] of [
    ['v1', '.json'],
    ['v2', '.v2'],
    ['v3', '.v3'],
  ]) {
    const json = JSON.parse(readFileSync(await exportExample(kind, ext), 'utf8'));
    assert.equal(json.version, kind.slice(1));
  }
});

test('clip-sequence writes one file per kept clip, each with exactly that clip’s frames', async () => {
  const src = join(tmp.dir, 'seq.mp4');
  await generateMedia(src, {
    duration: 6,
    video: { width: 96, height: 64, rate: { num: 30, den: 1 }, source: 'color', filters: FRAME_NUMBER_FILTER },
    audio: { sampleRate: 48000, layout: 'stereo', bursts: [[1, 2], [3.5, 4.5]] },
  });
  const v3 = JSON.parse((await runCli([src, '--export', 'v3', '-o', '-', '--no-cache'])).stdout);
  const clips = v3.v[0] as Array<{ offset: number; dur: number }>;
  assert.equal(clips.length, 2);
  const dir = join(tmp.dir, 'seq-clips');
  const r = await runCli([src, '--export', 'clip-sequence', '-o', dir, '--no-cache']);
  assert.equal(r.code, 0, r.stderr);
  const files = readdirSync(dir).sort();
  assert.deepEqual(files, ['seq-1.mp4', 'seq-2.mp4']);
  for (let i = 0; i < clips.length; i++) {
    const numbers = (await meanLumas(join(dir, files[i]))).map(frameNumberOf);
    assert.deepEqual(numbers, Array.from({ length: clips[i].dur }, (_, k) => (clips[i].offset + k) % 64));
  }
});

/** A video with two audio streams (a loud one and a quiet one), built from generated parts. */
async function twoAudioStreams(path: string): Promise<void> {
  const a = join(tmp.dir, 'a.wav');
  const b = join(tmp.dir, 'b.wav');
  const v = join(tmp.dir, 'v.mp4');
  await generateMedia(a, { duration: 4, audio: { sampleRate: 48000, layout: 'stereo', bursts: [[1, 3]] } });
  await generateMedia(b, { duration: 4, audio: { sampleRate: 48000, layout: 'mono', bursts: [[0, 4]] } });
  await generateMedia(v, { duration: 4, video: { width: 96, height: 64, rate: { num: 25, den: 1 } } });
  await loadAv();
  const out = OutputFile.create(path, path);
  const video = out.addVideo({ encoder: 'libx264', width: 96, height: 64, frameRate: { num: 25, den: 1 }, sar: { num: 1, den: 1 }, pixelFormat: 'yuv420p', options: { preset: 'ultrafast' } });
  const sinks = [out.addAudio({ encoder: 'aac', sampleRate: 48000, layout: 'stereo' }), out.addAudio({ encoder: 'aac', sampleRate: 48000, layout: 'mono' })];
  out.begin();
  const dec = await StreamDecoder.open(v, 'video', 0);
  let n = 0;
  for (let f = dec.next(); f; f = dec.next()) video.write(f, n++);
  dec.close();
  for (const [i, file] of [a, b].entries()) {
    const reader = await AudioReader.open(file, 0, { format: 'flt', chunkSamples: 8192 });
    for (let c = reader.read(); c; c = reader.read()) sinks[i].write(c.data, c.samples);
    reader.close();
    await yieldToLoop();
  }
  out.finish();
}

test('resolve and resolve-fcp7 write audio streams after the first as WAVs in <stem>_tracks/ and reference them', async () => {
  const src = join(tmp.dir, 'two mics.mp4');
  await twoAudioStreams(src);
  for (const [kind, ext] of [
    ['resolve', '.fcpxml'],
    ['resolve-fcp7', '.xml'],
  ]) {
    const project = join(tmp.dir, `two-${kind}${ext}`);
    const r = await runCli([src, '--export', kind, '-o', project, '--no-cache']);
    assert.equal(r.code, 0, r.stderr);
    const tracks = join(tmp.dir, `two-${kind}_tracks`);
    const wavs = readdirSync(tracks);
    assert.deepEqual(wavs, ['two mics-1.wav']);
    const text = readFileSync(project, 'utf8');
    assert.ok(text.includes(encodeURIComponent('two mics-1.wav')) || text.includes('two mics-1.wav'), 'project references the WAV');
    const m = await measure(join(tracks, wavs[0]));
    assert.equal(m.channels, 1);
    assert.ok(Math.abs(m.audioSeconds - 4) < 0.03, `WAV is ${m.audioSeconds}s, the whole stream`);
  }
});
