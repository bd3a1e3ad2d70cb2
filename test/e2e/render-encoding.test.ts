// Encoding options, stream selection and output kinds of renders (issue 5): every option is run
// through the CLI on small generated recordings (or the shared ones) and the output is read back
// with node-av: codecs, bit rates, keyframe spacing, profile, pixel format, size, channels, stream
// counts, box order, decoded frames and the audio itself.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { AudioReader } from '../../src/media/audio-reader.js';
import { av } from '../../src/media/av.js';
import { StreamDecoder } from '../../src/media/decoder.js';
import { generateMedia } from '../../src/media/generate.js';
import { openFormat, probe } from '../../src/media/probe.js';
import { renderTimeline } from '../../src/render/render.js';
import type { Timeline } from '../../src/timeline/model.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { SHARED_MEDIA, measure, tempDir } from '../helpers/media.js';

let tmp: ReturnType<typeof tempDir>;
/** 2 s 320x240 25 fps noisy picture (so bit rates matter) + 44.1 kHz stereo tone throughout. */
let clip: string;
/** 1 s, one video and two audio streams: 440 Hz in the first, 1000 Hz in the second. */
let twoTracks: string;
/** 6 s 160x120 25 fps, keyframe every 25 frames, each frame painted with its number. */
let longGop: string;

const FPS = { num: 25, den: 1 };

before(async () => {
  tmp = tempDir('tacet-encode-');
  clip = join(tmp.dir, 'clip.mp4');
  twoTracks = join(tmp.dir, 'two.mkv');
  longGop = join(tmp.dir, 'gop.mp4');
  await generateMedia(clip, {
    duration: 2,
    video: { width: 320, height: 240, rate: FPS, filters: 'noise=alls=10:allf=t' },
    audio: { sampleRate: 44100, layout: 'stereo', bursts: [[0, 2]] },
  });
  await generateMedia(twoTracks, {
    duration: 1,
    video: { width: 64, height: 48, rate: FPS },
    audio: { sampleRate: 48000, layout: 'mono', expr: '0.5*sin(2*PI*440*t)' },
    moreAudio: [{ sampleRate: 48000, layout: 'mono', expr: '0.5*sin(2*PI*1000*t)' }],
  });
  await generateMedia(longGop, {
    duration: 6,
    video: { width: 160, height: 120, rate: FPS, filters: "geq=lum='16+3*mod(N\\,64)':cb=128:cr=128" },
    videoOptions: { preset: 'ultrafast', g: '25' },
  });
});
after(() => tmp.cleanup());

let n = 0;
/** Runs tacet on `input` with every frame kept and returns the output path. */
async function render(input: string, ext: string, args: string[]): Promise<string> {
  const out = join(tmp.dir, `out-${++n}${ext}`);
  const r = await runCli([input, '--edit', 'none', '--no-cache', '-o', out, ...args]);
  assert.equal(r.code, 0, `tacet ${args.join(' ')} failed: ${r.stderr}`);
  return out;
}

interface StreamFacts {
  type: 'video' | 'audio' | 'subtitle' | 'attachment' | 'data' | 'other';
  codec: string;
  profile: number;
  pixelFormat: string | null;
  width: number;
  height: number;
  channels: number;
}

/** What each stream of a file is, as its container says. */
async function streams(path: string): Promise<StreamFacts[]> {
  const { lib, c } = av();
  const fmt = await openFormat(path);
  try {
    return fmt.streams.map((st) => {
      const p = st.codecpar;
      const type =
        p.codecType === c.AVMEDIA_TYPE_VIDEO ? 'video'
        : p.codecType === c.AVMEDIA_TYPE_AUDIO ? 'audio'
        : p.codecType === c.AVMEDIA_TYPE_SUBTITLE ? 'subtitle'
        : p.codecType === c.AVMEDIA_TYPE_ATTACHMENT ? 'attachment'
        : p.codecType === c.AVMEDIA_TYPE_DATA ? 'data'
        : 'other';
      return {
        type,
        codec: lib.avGetCodecName(p.codecId) ?? '?',
        profile: p.profile as number,
        pixelFormat: type === 'video' ? lib.avGetPixFmtName(p.format as never) : null,
        width: p.width,
        height: p.height,
        channels: type === 'audio' ? p.channelLayout.nbChannels : 0,
      };
    });
  } finally {
    fmt.closeInputSync();
  }
}

const kinds = (s: StreamFacts[]) => s.map((x) => x.type).join(',');

/** Sizes and keyframe flags of the packets of the first stream of `type`, and its duration in seconds. */
async function packets(path: string, type: 'video' | 'audio'): Promise<{ sizes: number[]; keys: boolean[]; seconds: number }> {
  const { lib, c } = av();
  const fmt = await openFormat(path);
  const pkt = new lib.Packet();
  pkt.alloc();
  try {
    const want = type === 'video' ? c.AVMEDIA_TYPE_VIDEO : c.AVMEDIA_TYPE_AUDIO;
    const st = fmt.streams.find((s) => s.codecpar.codecType === want);
    assert.ok(st, `${path} has no ${type} stream`);
    const sizes: number[] = [];
    const keys: boolean[] = [];
    let end = 0n;
    while (fmt.readFrameSync(pkt) >= 0) {
      if (pkt.streamIndex === st.index) {
        sizes.push(pkt.size);
        keys.push((pkt.flags & c.AV_PKT_FLAG_KEY) !== 0);
        if (pkt.pts + pkt.duration > end) end = pkt.pts + pkt.duration;
      }
      pkt.unref();
    }
    return { sizes, keys, seconds: (Number(end) * st.timeBase.num) / st.timeBase.den };
  } finally {
    pkt.free();
    fmt.closeInputSync();
  }
}

/** Bits per second of a stream, from its packets. */
async function bitrate(path: string, type: 'video' | 'audio'): Promise<number> {
  const p = await packets(path, type);
  return (p.sizes.reduce((a, b) => a + b, 0) * 8) / p.seconds;
}

/** Top-level ISO BMFF box types in file order. */
function topBoxes(path: string): string[] {
  const buf = readFileSync(path);
  const types: string[] = [];
  for (let pos = 0; pos + 8 <= buf.length; ) {
    let size = buf.readUInt32BE(pos);
    const type = buf.toString('latin1', pos + 4, pos + 8);
    if (size === 1) size = Number(buf.readBigUInt64BE(pos + 8));
    if (size === 0) size = buf.length - pos;
    types.push(type);
    if (size < 8) break;
    pos += size;
  }
  return types;
}

/** Amplitude of the `freq` component of channel 0 of stream `nth` (Goertzel over the whole file). */
async function toneLevel(path: string, nth: number, freq: number): Promise<number> {
  const reader = await AudioReader.open(path, nth, { format: 'flt', chunkSamples: 8192 });
  const w = (2 * Math.PI * freq) / reader.sampleRate;
  let s1 = 0;
  let s2 = 0;
  let count = 0;
  try {
    for (let ch = reader.read(); ch; ch = reader.read()) {
      for (let i = 0; i < ch.samples; i++) {
        const s0 = ch.data[i * ch.channels] + 2 * Math.cos(w) * s1 - s2;
        s2 = s1;
        s1 = s0;
        count++;
      }
    }
  } finally {
    reader.close();
  }
  return (2 * Math.sqrt(s1 * s1 + s2 * s2 - 2 * Math.cos(w) * s1 * s2)) / count;
}

/** A digest of every decoded picture (luma plane) of a file, in order. */
async function pictureDigests(path: string): Promise<string[]> {
  const dec = await StreamDecoder.open(path, 'video', 0);
  const out: string[] = [];
  try {
    for (let f = dec.next(); f; f = dec.next()) {
      const plane = f.data?.[0];
      assert.ok(plane);
      const h = createHash('sha1');
      for (let y = 0; y < f.height; y++) h.update(plane.subarray(y * f.linesize[0], y * f.linesize[0] + f.width));
      out.push(h.digest('hex'));
    }
  } finally {
    dec.close();
  }
  return out;
}

function assertOneLineError(r: CliResult, pattern: RegExp, label: string): void {
  assert.equal(r.code, 1, `${label}: exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${label}: expected one line, got:\n${r.stderr}`);
  assert.match(lines[0], /^tacet: error: /, label);
  assert.match(lines[0], pattern, label);
}

test('-c:v and -c:a choose the codecs; auto keeps the source codec', async () => {
  const a = await render(clip, '.mkv', ['-c:v', 'hevc', '-c:a', 'libopus', '-preset', 'ultrafast']);
  const sa = await streams(a);
  assert.deepEqual(sa.map((s) => s.codec), ['hevc', 'opus']);
  const b = await render(clip, '.mp4', ['-c:v', 'mpeg4', '--audio-codec', 'mp3']);
  assert.deepEqual((await streams(b)).map((s) => s.codec), ['mpeg4', 'mp3']);
  const hevc = join(SHARED_MEDIA, 'testsrc-hevc.mp4');
  if (existsSync(hevc)) {
    const c = await render(hevc, '.mkv', ['-c:v', 'auto', '-preset', 'ultrafast']);
    assert.equal((await streams(c))[0].codec, 'hevc', 'auto keeps HEVC');
    // .m4v is FFmpeg's iPod muxer: no HEVC there, so auto falls back to H.264.
    const d = await render(hevc, '.m4v', ['-preset', 'ultrafast']);
    assert.deepEqual((await streams(d)).map((s) => s.codec), ['h264', 'aac'], 'auto writes H.264 to .m4v');
  }
});

test('-b:v and -b:a are honoured within a tolerance', async () => {
  const low = await render(clip, '.mp4', ['-b:v', '300k', '-b:a', '64k', '-preset', 'ultrafast']);
  const high = await render(clip, '.mp4', ['-b:v', '1.2M', '-b:a', '160000', '-preset', 'ultrafast']);
  const vLow = await bitrate(low, 'video');
  const vHigh = await bitrate(high, 'video');
  assert.ok(vLow > 300e3 * 0.6 && vLow < 300e3 * 1.4, `video at -b:v 300k: ${Math.round(vLow)} b/s`);
  assert.ok(vHigh > 1.2e6 * 0.6 && vHigh < 1.2e6 * 1.4, `video at -b:v 1.2M: ${Math.round(vHigh)} b/s`);
  assert.ok(vHigh / vLow > 2.5, 'a higher -b:v gives a proportionally bigger stream');
  const aLow = await bitrate(low, 'audio');
  const aHigh = await bitrate(high, 'audio');
  assert.ok(aLow > 64e3 * 0.75 && aLow < 64e3 * 1.25, `audio at -b:a 64k: ${Math.round(aLow)} b/s`);
  assert.ok(aHigh > 160e3 * 0.75 && aHigh < 160e3 * 1.25, `audio at -b:a 160000: ${Math.round(aHigh)} b/s`);
});

test('-g sets keyframe spacing; -profile:v, -pix_fmt and --scale reach the stream', async () => {
  const plain = await packets(await render(clip, '.mp4', ['-preset', 'ultrafast']), 'video');
  assert.equal(plain.keys.filter(Boolean).length, 1, 'default GOP: one keyframe in 2 s');
  const out = await render(clip, '.mp4', ['-g', '10', '-profile:v', 'high444', '-pix_fmt', 'yuv444p', '--scale', '0.33', '-preset', 'ultrafast']);
  const p = await packets(out, 'video');
  const keyAt = p.keys.flatMap((k, i) => (k ? [i] : []));
  assert.equal(p.keys.length, 50);
  assert.deepEqual(keyAt.slice(0, 2), [0, 10], `keyframes at ${keyAt}`);
  for (let i = 1; i < keyAt.length; i++) assert.ok(keyAt[i] - keyAt[i - 1] <= 10, `keyframes at ${keyAt}`);
  assert.ok(p.keys.length - 1 - keyAt[keyAt.length - 1] < 10, `keyframes at ${keyAt}`);
  const [v] = await streams(out);
  assert.equal(v.profile, av().c.AV_PROFILE_H264_HIGH_444_PREDICTIVE);
  assert.equal(v.pixelFormat, 'yuv444p');
  // 320×0.33 = 105.6 and 240×0.33 = 79.2: yuv444p needs no even sizes.
  assert.deepEqual([v.width, v.height], [106, 79]);
  const baseline = await render(clip, '.mp4', ['-profile:v', 'baseline', '--scale', '0.33', '-preset', 'ultrafast']);
  const [b] = await streams(baseline);
  assert.equal(b.profile, av().c.AV_PROFILE_H264_BASELINE | av().c.AV_PROFILE_H264_CONSTRAINED);
  assert.deepEqual([b.pixelFormat, b.width, b.height], ['yuv420p', 106, 80], '4:2:0 rounds to even sizes');
});

test('-layout remixes the audio to the asked channel layout', async () => {
  const mono = await streams(await render(clip, '.mp4', ['-layout', 'mono', '-vn']));
  assert.deepEqual(mono.map((s) => [s.type, s.channels]), [['audio', 1]]);
  const surround = await render(clip, '.mkv', ['--audio-layout', '5.1', '-vn', '-c:a', 'aac']);
  const s = await streams(surround);
  assert.deepEqual(s.map((x) => [x.type, x.channels]), [['audio', 6]]);
  // The stereo tone lands in the front channels.
  assert.ok((await toneLevel(surround, 0, 440)) > 0.2);
});

test('-vn, -an, -sn and -dn leave streams out', async () => {
  assert.equal(kinds(await streams(await render(clip, '.mp4', ['-vn']))), 'audio');
  assert.equal(kinds(await streams(await render(clip, '.mp4', ['-an', '-preset', 'ultrafast']))), 'video');
  const subs = join(SHARED_MEDIA, 'mov_text.mp4');
  if (existsSync(subs)) {
    assert.match(kinds(await streams(subs)), /subtitle/);
    assert.doesNotMatch(kinds(await streams(await render(subs, '.mp4', ['-sn', '-preset', 'ultrafast']))), /subtitle/);
  }
  // -dn: tacet writes no data streams; attachments are not data and stay (as with FFmpeg's -dn).
  const attached = join(SHARED_MEDIA, 'testsrc_with_attachment.mkv');
  if (existsSync(attached)) {
    const out = kinds(await streams(await render(attached, '.mkv', ['-dn', '-preset', 'ultrafast'])));
    assert.doesNotMatch(out, /data/);
    assert.match(out, /attachment/);
  }
});

test('--mix-audio-streams mixes every audio stream into one track', async () => {
  const separate = await streams(await render(twoTracks, '.mkv', ['-vn']));
  assert.equal(kinds(separate), 'audio,audio');
  const mixed = await render(twoTracks, '.mkv', ['--mix-audio-streams', '-vn']);
  assert.equal(kinds(await streams(mixed)), 'audio');
  const a440 = await toneLevel(mixed, 0, 440);
  const a1000 = await toneLevel(mixed, 0, 1000);
  const a700 = await toneLevel(mixed, 0, 700);
  // Each 0.5-amplitude tone is scaled by 1/2 (amix's normalisation).
  assert.ok(Math.abs(a440 - 0.25) < 0.04, `440 Hz at ${a440}`);
  assert.ok(Math.abs(a1000 - 0.25) < 0.04, `1000 Hz at ${a1000}`);
  assert.ok(a700 < 0.02, `700 Hz (absent) at ${a700}`);
});

test('faststart by default, --no-faststart and --fragmented change the MP4 layout', async () => {
  const fast = topBoxes(await render(clip, '.mp4', ['-an', '-preset', 'ultrafast']));
  assert.ok(fast.indexOf('moov') >= 0 && fast.indexOf('moov') < fast.indexOf('mdat'), `boxes ${fast}`);
  const slow = topBoxes(await render(clip, '.m4a', ['--no-faststart']));
  assert.ok(slow.indexOf('moov') > slow.indexOf('mdat'), `boxes ${slow}`);
  const frag = await render(clip, '.mp4', ['--fragmented', '-g', '25', '-preset', 'ultrafast']);
  const boxes = topBoxes(frag);
  assert.ok(boxes.includes('moof') && boxes.indexOf('moov') < boxes.indexOf('moof'), `boxes ${boxes}`);
  assert.ok(boxes.filter((b) => b === 'moof').length >= 2, `boxes ${boxes}`);
  assert.equal((await measure(frag)).videoFrames, 50);
});

test('GIF output: video only, every frame, a palette per frame', async () => {
  const out = await render(clip, '.gif', ['--scale', '0.5']);
  const s = await streams(out);
  assert.deepEqual(s.map((x) => [x.type, x.codec, x.width, x.height]), [['video', 'gif', 160, 120]]);
  assert.equal((await measure(out)).videoFrames, 50);
});

test('a video input with an audio extension gives audio only, in that format', async () => {
  const expected: Record<string, string> = { '.mp3': 'mp3', '.m4a': 'aac', '.wav': 'pcm_s16le', '.flac': 'flac', '.ogg': 'vorbis', '.opus': 'opus' };
  for (const [ext, codec] of Object.entries(expected)) {
    const out = await render(clip, ext, []);
    const s = await streams(out);
    assert.deepEqual(s.map((x) => [x.type, x.codec]), [['audio', codec]], ext);
    const m = await measure(out);
    assert.ok(Math.abs(m.audioSeconds - 2) < 0.1, `${ext}: ${m.audioSeconds} s`);
  }
});

test('--no-seek decodes through the cuts and renders the same pictures', async () => {
  const info = await probe(longGop);
  const clipAt = (start: number, offset: number, dur: number) => ({ src: longGop, start, dur, offset, speed: 1, stream: 0, volume: 1 });
  // Frames 0-19 and 120-139: a gap of 100 frames, longer than a GOP, so the normal render seeks.
  const tl: Timeline = {
    tb: FPS,
    background: '#000000',
    resolution: [160, 120],
    sampleRate: 48000,
    layout: 'stereo',
    langs: [],
    v: [[clipAt(0, 0, 20), clipAt(20, 120, 20)]],
    a: [],
  };
  const sources = new Map([[longGop, info]]);
  const seeking = await renderTimeline(tl, sources, { output: join(tmp.dir, 'seek.mp4'), render: { preset: 'ultrafast' } });
  const straight = await renderTimeline(tl, sources, { output: join(tmp.dir, 'noseek.mp4'), render: { preset: 'ultrafast', noSeek: true } });
  assert.ok(seeking.seeks >= 1 && seeking.decodedFrames < 140, `seeking render: ${JSON.stringify(seeking)}`);
  assert.equal(straight.seeks, 0);
  assert.equal(straight.decodedFrames, 140, 'every source frame up to the last kept one (139)');
  const a = await pictureDigests(join(tmp.dir, 'seek.mp4'));
  const b = await pictureDigests(join(tmp.dir, 'noseek.mp4'));
  assert.equal(a.length, 40);
  assert.deepEqual(b, a);

  // Audio seeks across gaps longer than 10 s: 0–1 s and 12–13 s of a 14 s recording.
  const wav = join(tmp.dir, 'long.wav');
  await generateMedia(wav, { duration: 14, audio: { sampleRate: 8000, layout: 'mono', expr: '0.3*sin(2*PI*(200+20*t)*t)' } });
  const audioTl: Timeline = { ...tl, sampleRate: 8000, layout: 'mono', v: [], a: [[{ ...clipAt(0, 0, 25), src: wav }, { ...clipAt(25, 300, 25), src: wav }]] };
  const wavSources = new Map([[wav, await probe(wav)]]);
  const audioSeeking = await renderTimeline(audioTl, wavSources, { output: join(tmp.dir, 'seek.wav') });
  const audioStraight = await renderTimeline(audioTl, wavSources, { output: join(tmp.dir, 'noseek.wav'), render: { noSeek: true } });
  assert.ok(audioSeeking.seeks >= 1, `seeking audio render: ${JSON.stringify(audioSeeking)}`);
  assert.equal(audioStraight.seeks, 0);
  assert.ok(readFileSync(join(tmp.dir, 'seek.wav')).equals(readFileSync(join(tmp.dir, 'noseek.wav'))), 'the same samples');
});

test('letterbox bars take the timeline background colour', async () => {
  const info = await probe(longGop);
  const tl: Timeline = {
    tb: FPS,
    background: '#ff0000',
    resolution: [200, 120],
    sampleRate: 48000,
    layout: 'stereo',
    langs: [],
    v: [[{ src: longGop, start: 0, dur: 5, offset: 0, speed: 1, stream: 0, volume: 1 }]],
    a: [],
  };
  const out = join(tmp.dir, 'bars.mp4');
  await renderTimeline(tl, new Map([[longGop, info]]), { output: out, render: { pixFmt: 'yuv444p', preset: 'ultrafast' } });
  const dec = await StreamDecoder.open(out, 'video', 0);
  try {
    const f = dec.next();
    assert.ok(f && f.data);
    assert.deepEqual([f.width, f.height], [200, 120]);
    // Red in BT.601 limited range: Y≈81, Cb≈90, Cr≈240; the picture in the middle is grey (Cr 128).
    const at = (plane: number, x: number, y: number) => f.data![plane][y * f.linesize[plane] + x];
    assert.ok(Math.abs(at(0, 5, 60) - 81) < 8 && at(2, 5, 60) > 220, `left bar YCbCr ${at(0, 5, 60)},${at(1, 5, 60)},${at(2, 5, 60)}`);
    assert.ok(at(2, 195, 60) > 220, 'right bar');
    assert.ok(Math.abs(at(2, 100, 60) - 128) < 8, 'picture');
  } finally {
    dec.close();
  }
});

test('bad encoding settings are one clear line, before any work', async () => {
  const input = join(tmp.dir, 'bad.mp4');
  copyFileSync(clip, input);
  const cases: Array<[string[], RegExp]> = [
    [['-c:v', 'vp8'], /-c:v: unknown video codec or encoder "vp8"; \.mp4 files take h264, hevc/],
    [['-c:v', 'prores'], /-c:v prores: \.mp4 files cannot hold prores video; use one of h264/],
    [['-c:a', 'vorbis'], /-c:a vorbis: \.mp4 files cannot hold vorbis audio/],
    [['-o', join(tmp.dir, 'x.m4v'), '-c:v', 'hevc'], /-c:v hevc: \.m4v files cannot hold hevc video; use one of h264, mpeg4/],
    [['-b:v', 'fast'], /-b:v: invalid bit rate "fast"/],
    [['-b:a', '12q'], /-b:a: invalid bit rate "12q"/],
    [['-pix_fmt', 'yuv999p'], /-pix_fmt: unknown pixel format "yuv999p"/],
    [['-pix_fmt', 'rgb24'], /-pix_fmt rgb24: encoder libx264 cannot take it; it takes yuv420p/],
    [['-c:v', 'mpeg4', '-crf', '20'], /-crf 20: encoder mpeg4 has no such option/],
    [['-preset', 'fastest'], /-preset fastest: libx264 presets are ultrafast/],
    [['-profile:v', 'main', '-pix_fmt', 'yuv422p'], /H\.264 main profile cannot hold pixel format yuv422p/],
    [['-c:v', 'hevc', '-profile:v', 'high'], /-profile:v high: encoder libx265 refuses this value/],
    [['--scale', '-2'], /--scale: invalid scale "-2"/],
    [['-layout', 'surround'], /-layout: unknown audio layout "surround"/],
    [['-vn', '-an'], /-vn and -an together leave nothing to write/],
    [['-o', join(tmp.dir, 'x.mp3'), '-layout', '5.1'], /-layout 5\.1: encoder libmp3lame cannot write it; it takes mono, stereo/],
    [['-o', join(tmp.dir, 'x.gif'), '-vn'], /-vn leaves nothing to write: \.gif files hold only video/],
    [['-o', join(tmp.dir, 'x.wav'), '-an'], /-an leaves nothing to write: \.wav files hold only audio/],
  ];
  for (const [args, pattern] of cases) {
    const r = await runCli([input, '--no-cache', ...args]);
    assertOneLineError(r, pattern, args.join(' '));
    // Refused before the analysis: nothing was decoded, so no progress and no output appeared.
    assert.ok(!existsSync(join(tmp.dir, 'bad_ALTERED.mp4')), `${args.join(' ')}: an output was written`);
  }
});
