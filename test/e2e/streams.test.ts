// A rendered file keeps what the user had, on the shared recordings: subtitle streams retimed to
// the cut (in the container's own subtitle codec), attachments with the same bytes, and the sample
// aspect ratio. Expected cue times are worked out by hand from the cut and the source cues.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readCues, type Cue } from '../../src/analyze/subtitle.js';
import { av, loadAv } from '../../src/media/av.js';
import { openFormat, probe } from '../../src/media/probe.js';
import { renderTimeline } from '../../src/render/render.js';
import { MOV_TEXT_EXTRADATA } from '../../src/render/streams.js';
import type { Clip, Timeline } from '../../src/timeline/model.js';
import { rational } from '../../src/timeline/rational.js';
import { runCli } from '../helpers/cli.js';
import { SHARED_MEDIA, hasSharedMedia, tempDir } from '../helpers/media.js';

const skip = hasSharedMedia ? false : 'shared/media is absent';
let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

/** Subtitle streams of a file: codec, language and disposition. */
async function subtitleStreams(path: string): Promise<Array<{ codec: string; lang: string | null; disposition: number }>> {
  await loadAv();
  const { lib, c } = av();
  const fmt = await openFormat(path);
  try {
    return fmt.streams
      .filter((s) => s.codecpar.codecType === c.AVMEDIA_TYPE_SUBTITLE)
      .map((s) => ({ codec: lib.avGetCodecName(s.codecpar.codecId) ?? '?', lang: s.metadata?.get('language') ?? null, disposition: Number(s.disposition) }));
  } finally {
    fmt.closeInputSync();
  }
}

/** Cues within a millisecond (the output time base) of the expected ones. */
function assertCues(actual: Cue[], expected: Array<[number, number, string]>): void {
  assert.deepEqual(
    actual.map((c) => c.text),
    expected.map((e) => e[2]),
  );
  actual.forEach((cue, i) => {
    const [s, e] = expected[i];
    assert.ok(Math.abs(cue.start - s) <= 0.0015 && Math.abs(cue.end - e) <= 0.0015, `cue ${i}: got [${cue.start}, ${cue.end}) want [${s}, ${e})`);
  });
}

async function cli(args: string[]): Promise<void> {
  const r = await runCli([...args, '--no-cache']);
  assert.equal(r.code, 0, r.stderr);
}

// mov_text.mp4 and webvtt.mkv (20 fps): "oop" and "boop" cues. Cutting frames 12-32 (0.6-1.6 s)
// clips the end of "oop" and the start of "boop", which then begins at the join.
const MOV_TEXT_CUES: Array<[number, number, string]> = [
  [0.523, 0.6, 'oop'],
  [0.6, 0.916, 'boop'],
];
const WEBVTT_CUES: Array<[number, number, string]> = [
  [0.546, 0.6, 'oop'],
  [0.6, 0.939, 'boop'],
];

test('mov_text.mp4 → MP4: the mov_text stream is kept, its cues clipped at the cut', { skip }, async () => {
  const src = join(SHARED_MEDIA, 'mov_text.mp4');
  const out = join(tmp.dir, 'mov_text-cut.mp4');
  await cli([src, '--edit', 'none', '--cut', '12,32', '-o', out]);
  const [sub, ...more] = await subtitleStreams(out);
  assert.equal(more.length, 0);
  assert.equal(sub.codec, 'mov_text');
  assert.equal(sub.lang, 'und');
  assertCues(await readCues(out, 0), MOV_TEXT_CUES);
});

test('mov_text.mp4 → MKV and WebM: the cues become SubRip and WebVTT', { skip }, async () => {
  const src = join(SHARED_MEDIA, 'mov_text.mp4');
  const mkv = join(tmp.dir, 'mov_text-cut.mkv');
  await cli([src, '--edit', 'none', '--cut', '12,32', '-o', mkv]);
  assert.deepEqual(
    (await subtitleStreams(mkv)).map((s) => s.codec),
    ['subrip'],
  );
  assertCues(await readCues(mkv, 0), MOV_TEXT_CUES);
  // WebM: through the library, at 48 kHz (Opus has no 44.1 kHz).
  const info = await probe(src);
  const clips: Clip[] = [
    { src, start: 0, dur: 12, offset: 0, speed: 1, stream: 0, volume: 1 },
    { src, start: 12, dur: 8, offset: 32, speed: 1, stream: 0, volume: 1 },
  ];
  const tl: Timeline = { tb: rational(20, 1), background: '#000000', resolution: [300, 200], sampleRate: 48000, layout: 'stereo', langs: ['und'], v: [clips], a: [clips] };
  const webm = join(tmp.dir, 'mov_text-cut.webm');
  await renderTimeline(tl, new Map([[src, info]]), { output: webm });
  assert.deepEqual(
    (await subtitleStreams(webm)).map((s) => s.codec),
    ['webvtt'],
  );
  assertCues(await readCues(webm, 0), MOV_TEXT_CUES);
});

test('webvtt.mkv → MKV keeps WebVTT; → MP4 writes mov_text', { skip }, async () => {
  const src = join(SHARED_MEDIA, 'webvtt.mkv');
  for (const [ext, codec] of [
    ['.mkv', 'webvtt'],
    ['.mp4', 'mov_text'],
  ]) {
    const out = join(tmp.dir, `webvtt-cut${ext}`);
    await cli([src, '--edit', 'none', '--cut', '0.6s,1.6s', '-o', out]);
    const subs = await subtitleStreams(out);
    assert.deepEqual(
      subs.map((s) => s.codec),
      [codec],
    );
    assert.ok(subs[0].disposition & 1, 'default disposition kept');
    assertCues(await readCues(out, 0), WEBVTT_CUES);
  }
});

test('sped-up clips scale the cues; a converted mov_text stream has the sample description FFmpeg writes', { skip }, async () => {
  const src = join(SHARED_MEDIA, 'mov_text.mp4');
  const info = await probe(src);
  const tb = rational(20, 1);
  // Source frames 0-10 at 1×, then 10-40 at 2× (offset 5, dur 15: auto-editor's speed-scaled units).
  const clips: Clip[] = [
    { src, start: 0, dur: 10, offset: 0, speed: 1, stream: 0, volume: 1 },
    { src, start: 10, dur: 15, offset: 5, speed: 2, stream: 0, volume: 1 },
  ];
  const tl: Timeline = { tb, background: '#000000', resolution: [300, 200], sampleRate: 44100, layout: 'stereo', langs: ['und'], v: [clips], a: [clips] };
  for (const ext of ['.mp4', '.mkv']) {
    const out = join(tmp.dir, `speed${ext}`);
    await renderTimeline(tl, new Map([[src, info]]), { output: out });
    // "oop" [0.523, 1.016) lies in the 2× part, which starts at source 0.5 s and output 0.5 s.
    assertCues(await readCues(out, 0), [
      [0.5 + 0.023 / 2, 0.5 + 0.516 / 2, 'oop'],
      [0.5 + 1.023 / 2, 0.5 + 1.416 / 2, 'boop'],
    ]);
  }
  // The source was written by FFmpeg's mov_text encoder: its sample description starts with ours.
  await loadAv();
  const fmt = await openFormat(src);
  try {
    const st = fmt.streams.find((s) => s.codecpar.codecType === av().c.AVMEDIA_TYPE_SUBTITLE)!;
    assert.deepEqual(st.codecpar.extradata?.subarray(0, MOV_TEXT_EXTRADATA.length), MOV_TEXT_EXTRADATA);
  } finally {
    fmt.closeInputSync();
  }
});

/** Attachment streams of a file: name, MIME type and bytes. */
async function attachments(path: string): Promise<Array<{ filename: string | null; mimetype: string | null; data: Buffer | null }>> {
  await loadAv();
  const fmt = await openFormat(path);
  try {
    return fmt.streams
      .filter((s) => s.codecpar.codecType === av().c.AVMEDIA_TYPE_ATTACHMENT)
      .map((s) => ({
        filename: s.metadata?.get('filename') ?? null,
        mimetype: s.metadata?.get('mimetype') ?? null,
        data: s.codecpar.extradata ? Buffer.from(s.codecpar.extradata) : null,
      }));
  } finally {
    fmt.closeInputSync();
  }
}

test('testsrc_with_attachment.mkv: the attachment is copied with the same bytes; MP4 drops it with a warning', { skip }, async () => {
  const src = join(SHARED_MEDIA, 'testsrc_with_attachment.mkv');
  const [original] = await attachments(src);
  assert.ok(original?.data && original.data.length > 0);
  const out = join(tmp.dir, 'attachment-cut.mkv');
  await cli([src, '--edit', 'none', '--cut', '10,20', '-o', out]);
  const copied = await attachments(out);
  assert.equal(copied.length, 1);
  assert.equal(copied[0].filename, 'test_attachment.txt');
  assert.equal(copied[0].mimetype, 'text/plain');
  assert.deepEqual(copied[0].data, original.data);

  const info = await probe(src);
  const clips: Clip[] = [{ src, start: 0, dur: 30, offset: 0, speed: 1, stream: 0, volume: 1 }];
  const tl: Timeline = { tb: rational(30, 1), background: '#000000', resolution: [640, 360], sampleRate: 44100, layout: 'stereo', langs: ['und'], v: [clips], a: [clips] };
  const warnings: string[] = [];
  const mp4 = join(tmp.dir, 'attachment.mp4');
  await renderTimeline(tl, new Map([[src, info]]), { output: mp4, onWarning: (m) => warnings.push(m) });
  assert.equal((await attachments(mp4)).length, 0);
  assert.deepEqual(warnings, ['attachment test_attachment.txt dropped: .mp4 files cannot hold attachments (Matroska can)']);
});

test('SAR-2by3.mp4: the sample aspect ratio 2:3 is kept', { skip }, async () => {
  const src = join(SHARED_MEDIA, 'SAR-2by3.mp4');
  assert.deepEqual((await probe(src)).video[0].sampleAspectRatio, rational(2, 3));
  const out = join(tmp.dir, 'sar-cut.mp4');
  await cli([src, '--edit', 'none', '--cut', '5,10', '-o', out]);
  const v = (await probe(out)).video[0];
  assert.deepEqual(v.sampleAspectRatio, rational(2, 3));
  assert.deepEqual([v.width, v.height], [640, 360]);
});
