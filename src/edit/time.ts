import { UserError } from '../errors.js';
import { roundHalfAway, type Rational } from '../timeline/rational.js';

/** A number split from its unit suffix, e.g. "0.2s" → { value: 0.2, unit: "s" }. */
export interface NumberWithUnit {
  readonly value: number;
  readonly unit: string;
}

// auto-editor takes the longest prefix made of these characters as the number and everything
// after it as the unit, so "4 %" and "1_000s" work while "+5" or "1e3" do not.
const NUMBER_PREFIX = /^[0-9_ .-]*/;
// Nim's float syntax: optional minus, digits with `_` allowed after a digit, optional fraction.
const NIM_FLOAT = /^-?(?:\d[\d_]*)?(?:\.(?:\d[\d_]*)?)?$/;

/**
 * Splits `text` into a number and a unit the way auto-editor does for times, thresholds and
 * speeds. `what` names the value in the error ("time value", "threshold").
 */
export function splitNumberUnit(text: string, what: string): NumberWithUnit {
  const head = NUMBER_PREFIX.exec(text)![0];
  const digits = head.replaceAll(' ', '');
  if (!NIM_FLOAT.test(digits) || !/\d/.test(digits)) {
    throw new UserError(`invalid ${what} "${text}": it must start with a number`);
  }
  return { value: Number(digits.replaceAll('_', '')), unit: text.slice(head.length) };
}

// Multipliers applied after "× 1000": auto-editor computes round(x × 1000 × 60), and
// (x × 1000) × 60 is not always the same double as x × 60000.
const UNIT_FACTOR: ReadonlyMap<string, number> = new Map([
  ['s', 1], ['sec', 1], ['secs', 1], ['second', 1], ['seconds', 1],
  ['min', 60], ['mins', 60], ['minute', 60], ['minutes', 60],
  ['hour', 3600],
]);

/**
 * A time value parsed without a timebase: whole frames, or whole milliseconds (auto-editor keeps a
 * time with a unit as rounded milliseconds until the timebase is known).
 */
export type TimeValue = { readonly unit: 'frames'; readonly value: number } | { readonly unit: 'ms'; readonly value: number };

/**
 * Parses a time value without converting it: a bare integer is frames; with a unit it is rounded
 * to whole milliseconds (half away from zero). Every syntax error is found here, so callers can
 * check values before the timebase is known (it is only known after probing).
 */
export function parseTimeValue(text: string): TimeValue {
  const trimmed = text.trim();
  const { value, unit } = splitNumberUnit(trimmed, 'time value');
  if (unit === '') {
    if (!Number.isInteger(value)) {
      throw new UserError(`invalid time value "${text}": a number without a unit must be a whole number of frames`);
    }
    return { unit: 'frames', value: checkSafe(value + 0, text) }; // + 0 turns "-0" into 0
  }
  const factor = UNIT_FACTOR.get(unit);
  if (factor === undefined) {
    throw new UserError(`invalid time value "${text}": unknown unit "${unit}" (use s, sec, min or hour, or no unit for frames)`);
  }
  return { unit: 'ms', value: checkSafe(roundHalfAway(value * 1000 * factor) + 0, text) };
}

/**
 * Converts a parsed time value to integer frames at `tb`: frames stay as they are; milliseconds
 * become frames truncating toward zero, in the same float64 steps as auto-editor 31 (`toTb`).
 */
export function timeValueToFrames(time: TimeValue, tb: Rational): number {
  if (time.unit === 'frames') return time.value;
  // auto-editor converts with Nim's int(), which truncates: 0.2s at 30000/1001 is 5 frames, not 6.
  const frames = Math.trunc((time.value / 1000) * (tb.num / tb.den)) + 0;
  if (!Number.isSafeInteger(frames)) throw new UserError(`invalid time value: ${time.value} ms is too large`);
  return frames;
}

/**
 * Parses a time value into integer frames at `tb`: a bare integer is frames; with a unit it is
 * first rounded to whole milliseconds (half away from zero), then converted to frames
 * truncating toward zero, in the same float64 steps as auto-editor 31 (`toTb`). Negative
 * values come back negative.
 */
export function parseTime(text: string, tb: Rational): number {
  return timeValueToFrames(parseTimeValue(text), tb);
}

function checkSafe(frames: number, text: string): number {
  if (!Number.isSafeInteger(frames)) throw new UserError(`invalid time value "${text}": it is too large`);
  return frames;
}

/**
 * Parses one end of a range (`--cut`, `--keep`, `--set-speed`, …): also accepts `start` (0) and
 * `end` (`len`); a negative value counts back from `len` and is clamped at 0. Positive values
 * beyond `len` are returned as they are.
 */
export function parseRangeTime(text: string, tb: Rational, len: number): number {
  const trimmed = text.trim();
  if (trimmed === 'start') return 0;
  if (trimmed === 'end') return len;
  const frames = parseTime(trimmed, tb);
  return frames < 0 ? Math.max(0, len + frames) : frames;
}

/**
 * Parses `-m/--margin` and `--smooth` values: "A,B", or a single "A" meaning both.
 * `start` and `end` are not times here.
 */
export function parseTimePair(text: string, tb: Rational): [number, number] {
  const parts = text.trim().split(',');
  if (parts.length === 1) parts.push(parts[0]!);
  if (parts.length !== 2) {
    throw new UserError(`invalid time pair "${text}": give one time, or two separated by a comma`);
  }
  for (const part of parts) {
    const word = part.trim();
    if (word === 'start' || word === 'end') {
      throw new UserError(`invalid time value "${word}" in "${text}": start and end are only allowed in ranges`);
    }
  }
  return [parseTime(parts[0]!, tb), parseTime(parts[1]!, tb)];
}
