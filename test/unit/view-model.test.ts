// The pure code `tacet view`'s page runs: the regions it draws must be the CLI's v1 chunks, the
// expressions it rewrites must read back unchanged, and its command line must mean the same edit.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toUnorm16 } from '../../src/analyze/unorm16.js';
import { parseEdit } from '../../src/edit/expr.js';
import { parseEditRequest, planRuns, type EditRequest } from '../../src/edit/plan.js';
import { parseCli } from '../../src/cli/parse.js';
import { runsToTimeline } from '../../src/timeline/clips.js';
import { writeTimelineJson } from '../../src/timeline/json.js';
import { browserPlayable } from '../../src/view/proxy.js';
import {
  commandLine,
  computeEdit,
  formatEdit,
  formatThreshold,
  levelKey,
  shellQuote,
  thresholdControls,
  withThreshold,
  withWhen,
  type LevelLane,
  type ViewSession,
} from '../../src/view/model.js';
import { fakeInfo } from '../helpers/timelines.js';

const DEFAULTS = { margin: '0.2s', smooth: '0.2s,0.1s' };

function request(over: Partial<EditRequest> = {}): EditRequest {
  return { edits: [], whens: [], ranges: [], ...DEFAULTS, ...over };
}

/** Deterministic pseudo-random levels with loud and quiet stretches. */
function levels(n: number, seed: number): Uint16Array {
  const out = new Uint16Array(n);
  let s = seed;
  let loud = false;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    if (s % 17 === 0) loud = !loud;
    out[i] = loud ? 3000 + (s % 20000) : s % 2000;
  }
  return out;
}

function session(lanes: LevelLane[], len: number): ViewSession {
  return {
    file: 'talk.mp4',
    name: 'talk.mp4',
    tb: { num: 30, den: 1 },
    len,
    counts: { audio: 2, video: 1, subtitle: 0 },
    request: request(),
    frameRate: null,
    defaults: DEFAULTS,
    lanes,
    cues: [],
    media: { hasVideo: true, source: '/media' },
    exportKinds: ['render'],
    defaultExport: 'render',
  };
}

describe('view model', () => {
  const lanes: LevelLane[] = [
    { index: 0, request: { method: 'audio', stream: 0, channel: null }, name: 'audio stream 0', scale: 'db' },
    { index: 1, request: { method: 'audio', stream: 1, channel: null }, name: 'audio stream 1', scale: 'db' },
    { index: 2, request: { method: 'motion', stream: 0, width: 400, blur: 9, region: null }, name: 'motion stream 0', scale: 'linear' },
  ];
  const arrays = [levels(900, 1), levels(880, 7), levels(900, 3)];
  const map = new Map(lanes.map((l, i) => [levelKey(l.request), arrays[i]!]));
  const s = session(lanes, 905);
  const info = fakeInfo('/media/talk.mp4', { seconds: 30, audio: [{ channels: 2, sampleRate: 48000 }, { channels: 1, sampleRate: 48000 }] });

  const cases: Array<[string, EditRequest]> = [
    ['defaults', request()],
    ['threshold and margins', request({ edits: [{ label: 1, expr: 'audio:0.1' }], margin: '0.5s,0.1s', smooth: '0.3s' })],
    ['speed up the quiet parts', request({ whens: [{ label: 0, actions: 'speed:4' }, { label: 1, actions: 'speed:1.25' }] })],
    ['two streams and motion', request({ edits: [{ label: 1, expr: '(or audio:stream=0 (and audio:stream=1 motion:threshold=0.1))' }] })],
    ['labels and ranges', request({ edits: [{ label: 2, expr: 'audio:threshold=0.3' }], whens: [{ label: 2, actions: 'speed:2' }], ranges: [{ kind: 'cut', text: '0,2s' }, { kind: 'set-speed', text: '3,20sec,end' }] })],
  ];
  for (const [name, req] of cases) {
    test(`regions are the CLI's v1 chunks: ${name}`, () => {
      const plan = parseEditRequest(req);
      const runs = planRuns(plan, { len: s.len, tb: s.tb, audioStreamCount: 2, levels: (r) => map.get(levelKey(r))!, cues: () => [] });
      const v1 = JSON.parse(writeTimelineJson(runsToTimeline(runs, info, s.tb, { length: s.len }), 'v1')) as { chunks: number[][] };
      const got = computeEdit(s, req, map);
      assert.deepEqual(got.chunks, v1.chunks);
      assert.ok(got.outputFrames > 0);
    });
  }

  test('everything cut gives one cut chunk and no output', () => {
    const got = computeEdit(s, request({ edits: [{ label: 1, expr: 'all' }] }), map);
    assert.deepEqual(got.chunks, [[0, 905, 99999]]);
    assert.equal(got.outputFrames, 0);
  });

  test('every unorm16 threshold is written so that it reads back the same', () => {
    for (let u = 0; u <= 65535; u++) {
      const text = formatThreshold(u);
      assert.equal(toUnorm16(Number(text)), u, `${u} → ${text}`);
      assert.ok(text.length <= 8, `${u} → ${text} is longer than needed`);
    }
  });

  test('formatted expressions parse back to the same expression', () => {
    const sources = [
      'audio',
      'audio:0.1,1',
      'audio:threshold=-30dB,stream=all,channel=1',
      'motion:threshold=0.03,stream=0,width=200,blur=3,x=0.1,y=0.2,w=0.5,h=0.25',
      'blackdetect:0.9,0,pixel-black=0.2',
      'subtitle:pattern="he said \\"hi\\" \\\\d+",ignore-case=#t',
      'word:hello',
      'regex:"[a-z]{2}"',
      '(or audio:stream=0 (not motion) (xor none all))',
      '(and audio (not blackdetect))',
    ];
    for (const src of sources) {
      const expr = parseEdit(src);
      const text = formatEdit(expr);
      assert.deepEqual(parseEdit(text), expr, `${src} → ${text}`);
    }
  });

  test('threshold controls: one per thresholded method, mapped to its lanes, and rewritable', () => {
    const req = request({ edits: [{ label: 1, expr: '(or audio (not motion:0.1))' }, { label: 3, expr: 'audio:stream=1' }] });
    const controls = thresholdControls(req, lanes);
    assert.deepEqual(
      controls.map((c) => [c.label, c.path, c.method, c.name, c.lanes]),
      [
        [1, [0], 'audio', 'audio', [0, 1]],
        [1, [1, 0], 'motion', 'motion stream 0', [2]],
        [3, [], 'audio', 'label 3: audio stream 1', [1]],
      ],
    );
    const changed = withThreshold(req, controls[1]!, toUnorm16(0.25));
    assert.equal(changed.edits.find((e) => e.label === 1)!.expr, '(or audio:threshold=0.04 (not motion:threshold=0.25))');
    assert.equal(thresholdControls(changed, lanes)[1]!.threshold, toUnorm16(0.25));
    // The default expression (no --edit) becomes explicit once its threshold moves.
    const plain = withThreshold(request(), thresholdControls(request(), lanes)[0]!, toUnorm16(0.1));
    assert.deepEqual(plain.edits, [{ label: 1, expr: 'audio:threshold=0.1' }]);
  });

  test('the command line leaves defaults out and the CLI parses it back to the same settings', () => {
    assert.deepEqual(commandLine(s, request()), ['tacet', 'talk.mp4']);
    const req = withWhen(
      request({
        edits: [{ label: 1, expr: '(or audio:threshold=0.1 motion)' }, { label: 2, expr: 'audio:0.3' }],
        whens: [{ label: 2, actions: 'speed:2' }],
        ranges: [{ kind: 'cut', text: '-10sec,end' }, { kind: 'set-speed', text: '2,1s,2s' }, { kind: 'keep', text: '0,1' }, { kind: 'set-action', text: 'volume:2,3,4' }],
        margin: '-0.1s,0.3s',
        smooth: '0',
      }),
      0,
      'speed:8',
    );
    const argv = commandLine({ ...s, file: "my talk's take.mp4", frameRate: '25' }, req);
    const parsed = parseCli(argv.slice(1));
    assert.equal(parsed.kind, 'edit');
    if (parsed.kind !== 'edit') return;
    assert.deepEqual(parsed.inputs, ["my talk's take.mp4"]);
    const o = parsed.options;
    assert.deepEqual(parseEditRequest({ edits: o.edits, whens: o.whens, ranges: o.ranges, margin: o.margin, smooth: o.smooth }), parseEditRequest(req));
    assert.equal(o.frameRate, '25');
    assert.equal(shellQuote(['tacet', "my talk's take.mp4", '--edit', '(or a b)', '-m', '0.2s']), `tacet 'my talk'\\''s take.mp4' --edit '(or a b)' -m 0.2s`);
  });

  test('browser-playable sources are served as they are; others get a preview', () => {
    const mp4 = fakeInfo('/a.mp4', { seconds: 1, audio: [{ channels: 2, sampleRate: 48000 }] });
    const withCodecs = (video: string | null, audio: string | null, format = mp4.format) => ({
      ...mp4,
      format,
      video: video ? [{ ...mp4.video[0]!, codec: video }] : [],
      audio: audio ? [{ ...mp4.audio[0]!, codec: audio }] : [],
    });
    assert.equal(browserPlayable(withCodecs('h264', 'aac')), true);
    assert.equal(browserPlayable(withCodecs('hevc', 'aac')), false);
    assert.equal(browserPlayable(withCodecs('h264', 'alac')), false);
    assert.equal(browserPlayable(withCodecs(null, 'mp3', 'mp3')), true);
    assert.equal(browserPlayable(withCodecs(null, 'pcm_s16le', 'wav')), true);
    assert.equal(browserPlayable(withCodecs('vp9', 'opus', 'matroska,webm')), true);
    assert.equal(browserPlayable(withCodecs('h264', 'aac', 'matroska,webm')), false);
    assert.equal(browserPlayable(withCodecs('mpeg4', 'aac', 'avi')), false);
  });
});
