import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import { formatStats } from '../../src/edit/stats.js';
import {
  applyTimelineSettings,
  assertNotEmpty,
  concatTimelines,
  parseBackground,
  parseResolution,
  parseSampleRate,
  parseTimelineSettings,
  timelineLength,
  type Clip,
  type Timeline,
} from '../../src/timeline/index.js';

const refused = (f: () => unknown, message: RegExp) =>
  assert.throws(f, (e: unknown) => e instanceof UserError && message.test(e.message) && !e.message.includes('\n'));

describe('parseSampleRate', () => {
  it("reads auto-editor's forms and 48k", () => {
    assert.equal(parseSampleRate('48000'), 48000);
    assert.equal(parseSampleRate('22050Hz'), 22050);
    assert.equal(parseSampleRate('22050 hz'), 22050);
    assert.equal(parseSampleRate('44.1kHz'), 44100);
    assert.equal(parseSampleRate('44.1 kHz'), 44100);
    assert.equal(parseSampleRate('44.1KHz'), 44100);
    assert.equal(parseSampleRate('48k'), 48000);
    assert.equal(parseSampleRate(' 96K '), 96000);
    assert.equal(parseSampleRate('8.000kHz'), 8000);
    assert.equal(parseSampleRate('11.025kHz'), 11025, 'exact in decimal, not 11024.999…');
  });
  it('refuses what is not a whole rate in range', () => {
    refused(() => parseSampleRate(''), /^--sample-rate "": expected a number of hertz/);
    refused(() => parseSampleRate('fast'), /expected a number of hertz, e\.g\. 48000, 44\.1kHz or 48k/);
    refused(() => parseSampleRate('-48000'), /expected a number of hertz/);
    refused(() => parseSampleRate('48 MHz'), /^--sample-rate "48 MHz": unknown unit "MHz" \(use Hz, kHz or k\)$/);
    refused(() => parseSampleRate('44100.5'), /not a whole number of hertz/);
    refused(() => parseSampleRate('44.1005k'), /not a whole number of hertz/);
    refused(() => parseSampleRate('0'), /between 100 and 768000 Hz/);
    refused(() => parseSampleRate('99'), /between 100 and 768000 Hz/);
    refused(() => parseSampleRate('1000kHz'), /between 100 and 768000 Hz/);
  });
});

describe('parseResolution', () => {
  it('reads WIDTH,HEIGHT', () => {
    assert.deepEqual(parseResolution('1920,1080'), [1920, 1080]);
    assert.deepEqual(parseResolution(' 640 , 360 '), [640, 360]);
    assert.deepEqual(parseResolution('1280x720'), [1280, 720]);
    assert.deepEqual(parseResolution('16384,1'), [16384, 1], 'no 3200x1800 cap');
    assert.deepEqual(parseResolution('3840,2160'), [3840, 2160]);
  });
  it('refuses zero, absurd sizes and anything else', () => {
    refused(() => parseResolution('1920'), /^--resolution "1920": expected WIDTH,HEIGHT, e\.g\. 1920,1080$/);
    refused(() => parseResolution('1,2,3'), /expected WIDTH,HEIGHT/);
    refused(() => parseResolution('0,100'), /^--resolution "0,100": the width must be at least 1$/);
    refused(() => parseResolution('100,0'), /the height must be at least 1$/);
    refused(() => parseResolution('16385,100'), /the width must be at most 16384$/);
    refused(() => parseResolution('-5,100'), /the width must be a whole number of pixels/);
    refused(() => parseResolution('12.5,100'), /the width must be a whole number of pixels/);
    refused(() => parseResolution('wide,tall'), /the width must be a whole number of pixels/);
  });
});

describe('parseBackground', () => {
  it('normalises hex forms and colour names to #rrggbb', () => {
    assert.equal(parseBackground('#FF0000'), '#ff0000');
    assert.equal(parseBackground('#f00'), '#ff0000');
    assert.equal(parseBackground('#1a2B3c'), '#1a2b3c');
    assert.equal(parseBackground('0x00FF00'), '#00ff00');
    assert.equal(parseBackground('red'), '#ff0000');
    assert.equal(parseBackground('Black'), '#000000');
    assert.equal(parseBackground('WHITE'), '#ffffff');
    assert.equal(parseBackground('darkslategray'), '#2f4f4f');
    assert.equal(parseBackground('grey'), parseBackground('gray'));
  });
  it('refuses bad hex and unknown names with one line', () => {
    refused(() => parseBackground('#zz0000'), /^--background "#zz0000": expected #rrggbb or #rgb with hex digits/);
    refused(() => parseBackground('#ff00'), /expected #rrggbb or #rgb/);
    refused(() => parseBackground('reddish'), /^--background "reddish": not a colour; give #rrggbb, #rgb or a colour name/);
    refused(() => parseBackground(''), /not a colour/);
  });
});

const clip = (src: string, start: number, dur: number, offset: number, stream = 0): Clip => ({ src, start, dur, offset, speed: 1, stream, volume: 1 });

function tl(src: string, over: Partial<Timeline>, clips: Array<[number, number, number]>, layers: { v: number; a: number }): Timeline {
  const layer = (stream: number) => clips.map(([s, d, o]) => clip(src, s, d, o, stream));
  return {
    tb: { num: 30, den: 1 },
    background: '#000000',
    resolution: [320, 240],
    sampleRate: 48000,
    layout: 'stereo',
    langs: Array.from({ length: layers.a }, (_, i) => `a${i}`),
    videoLangs: Array.from({ length: layers.v }, () => 'vid'),
    v: Array.from({ length: layers.v }, () => layer(0)),
    a: Array.from({ length: layers.a }, (_, i) => layer(i)),
    templateFile: src,
    linear: { src, runs: [], length: 100 },
    ...over,
  };
}

describe('parseTimelineSettings and applyTimelineSettings', () => {
  it('parses only what is given and overrides only that', () => {
    assert.deepEqual(parseTimelineSettings({}), {});
    const settings = parseTimelineSettings({ sampleRate: '44.1kHz', resolution: '640,360', background: 'red' });
    assert.deepEqual(settings, { sampleRate: 44100, resolution: [640, 360], background: '#ff0000' });
    const base = tl('a.mp4', {}, [[0, 10, 0]], { v: 1, a: 1 });
    const changed = applyTimelineSettings(base, settings);
    assert.equal(changed.sampleRate, 44100);
    assert.deepEqual(changed.resolution, [640, 360]);
    assert.equal(changed.background, '#ff0000');
    assert.equal(changed.v, base.v, 'clips untouched');
    assert.equal(base.sampleRate, 48000, 'the original is not modified');
    assert.deepEqual(applyTimelineSettings(base, { resolution: [2, 2] }).sampleRate, 48000);
  });
});

describe('concatTimelines', () => {
  it('lays the parts end to end; every layer continues; gaps where a part lacks a layer', () => {
    const a = tl('a.mp4', {}, [[0, 10, 5], [10, 20, 40]], { v: 1, a: 2 });
    // b has no video, one audio stream, a different rate and layout.
    const b = tl('b.wav', { resolution: [1920, 1080], sampleRate: 44100, layout: 'mono' }, [[0, 15, 0]], { v: 0, a: 1 });
    const c = tl('c.mp4', { resolution: [160, 120] }, [[0, 5, 3]], { v: 1, a: 1 });
    const joined = concatTimelines([a, b, c]);
    assert.equal(timelineLength(joined), 30 + 15 + 5);
    assert.deepEqual(
      joined.v[0]!.map((x) => [x.src, x.start, x.dur, x.offset]),
      [['a.mp4', 0, 10, 5], ['a.mp4', 10, 20, 40], ['c.mp4', 45, 5, 3]],
    );
    assert.deepEqual(
      joined.a[0]!.map((x) => [x.src, x.start]),
      [['a.mp4', 0], ['a.mp4', 10], ['b.wav', 30], ['c.mp4', 45]],
    );
    assert.deepEqual(joined.a[1]!.map((x) => [x.src, x.start, x.stream]), [['a.mp4', 0, 1], ['a.mp4', 10, 1]], "only a has a second stream");
    assert.deepEqual(joined.resolution, [320, 240]);
    assert.equal(joined.sampleRate, 48000);
    assert.equal(joined.layout, 'stereo');
    assert.deepEqual(joined.langs, ['a0', 'a1']);
    assert.equal(joined.templateFile, 'a.mp4');
    assert.equal(joined.linear, undefined, 'v1/v2 describe a single source');
  });
  it('takes the size from the first part with video and the rate from the first with audio', () => {
    const audioOnly = tl('s.wav', { resolution: [1920, 1080], sampleRate: 22050, layout: 'mono' }, [[0, 10, 0]], { v: 0, a: 1 });
    const videoOnly = tl('v.mp4', { resolution: [640, 480], sampleRate: 48000 }, [[0, 10, 0]], { v: 1, a: 0 });
    const j = concatTimelines([audioOnly, videoOnly]);
    assert.deepEqual(j.resolution, [640, 480]);
    assert.equal(j.sampleRate, 22050);
    assert.equal(j.layout, 'mono');
    assert.deepEqual(j.v[0]!.map((x) => x.start), [10]);
  });
  it('keeps a single part as it is, skips empty parts, and refuses mixed timebases', () => {
    const a = tl('a.mp4', {}, [[0, 10, 0]], { v: 1, a: 1 });
    assert.equal(concatTimelines([a]), a);
    const empty = tl('e.mp4', {}, [], { v: 1, a: 1 });
    const j = concatTimelines([empty, a]);
    assert.deepEqual(j.v[0]!.map((x) => [x.src, x.start]), [['a.mp4', 0]]);
    assert.throws(() => assertNotEmpty(concatTimelines([empty, empty])), /Timeline is empty/);
    assert.throws(() => concatTimelines([a, tl('b.mp4', { tb: { num: 25, den: 1 } }, [[0, 1, 0]], { v: 1, a: 1 })]), /share a timebase/);
  });
});

describe('formatStats over several inputs', () => {
  it('measures the cuts of each input against its own length', () => {
    // a: 60 frames, keeps 0-30; b: 90 frames (no audio), keeps 30-60; c: 30 frames, all cut.
    const a = tl('a.mp4', {}, [[0, 30, 0]], { v: 1, a: 1 });
    const b = tl('b.mp4', {}, [[0, 30, 30]], { v: 1, a: 0 });
    const c = tl('c.mp4', {}, [], { v: 1, a: 1 });
    const joined = concatTimelines([a, b, c]);
    const text = formatStats(180, joined, new Map([['a.mp4', 60], ['b.mp4', 90], ['c.mp4', 30]]));
    assert.match(text, /^ - input: +0:00:06\.00 +\(180\)/m);
    assert.match(text, /^ - output: +0:00:02\.00 +\(60\)/m);
    assert.match(text, /^clips:\n - amount: +2$/m);
    // a's tail (30), b's head (30) and tail (30), all of c (30).
    assert.match(text, /^cuts:\n - amount: +4\n - smallest: +0:00:01\.00 +\(30\) *\n - largest: +0:00:01\.00 +\(30\)/m);
  });
});
