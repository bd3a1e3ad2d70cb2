// A rendered file keeps what the user had, on files the tests make: cover art (MP3, M4A, MP4,
// Matroska), picture subtitles copied whole or dropped with a warning, text cues joined across a
// cut, and sidecar .srt/.vtt/.ass files retimed beside the output. Also the pure parts: time
// mapping and cue text conversion between subtitle codecs.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseAss, parseSrtOrVtt, readCues, type Cue } from '../../src/analyze/subtitle.js';
import { av, loadAv } from '../../src/media/av.js';
import { generateMedia } from '../../src/media/generate.js';
import { openFormat, probe } from '../../src/media/probe.js';
import { renderTimeline } from '../../src/render/render.js';
import { SpanMap, clipSpans, encodePayload, payloadTokens, retimeSubtitleText } from '../../src/render/streams.js';
import type { Clip, Timeline } from '../../src/timeline/model.js';
import { rational } from '../../src/timeline/rational.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/media.js';
import { pngCover, withExtras } from '../helpers/streams.js';

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

const TB30 = rational(30, 1);

function clip(src: string, start: number, dur: number, offset: number, speed = 1): Clip {
  return { src, start, dur, offset, speed, stream: 0, volume: 1 };
}

/** Source frames [a, b) of each range, at 1×, laid end to end (30 fps). */
function keep(src: string, ranges: Array<[number, number]>): Clip[] {
  let start = 0;
  return ranges.map(([a, b]) => {
    const c = clip(src, start, b - a, a);
    start += b - a;
    return c;
  });
}

function timeline(clips: Clip[], opts: { video?: boolean; sampleRate?: number; layout?: string } = {}): Timeline {
  return {
    tb: TB30,
    background: '#000000',
    resolution: [64, 48],
    sampleRate: opts.sampleRate ?? 48000,
    layout: opts.layout ?? 'mono',
    langs: ['und'],
    v: opts.video === false ? [] : [clips],
    a: [clips],
  };
}

// ---------------------------------------------------------------------------------------------
// Pure parts

test('SpanMap: cues are clipped at cuts, joined across them, scaled by speed, split by gaps', () => {
  const cut = new SpanMap(clipSpans(keep('s', [[0, 30], [45, 90]]), TB30)); // cut 1.0–1.5 s
  assert.deepEqual(cut.map(0.2, 0.4), [[0.2, 0.4]]);
  assert.deepEqual(cut.map(1.1, 1.4), []); // wholly cut
  const across = cut.map(0.9, 1.7); // 0.9–1.0 then 1.5–1.7 → one cue 0.9–1.2
  assert.equal(across.length, 1);
  assert.ok(Math.abs(across[0][0] - 0.9) < 1e-9 && Math.abs(across[0][1] - 1.2) < 1e-9);
  const speed = new SpanMap(clipSpans([clip('s', 0, 30, 0), clip('s', 30, 15, 15, 2)], TB30)); // 1–2 s at 2×
  const scaled = speed.map(1.2, 1.6);
  assert.ok(Math.abs(scaled[0][0] - 1.1) < 1e-9 && Math.abs(scaled[0][1] - 1.3) < 1e-9);
  const gap = new SpanMap(clipSpans([clip('s', 0, 30, 0), clip('s', 60, 30, 45)], TB30)); // a 1 s gap on the timeline
  assert.equal(gap.map(0.9, 1.7).length, 2);
  // Pictures: placed only when wholly inside a 1× clip.
  assert.deepEqual(cut.placeWhole(0.2, 0.4), [0.2]);
  assert.deepEqual(cut.placeWhole(0.9, 1.1), []);
  assert.ok(Math.abs(cut.placeWhole(1.6, 1.8)[0] - 1.1) < 1e-9);
  assert.deepEqual(speed.placeWhole(1.2, 1.3), []);
});

test('cue text converts between SubRip, WebVTT, ASS and mov_text payloads', () => {
  const text = (codec: string, from: string, payload: string) => encodePayload(codec, payloadTokens(from, Buffer.from(payload)))?.toString('utf8');
  assert.equal(text('webvtt', 'subrip', '<i>a</i> & <font color="red">b</font>'), '<i>a</i> &amp; b');
  assert.equal(text('subrip', 'webvtt', '&lt;3 <v Bob>hi</v> <c.loud>there</c>'), '<3 hi there');
  assert.equal(text('subrip', 'ass', '3,0,Default,,0,0,0,,{\\i1}Hi{\\i0}, you\\Nthere'), '<i>Hi</i>, you\nthere');
  const movText = encodePayload('mov_text', payloadTokens('subrip', Buffer.from('<b>héllo</b>')))!;
  assert.equal(movText.readUInt16BE(0), Buffer.byteLength('héllo'));
  assert.equal(movText.subarray(2).toString('utf8'), 'héllo');
  assert.equal(encodePayload('subrip', payloadTokens('mov_text', movText))?.toString('utf8'), 'héllo');
  assert.equal(encodePayload('subrip', payloadTokens('mov_text', Buffer.from([0, 0]))), null); // a gap filler is no cue
});

test('sidecar text is retimed in its own format: numbering, settings, styles and other lines kept', () => {
  const map = new SpanMap(clipSpans(keep('s', [[0, 30], [45, 90]]), TB30));
  const srt = '1\n00:00:00,200 --> 00:00:00,400\n<i>one</i>\n\n2\n00:00:01,100 --> 00:00:01,400\ngone\n\n3\n00:00:00,900 --> 00:00:01,700\nacross\ntwo lines\n';
  assert.equal(
    retimeSubtitleText(srt, '.srt', map),
    '1\n00:00:00,200 --> 00:00:00,400\n<i>one</i>\n\n2\n00:00:00,900 --> 00:00:01,200\nacross\ntwo lines\n',
  );
  const vtt = 'WEBVTT\n\nSTYLE\n::cue { color: red }\n\nid1\n00:00.200 --> 00:00.400 align:start\none\n\n00:01.600 --> 00:01.800\nafter\n';
  assert.equal(
    retimeSubtitleText(vtt, '.vtt', map),
    'WEBVTT\n\nSTYLE\n::cue { color: red }\n\nid1\n00:00:00.200 --> 00:00:00.400 align:start\none\n\n00:00:01.100 --> 00:00:01.300\nafter\n',
  );
  const ass = '[Script Info]\nTitle: t\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,0:00:00.90,0:00:01.70,Default,,0,0,0,,{\\i1}a, b\nDialogue: 0,0:00:01.10,0:00:01.40,Default,,0,0,0,,gone\n';
  assert.equal(
    retimeSubtitleText(ass, '.ass', map),
    '[Script Info]\nTitle: t\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,0:00:00.90,0:00:01.20,Default,,0,0,0,,{\\i1}a, b\n',
  );
});

// ---------------------------------------------------------------------------------------------
// Test media with extra streams

/**
 * The attached pictures of a file (cover art, however the container stores it), read as the first
 * packets of their streams (node-av 6.1.1's Stream.attachedPic crashes).
 */
async function coverArt(path: string): Promise<Buffer[]> {
  await loadAv();
  const { lib, c } = av();
  const fmt = await openFormat(path);
  const pkt = new lib.Packet();
  pkt.alloc();
  try {
    const pics = new Set(
      fmt.streams.filter((s) => s.codecpar.codecType === c.AVMEDIA_TYPE_VIDEO && s.hasDisposition(c.AV_DISPOSITION_ATTACHED_PIC)).map((s) => s.index),
    );
    const found: Buffer[] = [];
    while (found.length < pics.size && fmt.readFrameSync(pkt) >= 0) {
      if (pics.has(pkt.streamIndex)) found.push(Buffer.from(pkt.data!));
      pkt.unref();
    }
    return found;
  } finally {
    pkt.free();
    fmt.closeInputSync();
  }
}

async function cli(args: string[]): Promise<void> {
  const r = await runCli([...args, '--no-cache']);
  assert.equal(r.code, 0, r.stderr);
}

test('cover art of an MP3 is kept in MP3, M4A and Matroska outputs, and of an MP4 beside its video', async () => {
  const cover = await pngCover();
  const tone = join(tmp.dir, 'tone.mp3');
  await generateMedia(tone, { duration: 2, audio: { sampleRate: 44100, layout: 'mono', bursts: [[0.2, 1.8]] } });
  const src = join(tmp.dir, 'song.mp3');
  await withExtras(tone, src, { cover });
  assert.deepEqual(await coverArt(src), [cover.data]);

  await cli([src, '--edit', 'none', '--cut', '0.5s,1s']);
  for (const out of [join(tmp.dir, 'song_ALTERED.mp3'), join(tmp.dir, 'song.m4a'), join(tmp.dir, 'song.mkv')]) {
    if (!out.endsWith('_ALTERED.mp3')) await cli([src, '--edit', 'none', '--cut', '0.5s,1s', '-o', out]);
    assert.deepEqual(await coverArt(out), [cover.data], out);
    const info = await probe(out);
    assert.equal(info.video.length, 0, `${out}: the cover is not a video track`);
    assert.equal(info.audio.length, 1);
  }

  const clipVideo = join(tmp.dir, 'clip-plain.mp4');
  await generateMedia(clipVideo, { duration: 1, video: { width: 64, height: 48, rate: TB30 }, audio: { sampleRate: 48000, layout: 'mono' } });
  const withCover = join(tmp.dir, 'clip.mp4');
  await withExtras(clipVideo, withCover, { cover });
  await cli([withCover, '--edit', 'none', '--cut', '10,20']);
  const out = join(tmp.dir, 'clip_ALTERED.mp4');
  assert.deepEqual(await coverArt(out), [cover.data]);
  const info = await probe(out);
  assert.equal(info.video.length, 1);
  assert.equal(info.video[0].width, 64);

  // A WAV cannot hold a picture: dropped, and said so.
  const warnings: string[] = [];
  const srcInfo = await probe(src);
  await renderTimeline(timeline(keep(src, [[0, 30]]), { video: false, sampleRate: 44100 }), new Map([[src, srcInfo]]), {
    output: join(tmp.dir, 'song.wav'),
    onWarning: (m) => warnings.push(m),
  });
  assert.deepEqual(warnings, ['cover art (png) dropped: .wav files cannot hold it']);
});

/** A minimal PGS display set: a palette segment with id `n`, then the end segment. */
function pgsSet(n: number): Buffer {
  return Buffer.from([0x14, 0x00, 0x02, n, 0x00, 0x80, 0x00, 0x00]);
}

test('picture subtitles are copied whole where a clip holds them, dropped with a warning across a cut; text cues join', async () => {
  await loadAv();
  const { c } = av();
  const base = join(tmp.dir, 'base.mkv');
  await generateMedia(base, { duration: 3, video: { width: 64, height: 48, rate: TB30 }, audio: { sampleRate: 48000, layout: 'mono' } });
  const src = join(tmp.dir, 'subs.mkv');
  const pic = (n: number) => Buffer.from(`picture ${n}`);
  await withExtras(base, src, {
    subtitles: [
      {
        codecId: c.AV_CODEC_ID_SUBRIP,
        packets: [
          { start: 0.2, end: 0.4, data: Buffer.from('one') },
          { start: 0.9, end: 1.7, data: Buffer.from('across the cut') },
          { start: 1.1, end: 1.4, data: Buffer.from('cut away') },
        ],
      },
      {
        codecId: c.AV_CODEC_ID_DVD_SUBTITLE,
        packets: [
          { start: 0.2, end: 0.4, data: pic(1) },
          { start: 0.9, end: 1.1, data: pic(2) }, // crosses the cut
          { start: 1.2, end: 1.3, data: pic(3) }, // inside the cut: simply gone
          { start: 1.6, end: 1.8, data: pic(4) },
        ],
      },
      {
        // PGS display sets have no duration: each shows (or clears) until the next one. Each is a
        // palette segment numbered i, then an end segment (FFmpeg splits packets at segments).
        codecId: c.AV_CODEC_ID_HDMV_PGS_SUBTITLE,
        packets: [0.2, 0.5, 0.9, 1.2, 1.3, 1.8].map((t, i) => ({ start: t, end: t, data: pgsSet(i) })),
      },
    ],
  });
  const info = await probe(src);
  assert.deepEqual(
    info.subtitle.map((s) => s.codec),
    ['subrip', 'dvd_subtitle', 'hdmv_pgs_subtitle'],
  );
  const warnings: string[] = [];
  const out = join(tmp.dir, 'subs-cut.mkv');
  await renderTimeline(timeline(keep(src, [[0, 30], [45, 90]])), new Map([[src, info]]), { output: out, onWarning: (m) => warnings.push(m) });

  const cues = await readCues(out, 0);
  assert.deepEqual(
    cues.map((q: Cue) => [q.start, q.end, q.text]),
    [
      [0.2, 0.4, 'one'],
      [0.9, 1.2, 'across the cut'],
    ],
  );
  // The picture stream: packets 1 and 4, byte for byte, at 0.2 s and 1.1 s.
  const fmt = await openFormat(out);
  const got: Array<[number, string]> = [];
  const { lib } = av();
  const pkt = new lib.Packet();
  pkt.alloc();
  try {
    const st = fmt.streams.filter((s) => s.codecpar.codecType === c.AVMEDIA_TYPE_SUBTITLE)[1];
    assert.equal(lib.avGetCodecName(st.codecpar.codecId), 'dvd_subtitle');
    assert.equal(st.metadata?.get('language'), 'eng');
    while (fmt.readFrameSync(pkt) >= 0) {
      if (pkt.streamIndex === st.index) got.push([(Number(pkt.pts) * st.timeBase.num) / st.timeBase.den, Buffer.from(pkt.data!).toString()]);
      pkt.unref();
    }
  } finally {
    pkt.free();
    fmt.closeInputSync();
  }
  assert.deepEqual(got, [
    [0.2, 'picture 1'],
    [1.1, 'picture 4'],
  ]);
  // Display sets inside the cut (a clear at 1.2 s, a new picture at 1.3 s) happen at the cut point.
  assert.deepEqual(await subtitlePayloads(out, 2), [
    [0.2, pgsSet(0).toString()],
    [0.5, pgsSet(1).toString()],
    [0.9, pgsSet(2).toString()],
    [1.0, pgsSet(3).toString()],
    [1.0, pgsSet(4).toString()],
    [1.3, pgsSet(5).toString()],
  ]);
  assert.deepEqual(warnings, [
    'subtitle stream 1 (dvd_subtitle, eng): 1 picture(s) dropped: they cross a cut or a speed change, and a subtitle picture cannot be cut or retimed',
  ]);

  // MP4 cannot hold SubRip (it becomes mov_text) and keeps DVD pictures, but not PGS.
  const mp4Warnings: string[] = [];
  const mp4 = join(tmp.dir, 'subs-cut.mp4');
  await renderTimeline(timeline(keep(src, [[0, 30], [45, 90]])), new Map([[src, info]]), { output: mp4, onWarning: (m) => mp4Warnings.push(m) });
  assert.deepEqual(
    (await probe(mp4)).subtitle.map((s) => s.codec),
    ['mov_text', 'dvd_subtitle'],
  );
  assert.deepEqual(mp4Warnings, [
    'subtitle stream 2 (hdmv_pgs_subtitle, eng) dropped: .mp4 files cannot hold hdmv_pgs_subtitle subtitles',
    'subtitle stream 1 (dvd_subtitle, eng): 1 picture(s) dropped: they cross a cut or a speed change, and a subtitle picture cannot be cut or retimed',
  ]);
  assert.deepEqual(
    (await readCues(mp4, 0)).map((q) => q.text),
    ['one', 'across the cut'],
  );
});

test('sidecar .srt, .vtt and .ass beside the input are written retimed as <output-stem>.<ext>', async () => {
  const src = join(tmp.dir, 'talk.mp4');
  await generateMedia(src, { duration: 3, video: { width: 64, height: 48, rate: TB30 }, audio: { sampleRate: 48000, layout: 'mono' } });
  writeFileSync(join(tmp.dir, 'talk.srt'), '1\r\n00:00:00,200 --> 00:00:00,400\r\none\r\n\r\n2\r\n00:00:00,900 --> 00:00:01,700\r\nacross\r\n\r\n3\r\n00:00:01,100 --> 00:00:01,400\r\ngone\r\n');
  writeFileSync(join(tmp.dir, 'talk.vtt'), 'WEBVTT\n\n00:00.200 --> 00:00.400\none\n\n00:02.000 --> 00:02.500 line:0\nlate\n');
  writeFileSync(
    join(tmp.dir, 'talk.ass'),
    '[Script Info]\nScriptType: v4.00+\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,0:00:00.90,0:00:01.70,Default,,0,0,0,,across\n',
  );
  await cli([src, '--edit', 'none', '--cut', '30,45']);
  const read = (ext: string) => readFileSync(join(tmp.dir, `talk_ALTERED${ext}`), 'utf8');
  const times = (cues: Cue[]) => cues.map((q) => [Math.round(q.start * 1000), Math.round(q.end * 1000), q.text]);
  assert.deepEqual(times(parseSrtOrVtt(read('.srt'))), [
    [200, 400, 'one'],
    [900, 1200, 'across'],
  ]);
  assert.deepEqual(times(parseSrtOrVtt(read('.vtt'))), [
    [200, 400, 'one'],
    [1500, 2000, 'late'],
  ]);
  assert.match(read('.vtt'), /00:00:01\.500 --> 00:00:02\.000 line:0/);
  assert.deepEqual(times(parseAss(read('.ass'))), [[900, 1200, 'across']]);
  // -o elsewhere: the sidecar follows the output's name.
  await cli([src, '--edit', 'none', '--cut', '30,45', '-o', join(tmp.dir, 'short.mkv')]);
  assert.deepEqual(times(parseSrtOrVtt(readFileSync(join(tmp.dir, 'short.srt'), 'utf8'))).length, 2);
});

/** Raw payloads of the `nth` subtitle stream of a file. */
async function subtitlePayloads(path: string, nth: number): Promise<Array<[number, string]>> {
  await loadAv();
  const { lib, c } = av();
  const fmt = await openFormat(path);
  const pkt = new lib.Packet();
  pkt.alloc();
  const got: Array<[number, string]> = [];
  try {
    const st = fmt.streams.filter((s) => s.codecpar.codecType === c.AVMEDIA_TYPE_SUBTITLE)[nth];
    while (fmt.readFrameSync(pkt) >= 0) {
      if (pkt.streamIndex === st.index) got.push([(Number(pkt.pts) * st.timeBase.num) / st.timeBase.den, Buffer.from(pkt.data!).toString()]);
      pkt.unref();
    }
  } finally {
    pkt.free();
    fmt.closeInputSync();
  }
  return got;
}

test('ASS events keep their styles in Matroska with fresh ReadOrder numbers; MP4 gets their text with a warning', async () => {
  await loadAv();
  const { c } = av();
  const base = join(tmp.dir, 'ass-base.mkv');
  await generateMedia(base, { duration: 2, video: { width: 64, height: 48, rate: TB30 }, audio: { sampleRate: 48000, layout: 'mono' } });
  const src = join(tmp.dir, 'ass.mkv');
  const header = '[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize\nStyle: Big,Arial,40\n\n[Events]\nFormat: ReadOrder, Layer, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n';
  await withExtras(base, src, {
    subtitles: [{ codecId: c.AV_CODEC_ID_ASS, extradata: Buffer.from(header), packets: [{ start: 0.2, end: 0.6, data: Buffer.from('0,0,Big,,0,0,0,,{\\i1}Hi{\\i0}, there') }] }],
  });
  const info = await probe(src);
  // The same second shown twice: the event appears twice, and libass needs two ReadOrder numbers.
  const tl = timeline(keep(src, [[0, 30], [0, 30]]));
  const out = join(tmp.dir, 'ass-twice.mkv');
  await renderTimeline(tl, new Map([[src, info]]), { output: out });
  assert.deepEqual(await subtitlePayloads(out, 0), [
    [0.2, '0,0,Big,,0,0,0,,{\\i1}Hi{\\i0}, there'],
    [1.2, '1,0,Big,,0,0,0,,{\\i1}Hi{\\i0}, there'],
  ]);
  const warnings: string[] = [];
  const mp4 = join(tmp.dir, 'ass-twice.mp4');
  await renderTimeline(tl, new Map([[src, info]]), { output: mp4, onWarning: (m) => warnings.push(m) });
  assert.deepEqual(
    (await readCues(mp4, 0)).map((q) => [q.start, q.text]),
    [
      [0.2, 'Hi, there'],
      [1.2, 'Hi, there'],
    ],
  );
  assert.deepEqual(warnings, ['subtitle stream 0 (ass, eng) is written as mov_text: its ASS styles and positions are dropped, the text is kept']);
});
