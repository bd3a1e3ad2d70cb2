/**
 * JSON text exactly as auto-editor's Nim std/json writes it, and a strict reader that reports where a
 * file is broken. JSON.stringify cannot be used for writing: Nim prints floats with a trailing ".0"
 * (`1.0`, `99999.0`), switches to exponents at different points, and escapes control characters
 * differently. JSON.parse cannot be used for reading: in Node 20 its messages often omit the position.
 */
import { UserError } from '../errors.js';

/** A float in the output, formatted as Nim formats a float64 (or a float32 when `f32`). */
export class JsonFloat {
  constructor(
    readonly value: number,
    readonly f32 = false,
  ) {}
}

/**
 * A value to write. Plain numbers are integers (Nim's JInt); floats must be wrapped in JsonFloat.
 * Objects keep their insertion order, as Nim's OrderedTable does.
 */
export type JsonOut = string | number | boolean | null | JsonFloat | JsonOut[] | { [key: string]: JsonOut };

/**
 * Lays out shortest digits the way Nim's dragonbox/schubfach formatDigits does: fixed notation while
 * the decimal point is within [minFixed, maxFixed] (always with a fraction, hence "1.0"), otherwise
 * `d.ddde+N` with an unpadded exponent.
 */
function layoutDigits(digits: string, decimalPoint: number, minFixed: number, maxFixed: number): string {
  const n = digits.length;
  if (decimalPoint >= minFixed && decimalPoint <= maxFixed) {
    if (decimalPoint <= 0) return `0.${'0'.repeat(-decimalPoint)}${digits}`;
    if (decimalPoint < n) return `${digits.slice(0, decimalPoint)}.${digits.slice(decimalPoint)}`;
    return `${digits}${'0'.repeat(decimalPoint - n)}.0`;
  }
  const mantissa = n === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
  const k = decimalPoint - 1;
  return `${mantissa}e${k < 0 ? '-' : '+'}${Math.abs(k)}`;
}

function specialFloat(x: number): string | null {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  return null;
}

/** Splits "d.ddde±N" into significant digits (no trailing zeros) and the decimal point position. */
function splitExponential(s: string): { digits: string; decimalPoint: number } {
  const [mant, exp] = s.split('e');
  const digits = mant.replace('.', '').replace(/0+$/, '') || '0';
  return { digits, decimalPoint: Number(exp) + 1 };
}

/**
 * Nim's `$` for a float64 (`addFloat`, round-trip shortest digits): 1 → "1.0", 0.5 → "0.5",
 * 1.1f32 widened → "1.100000023841858", 1e-7 → "0.0000001", 1e-8 → "1e-8", 1e17 → "1e+17".
 */
export function formatNimFloat64(x: number): string {
  const special = specialFloat(x);
  if (special !== null) return special;
  // toExponential() without digits gives the shortest round-trip digits, as dragonbox does.
  const { digits, decimalPoint } = splitExponential(Math.abs(x).toExponential());
  return (x < 0 ? '-' : '') + layoutDigits(digits, decimalPoint, -6, 17);
}

/** Shortest decimal digits that read back as the float32 `f` (what Nim's schubfach produces). */
function shortestFloat32Digits(f: number): { digits: string; decimalPoint: number } {
  for (let p = 1; p <= 9; p++) {
    const { digits, decimalPoint } = (() => {
      const [mant, exp] = f.toExponential(p - 1).split('e');
      return { digits: mant.replace('.', ''), decimalPoint: Number(exp) + 1 };
    })();
    // The nearest p-digit decimal can miss the rounding interval at a power of two, where the
    // interval is lopsided; its neighbours are tried too, and the closest that reads back wins.
    const base = BigInt(digits);
    const scale = decimalPoint - digits.length;
    let best: { digits: string; decimalPoint: number; error: number } | null = null;
    for (const cand of [base - 1n, base, base + 1n]) {
      if (cand <= 0n) continue;
      const text = cand.toString();
      const value = Number(`${text}e${scale}`);
      if (Math.fround(value) !== f) continue;
      const error = Math.abs(value - f);
      if (best === null || error < best.error) {
        best = { digits: text.replace(/0+$/, '') || '0', decimalPoint: text.length + scale, error };
      }
    }
    if (best !== null) return { digits: best.digits, decimalPoint: best.decimalPoint };
  }
  // Unreachable for finite float32 values: 9 significant digits always round-trip.
  return splitExponential(f.toExponential(8));
}

/**
 * Nim's `$` for a float32, which is how auto-editor prints action values ("speed:2.0",
 * "volume:0.5", "speed:1.1"): shortest digits that round-trip through float32, fixed notation for
 * decimal points in [-4, 9].
 */
export function formatNimFloat32(x: number): string {
  const f = Math.fround(x);
  const special = specialFloat(f);
  if (special !== null) return special;
  const { digits, decimalPoint } = shortestFloat32Digits(Math.abs(f));
  return (f < 0 ? '-' : '') + layoutDigits(digits, decimalPoint, -4, 9);
}

/** Nim's escapeJson: only quote, backslash and control characters are escaped (hex in upper case). */
function escapeNimString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c === 0x0b) out += '\\u000b'; // Nim spells this one in lower case
    else if (c < 0x20) out += `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function scalarText(value: JsonOut): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'string') return escapeNimString(value);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`JSON integer expected, got ${value}`);
    return String(value);
  }
  if (value instanceof JsonFloat) return value.f32 ? formatNimFloat32(value.value) : formatNimFloat64(value.value);
  throw new TypeError('not a scalar');
}

/**
 * Nim's `pretty(node)` with its default indent of 2: every array element and object member on its
 * own line, `"key": value`, empty containers as `[]`/`{}`, and no trailing newline (auto-editor's
 * writeFile adds none; `echo` adds one when it prints to stdout).
 */
export function prettyNimJson(value: JsonOut): string {
  const out: string[] = [];
  const write = (v: JsonOut, indent: number): void => {
    if (Array.isArray(v)) {
      if (v.length === 0) {
        out.push('[]');
        return;
      }
      out.push('[\n');
      v.forEach((item, i) => {
        if (i > 0) out.push(',\n');
        out.push(' '.repeat(indent + 2));
        write(item, indent + 2);
      });
      out.push(`\n${' '.repeat(indent)}]`);
    } else if (v !== null && typeof v === 'object' && !(v instanceof JsonFloat)) {
      const entries = Object.entries(v);
      if (entries.length === 0) {
        out.push('{}');
        return;
      }
      out.push('{\n');
      entries.forEach(([key, item], i) => {
        if (i > 0) out.push(',\n');
        out.push(`${' '.repeat(indent + 2)}${escapeNimString(key)}: `);
        write(item, indent + 2);
      });
      out.push(`\n${' '.repeat(indent)}}`);
    } else {
      out.push(scalarText(v));
    }
  };
  write(value, 0);
  return out.join('');
}

/** A parsed JSON value. Objects have no prototype, so keys like "__proto__" are plain data. */
export type JsonIn = string | number | boolean | null | JsonIn[] | { [key: string]: JsonIn };

const MAX_DEPTH = 512;

/**
 * Parses JSON text strictly (RFC 8259; a leading BOM is allowed). A syntax error throws UserError
 * naming the line and column, e.g. `Invalid JSON at line 3, column 9: expected ',' or '}'.`
 */
export function parseJsonStrict(text: string, what = 'JSON'): JsonIn {
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;

  const fail = (message: string, at = i): never => {
    let line = 1;
    let lineStart = 0;
    for (let k = 0; k < at && k < text.length; k++) {
      if (text.charCodeAt(k) === 10) {
        line++;
        lineStart = k + 1;
      }
    }
    throw new UserError(`Invalid ${what} at line ${line}, column ${at - lineStart + 1}: ${message}.`);
  };
  const describe = (): string => (i >= text.length ? 'the end of the text' : `'${text[i]}'`);

  const skipSpace = (): void => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };

  const parseString = (): string => {
    const start = i;
    i++; // opening quote
    let out = '';
    let chunkStart = i;
    while (true) {
      if (i >= text.length) fail('unterminated string', start);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(chunkStart, i);
        i++;
        return out;
      }
      if (c < 0x20) fail('control character inside a string (escape it)');
      if (c === 0x5c) {
        out += text.slice(chunkStart, i);
        const e = text[i + 1];
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e !== undefined && e in simple) {
          out += simple[e];
          i += 2;
        } else if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
        } else {
          fail('invalid escape in a string');
        }
        chunkStart = i;
        continue;
      }
      i++;
    }
  };

  const numberPattern = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

  const parseValue = (depth: number): JsonIn => {
    if (depth > MAX_DEPTH) fail('nesting is too deep');
    skipSpace();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: { [key: string]: JsonIn } = Object.create(null);
      skipSpace();
      if (text[i] === '}') {
        i++;
        return obj;
      }
      while (true) {
        skipSpace();
        if (text[i] !== '"') fail(`expected a string key, found ${describe()}`);
        const key = parseString();
        skipSpace();
        if (text[i] !== ':') fail(`expected ':' after the key "${key}", found ${describe()}`);
        i++;
        obj[key] = parseValue(depth + 1);
        skipSpace();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          return obj;
        }
        fail(`expected ',' or '}', found ${describe()}`);
      }
    }
    if (c === '[') {
      i++;
      const arr: JsonIn[] = [];
      skipSpace();
      if (text[i] === ']') {
        i++;
        return arr;
      }
      while (true) {
        arr.push(parseValue(depth + 1));
        skipSpace();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          return arr;
        }
        fail(`expected ',' or ']', found ${describe()}`);
      }
    }
    if (c === '"') return parseString();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) {
      numberPattern.lastIndex = i;
      const m = numberPattern.exec(text);
      if (!m) fail('invalid number');
      i += m![0].length;
      return Number(m![0]);
    }
    for (const [word, value] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return value;
      }
    }
    return fail(`expected a value, found ${describe()}`);
  };

  const value = parseValue(0);
  skipSpace();
  if (i < text.length) fail(`unexpected ${describe()} after the end of the value`);
  return value;
}
