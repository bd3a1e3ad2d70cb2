import { UserError } from '../errors.js';
import { toUnorm16 } from '../analyze/unorm16.js';
import type { Rational } from '../timeline/rational.js';
import { parseNimFloat, parseNimInt } from './numbers.js';
import { parseThreshold } from './threshold.js';

/**
 * A motion region as fractions of the frame (x, y, width, height), stored the way auto-editor
 * stores it: each value quantised to 24 bits and read back as a float32, so that the pixel
 * rounding of the crop matches.
 */
export type MotionRegion = readonly [x: number, y: number, w: number, h: number];

/** A parsed `--edit` expression. */
export type EditExpr =
  | { kind: 'audio'; threshold: number /* unorm16 integer */; stream: number | 'all'; channel: number | null }
  | {
      kind: 'motion';
      threshold: number /* unorm16 integer */;
      stream: number;
      /** Width the frames are scaled to before comparing (>= 1). */
      width: number;
      /** Gaussian blur sigma (>= 0). */
      blur: number;
      /** Crop before scaling; null = the whole frame (auto-editor's 0,0,1,1). */
      region: MotionRegion | null;
    }
  | {
      kind: 'blackdetect';
      threshold: number /* unorm16 integer */;
      stream: number;
      /** A pixel is black when its luma is at most this fraction of white (float32, 0 to 1). */
      pixelBlack: number;
    }
  | {
      kind: 'subtitle';
      /** JavaScript RegExp source (for `word`, the escaped word wrapped in \b…\b). */
      pattern: string;
      ignoreCase: boolean;
      /** Subtitle stream index; past the file's subtitle streams it names a sidecar file's. */
      stream: number;
    }
  | { kind: 'none' }
  | { kind: 'all' }
  | { kind: 'or' | 'and' | 'xor'; args: EditExpr[] }
  | { kind: 'not'; arg: EditExpr };

/** The audio member of LevelRequest: one stream, and one channel or all (null). */
export interface AudioLevelRequest {
  method: 'audio';
  stream: number;
  channel: number | null;
}

/** Motion levels of one video stream with one set of filter settings. */
export interface MotionLevelRequest {
  method: 'motion';
  stream: number;
  width: number;
  blur: number;
  region: MotionRegion | null;
}

/** Black-frame levels of one video stream. */
export interface BlackdetectLevelRequest {
  method: 'blackdetect';
  stream: number;
  pixelBlack: number;
}

/** The cues of one subtitle stream (from the file, or from a sidecar .srt/.ass/.vtt). */
export interface SubtitleRequest {
  method: 'subtitle';
  stream: number;
}

/**
 * One thing the analysis step must provide before an expression can be evaluated: a unorm16
 * level array (audio, motion, blackdetect) or a subtitle stream's cues.
 */
export type LevelRequest = AudioLevelRequest | MotionLevelRequest | BlackdetectLevelRequest | SubtitleRequest;

/** The requests that are answered with one unorm16 level per timeline frame. */
export type FrameLevelRequest = Exclude<LevelRequest, SubtitleRequest>;

/** One subtitle line: when it shows, in seconds, and its text (for ASS, the dialogue text only). */
export interface SubtitleCue {
  start: number;
  end: number;
  text: string;
}

/** How many streams of each kind the input has, for checking stream indexes up front. */
export interface StreamCounts {
  audio: number;
  video: number;
  subtitle: number;
}

/** What evaluating an expression needs from the media. */
export interface EditContext {
  /** Media length in timeline frames (the length of `none`, and where `end` is for ranges). */
  len: number;
  /** The timeline's timebase: subtitle cue times are converted with it. */
  tb: Rational;
  /** Audio streams of the input (`audio` with stream=all reads each one). */
  audioStreamCount: number;
  /** One unorm16 level per timeline frame, for a request collectLevelRequests listed. */
  levels(req: FrameLevelRequest): Uint16Array;
  /** The cues of a subtitle stream collectLevelRequests listed. */
  cues(stream: number): readonly SubtitleCue[];
}

// ---------------------------------------------------------------------------------------------
// Lexer and reader. The grammar is auto-editor's: S-expressions, plus `name:arg,key=value`
// calls, plus several top-level expressions meaning one list (`not audio`, `or a b`).

type TokenKind = 'open' | 'close' | 'sym' | 'num' | 'colon' | 'comma' | 'equal';
interface Token {
  kind: TokenKind;
  text: string;
}

type Node = { kind: 'sym' | 'num'; text: string } | { kind: 'list'; items: Node[] };

const WHITESPACE = ' \t\n\r\v\f';
// Characters that end a number; note `=` is not one, as in auto-editor.
const NUMBER_END = '()[]{}",:;' + WHITESPACE;
const SYMBOL_END = "'.()[]{}=\",:;" + WHITESPACE;

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (WHITESPACE.includes(c)) {
      i++;
    } else if (c === ';') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if ('([{'.includes(c) || ')]}'.includes(c)) {
      tokens.push({ kind: '([{'.includes(c) ? 'open' : 'close', text: c });
      i++;
    } else if (c === ':' || c === ',' || c === '=') {
      tokens.push({ kind: c === ':' ? 'colon' : c === ',' ? 'comma' : 'equal', text: c });
      i++;
    } else if (c === '"') {
      let text = '';
      i++;
      while (i < source.length && source[i] !== '"') {
        let ch = source[i]!;
        if (ch === '\\' && i + 1 < source.length) {
          i++;
          ch = source[i] === 'n' ? '\n' : source[i] === 't' ? '\t' : source[i]!;
        }
        text += ch;
        i++;
      }
      if (i >= source.length) throw new UserError(`--edit: a string is missing its closing quote`);
      i++;
      tokens.push({ kind: 'sym', text });
    } else {
      const isNumber = /[0-9.]/.test(c) || (c === '-' && /[0-9.]/.test(source[i + 1] ?? ''));
      const end = isNumber ? NUMBER_END : SYMBOL_END;
      const from = i;
      while (i < source.length && !end.includes(source[i]!)) i++;
      if (i === from) throw new UserError(`--edit: unexpected character "${c}"`);
      tokens.push({ kind: isNumber ? 'num' : 'sym', text: source.slice(from, i) });
    }
  }
  return tokens;
}

function read(source: string): Node {
  const tokens = tokenize(source);
  let pos = 0;

  const expression = (): Node => {
    const token = tokens[pos];
    if (token === undefined) throw new UserError('--edit: the expression ends too early');
    pos++;
    switch (token.kind) {
      case 'open': {
        const items: Node[] = [];
        while (pos < tokens.length && tokens[pos]!.kind !== 'close') items.push(expression());
        if (pos >= tokens.length) throw new UserError('--edit: missing closing parenthesis');
        pos++;
        return { kind: 'list', items };
      }
      case 'num':
        return { kind: 'num', text: token.text };
      case 'sym':
        return tokens[pos]?.kind === 'colon' ? call(token.text) : { kind: 'sym', text: token.text };
      case 'equal':
        return { kind: 'sym', text: '=' };
      default:
        throw new UserError(`--edit: unexpected "${token.text}"`);
    }
  };

  // `name:a,b,key=value` reads as (name a b (= key value)); it stops at the first token that
  // is not an argument, or at `other:` which starts the next call.
  const call = (name: string): Node => {
    pos++; // the colon
    const items: Node[] = [{ kind: 'sym', text: name }];
    while (pos < tokens.length) {
      const token = tokens[pos]!;
      if (token.kind !== 'num' && token.kind !== 'sym') break;
      if (token.kind === 'sym' && tokens[pos + 1]?.kind === 'colon') break;
      let arg = expression();
      if (tokens[pos]?.kind === 'equal') {
        pos++;
        arg = { kind: 'list', items: [{ kind: 'sym', text: '=' }, arg, expression()] };
      }
      items.push(arg);
      if (tokens[pos]?.kind !== 'comma') break;
      pos++;
    }
    return { kind: 'list', items };
  };

  const top: Node[] = [];
  while (pos < tokens.length) top.push(expression());
  if (top.length === 0) throw new UserError('--edit: the expression is empty');
  if (top.length === 1 && top[0]!.kind === 'list') return top[0]!;
  return { kind: 'list', items: top };
}

// ---------------------------------------------------------------------------------------------
// From the reader's tree to EditExpr.

// Positional order and keyword names of each method, as in auto-editor's editmethods.nim.
const AUDIO_PARAMS = ['threshold', 'stream', 'channel'] as const;
const MOTION_PARAMS = ['threshold', 'stream', 'width', 'blur', 'x', 'y', 'w', 'h'] as const;
const BLACKDETECT_PARAMS = ['threshold', 'stream', 'pixel-black'] as const;
const SUBTITLE_PARAMS = ['pattern', 'stream', 'ignore-case'] as const;
const WORD_PARAMS = ['value', 'stream', 'ignore-case'] as const;

const KNOWN_NAMES = 'audio, motion, blackdetect, subtitle, regex, word, none, all, or, and, xor and not';

/** Parses an `--edit` expression; every syntax and argument error is a UserError. */
export function parseEdit(source: string): EditExpr {
  return toEdit(read(source));
}

function show(node: Node): string {
  return node.kind === 'list' ? `(${node.items.map(show).join(' ')})` : node.text;
}

function toEdit(node: Node): EditExpr {
  // A bare name inside an operator, e.g. `(or audio none)`, is a call with default arguments.
  const items = node.kind === 'list' ? node.items : [node];
  const head = items[0];
  if (head === undefined) throw new UserError('--edit: "()" is not an expression');
  if (head.kind === 'list' && items.length === 1) return toEdit(head);
  const args = items.slice(1);

  // auto-editor ignores arguments given to the constants, so tacet does too.
  if (head.kind === 'num') {
    if (head.text === '0') return { kind: 'all' };
    if (head.text === '1') return { kind: 'none' };
    throw new UserError(`--edit: "${head.text}" is not an expression; the only numbers allowed are 0 (cut all) and 1 (keep all)`);
  }
  if (head.kind !== 'sym') throw new UserError(`--edit: expected an edit method or operator, got ${show(node)}`);

  const name = head.text;
  switch (name) {
    case 'none':
    case 'all':
      return { kind: name };
    case 'not':
      if (args.length !== 1) throw new UserError(`--edit: "not" takes exactly 1 operand, got ${args.length}`);
      return { kind: 'not', arg: toEdit(args[0]!) };
    case 'or':
    case 'and':
    case 'xor':
      if (args.length < 1) throw new UserError(`--edit: "${name}" takes at least 1 operand, got 0`);
      return { kind: name, args: args.map(toEdit) };
    case 'audio':
      return audioMethod(args);
    case 'motion':
      return motionMethod(args);
    case 'blackdetect':
      return blackdetectMethod(args);
    case 'subtitle':
    case 'regex':
      return subtitleMethod(name, args);
    case 'word':
      return wordMethod(args);
    default:
      throw new UserError(`unknown edit method "${name}" (tacet knows ${KNOWN_NAMES})`);
  }
}

function audioMethod(args: Node[]): EditExpr {
  const result: Extract<EditExpr, { kind: 'audio' }> = {
    kind: 'audio',
    threshold: toUnorm16(0.04),
    stream: 'all',
    channel: null,
  };
  for (const [param, value] of bindArguments('audio', args, AUDIO_PARAMS)) {
    if (param === 'threshold') result.threshold = toUnorm16(parseThreshold(value));
    else if (param === 'stream') result.stream = parseStream('audio', value);
    else result.channel = parseChannel(value);
  }
  return result;
}

// auto-editor keeps region fractions as 24-bit unsigned normalised integers.
const UNORM24_MAX = 16777215;
const UNORM24_INV = Math.fround(1 / UNORM24_MAX);

function toUnorm24(fraction: number): number {
  return Math.round(Math.min(1, Math.max(0, Math.fround(fraction))) * UNORM24_MAX);
}

function motionMethod(args: Node[]): EditExpr {
  let threshold = toUnorm16(0.02);
  let stream = 0;
  let width = 400;
  let blur = 9;
  const region = [0, 0, 1, 1];
  for (const [param, value] of bindArguments('motion', args, MOTION_PARAMS)) {
    switch (param) {
      case 'threshold':
        threshold = toUnorm16(parseThreshold(value));
        break;
      case 'stream':
        stream = parseSingleStream('motion', value, 'video');
        break;
      case 'width':
        width = parseNatural('motion', param, value);
        break;
      case 'blur':
        blur = parseNatural('motion', param, value);
        break;
      default:
        // x, y, w and h are parameters 4 to 7.
        region[MOTION_PARAMS.indexOf(param) - 4] = parseFraction('motion', param, value);
    }
  }
  // auto-editor checks these when the analysis starts; before any work is better.
  if (width < 1) throw new UserError('motion: width must be greater than 0');
  const quantised = region.map(toUnorm24);
  if (quantised[2] === 0 || quantised[3] === 0) throw new UserError('motion: w and h must be greater than 0');
  const whole = quantised[0] === 0 && quantised[1] === 0 && quantised[2] === UNORM24_MAX && quantised[3] === UNORM24_MAX;
  const asStored = quantised.map((u) => Math.fround(u * UNORM24_INV));
  return {
    kind: 'motion',
    threshold,
    stream,
    width,
    blur,
    region: whole ? null : [asStored[0]!, asStored[1]!, asStored[2]!, asStored[3]!],
  };
}

function blackdetectMethod(args: Node[]): EditExpr {
  const result: Extract<EditExpr, { kind: 'blackdetect' }> = {
    kind: 'blackdetect',
    threshold: toUnorm16(0.98),
    stream: 0,
    pixelBlack: Math.fround(0.1),
  };
  for (const [param, value] of bindArguments('blackdetect', args, BLACKDETECT_PARAMS)) {
    if (param === 'threshold') result.threshold = toUnorm16(parseThreshold(value));
    else if (param === 'stream') result.stream = parseSingleStream('blackdetect', value, 'video');
    else result.pixelBlack = parseFraction('blackdetect', param, value);
  }
  return result;
}

function subtitleMethod(name: 'subtitle' | 'regex', args: Node[]): EditExpr {
  const result: Extract<EditExpr, { kind: 'subtitle' }> = { kind: 'subtitle', pattern: '', ignoreCase: false, stream: 0 };
  for (const [param, value] of bindArguments(name, args, SUBTITLE_PARAMS)) {
    if (param === 'pattern') result.pattern = value;
    else if (param === 'stream') result.stream = parseSingleStream(name, value, 'subtitle');
    else result.ignoreCase = parseBoolean(name, param, value);
  }
  // auto-editor 31 accepts an empty pattern (it matches every cue); only `word` insists on one.
  subtitleRegExp(result, name); // reject a bad pattern now, not after analysis
  return result;
}

function wordMethod(args: Node[]): EditExpr {
  let word = '';
  const result: Extract<EditExpr, { kind: 'subtitle' }> = { kind: 'subtitle', pattern: '', ignoreCase: true, stream: 0 };
  for (const [param, value] of bindArguments('word', args, WORD_PARAMS)) {
    if (param === 'value') word = value;
    else if (param === 'stream') result.stream = parseSingleStream('word', value, 'subtitle');
    else result.ignoreCase = parseBoolean('word', param, value);
  }
  if (word === '') throw new UserError('word: a value is required, e.g. word:hello');
  result.pattern = `\\b${escapeRegExp(word)}\\b`;
  subtitleRegExp(result, 'word');
  return result;
}

/** Escapes every character that has a meaning in a RegExp, so that `text` matches itself. */
export function escapeRegExp(text: string): string {
  // Only the syntax characters: escaping anything else (e.g. `-`) is an error with the u flag.
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

/**
 * The RegExp for a subtitle expression. auto-editor's regex engine reads subtitles as UTF-8, so
 * the `u` flag is used when the pattern allows it; patterns that only the looser non-Unicode
 * syntax accepts (e.g. a lone `{`) are still taken. A pattern JavaScript rejects is a UserError.
 */
export function subtitleRegExp(expr: { pattern: string; ignoreCase: boolean }, method = 'subtitle'): RegExp {
  const flags = expr.ignoreCase ? 'i' : '';
  try {
    return new RegExp(expr.pattern, `${flags}u`);
  } catch {
    try {
      return new RegExp(expr.pattern, flags);
    } catch (e) {
      const why = e instanceof Error ? e.message.replace(/^Invalid regular expression: /, '') : String(e);
      throw new UserError(`${method}: invalid pattern "${expr.pattern}": ${why}`);
    }
  }
}

/**
 * Binds positional and `key=value` arguments to parameter names, in order; a later value for
 * the same parameter wins, as in auto-editor.
 */
function bindArguments<P extends string>(method: string, args: Node[], params: readonly P[]): [P, string][] {
  const bound: [P, string][] = [];
  let positional = 0;
  let sawKeyword = false;
  for (const arg of args) {
    if (arg.kind === 'list' && arg.items[0]?.kind === 'sym' && arg.items[0].text === '=') {
      const [, key, value] = arg.items;
      const param = params.find((p) => key?.kind !== 'list' && key?.text === p);
      if (param === undefined) {
        const keyText = key === undefined ? '' : show(key);
        throw new UserError(`${method}: unknown argument "${keyText}" (it takes ${params.join(', ')})`);
      }
      if (value === undefined || value.kind === 'list') {
        throw new UserError(`${method}: "${param}=" needs a single value`);
      }
      sawKeyword = true;
      bound.push([param, value.text]);
    } else {
      if (sawKeyword) throw new UserError(`${method}: positional arguments must come before key=value arguments`);
      const param = params[positional];
      if (param === undefined) throw new UserError(`${method}: too many arguments (it takes ${params.join(', ')})`);
      if (arg.kind === 'list') throw new UserError(`${method}: "${show(arg)}" is not a value for ${param}`);
      bound.push([param, arg.text]);
      positional++;
    }
  }
  return bound;
}

function parseStream(method: string, text: string): number | 'all' {
  if (text === 'all') return 'all';
  // auto-editor accepts stream indexes 0 to 1000.
  const n = parseNimInt(text) ?? NaN;
  if (!(n >= 0 && n <= 1000)) throw new UserError(`${method}: invalid stream "${text}": use a stream index (0, 1, …)${method === 'audio' ? ' or all' : ''}`);
  return n;
}

/** A stream index for the methods that read one stream only (auto-editor refuses `all` there). */
function parseSingleStream(method: string, text: string, kind: 'video' | 'subtitle'): number {
  const stream = parseStream(method, text);
  if (stream === 'all') throw new UserError(`${method}: stream=all is not supported; give one ${kind} stream index (0, 1, …)`);
  return stream;
}

function parseNatural(method: string, param: string, text: string): number {
  const n = parseNimInt(text) ?? NaN;
  if (!(n >= 0 && n <= 2147483647)) throw new UserError(`${method}: invalid ${param} "${text}": use a whole number, 0 or more`);
  return n;
}

/** A float in [0, 1], kept as the float32 auto-editor stores. */
function parseFraction(method: string, param: string, text: string): number {
  const n = parseNimFloat(text);
  if (n === null) throw new UserError(`${method}: invalid ${param} "${text}": it must be a number from 0 to 1`);
  // auto-editor checks the float32 it stores, and NaN fails the check as it does there.
  const f = Math.fround(n);
  if (!(f >= 0 && f <= 1)) throw new UserError(`${method}: ${param} "${text}" is out of range: it must be from 0 to 1`);
  return f;
}

function parseBoolean(method: string, param: string, text: string): boolean {
  if (text === '#t' || text === 'true') return true;
  if (text === '#f' || text === 'false') return false;
  throw new UserError(`${method}: invalid ${param} "${text}": use true or false (#t or #f)`);
}

function parseChannel(text: string): number | null {
  if (text === 'all') return null;
  if (/^\+?\d+$/.test(text)) return Number(text);
  if (/^[a-z]/i.test(text)) {
    // auto-editor names channels (left, right, center, …); tacet only has indexes so far.
    throw new UserError(`audio: channel names like "${text}" are not supported yet; give a channel index (0, 1, …) or all`);
  }
  throw new UserError(`audio: invalid channel "${text}": use a channel index (0, 1, …) or all`);
}

// ---------------------------------------------------------------------------------------------
// Level requests.

function plural(n: number, what: string): string {
  return `${n} ${what} stream${n === 1 ? '' : 's'}`;
}

function audioStreams(expr: Extract<EditExpr, { kind: 'audio' }>, count: number): number[] {
  if (count === 0) throw new UserError('edit method "audio" needs an audio stream, but the input has none');
  if (expr.stream === 'all') return Array.from({ length: count }, (_, i) => i);
  if (expr.stream >= count) {
    const has = count === 1 ? '1 audio stream (index 0)' : `${count} audio streams (0 to ${count - 1})`;
    throw new UserError(`audio stream ${expr.stream} does not exist: the input has ${has}`);
  }
  return [expr.stream];
}

function checkVideoStream(method: string, stream: number, count: number): void {
  if (count === 0) throw new UserError(`edit method "${method}" needs a video stream, but the input has none`);
  if (stream >= count) {
    const has = count === 1 ? '1 video stream (index 0)' : `${plural(count, 'video')} (0 to ${count - 1})`;
    throw new UserError(`${method}: video stream ${stream} does not exist: the input has ${has}`);
  }
}

function requestKey(req: LevelRequest): string {
  switch (req.method) {
    case 'audio':
      return `audio:${req.stream}:${req.channel ?? 'all'}`;
    case 'motion':
      return `motion:${req.stream}:${req.width}:${req.blur}:${req.region?.join(',') ?? 'all'}`;
    case 'blackdetect':
      return `blackdetect:${req.stream}:${req.pixelBlack}`;
    case 'subtitle':
      return `subtitle:${req.stream}`;
  }
}

/**
 * Lists what `expr` needs from the media, each once, in order of first use; audio `stream: 'all'`
 * expands to every audio stream. Throws a UserError for a missing audio or video stream. A
 * subtitle stream index beyond the file's subtitle streams is allowed: a sidecar .srt/.ass/.vtt
 * next to the input may supply it (the caller resolves that, as auto-editor does).
 */
export function collectLevelRequests(expr: EditExpr, counts: StreamCounts): LevelRequest[] {
  const requests: LevelRequest[] = [];
  const seen = new Set<string>();
  const add = (req: LevelRequest): void => {
    const key = requestKey(req);
    if (seen.has(key)) return;
    seen.add(key);
    requests.push(req);
  };
  const visit = (e: EditExpr): void => {
    switch (e.kind) {
      case 'audio':
        for (const stream of audioStreams(e, counts.audio)) add({ method: 'audio', stream, channel: e.channel });
        break;
      case 'motion':
        checkVideoStream('motion', e.stream, counts.video);
        add({ method: 'motion', stream: e.stream, width: e.width, blur: e.blur, region: e.region });
        break;
      case 'blackdetect':
        checkVideoStream('blackdetect', e.stream, counts.video);
        add({ method: 'blackdetect', stream: e.stream, pixelBlack: e.pixelBlack });
        break;
      case 'subtitle':
        add({ method: 'subtitle', stream: e.stream });
        break;
      case 'not':
        visit(e.arg);
        break;
      case 'or':
      case 'and':
      case 'xor':
        e.args.forEach(visit);
        break;
      case 'none':
      case 'all':
        break;
    }
  };
  visit(expr);
  return requests;
}

// ---------------------------------------------------------------------------------------------
// Evaluation.

function thresholdMask(levels: Uint16Array, threshold: number): Uint8Array {
  const active = new Uint8Array(levels.length);
  for (let i = 0; i < levels.length; i++) active[i] = levels[i] >= threshold ? 1 : 0;
  return active;
}

/**
 * A subtitle stream's mask, as auto-editor builds it: as long as the latest cue end of all cues
 * (matching or not), and active from floor(start × tb) up to, not including, ceil(end × tb) for
 * every cue whose text matches.
 */
export function subtitleMask(cues: readonly SubtitleCue[], pattern: RegExp, tb: Rational): Uint8Array {
  const rate = tb.num / tb.den;
  let length = 0;
  const spans: [number, number][] = [];
  for (const cue of cues) {
    // A cue is active for every frame it touches, so snap outward.
    const from = Math.max(0, Math.floor(cue.start * rate));
    const to = Math.ceil(cue.end * rate);
    if (!Number.isSafeInteger(to)) continue;
    length = Math.max(length, to);
    pattern.lastIndex = 0;
    if (to > from && pattern.test(cue.text)) spans.push([from, to]);
  }
  const mask = new Uint8Array(length);
  for (const [from, to] of spans) mask.fill(1, from, to);
  return mask;
}

/**
 * Evaluates `expr` to a 0/1 mask, one byte per frame. `or`/`xor` are as long as their longest
 * operand (missing frames are inactive), `and` as its shortest; `none` is `ctx.len` ones,
 * `all` is empty. Audio, motion and blackdetect are active where level ≥ threshold (as unorm16
 * integers; blackdetect's level is the black fraction, so black frames are active); with audio
 * `stream: 'all'` the streams' masks are or-ed. Subtitle methods use subtitleMask.
 */
export function evaluateEdit(expr: EditExpr, ctx: EditContext): Uint8Array {
  switch (expr.kind) {
    case 'none':
      return new Uint8Array(ctx.len).fill(1);
    case 'all':
      return new Uint8Array(0);
    case 'audio': {
      let mask: Uint8Array = new Uint8Array(0);
      for (const stream of audioStreams(expr, ctx.audioStreamCount)) {
        const levels = ctx.levels({ method: 'audio', stream, channel: expr.channel });
        mask = combine('or', mask, thresholdMask(levels, expr.threshold));
      }
      return mask;
    }
    case 'motion': {
      const { stream, width, blur, region } = expr;
      return thresholdMask(ctx.levels({ method: 'motion', stream, width, blur, region }), expr.threshold);
    }
    case 'blackdetect': {
      const levels = ctx.levels({ method: 'blackdetect', stream: expr.stream, pixelBlack: expr.pixelBlack });
      return thresholdMask(levels, expr.threshold);
    }
    case 'subtitle':
      return subtitleMask(ctx.cues(expr.stream), subtitleRegExp(expr), ctx.tb);
    case 'not': {
      const mask = evaluateEdit(expr.arg, ctx);
      for (let i = 0; i < mask.length; i++) mask[i] = mask[i] === 0 ? 1 : 0;
      return mask;
    }
    default: {
      let mask = evaluateEdit(expr.args[0]!, ctx);
      for (let i = 1; i < expr.args.length; i++) mask = combine(expr.kind, mask, evaluateEdit(expr.args[i]!, ctx));
      return mask;
    }
  }
}

function combine(op: 'or' | 'and' | 'xor', a: Uint8Array, b: Uint8Array): Uint8Array {
  if (op === 'and') {
    const out = new Uint8Array(Math.min(a.length, b.length));
    for (let i = 0; i < out.length; i++) out[i] = a[i] & b[i];
    return out;
  }
  const out = new Uint8Array(Math.max(a.length, b.length));
  out.set(a.length >= b.length ? a : b);
  const shorter = a.length >= b.length ? b : a;
  if (op === 'or') for (let i = 0; i < shorter.length; i++) out[i] |= shorter[i];
  else for (let i = 0; i < shorter.length; i++) out[i] ^= shorter[i];
  return out;
}
