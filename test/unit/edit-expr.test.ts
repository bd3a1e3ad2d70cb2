import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseEdit,
  evaluateEdit,
  collectLevelRequests,
  type EditExpr,
  type AudioLevelRequest,
  type EditContext,
} from '../../src/edit/expr.js';
import { UserError } from '../../src/errors.js';

const T4 = 2621; // unorm16 of the default threshold 0.04
const audio = (threshold = T4, stream: number | 'all' = 'all', channel: number | null = null): EditExpr =>
  ({ kind: 'audio', threshold, stream, channel });

const parses: [string, EditExpr][] = [
  ['audio', audio()],
  ['audio:', audio()],
  ['  audio  ; a comment', audio()],
  ['audio:0.03', audio(1966)],
  ['audio:4%', audio(T4)],
  ['audio:-20dB', audio(6554)],
  ['audio:0.03,1', audio(1966, 1)],
  ['audio:0.03,all,0', audio(1966, 'all', 0)],
  ['audio:threshold=10%,stream=1', audio(6554, 1)],
  ['audio:0.1,stream=2,channel=1', audio(6554, 2, 1)],
  ['audio:stream=all,channel=all', audio()],
  ['audio:stream=0,stream=1', audio(T4, 1)], // a repeated argument: the last wins
  ['audio:"0.05"', audio(3277)],
  ['(audio)', audio()],
  ['((audio))', audio()],
  ['(audio 0.05 (= stream 0))', audio(3277, 0)],
  ['(audio 0.05 0 1)', audio(3277, 0, 1)],
  ['none', { kind: 'none' }],
  ['1', { kind: 'none' }],
  ['all', { kind: 'all' }],
  ['0', { kind: 'all' }],
  ['not audio', { kind: 'not', arg: audio() }],
  ['not audio:0.1', { kind: 'not', arg: audio(6554) }],
  ['(not audio)', { kind: 'not', arg: audio() }],
  ['(not (audio 0.1))', { kind: 'not', arg: audio(6554) }],
  ['or audio:0.03 audio:stream=1', { kind: 'or', args: [audio(1966), audio(T4, 1)] }],
  ['(or audio:0.03 audio:stream=1)', { kind: 'or', args: [audio(1966), audio(T4, 1)] }],
  ['[or audio none}', { kind: 'or', args: [audio(), { kind: 'none' }] }],
  ['(or 0 1)', { kind: 'or', args: [{ kind: 'all' }, { kind: 'none' }] }],
  ['(and audio:0.1 (xor audio:stream=0 none))', {
    kind: 'and',
    args: [audio(6554), { kind: 'xor', args: [audio(T4, 0), { kind: 'none' }] }],
  }],
  ['xor audio', { kind: 'xor', args: [audio()] }],
  ['(or\n  audio:0.02 ; quiet\n  audio:stream=1)', { kind: 'or', args: [audio(1311), audio(T4, 1)] }],
];

for (const [source, expected] of parses) {
  test(`parseEdit ${JSON.stringify(source)}`, () => {
    assert.deepEqual(parseEdit(source), expected);
  });
}

const errors: [string, string | RegExp][] = [
  ['foo', /^unknown edit method "foo"/],
  ['(or audio bar:1)', /^unknown edit method "bar"/],
  ['', /empty/],
  ['   ; only a comment', /empty/],
  ['()', /not an expression/],
  ['(or audio', /missing closing parenthesis/],
  [')', /unexpected "\)"/],
  ['audio:stream=', /ends too early/],
  ['"audio', /closing quote/],
  ['2', /only numbers allowed are 0/],
  ['audio:0.1 audio:0.2', /expected an edit method or operator/],
  ['(not)', /"not" takes exactly 1 operand, got 0/],
  ['(not audio none)', /"not" takes exactly 1 operand, got 2/],
  ['(or)', /"or" takes at least 1 operand/],
  ['and', /"and" takes at least 1 operand/],
  ['audio:threshold=0.1,0', /positional arguments must come before key=value/],
  ['audio:0.1,0,0,5', /too many arguments/],
  ['audio:foo=1', /unknown argument "foo"/],
  ['audio:1.5', /out of range/],
  ['audio:101%', /out of range/],
  ['audio:loud', /invalid threshold "loud"/],
  ['audio:stream=-1', /invalid stream "-1"/],
  ['audio:stream=x', /invalid stream "x"/],
  ['audio:stream=1001', /invalid stream "1001"/],
  ['audio:stream=1.5', /invalid stream "1.5"/],
  ['audio:channel=left', /channel names like "left" are not supported yet/],
  ['audio:channel=-1', /invalid channel "-1"/],
  ['(audio (or none))', /is not a value for threshold/],
];

for (const [source, message] of errors) {
  test(`parseEdit rejects ${JSON.stringify(source)}`, () => {
    assert.throws(() => parseEdit(source), (e: unknown) =>
      e instanceof UserError && (typeof message === 'string' ? e.message === message : message.test(e.message)));
  });
}

// ---------------------------------------------------------------------------------------------

const audioOnly = (audio: number) => ({ audio, video: 0, subtitle: 0 });

interface FakeContext extends EditContext {
  asked: AudioLevelRequest[];
}

function fakeContext(len: number, streams: number[][]): FakeContext {
  const asked: AudioLevelRequest[] = [];
  return {
    len,
    tb: { num: 30, den: 1 },
    audioStreamCount: streams.length,
    asked,
    levels(req) {
      assert.equal(req.method, 'audio');
      asked.push(req as AudioLevelRequest);
      return Uint16Array.from(streams[req.stream]!);
    },
    cues() {
      throw new Error('no subtitles here');
    },
  };
}

const str = (mask: Uint8Array): string => Array.from(mask).join('');
const lv = (bits: string, threshold = T4): number[] => Array.from(bits, (c) => (c === '1' ? threshold : threshold - 1));

// [expression, media length, per-stream levels as active/inactive bits, expected mask]
const evaluations: [string, number, string[], string][] = [
  ['audio', 5, ['01101'], '01101'],
  ['audio:stream=0', 5, ['01101', '10000'], '01101'],
  ['audio', 5, ['01100', '1000001'], '1110001'], // stream=all: or-ed, as long as the longest
  ['not audio', 5, ['01101'], '10010'],
  ['none', 4, ['01'], '1111'],
  ['1', 3, [], '111'],
  ['all', 4, ['01'], ''],
  ['not all', 4, [], ''],
  ['(or audio:stream=0 audio:stream=1)', 0, ['010', '00001'], '01001'], // or: longest
  ['(xor audio:stream=0 audio:stream=1)', 0, ['0110', '010101'], '001101'], // xor: longest
  ['(and audio:stream=0 audio:stream=1)', 0, ['0111', '110111'], '0101'], // and: shortest
  ['(and audio none)', 3, ['11011'], '110'],
  ['(or all audio)', 9, ['101'], '101'],
  ['(and all audio)', 9, ['101'], ''],
  ['(or none audio)', 2, ['0001'], '1101'],
  ['(xor audio audio)', 0, ['1011'], '0000'],
  ['(or audio)', 0, ['10'], '10'],
  ['(not (and audio:stream=0 (not audio:stream=1)))', 0, ['1100', '1010'], '1011'],
];

for (const [source, len, streams, expected] of evaluations) {
  test(`evaluateEdit ${JSON.stringify(source)} -> "${expected}"`, () => {
    const ctx = fakeContext(len, streams.map((bits) => lv(bits)));
    assert.equal(str(evaluateEdit(parseEdit(source), ctx)), expected);
  });
}

test('audio is active exactly when level >= threshold, compared as integers', () => {
  const ctx = fakeContext(0, [[0, 1965, 1966, 1967, 65535]]);
  assert.equal(str(evaluateEdit(parseEdit('audio:0.03'), ctx)), '00111'); // 0.03 is 1966
});

test('evaluateEdit passes stream and channel to the level source', () => {
  const ctx = fakeContext(0, [[0], [0], [0]]);
  evaluateEdit(parseEdit('(or audio:stream=1,channel=0 audio:0.5,all)'), ctx);
  assert.deepEqual(ctx.asked, [
    { method: 'audio', stream: 1, channel: 0 },
    { method: 'audio', stream: 0, channel: null },
    { method: 'audio', stream: 1, channel: null },
    { method: 'audio', stream: 2, channel: null },
  ]);
});

test('evaluateEdit refuses a missing stream', () => {
  assert.throws(() => evaluateEdit(parseEdit('audio:stream=2'), fakeContext(0, [[], []])), {
    name: 'UserError',
    message: 'audio stream 2 does not exist: the input has 2 audio streams (0 to 1)',
  });
  assert.throws(() => evaluateEdit(parseEdit('audio'), fakeContext(5, [])), /has none/);
});

test('collectLevelRequests expands stream=all and removes duplicates', () => {
  const expr = parseEdit('(or audio:0.1 (not audio:stream=1) audio:stream=2,channel=1 (and audio:0.5,1 none))');
  assert.deepEqual(collectLevelRequests(expr, audioOnly(3)), [
    { method: 'audio', stream: 0, channel: null },
    { method: 'audio', stream: 1, channel: null },
    { method: 'audio', stream: 2, channel: null },
    { method: 'audio', stream: 2, channel: 1 },
  ]);
});

test('collectLevelRequests needs no stream for constants', () => {
  assert.deepEqual(collectLevelRequests(parseEdit('(or none (not all))'), audioOnly(0)), []);
});

test('collectLevelRequests names the missing stream and the count', () => {
  assert.throws(() => collectLevelRequests(parseEdit('(or audio:stream=0 audio:stream=3)'), audioOnly(1)), {
    name: 'UserError',
    message: 'audio stream 3 does not exist: the input has 1 audio stream (index 0)',
  });
  assert.throws(() => collectLevelRequests(parseEdit('not audio'), audioOnly(0)), {
    name: 'UserError',
    message: 'edit method "audio" needs an audio stream, but the input has none',
  });
});

test('evaluating 648,000 frames with three operators stays fast', () => {
  const n = 648_000;
  const levels = Array.from({ length: n }, (_, i) => (i * 7919) % 65536);
  const ctx = fakeContext(n, [levels, levels.slice(0, n - 10)]);
  const t0 = performance.now();
  const mask = evaluateEdit(parseEdit('(or (and audio:stream=0 none) (not audio:0.5,1) (xor audio none))'), ctx);
  const ms = performance.now() - t0;
  assert.equal(mask.length, n);
  assert.ok(ms < 500, `took ${ms.toFixed(0)} ms`);
});
