import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTime, parseRangeTime, parseTimePair, parseTimeValue, timeValueToFrames } from '../../src/edit/time.js';
import { parseThreshold } from '../../src/edit/threshold.js';
import { toUnorm16 } from '../../src/analyze/unorm16.js';
import { UserError } from '../../src/errors.js';
import type { Rational } from '../../src/timeline/rational.js';

const r30: Rational = { num: 30, den: 1 };
const r25: Rational = { num: 25, den: 1 };
const ntsc: Rational = { num: 30000, den: 1001 };
const perMs: Rational = { num: 1000, den: 1 };

// [text, timebase, frames]
const times: [string, Rational, number][] = [
  ['30', r30, 30],
  ['0', r30, 0],
  ['-15', r30, -15],
  ['1_000', r30, 1000],
  [' 12 ', r30, 12],
  ['1.0', r30, 1], // a whole number written with a fraction is still frames
  ['2s', r30, 60],
  ['2sec', r30, 60],
  ['2secs', r30, 60],
  ['2second', r30, 60],
  ['2seconds', r30, 60],
  ['0.5 s', r30, 15],
  ['1_0s', r30, 300],
  ['1min', r30, 1800],
  ['1.5mins', r30, 2700],
  ['1 minute', r30, 1800],
  ['2minutes', r30, 3600],
  ['1hour', r30, 108000],
  ['0.1s', r30, 3],
  ['0.7s', r30, 21],
  ['0.04s', r25, 1],
  ['-2s', r25, -50],
  // Frames truncate toward zero, as auto-editor's toTb does: 0.2 s at 29.97 fps is 5.994 frames.
  ['0.2s', ntsc, 5],
  ['-0.2s', ntsc, -5],
  ['1s', ntsc, 29],
  ['10s', ntsc, 299],
  ['1min', ntsc, 1798],
  // Milliseconds round half away from zero first: 1.0015 s is 1002 ms (Math.round would make
  // -1.0015 s -1001 ms, and -1001 ms is -29.99997 frames, truncated to -29).
  ['1.0015s', ntsc, 30],
  ['-1.0015s', ntsc, -30],
  ['0.0025s', perMs, 3],
  ['-0.0025s', perMs, -3],
  ['0.0004s', perMs, 0],
];

for (const [text, tb, frames] of times) {
  test(`parseTime "${text}" at ${tb.num}/${tb.den} = ${frames}`, () => {
    assert.equal(parseTime(text, tb), frames);
  });
}

test('parseTime never returns negative zero', () => {
  assert.ok(Object.is(parseTime('-0', r30), 0));
  assert.ok(Object.is(parseTime('-0.01s', r30), 0));
});

const badTimes: [string, RegExp][] = [
  ['1.5', /whole number of frames/],
  ['-0.5', /whole number of frames/],
  ['', /must start with a number/],
  ['abc', /must start with a number/],
  ['s', /must start with a number/],
  ['+5', /must start with a number/],
  ['1-2', /must start with a number/],
  ['--1', /must start with a number/],
  ['_5', /must start with a number/],
  ['1._5', /must start with a number/],
  ['5ms', /unknown unit "ms"/],
  ['5S', /unknown unit "S"/],
  ['5 h', /unknown unit "h"/],
  ['1e3', /unknown unit "e3"/],
  ['start', /must start with a number/],
];

for (const [text, message] of badTimes) {
  test(`parseTime rejects "${text}"`, () => {
    assert.throws(() => parseTime(text, r30), (e: unknown) => e instanceof UserError && message.test(e.message));
  });
}

test('parseTime error names the value', () => {
  assert.throws(() => parseTime('1.5', r30), {
    name: 'UserError',
    message: 'invalid time value "1.5": a number without a unit must be a whole number of frames',
  });
});

const ranges: [string, number][] = [
  ['start', 0],
  ['end', 300],
  [' end ', 300],
  ['5s', 150],
  ['0', 0],
  ['-10', 290],
  ['-1s', 270],
  ['-20s', 0], // clamped at 0
  ['-300', 0],
  ['-0.01s', 0], // -0.3 frames truncates to 0, which is not negative
  ['400', 400], // past the end: left to the caller
];

for (const [text, frames] of ranges) {
  test(`parseRangeTime "${text}" with len 300 = ${frames}`, () => {
    assert.equal(parseRangeTime(text, r30, 300), frames);
  });
}

const pairs: [string, [number, number]][] = [
  ['0.2s', [6, 6]],
  ['0.2s,0.5s', [6, 15]],
  ['0.1s, 3', [3, 3]],
  [' -2,3 ', [-2, 3]],
  ['0,0', [0, 0]],
];

for (const [text, expected] of pairs) {
  test(`parseTimePair "${text}" = ${expected.join(',')}`, () => {
    assert.deepEqual(parseTimePair(text, r30), expected);
  });
}

for (const text of ['1,2,3', 'start', '0,end', '', '0.2s,', 'x,1']) {
  test(`parseTimePair rejects "${text}"`, () => {
    assert.throws(() => parseTimePair(text, r30), UserError);
  });
}

test('parseTimePair at 30000/1001 truncates the default margin to 5 frames', () => {
  assert.deepEqual(parseTimePair('0.2s', ntsc), [5, 5]);
});

// [text, float, unorm16]
const thresholds: [string, number, number][] = [
  ['0.04', 0.04, 2621],
  ['4%', 0.04, 2621],
  ['4 %', 0.04, 2621],
  ['1_0%', 0.1, 6554],
  ['-20dB', 0.1, 6554],
  ['0dB', 1, 65535],
  ['1', 1, 65535],
  ['0', 0, 0],
  ['100%', 1, 65535],
  ['.5', 0.5, 32768],
  ['-0%', -0, 0],
  // float32 maths: 0.3271 × 65535 + 0.5 is 21436.9985 in float64 but 21437 in float32
  ['32.71%', 0.3271, 21437],
  // the range check is made on the float32 value, which is exactly 1 here
  ['1.00000001', 1.00000001, 65535],
];

for (const [text, value, unorm] of thresholds) {
  test(`parseThreshold "${text}" = ${value} (unorm16 ${unorm})`, () => {
    const parsed = parseThreshold(text);
    assert.ok(Math.abs(parsed - value) < 1e-12, `got ${parsed}`);
    assert.equal(toUnorm16(parsed), unorm);
  });
}

const badThresholds: [string, RegExp][] = [
  ['1.5', /out of range/],
  ['101%', /out of range/],
  ['1dB', /out of range/],
  ['-0.1', /out of range/],
  ['-5%', /out of range/],
  ['abc', /must start with a number/],
  ['', /must start with a number/],
  ['0.04x', /unknown unit "x"/],
  ['4%%', /unknown unit "%%"/],
  ['-20db', /unknown unit "db"/],
];

for (const [text, message] of badThresholds) {
  test(`parseThreshold rejects "${text}"`, () => {
    assert.throws(() => parseThreshold(text), (e: unknown) => e instanceof UserError && message.test(e.message));
  });
}

test('parseTime rejects values too large to count', () => {
  assert.throws(() => parseTime('9'.repeat(400) + 's', r30), /too large/);
  assert.throws(() => parseTime('9'.repeat(20), r30), /too large/);
});

test('parseTimeValue keeps a time without its timebase; timeValueToFrames converts it later', () => {
  assert.deepEqual(parseTimeValue('30'), { unit: 'frames', value: 30 });
  assert.deepEqual(parseTimeValue('-5secs'), { unit: 'ms', value: -5000 });
  assert.deepEqual(parseTimeValue('1.0015s'), { unit: 'ms', value: 1002 });
  assert.deepEqual(parseTimeValue('1.5min'), { unit: 'ms', value: 90000 });
  assert.equal(timeValueToFrames(parseTimeValue('-5secs'), r30), -150);
  assert.equal(timeValueToFrames(parseTimeValue('0.2s'), ntsc), 5);
  assert.equal(timeValueToFrames(parseTimeValue('12'), ntsc), 12);
  assert.throws(() => parseTimeValue('1.5'), /whole number of frames/);
});
