import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import type { AudioStreamInfo, MediaInfo, VideoStreamInfo } from '../../src/media/types.js';
import { type LabelAction, type Run, clipBounds, isCutSpeed, labelsToRuns, runsToTimeline, timelineLength } from '../../src/timeline/index.js';

const tb30 = { num: 30, den: 1 };

function video(width: number, height: number, lang: string | null = null): VideoStreamInfo {
  return {
    index: 0,
    codec: 'h264',
    width,
    height,
    avgFrameRate: { num: 30, den: 1 },
    timeBase: { num: 1, den: 15360 },
    sampleAspectRatio: { num: 1, den: 1 },
    pixelFormat: 'yuv420p',
    duration: 10,
    startTime: 0,
    bitrate: 0,
    lang,
  };
}

function audio(sampleRate: number, layout: string, lang: string | null = null): AudioStreamInfo {
  return { index: 1, codec: 'aac', sampleRate, channels: 2, layout, timeBase: { num: 1, den: sampleRate }, duration: 10, startTime: 0, bitrate: 0, lang };
}

function media(v: VideoStreamInfo[], a: AudioStreamInfo[], path = '/media/in.mp4'): MediaInfo {
  return { path, format: 'mov,mp4', duration: 10, bitrate: 0, video: v, audio: a, subtitle: [] };
}

const run = (start: number, end: number, speed = 1, volume = 1): Run => ({ start, end, speed, volume });

describe('clipBounds', () => {
  const cases: [number, number, number, { offset: number; dur: number } | null][] = [
    [0, 10, 1, { offset: 0, dur: 10 }],
    [34, 396, 1, { offset: 34, dur: 362 }],
    [15, 25, 2, { offset: 8, dur: 5 }],
    [0, 3, 2, { offset: 0, dur: 2 }],
    [3, 7, 2, { offset: 2, dur: 2 }],
    [10, 20, 1.5, { offset: 7, dur: 7 }],
    [3, 7, 0.5, { offset: 6, dur: 8 }],
    [0, 1, 2, { offset: 0, dur: 1 }], // 0.5 rounds up (half away from zero): kept
    [0, 1, 3, null], // round(1/3) = 0: dropped
    [5, 5, 1, null], // empty
    [1, 2, 2, null], // kept by the rounding test, but ceil(1) - ceil(0.5) = 0 frames
    [0, 2, 99998, null],
  ];
  for (const [start, end, speed, expected] of cases) {
    it(`[${start}, ${end}) at speed ${speed} -> ${expected ? `offset ${expected.offset}, dur ${expected.dur}` : 'dropped'}`, () => {
      assert.deepEqual(clipBounds(start, end, speed), expected);
    });
  }

  it('consecutive runs at the same speed stay seamless', () => {
    const a = clipBounds(0, 7, 1.5)!;
    const b = clipBounds(7, 20, 1.5)!;
    assert.equal(a.offset + a.dur, b.offset);
  });
});

describe('isCutSpeed', () => {
  const cases: [number, boolean][] = [
    [1, false],
    [0.5, false],
    [99998.9, false],
    [0, true],
    [-1, true],
    [99999, true],
    [1e6, true],
    [Number.NaN, true],
    [Number.POSITIVE_INFINITY, true],
  ];
  for (const [speed, cut] of cases) it(`${speed} -> ${cut ? 'cut' : 'kept'}`, () => assert.equal(isCutSpeed(speed), cut));
});

describe('labelsToRuns', () => {
  const actions = (label: number): LabelAction => {
    if (label === 0) return 'cut';
    if (label === 1) return { speed: 1, volume: 1 };
    if (label === 2) return { speed: 2, volume: 0.5 };
    return { speed: 99999, volume: 1 }; // a cut expressed as auto-editor's cut speed
  };
  const cases: [string, number[], Run[]][] = [
    ['empty', [], []],
    ['all inactive', [0, 0, 0], []],
    ['all active', [1, 1, 1], [run(0, 3)]],
    ['runs and gaps', [0, 0, 1, 1, 1, 0, 2, 2, 1], [run(2, 5), run(6, 8, 2, 0.5), run(8, 9)]],
    ['active at both ends', [1, 0, 1], [run(0, 1), run(2, 3)]],
    ['cut speed counts as cut', [1, 3, 3, 1], [run(0, 1), run(3, 4)]],
    ['extra classes stay separate runs', [1, 2, 2, 2, 1, 1], [run(0, 1), run(1, 4, 2, 0.5), run(4, 6)]],
  ];
  for (const [name, labels, expected] of cases) {
    it(name, () => assert.deepEqual(labelsToRuns(Uint8Array.from(labels), actions), expected));
  }

  it('carries a varispeed factor when the action has one', () => {
    const runs = labelsToRuns(Uint8Array.from([1, 1, 2]), (label) => (label === 1 ? { speed: 3, volume: 1, varispeed: 1.5 } : { speed: 1, volume: 1 }));
    assert.deepEqual(runs, [
      { start: 0, end: 2, speed: 3, volume: 1, varispeed: 1.5 },
      { start: 2, end: 3, speed: 1, volume: 1 },
    ]);
  });

  it('asks for each distinct label once', () => {
    const asked: number[] = [];
    labelsToRuns(Uint8Array.from([0, 1, 0, 1, 0, 255, 1]), (label) => {
      asked.push(label);
      return label === 0 ? 'cut' : { speed: 1, volume: 1 };
    });
    assert.deepEqual(asked.sort((x, y) => x - y), [0, 1, 255]);
  });
});

describe('runsToTimeline', () => {
  it('lays clips end to end with speed-scaled offsets', () => {
    const tl = runsToTimeline([run(0, 10), run(15, 25, 2), run(26, 27, 3), run(30, 40, 1, 0.5)], media([video(1280, 720)], [audio(48000, 'stereo')]), tb30);
    assert.deepEqual(
      tl.v[0].map((c) => [c.start, c.dur, c.offset, c.speed, c.volume]),
      [
        [0, 10, 0, 1, 1],
        [10, 5, 8, 2, 1],
        // [26, 27) at speed 3 vanishes (round(1/3) = 0)
        [15, 10, 30, 1, 0.5],
      ],
    );
    assert.equal(timelineLength(tl), 25);
  });

  it('gives one video layer (stream 0) and one audio layer per audio stream', () => {
    const info = media([video(1920, 1080, 'eng'), video(320, 240, 'fre')], [audio(44100, 'mono', 'eng'), audio(48000, 'stereo', null)]);
    const tl = runsToTimeline([run(0, 5)], info, tb30);
    assert.equal(tl.v.length, 1);
    assert.equal(tl.a.length, 2);
    assert.deepEqual(tl.v[0].map((c) => c.stream), [0]);
    assert.deepEqual(tl.a.map((layer) => layer[0].stream), [0, 1]);
    assert.deepEqual(tl.resolution, [1920, 1080]);
    assert.equal(tl.sampleRate, 44100);
    assert.equal(tl.layout, 'mono');
    assert.deepEqual(tl.langs, ['eng', 'und']);
    assert.deepEqual(tl.videoLangs, ['eng']);
    assert.equal(tl.templateFile, '/media/in.mp4');
    assert.ok([...tl.v, ...tl.a].every((layer) => layer.every((c) => c.src === '/media/in.mp4')));
  });

  it('uses auto-editor defaults for audio-only and video-only sources', () => {
    const audioOnly = runsToTimeline([run(0, 5)], media([], [audio(16000, 'mono')]), tb30);
    assert.deepEqual(audioOnly.resolution, [1920, 1080]);
    assert.equal(audioOnly.v.length, 0);
    assert.equal(audioOnly.sampleRate, 16000);
    const videoOnly = runsToTimeline([run(0, 5)], media([video(640, 360)], []), tb30);
    assert.equal(videoOnly.sampleRate, 48000);
    assert.equal(videoOnly.layout, 'stereo');
    assert.equal(videoOnly.a.length, 0);
    assert.equal(videoOnly.background, '#000000');
    assert.equal(runsToTimeline([run(0, 5)], media([video(640, 360)], []), tb30, { background: '#00ff00' }).background, '#00ff00');
  });

  it('skips cut runs and keeps the linear description for v1/v2', () => {
    const tl = runsToTimeline([run(0, 4), run(4, 8, 0), run(8, 9, 99999), run(9, 12, Number.NaN), run(12, 14)], media([video(640, 360)], []), tb30, { length: 20 });
    assert.deepEqual(tl.v[0].map((c) => [c.start, c.dur, c.offset]), [
      [0, 4, 0],
      [4, 2, 12],
    ]);
    assert.deepEqual(tl.linear, { src: '/media/in.mp4', runs: [run(0, 4), run(12, 14)], length: 20 });
  });

  it('refuses an empty result as auto-editor does', () => {
    const info = media([video(640, 360)], [audio(48000, 'stereo')]);
    for (const runs of [[], [run(0, 10, 0)], [run(0, 1, 3)]]) {
      assert.throws(() => runsToTimeline(runs, info, tb30), (e: unknown) => e instanceof UserError && /empty/.test(e.message));
    }
    assert.throws(() => runsToTimeline([run(0, 10)], media([], []), tb30), UserError);
  });

  it('rejects unordered runs (a programming error, not user input)', () => {
    assert.throws(() => runsToTimeline([run(5, 10), run(0, 3)], media([video(640, 360)], []), tb30), RangeError);
  });
});
