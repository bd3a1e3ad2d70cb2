import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadAv } from '../../src/media/av.js';
import { AudioMixer } from '../../src/render/mix.js';
import { scaledSize } from '../../src/render/render.js';
import { encoderPixelFormatFor, parseBitrate, parseEncodeSettings, parseScale, type RenderRequest } from '../../src/render/settings.js';

before(async () => {
  await loadAv();
});

describe('parseBitrate', () => {
  const cases: Array<[string, number]> = [
    ['5M', 5_000_000],
    ['800k', 800_000],
    ['800K', 800_000],
    ['2500000', 2_500_000],
    ['1.5M', 1_500_000],
    ['192kbps', 192_000],
    [' 64k ', 64_000],
  ];
  for (const [text, bits] of cases) it(`reads ${JSON.stringify(text)}`, () => assert.equal(parseBitrate(text, '-b:v'), bits));
  for (const bad of ['', 'fast', '5MB/s/x', '-1M', '12q', '0', '999', 'k']) {
    it(`refuses ${JSON.stringify(bad)} naming the option`, () => assert.throws(() => parseBitrate(bad, '-b:a'), /^UserError: -b:a: invalid bit rate/));
  }
});

describe('parseScale and scaledSize', () => {
  it('reads positive numbers only', () => {
    assert.equal(parseScale('0.5'), 0.5);
    assert.equal(parseScale('2'), 2);
    for (const bad of ['0', '-1', 'half', '', '1e3', '100']) assert.throws(() => parseScale(bad), /--scale: invalid scale/);
  });
  it('rounds to even sizes only where the chroma is subsampled', () => {
    assert.deepEqual(scaledSize([320, 240], 0.33, 'yuv420p'), { width: 106, height: 80 });
    assert.deepEqual(scaledSize([320, 240], 0.33, 'yuv422p'), { width: 106, height: 79 });
    assert.deepEqual(scaledSize([320, 240], 0.33, 'yuv444p'), { width: 106, height: 79 });
    assert.deepEqual(scaledSize([640, 360], 0.5, 'pal8'), { width: 320, height: 180 });
    assert.deepEqual(scaledSize([1920, 1080], 1, 'yuv420p'), { width: 1920, height: 1080 });
    assert.deepEqual(scaledSize([641, 361], 1, 'yuv420p'), { width: 642, height: 362 }, 'odd source sizes made even for 4:2:0');
    assert.deepEqual(scaledSize([2, 2], 0.1, 'yuv420p'), { width: 2, height: 2 }, 'never below 2');
  });
});

describe('parseEncodeSettings', () => {
  const h264 = { video: 'h264', audio: 'aac', pixelFormat: 'yuv420p' };
  it('keeps the source codecs by default and puts the MP4 index first', () => {
    const s = parseEncodeSettings({}, '.mp4', h264);
    assert.equal(s.video?.encoder, 'libx264');
    assert.equal(s.audio?.encoder, 'aac');
    assert.deepEqual(s.video?.options, {});
    assert.deepEqual(s.muxerOptions, { movflags: '+faststart' });
    assert.equal(parseEncodeSettings({}, '.mkv', { video: 'hevc', audio: 'opus' }).video?.encoder, 'libx265');
  });
  it('maps container options: faststart off, fragments, and nothing outside MP4/MOV', () => {
    assert.deepEqual(parseEncodeSettings({ faststart: false }, '.mov', h264).muxerOptions, {});
    assert.deepEqual(parseEncodeSettings({ fragmented: true }, '.m4a', { video: null, audio: 'aac' }).muxerOptions, {
      movflags: '+frag_keyframe+empty_moov+default_base_moof',
      frag_duration: '10000000',
    });
    // With video, fragments start at keyframes only.
    assert.deepEqual(parseEncodeSettings({ fragmented: true }, '.mp4', h264).muxerOptions, { movflags: '+frag_keyframe+empty_moov+default_base_moof' });
    assert.deepEqual(parseEncodeSettings({ fragmented: true, faststart: false }, '.mkv', h264).muxerOptions, {});
  });
  it('turns video settings into encoder options', () => {
    const req: RenderRequest = { videoCodec: 'libx265', videoBitrate: '2M', crf: '28', preset: 'fast', gop: '48', profile: 'main' };
    const s = parseEncodeSettings(req, '.mp4', h264);
    assert.equal(s.video?.encoder, 'libx265');
    assert.deepEqual(s.video?.options, { b: '2000000', crf: '28', preset: 'fast', g: '48', profile: 'main' });
  });
  it('accepts codec names and encoder names alike', () => {
    assert.equal(parseEncodeSettings({ videoCodec: 'vp9', audioCodec: 'opus' }, '.webm', h264).video?.encoder, 'libvpx-vp9');
    assert.equal(parseEncodeSettings({ videoCodec: 'vp9', audioCodec: 'opus' }, '.webm', h264).audio?.encoder, 'libopus');
    assert.equal(parseEncodeSettings({ audioCodec: 'libmp3lame' }, '.mkv', h264).audio?.encoder, 'libmp3lame');
    assert.equal(parseEncodeSettings({ videoCodec: 'prores' }, '.mov', h264).video?.encoder, 'prores_ks');
  });
  it('leaves streams out', () => {
    const s = parseEncodeSettings({ noVideo: true, noSubtitles: true }, '.mp4', h264);
    assert.equal(s.video, null);
    assert.equal(s.subtitles, false);
    assert.equal(s.coverArt, false, '-vn drops cover art, a video stream');
    assert.equal(parseEncodeSettings({ noAudio: true }, '.mp4', h264).audio, null);
    assert.equal(parseEncodeSettings({}, '.gif', h264).audio, null);
    assert.equal(parseEncodeSettings({}, '.flac', h264).video, null);
  });
  it('mixes audio and sets layouts and bit rates', () => {
    const s = parseEncodeSettings({ mixAudioStreams: true, audioLayout: '5.1', audioBitrate: '256k' }, '.mkv', h264);
    assert.deepEqual(s.audio, { encoder: 'aac', bitrate: 256000, layout: '5.1', mix: true });
  });
  it('checks what it can before the source is known', () => {
    const early = parseEncodeSettings({ crf: '60' }, '.mkv');
    assert.equal(early.video?.encoder, '', 'auto codec: not known yet, so -crf is checked later');
    assert.throws(() => parseEncodeSettings({ videoCodec: 'libx265', crf: '60' }, '.mkv'), /-crf 60: encoder libx265 refuses this value/);
    assert.throws(() => parseEncodeSettings({}, '.avi'), /cannot render to "\.avi" files/);
  });
  it('refuses bad settings with messages that name the option', () => {
    const cases: Array<[RenderRequest, string, RegExp]> = [
      [{ videoCodec: 'h263p' }, '.mp4', /-c:v h263p: \.mp4 files cannot hold h263p video; use one of h264, hevc, av1, vp9, mpeg4/],
      [{ videoCodec: 'nonsense' }, '.mp4', /-c:v: unknown video codec or encoder "nonsense"/],
      [{ audioCodec: 'libx264' }, '.mp4', /-c:a: unknown audio codec or encoder "libx264"/],
      [{ videoCodec: 'copy' }, '.mp4', /-c:v copy is not supported/],
      [{ videoCodec: 'h264' }, '.m4a', /-c:v h264: \.m4a files hold no video/],
      [{ audioCodec: 'aac' }, '.gif', /-c:a aac: \.gif files hold no audio/],
      [{ pixFmt: 'rgb24' }, '.mp4', /-pix_fmt rgb24: encoder libx264 cannot take it/],
      [{ pixFmt: 'yuv4x' }, '.mp4', /unknown pixel format/],
      [{ profile: 'baseline', pixFmt: 'yuv420p10le' }, '.mp4', /baseline profile cannot hold pixel format yuv420p10le; use high10/],
      [{ profile: 'high', pixFmt: 'yuv444p' }, '.mkv', /use high444/],
      [{ preset: 'quick' }, '.mp4', /libx264 presets are/],
      [{ preset: 'a b' }, '.mp4', /-preset: invalid value "a b"/],
      [{ gop: '0' }, '.mp4', /-g: expected a whole number from 1/],
      [{ crf: '99' }, '.mp4', /-crf: expected a whole number from 0 to 63/],
      [{ videoCodec: 'mpeg4', preset: 'slow' }, '.mp4', /-preset slow: encoder mpeg4 has no such option/],
      [{ audioLayout: '5.1' }, '.mp3', /-layout 5\.1: encoder libmp3lame cannot write it; it takes mono, stereo/],
      [{ noVideo: true, noAudio: true }, '.mkv', /-vn and -an together leave nothing to write/],
      [{ noVideo: true }, '.gif', /-vn leaves nothing to write: \.gif files hold only video/],
      [{ noAudio: true }, '.opus', /-an leaves nothing to write: \.opus files hold only audio/],
    ];
    for (const [req, ext, pattern] of cases) assert.throws(() => parseEncodeSettings(req, ext, h264), pattern, JSON.stringify(req));
    assert.throws(() => parseEncodeSettings({ noAudio: true }, '.mp4', { video: null, audio: 'aac' }), /-an leaves nothing to write: the input has no video/);
    assert.throws(() => parseEncodeSettings({}, '.gif', { video: null, audio: 'aac' }), /the input has no video to write to a \.gif file/);
  });
  it('gives GIF a palette and keeps a source pixel format the encoder takes', () => {
    assert.equal(encoderPixelFormatFor('gif', 'yuv420p'), 'pal8');
    assert.equal(encoderPixelFormatFor('libx264', 'yuv422p'), 'yuv422p');
    assert.equal(encoderPixelFormatFor('libsvtav1', 'yuv422p'), 'yuv420p');
    assert.equal(encoderPixelFormatFor('prores_ks', 'yuv420p'), 'yuv422p10le');
  });
});

describe('AudioMixer', () => {
  /** A sink that records what it is given. */
  function recorder(channels: number) {
    const got: number[] = [];
    return { got, sink: { channels, write: (d: Float32Array, n: number) => got.push(...d.subarray(0, n * channels)) } };
  }
  it('sums the inputs scaled by 1/N, in whatever pieces they arrive', () => {
    const { got, sink } = recorder(2);
    const mix = new AudioMixer(sink, 2, sink.channels);
    const a = mix.input(0);
    const b = mix.input(1);
    a.write(new Float32Array([1, 1, 0.5, 0.5, 0, 0]), 3);
    assert.equal(got.length, 0, 'nothing until every input has samples');
    b.write(new Float32Array([0.2, -0.2]), 1);
    assert.deepEqual(got, [0.6000000238418579, 0.4000000059604645]);
    b.write(new Float32Array([1, 1, 1, 1, 1, 1]), 3);
    assert.deepEqual(got.slice(2), [0.75, 0.75, 0.5, 0.5]);
    mix.flush();
    assert.deepEqual(got.slice(6), [0.5, 0.5], 'the longer input ends against silence');
  });
  it('copies what it keeps: a writer may reuse its buffer', () => {
    const { got, sink } = recorder(1);
    const mix = new AudioMixer(sink, 2, sink.channels);
    const buf = new Float32Array([1, 1]);
    mix.input(0).write(buf, 2);
    buf.fill(0);
    mix.input(1).write(new Float32Array([0, 0]), 2);
    assert.deepEqual(got, [0.5, 0.5]);
  });
});
