/**
 * Frame rates and time bases: FFmpeg's double-to-rational conversion, auto-editor's "sane" default
 * timebase, and the parser behind -r/--frame-rate. Everything here is pure.
 */
import { UserError } from '../errors.js';
import type { MediaInfo } from '../media/types.js';
import { type Rational, rational, ratEquals, ratToString, roundHalfAway } from './rational.js';

/** C's INT_MAX: FFmpeg's AVRational holds two `int`s. */
export const INT_MAX = 2147483647;

function bigAbs(x: bigint): bigint {
  return x < 0n ? -x : x;
}

function bigGcd(a: bigint, b: bigint): bigint {
  a = bigAbs(a);
  b = bigAbs(b);
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** C integer conversions, for reproducing FFmpeg's int64/uint64/int arithmetic bit for bit. */
const i64 = (v: bigint): bigint => BigInt.asIntN(64, v);
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const i32 = (v: bigint): bigint => BigInt.asIntN(32, v);

/**
 * FFmpeg's av_reduce: the best rational approximation of num/den whose terms are both <= max,
 * found by walking the continued fraction and trying one semiconvergent at the end. The arithmetic
 * copies C's types (int64 and uint64 wrap around, the convergents are `int`s), because for tiny
 * inputs FFmpeg's products overflow and its answer depends on the wraparound; for frame rates no
 * overflow happens and the result is the exact best approximation. `exact` is FFmpeg's return value
 * (true when no approximation was needed).
 */
export function avReduce(num: bigint, den: bigint, max: bigint): { num: number; den: number; exact: boolean } {
  num = i64(num);
  den = i64(den);
  max = i64(max);
  let a0n = 0n;
  let a0d = 1n;
  let a1n = 1n;
  let a1d = 0n;
  const negative = num < 0n !== den < 0n;
  const g = bigGcd(num, den);
  if (g !== 0n) {
    num = bigAbs(num) / g;
    den = bigAbs(den) / g;
  }
  if (num <= max && den <= max) {
    a1n = i32(num);
    a1d = i32(den);
    den = 0n;
  }
  while (den !== 0n) {
    let x = u64(num / den);
    const nextDen = i64(num - den * x);
    const a2n = i64(x * a1n + a0n);
    const a2d = i64(x * a1d + a0d);
    if (a2n > max || a2d > max) {
      // The next convergent is too big: take the largest semiconvergent that fits, if it is closer.
      if (a1n !== 0n) x = u64((max - a0n) / a1n);
      if (a1d !== 0n) {
        const xd = u64((max - a0d) / a1d);
        if (xd < x) x = xd;
      }
      if (u64(den * (2n * x * a1d + a0d)) > u64(num * a1d)) {
        a1n = i32(x * a1n + a0n);
        a1d = i32(x * a1d + a0d);
      }
      break;
    }
    a0n = a1n;
    a0d = a1d;
    a1n = i32(a2n);
    a1d = i32(a2d);
    num = den;
    den = nextDen;
  }
  return { num: Number(negative ? i32(-a1n) : a1n), den: Number(a1d), exact: den === 0n };
}

/** frexp's exponent: the e with 2^(e-1) <= |d| < 2^e (0 for 0). Only needed for |d| >= 1 here. */
function frexpExponent(d: number): number {
  const a = Math.abs(d);
  if (a === 0) return 0;
  let e = Math.ceil(Math.log2(a));
  // log2 can be off by one next to powers of two; settle it exactly.
  while (2 ** e <= a) e++;
  while (2 ** (e - 1) > a) e--;
  return e;
}

/**
 * FFmpeg's av_d2q: the closest rational to `x` with numerator and denominator <= `max`. x is first
 * scaled to a 62-bit fixed-point fraction and then reduced with av_reduce, exactly as FFmpeg does, so
 * the results match FFmpeg bit for bit (e.g. d2q(29.97, 1e6) = 2997/100, d2q(30000/1001, INT_MAX) =
 * 30000/1001). Like FFmpeg, NaN gives 0/0 and a magnitude beyond INT_MAX gives ±1/0: check `den`.
 */
export function d2q(x: number, max: number): Rational {
  if (Number.isNaN(x)) return { num: 0, den: 0 };
  if (Math.abs(x) > INT_MAX + 3) return { num: x < 0 ? -1 : 1, den: 0 };
  const exponent = Math.max(frexpExponent(x) - 1, 0);
  const scale = 2 ** (62 - exponent);
  // x * scale is exact (a power-of-two scaling below 2^63); the + 0.5 and floor round like C does.
  const scaled = Math.floor(x * scale + 0.5);
  const bigMax = BigInt(Math.trunc(max));
  let r = avReduce(BigInt(scaled), BigInt(scale), bigMax);
  if ((r.num === 0 || r.den === 0) && x !== 0 && max > 0 && max < INT_MAX) {
    r = avReduce(BigInt(scaled), BigInt(scale), BigInt(INT_MAX));
  }
  return { num: r.num, den: r.den };
}

/** The three NTSC rates that sanitising and the 29.97 warning recognise, with their -r names. */
const NTSC_RATES: readonly { rate: Rational; name: string | null }[] = [
  { rate: { num: 60000, den: 1001 }, name: null },
  { rate: { num: 30000, den: 1001 }, name: 'ntsc' },
  { rate: { num: 24000, den: 1001 }, name: 'ntsc_film' },
];

/** Nim's round(x, 2): round(x * 100) / 100 with C's half-away-from-zero rounding. */
function round2(x: number): number {
  return roundHalfAway(x * 100) / 100;
}

/** The NTSC rate whose 2-decimal rounding equals x's, if any. */
function ntscTwin(x: number): (typeof NTSC_RATES)[number] | undefined {
  const rounded = round2(x);
  return NTSC_RATES.find((n) => round2(n.rate.num / n.rate.den) === rounded);
}

/**
 * auto-editor's makeSaneTimebase: turns a stream's average frame rate into the timeline's timebase.
 * Unknown or non-positive rates (0/0 from containers that do not say) become 30/1. Otherwise the
 * rate is rounded to 2 decimals, which snaps every spelling of an NTSC rate (2997/100, 2997/125,
 * 5994/100, 30000/1001...) to its exact n/1001 form; anything else becomes the closest rational with
 * a denominator of at most 10^6 (so 25/1 stays 25/1 and 1000/1 stays 1000/1).
 */
export function sanitizeFrameRate(avg: Rational | null): Rational {
  if (avg === null || !(avg.num > 0) || !(avg.den > 0) || !Number.isFinite(avg.num / avg.den)) {
    return { num: 30, den: 1 };
  }
  const rounded = round2(avg.num / avg.den);
  const twin = ntscTwin(rounded);
  if (twin) return twin.rate;
  const r = d2q(rounded, 1_000_000);
  // A rate below 0.005 rounds to 0, which is not a usable timebase either.
  return r.num > 0 && r.den > 0 ? r : { num: 30, den: 1 };
}

/** The result of parsing a -r/--frame-rate value. */
export interface ParsedFrameRate {
  rate: Rational;
  /** A warning for the user (e.g. 29.97 is not NTSC), or null. */
  warning: string | null;
}

const NAMED_RATES: Readonly<Record<string, Rational>> = {
  ntsc: { num: 30000, den: 1001 },
  ntsc_film: { num: 24000, den: 1001 },
  pal: { num: 25, den: 1 },
  film: { num: 24, den: 1 },
};

/**
 * Parses N, N/D (or N:D, as FFmpeg's av_parse_ratio allows) and positive decimals into a reduced
 * rational. Decimals go through d2q(x, INT_MAX) the way av_parse_ratio does, so "1.5" is 3/2 and
 * "29.97" is 2997/100. Returns null for anything else, for zero and for negative values.
 */
export function parseRationalText(text: string): Rational | null {
  const s = text.trim();
  let m = /^(\d+)$/.exec(s);
  if (m) {
    const n = Number(m[1]);
    return n > 0 && n <= INT_MAX ? { num: n, den: 1 } : null;
  }
  m = /^(\d+)\s*[/:]\s*(\d+)$/.exec(s);
  if (m) {
    const n = Number(m[1]);
    const d = Number(m[2]);
    if (!(n > 0) || !(d > 0) || !Number.isSafeInteger(n) || !Number.isSafeInteger(d)) return null;
    const r = rational(n, d);
    return r.num <= INT_MAX && r.den <= INT_MAX ? r : null;
  }
  if (/^(\d+\.\d*|\.\d+)$/.test(s)) {
    const x = Number(s);
    if (!(x > 0) || !Number.isFinite(x)) return null;
    const r = d2q(x, INT_MAX);
    return r.num > 0 && r.den > 0 ? r : null;
  }
  return null;
}

/**
 * Parses the value of -r/-tb/-fps/--frame-rate/--time-base: `ntsc` (30000/1001), `ntsc_film`
 * (24000/1001), `pal` (25), `film` (24), N, N/D, or a decimal. Decimals are taken literally (not
 * sanitised): 29.97 is 2997/100, which drifts from NTSC by 0.1 ms per second, so a warning says so.
 * Throws UserError for anything else and for rates <= 0.
 */
export function parseFrameRate(text: string): ParsedFrameRate {
  const s = text.trim();
  const named = NAMED_RATES[s];
  if (named) return { rate: named, warning: null };
  const number = /^[-+]?(\d+\.?\d*|\.\d+)$/.exec(s);
  const fraction = /^([-+]?\d+)\s*[/:]\s*([-+]?\d+)$/.exec(s);
  if (!number && !fraction) {
    throw new UserError(
      `Invalid frame rate "${text}": use ntsc, ntsc_film, pal, film, a number (30, 29.97) or a fraction (30000/1001).`,
    );
  }
  if (fraction && Number(fraction[2]) === 0) {
    throw new UserError(`Frame rate "${text}" has a zero denominator.`);
  }
  const value = number ? Number(s) : Number(fraction![1]) / Number(fraction![2]);
  if (!(value > 0) || s.includes('-')) throw new UserError(`Frame rate "${text}" must be greater than 0.`);
  const rate = parseRationalText(s.replace(/\+/g, ''));
  if (rate === null) throw new UserError(`Frame rate "${text}" is too large.`);
  let warning: string | null = null;
  const twin = ntscTwin(rate.num / rate.den);
  if (twin && !ratEquals(twin.rate, rate)) {
    const exact = ratToString(twin.rate);
    const spelled = twin.name ? `${twin.name} or ${exact}` : exact;
    warning = `${s} is not ${exact}; use ${spelled} for NTSC`;
  }
  return { rate, warning };
}

/**
 * The timebase auto-editor picks when -r is not given: the first video stream's average frame rate,
 * made sane by sanitizeFrameRate; 30/1 when there is no video (or no media info at all).
 */
export function defaultTimebase(info: MediaInfo | null): Rational {
  const video = info?.video[0];
  if (!video) return { num: 30, den: 1 };
  return sanitizeFrameRate(video.avgFrameRate);
}
