import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import type { MediaInfo } from '../../src/media/types.js';
import {
  INT_MAX,
  type Rational,
  avReduce,
  d2q,
  defaultTimebase,
  parseFrameRate,
  parseRationalText,
  sanitizeFrameRate,
} from '../../src/timeline/index.js';

const q = (num: number, den: number): Rational => ({ num, den });
const plain = (r: Rational): Rational => ({ num: r.num, den: r.den });

describe('d2q (FFmpeg av_d2q)', () => {
  // Expected values checked against libavutil's own av_d2q/av_reduce.
  const cases: [number, number, Rational][] = [
    [29.97, 1e6, q(2997, 100)],
    [23.976, 1e6, q(2997, 125)],
    [59.94, INT_MAX, q(2997, 50)],
    [30000 / 1001, INT_MAX, q(30000, 1001)],
    [24000 / 1001, INT_MAX, q(24000, 1001)],
    [Math.PI, 1e6, q(833719, 265381)],
    [0.1, 1e6, q(1, 10)],
    [1 / 3, 100, q(1, 3)],
    [2.5, 1, q(1, 1)],
    [-1.5, 100, q(-3, 2)],
    [25, 1e6, q(25, 1)],
    [0, 1e6, q(0, 1)],
    // Too small for max: FFmpeg retries with INT_MAX rather than answer 0/1.
    [1e-9, 1e6, q(1, 1000000000)],
    // Here FFmpeg 8.1's 62-bit scaling differs from older releases' 61-bit; checked with node-av.
    [9.6559524536132816e-9, 1 << 24, q(11, 1139193679)],
    [Number.NaN, 1e6, q(0, 0)],
    [1e12, 1e6, q(1, 0)],
    [-1e12, 1e6, q(-1, 0)],
  ];
  for (const [x, max, expected] of cases) {
    it(`d2q(${x}, ${max}) = ${expected.num}/${expected.den}`, () => {
      assert.deepEqual(plain(d2q(x, max)), expected);
    });
  }

  it('av_reduce reports whether the reduction was exact', () => {
    assert.deepEqual(avReduce(60000n, 2002n, 1000000n), { num: 30000, den: 1001, exact: true });
    assert.deepEqual(avReduce(30000n, 1001n, 100n), { num: 30, den: 1, exact: false });
  });
});

describe('sanitizeFrameRate (auto-editor makeSaneTimebase)', () => {
  const cases: [string, Rational | null, Rational][] = [
    ['null', null, q(30, 1)],
    ['0/0', q(0, 0), q(30, 1)],
    ['0/1', q(0, 1), q(30, 1)],
    ['30/1', q(30, 1), q(30, 1)],
    ['30000/1001', q(30000, 1001), q(30000, 1001)],
    ['2997/100', q(2997, 100), q(30000, 1001)],
    ['29.97 as d2q gives it', d2q(29.97, 1e6), q(30000, 1001)],
    ['24000/1001', q(24000, 1001), q(24000, 1001)],
    ['23.976 (2997/125)', q(2997, 125), q(24000, 1001)],
    ['60000/1001', q(60000, 1001), q(60000, 1001)],
    ['59.94 (2997/50)', q(2997, 50), q(60000, 1001)],
    ['25/1', q(25, 1), q(25, 1)],
    ['1000/1', q(1000, 1), q(1000, 1)],
    ['50/1', q(50, 1), q(50, 1)],
    ['12.5 stays exact', q(25, 2), q(25, 2)],
    ['119.88 is no listed NTSC rate', q(119880, 1000), q(2997, 25)],
    ['1/3 rounds to 0.33', q(1, 3), q(33, 100)],
    ['a rate rounding to 0', q(1, 1000), q(30, 1)],
  ];
  for (const [name, input, expected] of cases) {
    it(`${name} -> ${expected.num}/${expected.den}`, () => {
      assert.deepEqual(plain(sanitizeFrameRate(input)), expected);
    });
  }
});

describe('parseFrameRate (-r / --frame-rate)', () => {
  const ok: [string, Rational, string | null][] = [
    ['ntsc', q(30000, 1001), null],
    ['ntsc_film', q(24000, 1001), null],
    ['pal', q(25, 1), null],
    ['film', q(24, 1), null],
    ['30', q(30, 1), null],
    [' 60 ', q(60, 1), null],
    ['30000/1001', q(30000, 1001), null],
    ['60/2', q(30, 1), null],
    ['24000:1001', q(24000, 1001), null],
    ['12.5', q(25, 2), null],
    ['1.5', q(3, 2), null],
    ['29.97', q(2997, 100), '29.97 is not 30000/1001; use ntsc or 30000/1001 for NTSC'],
    ['23.976', q(2997, 125), '23.976 is not 24000/1001; use ntsc_film or 24000/1001 for NTSC'],
    ['59.94', q(2997, 50), '59.94 is not 60000/1001; use 60000/1001 for NTSC'],
    ['2997/100', q(2997, 100), '2997/100 is not 30000/1001; use ntsc or 30000/1001 for NTSC'],
  ];
  for (const [text, rate, warning] of ok) {
    it(`"${text}" -> ${rate.num}/${rate.den}${warning ? ' with a warning' : ''}`, () => {
      const parsed = parseFrameRate(text);
      assert.deepEqual(plain(parsed.rate), rate);
      assert.equal(parsed.warning, warning);
    });
  }

  const bad: [string, RegExp][] = [
    ['0', /must be greater than 0/],
    ['0.0', /must be greater than 0/],
    ['-30', /must be greater than 0/],
    ['0/1', /must be greater than 0/],
    ['30/0', /zero denominator/],
    ['99999999999', /too large/],
    ['', /Invalid frame rate/],
    ['abc', /Invalid frame rate "abc"/],
    ['NTSC', /Invalid frame rate/],
    ['30fps', /Invalid frame rate/],
    ['1e3', /Invalid frame rate/],
    ['30/1/1', /Invalid frame rate/],
  ];
  for (const [text, message] of bad) {
    it(`"${text}" is refused`, () => {
      assert.throws(() => parseFrameRate(text), (e: unknown) => e instanceof UserError && message.test(e.message));
    });
  }

  it('parseRationalText returns null for what it cannot read', () => {
    assert.equal(parseRationalText('x'), null);
    assert.equal(parseRationalText('0'), null);
    assert.deepEqual(plain(parseRationalText('30000/1001')!), q(30000, 1001));
  });
});

describe('defaultTimebase', () => {
  const info = (rates: (Rational | null)[]): MediaInfo => ({
    path: 'in.mp4',
    format: 'mov,mp4',
    duration: 1,
    bitrate: 0,
    video: rates.map((avgFrameRate, index) => ({
      index,
      codec: 'h264',
      width: 640,
      height: 360,
      avgFrameRate,
      timeBase: q(1, 90000),
      sampleAspectRatio: q(1, 1),
      pixelFormat: 'yuv420p',
      duration: 1,
      startTime: 0,
      bitrate: 0,
      lang: null,
    })),
    audio: [],
    subtitle: [],
  });
  const cases: [string, MediaInfo | null, Rational][] = [
    ['no media info', null, q(30, 1)],
    ['no video stream', info([]), q(30, 1)],
    ['first video stream, sanitised', info([q(2997, 100), q(25, 1)]), q(30000, 1001)],
    ['unknown rate', info([null]), q(30, 1)],
    ['25 fps', info([q(25, 1)]), q(25, 1)],
  ];
  for (const [name, mi, expected] of cases) {
    it(name, () => assert.deepEqual(plain(defaultTimebase(mi)), expected));
  }
});
