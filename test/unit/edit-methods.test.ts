import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseEdit,
  evaluateEdit,
  collectLevelRequests,
  subtitleMask,
  subtitleRegExp,
  type EditExpr,
  type EditContext,
  type FrameLevelRequest,
  type SubtitleCue,
} from '../../src/edit/expr.js';
import { toUnorm16 } from '../../src/analyze/unorm16.js';
import { UserError } from '../../src/errors.js';

// auto-editor stores region fractions as 24-bit integers read back as float32.
const q24 = (x: number) => Math.fround(Math.round(x * 16777215) * Math.fround(1 / 16777215));

const motion = (over: Partial<Extract<EditExpr, { kind: 'motion' }>> = {}): EditExpr => ({
  kind: 'motion',
  threshold: toUnorm16(0.02),
  stream: 0,
  width: 400,
  blur: 9,
  region: null,
  ...over,
});
const black = (over: Partial<Extract<EditExpr, { kind: 'blackdetect' }>> = {}): EditExpr => ({
  kind: 'blackdetect',
  threshold: toUnorm16(0.98),
  stream: 0,
  pixelBlack: Math.fround(0.1),
  ...over,
});
const sub = (pattern: string, ignoreCase = false, stream = 0): EditExpr => ({ kind: 'subtitle', pattern, ignoreCase, stream });

// Positional order, keyword names and defaults are auto-editor's (editmethods.nim, edit.nim).
const parses: [string, EditExpr][] = [
  ['motion', motion()],
  ['motion:', motion()],
  ['motion:0.05', motion({ threshold: toUnorm16(0.05) })],
  ['motion:3%,1', motion({ threshold: toUnorm16(0.03), stream: 1 })],
  ['motion:0.02,0,200,0', motion({ width: 200, blur: 0 })],
  ['motion:width=640,blur=3', motion({ width: 640, blur: 3 })],
  ['motion:stream=2,threshold=10%', motion({ stream: 2, threshold: toUnorm16(0.1) })],
  ['motion:0.02,0,400,9,0.25,0,0.5,1', motion({ region: [q24(0.25), 0, q24(0.5), 1] })],
  ['motion:x=0.1,y=0.2,w=0.3,h=0.4', motion({ region: [q24(0.1), q24(0.2), q24(0.3), q24(0.4)] })],
  ['motion:h=0.5', motion({ region: [0, 0, 1, q24(0.5)] })],
  ['motion:x=0,y=0,w=1,h=1', motion()], // the whole frame is no region at all
  ['motion:width=1_280', motion({ width: 1280 })], // Nim integers allow `_` between digits
  ['blackdetect', black()],
  ['blackdetect:0.9', black({ threshold: toUnorm16(0.9) })],
  ['blackdetect:90%,1,0.05', black({ threshold: toUnorm16(0.9), stream: 1, pixelBlack: Math.fround(0.05) })],
  ['blackdetect:pixel-black=0.2', black({ pixelBlack: Math.fround(0.2) })],
  ['blackdetect:pixel-black=0', black({ pixelBlack: 0 })],
  ['subtitle:hello', sub('hello')],
  ['regex:hello', sub('hello')],
  ['subtitle:"^a.*b$",1,#t', sub('^a.*b$', true, 1)],
  ['regex:"um|uh",ignore-case=true', sub('um|uh', true)],
  ['subtitle:pattern="x",stream=3,ignore-case=false', sub('x', false, 3)],
  ['subtitle', sub('')], // auto-editor 31 accepts an empty pattern: every cue matches
  ['regex:"\\\\d+"', sub('\\d+')], // the lexer turns \\ into \, so the pattern is \d+
  ['word:um', sub('\\bum\\b', true)],
  ['word:"c++",1', sub('\\bc\\+\\+\\b', true, 1)],
  ['word:"a.b",ignore-case=#f', sub('\\ba\\.b\\b', false)],
  ['word:value="(x)"', sub('\\b\\(x\\)\\b', true)],
  ['(or motion (not blackdetect))', { kind: 'or', args: [motion(), { kind: 'not', arg: black() }] }],
  ['(and audio:0.1 word:yes)', { kind: 'and', args: [{ kind: 'audio', threshold: 6554, stream: 'all', channel: null }, sub('\\byes\\b', true)] }],
];

for (const [source, expected] of parses) {
  test(`parseEdit ${JSON.stringify(source)}`, () => {
    assert.deepEqual(parseEdit(source), expected);
  });
}

const errors: [string, RegExp][] = [
  ['motion:width=0', /^motion: width must be greater than 0$/],
  ['motion:0.02,0,0', /width must be greater than 0/],
  ['motion:width=1.5', /invalid width "1.5"/],
  ['motion:blur=-1', /invalid blur "-1"/],
  ['motion:stream=all', /motion: stream=all is not supported/],
  ['motion:stream=1001', /invalid stream "1001"/],
  ['motion:w=0', /w and h must be greater than 0/],
  ['motion:h=0.00000001', /w and h must be greater than 0/], // 0 once quantised to 24 bits
  ['motion:x=1.5', /x "1.5" is out of range/],
  ['motion:y=-0.1', /y "-0.1" is out of range/],
  ['motion:x=nan', /out of range/],
  ['motion:x=abc', /invalid x "abc"/],
  ['motion:1_000', /out of range/],
  ['motion:region=0.5', /unknown argument "region"/],
  ['motion:0.02,0,400,9,0,0,1,1,5', /too many arguments/],
  ['motion:width=9,3', /positional arguments must come before/],
  ['blackdetect:pixel-black=1.5', /pixel-black "1.5" is out of range/],
  ['blackdetect:pixel_black=0.2', /unknown argument "pixel_black"/],
  ['blackdetect:stream=all', /blackdetect: stream=all is not supported/],
  ['blackdetect:1.1', /out of range/],
  ['subtitle:"("', /subtitle: invalid pattern "\("/],
  ['regex:"[a-"', /regex: invalid pattern/],
  ['subtitle:a,stream=all', /stream=all is not supported/],
  ['subtitle:a,0,maybe', /invalid ignore-case "maybe"/],
  ['subtitle:a,0,1', /invalid ignore-case "1"/], // only true/false/#t/#f, as in auto-editor
  ['word', /word: a value is required/],
  ['word:""', /word: a value is required/],
  ['word:a,0,#t,x', /too many arguments/],
];

for (const [source, message] of errors) {
  test(`parseEdit rejects ${JSON.stringify(source)}`, () => {
    assert.throws(() => parseEdit(source), (e: unknown) => e instanceof UserError && message.test(e.message));
  });
}

test('subtitle patterns accept what JavaScript accepts, also outside Unicode mode', () => {
  assert.equal(subtitleRegExp({ pattern: 'a{', ignoreCase: false }).test('xa{'), true);
  assert.equal(subtitleRegExp({ pattern: '\\p{Lu}', ignoreCase: false }).test('É'), true); // Unicode mode when possible
  assert.equal(subtitleRegExp({ pattern: 'hello', ignoreCase: true }).test('HeLLo there'), true);
  assert.equal(subtitleRegExp({ pattern: 'hello', ignoreCase: false }).test('HeLLo there'), false);
});

// ---------------------------------------------------------------------------------------------

test('collectLevelRequests lists each method once, with its settings', () => {
  const expr = parseEdit('(or motion motion:0.5 motion:width=200 (not blackdetect:stream=1) blackdetect:0.5 word:x subtitle:y,2 audio:stream=0)');
  assert.deepEqual(collectLevelRequests(expr, { audio: 1, video: 2, subtitle: 1 }), [
    { method: 'motion', stream: 0, width: 400, blur: 9, region: null },
    { method: 'motion', stream: 0, width: 200, blur: 9, region: null },
    { method: 'blackdetect', stream: 1, pixelBlack: Math.fround(0.1) },
    { method: 'blackdetect', stream: 0, pixelBlack: Math.fround(0.1) },
    { method: 'subtitle', stream: 0 },
    { method: 'subtitle', stream: 2 }, // beyond the file's subtitle streams: a sidecar may supply it
    { method: 'audio', stream: 0, channel: null },
  ]);
});

test('collectLevelRequests names a missing video stream', () => {
  assert.throws(() => collectLevelRequests(parseEdit('motion:stream=2'), { audio: 1, video: 2, subtitle: 0 }), {
    name: 'UserError',
    message: 'motion: video stream 2 does not exist: the input has 2 video streams (0 to 1)',
  });
  assert.throws(() => collectLevelRequests(parseEdit('blackdetect'), { audio: 1, video: 0, subtitle: 0 }), {
    name: 'UserError',
    message: 'edit method "blackdetect" needs a video stream, but the input has none',
  });
});

// ---------------------------------------------------------------------------------------------

function context(levels: Record<string, number[]>, cues: Record<number, SubtitleCue[]> = {}, len = 0): EditContext & { asked: FrameLevelRequest[] } {
  const asked: FrameLevelRequest[] = [];
  return {
    len,
    tb: { num: 10, den: 1 },
    audioStreamCount: 0,
    asked,
    levels(req) {
      asked.push(req);
      return Uint16Array.from(levels[req.method]!);
    },
    cues: (stream) => cues[stream] ?? [],
  };
}

test('motion is active where the level reaches the threshold, as integers', () => {
  const t = toUnorm16(0.02);
  const ctx = context({ motion: [0, t - 1, t, t + 1, 65535] });
  assert.deepEqual(Array.from(evaluateEdit(parseEdit('motion'), ctx)), [0, 0, 1, 1, 1]);
  assert.deepEqual(ctx.asked, [{ method: 'motion', stream: 0, width: 400, blur: 9, region: null }]);
});

test('blackdetect is active on black frames (level >= threshold); not cuts them', () => {
  const t = toUnorm16(0.98);
  const ctx = context({ blackdetect: [65535, t, t - 1, 0] });
  assert.deepEqual(Array.from(evaluateEdit(parseEdit('blackdetect'), ctx)), [1, 1, 0, 0]);
  assert.deepEqual(Array.from(evaluateEdit(parseEdit('not blackdetect'), ctx)), [0, 0, 1, 1]);
  assert.deepEqual(ctx.asked[0], { method: 'blackdetect', stream: 0, pixelBlack: Math.fround(0.1) });
});

test('a subtitle mask snaps each matching cue outward and is as long as the last cue', () => {
  const cues: SubtitleCue[] = [
    { start: 0.25, end: 0.55, text: 'hello world' }, // frames 2 to 6 (floor 2.5, ceil 5.5)
    { start: 1.0, end: 1.2, text: 'bye' }, // not matching, but it sets the length to 12
    { start: 0.8, end: 0.9, text: 'Hello' }, // case matters by default
  ];
  const ctx = context({}, { 0: cues });
  assert.equal(Array.from(evaluateEdit(parseEdit('subtitle:hello'), ctx)).join(''), '001111000000');
  assert.equal(Array.from(evaluateEdit(parseEdit('regex:hello,0,#t'), ctx)).join(''), '001111001000');
  assert.equal(Array.from(evaluateEdit(parseEdit('word:HELLO'), ctx)).join(''), '001111001000');
  assert.equal(Array.from(evaluateEdit(parseEdit('word:hell'), ctx)).join(''), '000000000000');
  assert.equal(Array.from(evaluateEdit(parseEdit('subtitle:x,stream=1'), ctx)).join(''), ''); // no cues at all
});

test('subtitleMask keeps cue times exact at whole frames and ignores empty cues', () => {
  const tb = { num: 30, den: 1 };
  const mask = subtitleMask(
    [
      { start: 1, end: 2, text: 'a' },
      { start: 3, end: 3, text: 'a' },
      { start: -0.5, end: 0.1, text: 'a' },
    ],
    /a/,
    tb,
  );
  assert.equal(mask.length, 90);
  assert.deepEqual([mask.indexOf(1), mask.lastIndexOf(1)], [0, 59]);
  assert.equal(mask.subarray(0, 3).join(''), '111');
  assert.equal(mask.subarray(3, 30).includes(1), false);
  assert.equal(mask.subarray(30, 60).every((v) => v === 1), true);
});

test('a global RegExp does not carry state from one cue to the next', () => {
  const mask = subtitleMask(
    [
      { start: 0, end: 0.1, text: 'aa' },
      { start: 0.1, end: 0.2, text: 'a' },
    ],
    /a/g,
    { num: 10, den: 1 },
  );
  assert.equal(mask.join(''), '11');
});
