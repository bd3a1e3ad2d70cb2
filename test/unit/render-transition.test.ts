import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import type { MediaInfo } from '../../src/media/types.js';
import { checkTransition, parseTransition, planDissolves, transitionFrames, type TransitionSpec } from '../../src/render/transition.js';
import type { Clip, Timeline } from '../../src/timeline/model.js';
import { rational } from '../../src/timeline/rational.js';

const tb30 = rational(30, 1);
const ntsc = rational(30000, 1001);

function rejects(text: string, message: RegExp): void {
  assert.throws(
    () => parseTransition(text, tb30),
    (e: unknown) => e instanceof UserError && message.test(e.message),
    `${text} should be refused with ${message}`,
  );
}

describe('parseTransition', () => {
  it('reads DURATION and MIN-CUT in seconds or frames', () => {
    assert.deepEqual(parseTransition('dissolve:1s', tb30), { kind: 'dissolve', duration: 30, minCut: 0 });
    assert.deepEqual(parseTransition('dissolve:15', tb30), { kind: 'dissolve', duration: 15, minCut: 0 });
    assert.deepEqual(parseTransition('dissolve:0.5sec:2s', tb30), { kind: 'dissolve', duration: 15, minCut: 60 });
    assert.deepEqual(parseTransition('dissolve:1s:10', ntsc), { kind: 'dissolve', duration: 29, minCut: 10 });
  });

  it('refuses bad values', () => {
    rejects('wipe:1s', /^--transition: unknown transition "wipe"; use dissolve:DURATION\[:MIN-CUT\]$/);
    rejects('dissolve', /give a duration/);
    rejects('dissolve:', /give a duration/);
    rejects('dissolve:abc', /invalid time value "abc"/);
    rejects('dissolve:0', /at least one frame/);
    rejects('dissolve:0.01s', /at least one frame/);
    rejects('dissolve:1s:-1s', /MIN-CUT must not be negative/);
    rejects('dissolve:1s:2s:3s', /too many values/);
  });

  it('checks the syntax before the timebase is known', () => {
    checkTransition('dissolve:0.01s');
    checkTransition('dissolve:1s:3');
    for (const bad of ['fade:1s', 'dissolve', 'dissolve:abc', 'dissolve:0', 'dissolve:1s:-2']) {
      assert.throws(() => checkTransition(bad), UserError, bad);
    }
  });
});

const clip = (start: number, dur: number, offset: number, extra: Partial<Clip> = {}): Clip => ({
  src: 'a.mp4',
  start,
  dur,
  offset,
  speed: 1,
  stream: 0,
  volume: 1,
  ...extra,
});
const spec = (duration: number, minCut = 0): TransitionSpec => ({ kind: 'dissolve', duration, minCut });
const endless = (): number => Number.POSITIVE_INFINITY;

describe('planDissolves', () => {
  it('centres a dissolve on each real cut, and none on contiguous joins', () => {
    const layer = [clip(0, 100, 0), clip(100, 50, 100), clip(150, 100, 300)];
    const d = planDissolves(layer, spec(10), endless);
    assert.deepEqual(
      d.map((x) => [x.start, x.join, x.end]),
      [[145, 150, 155]],
    );
    // An odd duration puts the extra frame after the join.
    assert.deepEqual(planDissolves(layer, spec(9), endless).map((x) => [x.start, x.end]), [[146, 155]]);
  });

  it('skips cuts whose removed part is shorter than MIN-CUT; other sources and backward jumps always count', () => {
    const layer = [clip(0, 100, 0), clip(100, 100, 120), clip(200, 100, 400), clip(300, 100, 0), clip(400, 100, 500, { src: 'b.mp4' })];
    const joins = (minCut: number): number[] => planDissolves(layer, spec(10, minCut), endless).map((x) => x.join);
    assert.deepEqual(joins(0), [100, 200, 300, 400]);
    assert.deepEqual(joins(20), [100, 200, 300, 400]);
    assert.deepEqual(joins(21), [200, 300, 400]);
    assert.deepEqual(joins(1000), [300, 400]);
  });

  it('shortens the half whose handle does not exist', () => {
    // The incoming clip starts at source frame 3: only 3 frames of handle before it.
    const early = planDissolves([clip(0, 100, 500), clip(100, 100, 3)], spec(20), endless);
    assert.deepEqual(early.map((x) => [x.start, x.end]), [[97, 110]]);
    // The outgoing clip ends 4 frames before the source's end.
    const late = planDissolves([clip(0, 100, 196), clip(100, 100, 0)], spec(20), () => 300);
    assert.deepEqual(late.map((x) => [x.start, x.end]), [[100, 104]]);
    // Neither handle: a plain cut.
    assert.deepEqual(planDissolves([clip(0, 100, 200), clip(100, 100, 0)], spec(20), () => 300), []);
    const late2 = planDissolves([clip(0, 100, 196), clip(100, 100, 50)], spec(20), () => 300);
    assert.deepEqual(late2.map((x) => [x.start, x.end]), [[90, 104]]);
  });

  it('keeps each half within half of its clip, and leaves speed changes and gaps alone', () => {
    const short = planDissolves([clip(0, 6, 0), clip(6, 4, 100)], spec(30), endless);
    assert.deepEqual(short.map((x) => [x.start, x.end]), [[3, 8]]);
    assert.deepEqual(planDissolves([clip(0, 50, 0), clip(50, 50, 200, { speed: 2 })], spec(10), endless), []);
    assert.deepEqual(planDissolves([clip(0, 50, 0), clip(60, 50, 200)], spec(10), endless), []);
  });
});

describe('transitionFrames', () => {
  it('lists the end fades and the dissolves of the main video layer, merged', () => {
    const layer = [clip(0, 100, 0), clip(100, 20, 300), clip(120, 100, 600)];
    const tl: Timeline = {
      tb: tb30,
      background: '#000000',
      resolution: [64, 48],
      sampleRate: 48000,
      layout: 'stereo',
      langs: [],
      v: [layer],
      a: [layer],
    };
    const infos = new Map([['a.mp4', { duration: 100 } as MediaInfo]]);
    assert.deepEqual(transitionFrames(tl, spec(10), infos, 220), [[0, 10], [95, 105], [115, 125], [210, 220]]);
    // Longer dissolves around the short middle clip touch and merge.
    assert.deepEqual(transitionFrames(tl, spec(30), infos, 220), [[0, 30], [85, 135], [190, 220]]);
    assert.deepEqual(transitionFrames(tl, spec(4), infos, 220), [[0, 4], [98, 102], [118, 122], [216, 220]]);
  });
});
