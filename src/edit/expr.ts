import { UserError } from '../errors.js';
import { toUnorm16 } from '../analyze/unorm16.js';
import { parseThreshold } from './threshold.js';

/** A parsed `--edit` expression. */
export type EditExpr =
  | { kind: 'audio'; threshold: number /* unorm16 integer */; stream: number | 'all'; channel: number | null }
  | { kind: 'none' }
  | { kind: 'all' }
  | { kind: 'or' | 'and' | 'xor'; args: EditExpr[] }
  | { kind: 'not'; arg: EditExpr };

/** One level array the analysis step must provide: a stream, and one channel or all (null). */
export interface AudioLevelRequest {
  stream: number;
  channel: number | null;
}

/** What evaluating an expression needs from the media. */
export interface EditContext {
  /** Media length in timeline frames (the length of `none`). */
  len: number;
  audioStreamCount: number;
  /** One unorm16 level per timeline frame. */
  levels(req: AudioLevelRequest): Uint16Array;
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

const UNSUPPORTED_METHODS = new Set(['motion', 'blackdetect', 'subtitle', 'regex', 'word']);
const AUDIO_PARAMS = ['threshold', 'stream', 'channel'] as const;

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
    default:
      if (UNSUPPORTED_METHODS.has(name)) throw new UserError(`edit method "${name}" is not supported yet`);
      throw new UserError(`unknown edit method "${name}" (tacet knows audio, none, all, or, and, xor and not)`);
  }
}

function audioMethod(args: Node[]): EditExpr {
  const result: Extract<EditExpr, { kind: 'audio' }> = {
    kind: 'audio',
    threshold: toUnorm16(0.04),
    stream: 'all',
    channel: null,
  };
  const values = bindArguments('audio', args, AUDIO_PARAMS);
  for (const [param, value] of values) {
    if (param === 'threshold') result.threshold = toUnorm16(parseThreshold(value));
    else if (param === 'stream') result.stream = parseStream(value);
    else result.channel = parseChannel(value);
  }
  return result;
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

function parseStream(text: string): number | 'all' {
  if (text === 'all') return 'all';
  // auto-editor accepts stream indexes 0 to 1000.
  const n = /^\+?\d+$/.test(text) ? Number(text) : NaN;
  if (!(n >= 0 && n <= 1000)) throw new UserError(`audio: invalid stream "${text}": use a stream index (0, 1, …) or all`);
  return n;
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
// Evaluation.

function audioStreams(expr: Extract<EditExpr, { kind: 'audio' }>, count: number): number[] {
  if (count === 0) throw new UserError('edit method "audio" needs an audio stream, but the input has none');
  if (expr.stream === 'all') return Array.from({ length: count }, (_, i) => i);
  if (expr.stream >= count) {
    const has = count === 1 ? '1 audio stream (index 0)' : `${count} audio streams (0 to ${count - 1})`;
    throw new UserError(`audio stream ${expr.stream} does not exist: the input has ${has}`);
  }
  return [expr.stream];
}

/**
 * Lists the level arrays `expr` needs, each once, in order of first use; `stream: 'all'`
 * expands to every stream. Throws a UserError for a missing stream.
 */
export function collectLevelRequests(expr: EditExpr, audioStreamCount: number): AudioLevelRequest[] {
  const requests: AudioLevelRequest[] = [];
  const seen = new Set<string>();
  const visit = (e: EditExpr): void => {
    switch (e.kind) {
      case 'audio':
        for (const stream of audioStreams(e, audioStreamCount)) {
          const key = `${stream}:${e.channel}`;
          if (seen.has(key)) continue;
          seen.add(key);
          requests.push({ stream, channel: e.channel });
        }
        break;
      case 'not':
        visit(e.arg);
        break;
      case 'or':
      case 'and':
      case 'xor':
        e.args.forEach(visit);
        break;
    }
  };
  visit(expr);
  return requests;
}

/**
 * Evaluates `expr` to a 0/1 mask, one byte per frame. `or`/`xor` are as long as their longest
 * operand (missing frames are inactive), `and` as its shortest; `none` is `ctx.len` ones,
 * `all` is empty. Audio is active where level ≥ threshold (as unorm16 integers); with
 * `stream: 'all'` the streams' masks are or-ed.
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
        const levels = ctx.levels({ stream, channel: expr.channel });
        const active = new Uint8Array(levels.length);
        for (let i = 0; i < levels.length; i++) active[i] = levels[i] >= expr.threshold ? 1 : 0;
        mask = combine('or', mask, active);
      }
      return mask;
    }
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
