import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseEditRequest,
  levelRequestsOf,
  planRuns,
  planActions,
  evaluateLabels,
  marginAndSmooth,
  normalizeRange,
  parseRange,
  type EditRequest,
} from '../../src/edit/plan.js';
import type { EditContext, FrameLevelRequest } from '../../src/edit/expr.js';
import { toUnorm16 } from '../../src/analyze/unorm16.js';
import { UserError } from '../../src/errors.js';
import type { Rational } from '../../src/timeline/rational.js';
import type { Run } from '../../src/timeline/model.js';

const r30: Rational = { num: 30, den: 1 };
const HIGH = 65535;

/** A context whose levels come from bit strings per method ("audio", "motion", "blackdetect"). */
function ctx(len: number, bits: Partial<Record<FrameLevelRequest['method'], string>>, tb = r30): EditContext {
  return {
    len,
    tb,
    audioStreamCount: 1,
    levels(req) {
      const b = bits[req.method];
      if (b === undefined) throw new Error(`no ${req.method} levels in this test`);
      return Uint16Array.from(b, (c) => (c === '1' ? HIGH : 0));
    },
    cues: () => [],
  };
}

/** A request with margin and smoothing off unless given. */
function request(over: Partial<EditRequest>): EditRequest {
  return { edits: [], whens: [], ranges: [], margin: '0', smooth: '0', ...over };
}

const labels = (req: Partial<EditRequest>, c: EditContext) => Array.from(evaluateLabels(parseEditRequest(request(req)), c)).join('');

describe('label classes', () => {
  const c = ctx(7, { audio: '0110110', motion: '0011100', blackdetect: '1000001' });

  test('the higher label wins where masks overlap', () => {
    const edits = [
      { label: 2, expr: 'motion' },
      { label: 3, expr: 'blackdetect' },
    ];
    assert.equal(labels({ edits }, c), '3122213');
    assert.equal(labels({ edits: [...edits].reverse() }, c), '3122213', 'the order of the options does not matter');
  });

  test('label 1 is audio unless --edit says otherwise; a later --edit for a label wins', () => {
    assert.equal(labels({}, c), '0110110');
    assert.equal(labels({ edits: [{ label: 1, expr: 'motion' }] }, c), '0011100');
    assert.equal(labels({ edits: [{ label: 1, expr: 'motion' }, { label: 1, expr: 'none' }] }, c), '1111111');
    assert.equal(labels({ edits: [{ label: 9, expr: 'motion' }, { label: 9, expr: 'blackdetect' }] }, c), '9110119');
  });

  test('a longer mask extends the labels with inactive frames', () => {
    const longer = ctx(0, { audio: '11', motion: '00001' });
    assert.equal(labels({ edits: [{ label: 2, expr: 'motion' }] }, longer), '11002');
    assert.deepEqual(Array.from(evaluateLabels(parseEditRequest(request({ edits: [{ label: 200, expr: 'motion' }] })), longer)), [1, 1, 0, 0, 200]);
  });

  test('labels must be 1 to 255 for --edit and 0 to 255 for --when', () => {
    assert.throws(() => parseEditRequest(request({ edits: [{ label: 0, expr: 'audio' }] })), { name: 'UserError', message: /label 0 is out of range \(1 to 255\)/ });
    assert.throws(() => parseEditRequest(request({ edits: [{ label: 256, expr: 'audio' }] })), UserError);
    assert.throws(() => parseEditRequest(request({ whens: [{ label: 256, actions: 'cut' }] })), { message: /label 256 is out of range \(0 to 255\)/ });
    assert.throws(() => parseEditRequest(request({ edits: [{ label: 2, expr: 'motion:width=0' }] })), { message: /width must be greater than 0/ });
  });
});

describe('margin and smoothing on labels', () => {
  const fold = (l: number[], margin: [number, number], smooth: [number, number]) =>
    Array.from(marginAndSmooth(Uint8Array.from(l), margin, smooth)).join('');

  test('frames margin switches on from 0 get label 1; other labels are kept', () => {
    assert.equal(fold([0, 0, 2, 2, 0, 0, 0, 3, 0], [1, 1], [0, 0]), '012210131');
  });

  test('frames smoothing switches off get 0, frames it switches on get 1', () => {
    // 1101000111 with mincut 2, minclip 2 → 1110000111 (one pass, from one snapshot).
    assert.equal(fold([2, 2, 0, 3, 0, 0, 0, 2, 2, 2], [0, 0], [2, 2]), '2210000222');
  });

  test('a negative margin shrinks labelled runs to 0', () => {
    assert.equal(fold([0, 4, 4, 4, 0], [-1, -1], [0, 0]), '00400');
  });
});

/** Runs of planRuns as compact tuples [start, end, speed, volume, varispeed]. */
function runs(req: Partial<EditRequest>, c: EditContext): Array<[number, number, number, number, number]> {
  return planRuns(parseEditRequest(request(req)), c).map((r: Run) => [r.start, r.end, r.speed, r.volume, r.varispeed ?? 1]);
}

describe('actions per label', () => {
  const c = ctx(8, { audio: '00111100', motion: '00001111' });

  test('defaults: inactive cut, active nil, extra labels nil', () => {
    assert.deepEqual(runs({}, c), [[2, 6, 1, 1, 1]]);
    assert.deepEqual(runs({ edits: [{ label: 2, expr: 'motion' }] }, c), [
      [2, 4, 1, 1, 1],
      [4, 8, 1, 1, 1], // label 2 is its own run even with the same action
    ]);
  });

  test('--when:N sets a label\'s action; a later one for the same label wins', () => {
    const whens = [
      { label: 0, actions: 'speed:4' },
      { label: 2, actions: 'speed:1.1,volume:0.5' },
      { label: 1, actions: 'cut' },
      { label: 1, actions: 'varispeed:2' },
    ];
    assert.deepEqual(runs({ edits: [{ label: 2, expr: 'motion' }], whens }, c), [
      [0, 2, 4, 1, 1],
      [2, 4, 2, 1, 2],
      [4, 8, Math.fround(1.1), 0.5, 1],
    ]);
  });

  test('a --when for a label no --edit makes changes nothing', () => {
    assert.deepEqual(runs({ whens: [{ label: 7, actions: 'speed:3' }] }, c), [[2, 6, 1, 1, 1]]);
  });

  test('speed:2 on the inactive parts halves them on the timeline', () => {
    assert.deepEqual(runs({ whens: [{ label: 0, actions: 'speed:2' }] }, c), [
      [0, 2, 2, 1, 1],
      [2, 6, 1, 1, 1],
      [6, 8, 2, 1, 1],
    ]);
  });

  test('volume:0.5 on the active parts', () => {
    assert.deepEqual(runs({ whens: [{ label: 1, actions: 'volume:0.5' }] }, c), [[2, 6, 1, 0.5, 1]]);
  });
});

describe('range normalisation', () => {
  const norm = (kind: 'cut' | 'keep', text: string, len = 900, tb = r30) => normalizeRange(parseRange(kind, text), tb, len);

  const cases: Array<[string, [number, number]]> = [
    ['2sec,10sec', [60, 300]],
    ['0,30', [0, 30]],
    ['start,30', [0, 30]],
    ['-5secs,end', [750, Number.MAX_SAFE_INTEGER]], // `end` is open-ended, as auto-editor's huge number
    ['-150,-30', [750, 870]],
    ['-2000,10', [0, 10]], // counted back past the start: clamped at 0
    ['1min,end', [1800, Number.MAX_SAFE_INTEGER]],
    ['1000,2000', [1000, 2000]], // past the media: not an error, and not clamped here
    [' 1s , 2s ', [30, 60]],
  ];
  for (const [text, expected] of cases) {
    test(`"${text}" → [${expected.join(', ')})`, () => assert.deepEqual(norm('cut', text), expected));
  }

  test('times with units truncate to frames at the timebase', () => {
    assert.deepEqual(norm('cut', '0.2s,1s', 900, { num: 30000, den: 1001 }), [5, 29]);
  });

  const bad: Array<[string, RegExp]> = [
    ['10,5', /--cut "10,5": start \(frame 10\) must come before stop \(frame 5\)/],
    ['5,5', /start \(frame 5\) must come before stop \(frame 5\)/],
    ['end,end', /start \(the end\) must come before stop \(the end\)/],
    ['-1s,-2s', /start \(frame 870\) must come before stop \(frame 840\)/],
    ['-5000,-4000', /start \(frame 0\) must come before stop \(frame 0\)/], // both clamp to 0
  ];
  for (const [text, message] of bad) {
    test(`"${text}" is refused`, () => assert.throws(() => norm('cut', text), { name: 'UserError', message }));
  }

  const syntax: Array<[EditRequest['ranges'][number], RegExp]> = [
    [{ kind: 'cut', text: '5' }, /--cut "5" has too few values: give START,STOP/],
    [{ kind: 'keep', text: '1,2,3' }, /--keep "1,2,3" has too many values/],
    [{ kind: 'set-speed', text: '2,3' }, /--set-speed "2,3" has too few values: give SPEED,START,STOP/],
    [{ kind: 'set-speed', text: '2,3,4,5' }, /too many values/],
    [{ kind: 'set-speed', text: 'fast,0,5' }, /--set-speed value "fast"/],
    [{ kind: 'set-action', text: 'cut,5' }, /--set-action "cut,5" has too few values: give ACTIONS,START,STOP/],
    [{ kind: 'set-action', text: 'zoom:2,0,5' }, /action "zoom" is not supported by tacet yet/],
    [{ kind: 'cut', text: '1.5,3' }, /whole number of frames/],
    [{ kind: 'cut', text: 'begin,3' }, /invalid time value "begin"/],
    [{ kind: 'cut', text: '0,5ms' }, /unknown unit "ms"/],
  ];
  for (const [range, message] of syntax) {
    test(`${range.kind} "${range.text}" is refused before any media is read`, () => {
      assert.throws(() => parseEditRequest(request({ ranges: [range] })), { name: 'UserError', message });
    });
  }
});

describe('ranges applied to the labels', () => {
  const all = ctx(900, { audio: '1'.repeat(900) });
  const none900 = ctx(900, {});

  test('--edit none --cut 2sec,10sec on 30 s at 30 fps removes exactly 240 frames', () => {
    const result = runs({ edits: [{ label: 1, expr: 'none' }], ranges: [{ kind: 'cut', text: '2sec,10sec' }], margin: '0.2s', smooth: '0.2s,0.1s' }, none900);
    assert.deepEqual(result, [
      [0, 60, 1, 1, 1],
      [300, 900, 1, 1, 1],
    ]);
    assert.equal(900 - result.reduce((n, [s, e]) => n + e - s, 0), 240);
  });

  test('later ranges win where they overlap, each a run of its own', () => {
    assert.deepEqual(
      runs({ ranges: [{ kind: 'cut', text: '0,100' }, { kind: 'keep', text: '50,60' }, { kind: 'set-speed', text: '2,55,70' }] }, all),
      [
        [50, 55, 1, 1, 1],
        [55, 70, 2, 1, 1],
        [100, 900, 1, 1, 1],
      ],
    );
  });

  test('adjacent ranges with equal actions stay separate runs, as in auto-editor', () => {
    assert.deepEqual(runs({ ranges: [{ kind: 'set-speed', text: '2,0,10' }, { kind: 'set-speed', text: '2,10,20' }] }, ctx(20, { audio: '1'.repeat(20) })), [
      [0, 10, 2, 1, 1],
      [10, 20, 2, 1, 1],
    ]);
  });

  test('--set-speed takes N%, and cuts at 0 or 99999', () => {
    assert.deepEqual(runs({ ranges: [{ kind: 'set-speed', text: '125%,0,30' }] }, ctx(40, { audio: '1'.repeat(40) })), [
      [0, 30, 1.25, 1, 1],
      [30, 40, 1, 1, 1],
    ]);
    assert.deepEqual(runs({ ranges: [{ kind: 'set-speed', text: '99999,0,30' }] }, ctx(40, { audio: '1'.repeat(40) })), [[30, 40, 1, 1, 1]]);
    assert.deepEqual(runs({ ranges: [{ kind: 'set-speed', text: '0,10,40' }] }, ctx(40, { audio: '1'.repeat(40) })), [[0, 10, 1, 1, 1]]);
  });

  test('--set-action takes chained actions, and an empty action is nil', () => {
    assert.deepEqual(runs({ ranges: [{ kind: 'set-action', text: 'speed:2,volume:0.5,0,10' }, { kind: 'set-action', text: ',30,40' }] }, ctx(40, { audio: '0'.repeat(40) })), [
      [0, 10, 2, 0.5, 1],
      [30, 40, 1, 1, 1],
    ]);
  });

  test('-5secs,end cuts the last 150 frames', () => {
    assert.deepEqual(runs({ ranges: [{ kind: 'cut', text: '-5secs,end' }] }, all), [[0, 750, 1, 1, 1]]);
  });

  test('a range past the labels extends them up to the media length; new frames are inactive', () => {
    const short = ctx(900, { audio: '1'.repeat(600) });
    assert.deepEqual(runs({ ranges: [{ kind: 'keep', text: '500,800' }] }, short), [
      [0, 500, 1, 1, 1],
      [500, 800, 1, 1, 1],
    ]);
    assert.equal(planActions(parseEditRequest(request({ ranges: [{ kind: 'keep', text: '500,800' }] })), short).index.length, 800);
    assert.equal(planActions(parseEditRequest(request({ ranges: [{ kind: 'keep', text: '500,5000' }] })), short).index.length, 900);
    assert.equal(planActions(parseEditRequest(request({ ranges: [{ kind: 'keep', text: '500,end' }] })), short).index.length, 900);
    // Frames added by an earlier range stay inactive under a later range that does not cover them.
    assert.deepEqual(
      runs({ whens: [{ label: 0, actions: 'speed:3' }], ranges: [{ kind: 'keep', text: '850,end' }, { kind: 'cut', text: '0,100' }] }, short),
      [
        [100, 600, 1, 1, 1],
        [600, 850, 3, 1, 1],
        [850, 900, 1, 1, 1],
      ],
    );
  });

  test('a range starting past the media length marks nothing', () => {
    assert.deepEqual(runs({ ranges: [{ kind: 'cut', text: '1000,2000' }] }, all), [[0, 900, 1, 1, 1]]);
  });

  test('`end` reaches past the media length when the levels do', () => {
    const long = ctx(900, { audio: '1'.repeat(1000) });
    assert.deepEqual(runs({ ranges: [{ kind: 'cut', text: '800,end' }] }, long), [[0, 800, 1, 1, 1]]);
    assert.deepEqual(runs({ ranges: [{ kind: 'cut', text: '800,900' }] }, long), [
      [0, 800, 1, 1, 1],
      [900, 1000, 1, 1, 1],
    ]);
  });

  test('negative times count from the media length, not the label count', () => {
    const short = ctx(900, { audio: '1'.repeat(600) });
    assert.deepEqual(runs({ ranges: [{ kind: 'cut', text: '-400,-200' }] }, short), [[0, 500, 1, 1, 1]]);
  });

  test('with no media length, ranges use the label count', () => {
    const unknown = ctx(0, { audio: '1'.repeat(100) });
    assert.deepEqual(runs({ ranges: [{ kind: 'cut', text: '-10,end' }] }, unknown), [[0, 90, 1, 1, 1]]);
  });
});

describe('planRuns end to end', () => {
  test('audio with margin, smoothing, actions and ranges', () => {
    // 30 fps: silence, 1 s of speech, 0.1 s gap (smoothed away), speech, silence.
    const bits = '0'.repeat(30) + '1'.repeat(30) + '0'.repeat(3) + '1'.repeat(30) + '0'.repeat(57);
    const c = ctx(150, { audio: bits });
    const result = runs({ margin: '0.2s', smooth: '0.2s,0.1s', whens: [{ label: 0, actions: 'speed:8' }], ranges: [{ kind: 'cut', text: '0,10' }] }, c);
    assert.deepEqual(result, [
      [10, 24, 8, 1, 1],
      [24, 99, 1, 1, 1],
      [99, 150, 8, 1, 1],
    ]);
  });

  test('float32 action values, products in float64', () => {
    const c = ctx(10, { audio: '1'.repeat(10) });
    const [run] = planRuns(parseEditRequest(request({ whens: [{ label: 1, actions: 'speed:1.1,varispeed:1.3,volume:0.7' }] })), c);
    assert.equal(run!.speed, Math.fround(1.1) * Math.fround(1.3));
    assert.equal(run!.varispeed, Math.fround(1.3));
    assert.equal(run!.volume, Math.fround(0.7));
  });

  test('everything cut gives no runs', () => {
    assert.deepEqual(runs({ edits: [{ label: 1, expr: 'all' }] }, ctx(10, {})), []);
  });

  test('margin and smoothing use the timebase', () => {
    const bits = '0'.repeat(20) + '1' + '0'.repeat(20);
    assert.deepEqual(runs({ margin: '0.2s', smooth: '0' }, ctx(41, { audio: bits }, { num: 10, den: 1 })), [[18, 23, 1, 1, 1]]);
    assert.deepEqual(runs({ margin: '0.2s', smooth: '0' }, ctx(41, { audio: bits }, { num: 30, den: 1 })), [[14, 27, 1, 1, 1]]);
  });

  test('margin and smoothing are checked before any media is read', () => {
    assert.throws(() => parseEditRequest(request({ margin: '0.2s,end' })), { name: 'UserError', message: /only allowed in ranges/ });
    assert.throws(() => parseEditRequest(request({ smooth: 'abc' })), UserError);
  });

  test('a threshold from the expression decides activity', () => {
    const c: EditContext = {
      ...ctx(4, {}),
      levels: () => Uint16Array.from([0, toUnorm16(0.1) - 1, toUnorm16(0.1), HIGH]),
    };
    assert.deepEqual(runs({ edits: [{ label: 1, expr: 'audio:10%' }] }, c), [[2, 4, 1, 1, 1]]);
  });
});

describe('levelRequestsOf', () => {
  test('collects every label\'s requests, each once', () => {
    const plan = parseEditRequest(
      request({
        edits: [
          { label: 1, expr: '(or audio motion)' },
          { label: 2, expr: 'motion' },
          { label: 3, expr: 'word:um,stream=4' },
        ],
      }),
    );
    assert.deepEqual(levelRequestsOf(plan, { audio: 2, video: 1, subtitle: 0 }), [
      { method: 'audio', stream: 0, channel: null },
      { method: 'audio', stream: 1, channel: null },
      { method: 'motion', stream: 0, width: 400, blur: 9, region: null },
      { method: 'subtitle', stream: 4 },
    ]);
  });

  test('names a stream the input lacks', () => {
    const plan = parseEditRequest(request({ edits: [{ label: 2, expr: 'motion:stream=1' }] }));
    assert.throws(() => levelRequestsOf(plan, { audio: 1, video: 1, subtitle: 0 }), { name: 'UserError', message: /video stream 1 does not exist/ });
  });

  test('needs nothing for constants', () => {
    assert.deepEqual(levelRequestsOf(parseEditRequest(request({ edits: [{ label: 1, expr: 'none' }] })), { audio: 0, video: 0, subtitle: 0 }), []);
  });
});

test('planRuns over 648,000 frames (6 hours at 30 fps) with two labels and ranges stays fast', () => {
  const n = 648_000;
  const audio = Array.from({ length: n }, (_, i) => ((i * 7919) % 97 < 40 ? '1' : '0')).join('');
  const motion = Array.from({ length: n }, (_, i) => ((i >> 10) % 3 === 0 ? '1' : '0')).join('');
  const c = ctx(n, { audio, motion });
  const t0 = performance.now();
  const result = planRuns(
    parseEditRequest(
      request({
        edits: [{ label: 2, expr: 'motion' }],
        whens: [{ label: 0, actions: 'speed:4' }, { label: 2, actions: 'volume:0.5' }],
        ranges: [{ kind: 'cut', text: '1min,2min' }, { kind: 'set-speed', text: '2,-10min,end' }],
        margin: '0.2s',
        smooth: '0.2s,0.1s',
      }),
    ),
    c,
  );
  const ms = performance.now() - t0;
  assert.ok(result.length > 100);
  assert.equal(result[result.length - 1]!.end, n);
  assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
});
