import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import type { MediaInfo } from '../../src/media/types.js';
import {
  JsonFloat,
  type Run,
  type Timeline,
  type TimelineRunsFile,
  type TimelineV3File,
  formatNimFloat32,
  formatNimFloat64,
  parseJsonStrict,
  prettyNimJson,
  readTimelineJson,
  runsToTimeline,
  timelineFromRuns,
  writeTimelineJson,
} from '../../src/timeline/index.js';

const SRC = '/media/example.mp4';

function media(path = SRC): MediaInfo {
  return {
    path,
    format: 'mov,mp4',
    duration: 10,
    bitrate: 0,
    video: [
      {
        index: 0,
        codec: 'h264',
        width: 1280,
        height: 720,
        avgFrameRate: { num: 30, den: 1 },
        timeBase: { num: 1, den: 15360 },
        sampleAspectRatio: { num: 1, den: 1 },
        pixelFormat: 'yuv420p',
        duration: 10,
        startTime: 0,
        bitrate: 0,
        lang: 'eng',
      },
    ],
    audio: [{ index: 1, codec: 'aac', sampleRate: 48000, channels: 2, layout: 'stereo', timeBase: { num: 1, den: 48000 }, duration: 10, startTime: 0, bitrate: 0, lang: 'eng' }],
    subtitle: [],
  };
}

const run = (start: number, end: number, speed = 1, volume = 1): Run => ({ start, end, speed, volume });

/** [0,10) kept, [10,15) cut, [15,25) at 2x, [25,30) cut. */
function sample(): Timeline {
  return runsToTimeline([run(0, 10), run(15, 25, 2)], media(), { num: 30, den: 1 }, { length: 30 });
}

function userError(pattern: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof UserError, `expected a UserError, got ${String(e)}`);
    assert.match(e.message, pattern);
    return true;
  };
}

const V3_SAMPLE = `{
  "version": "3",
  "templateFile": "/media/example.mp4",
  "timebase": "30/1",
  "background": "#000000",
  "resolution": [
    1280,
    720
  ],
  "samplerate": 48000,
  "layout": "stereo",
  "langs": [
    "eng",
    "eng"
  ],
  "v": [
    [
      {
        "src": "/media/example.mp4",
        "start": 0,
        "dur": 10,
        "offset": 0,
        "stream": 0
      },
      {
        "src": "/media/example.mp4",
        "start": 10,
        "dur": 5,
        "offset": 8,
        "stream": 0,
        "effects": [
          "speed:2.0"
        ]
      }
    ]
  ],
  "a": [
    [
      {
        "src": "/media/example.mp4",
        "start": 0,
        "dur": 10,
        "offset": 0,
        "stream": 0
      },
      {
        "src": "/media/example.mp4",
        "start": 10,
        "dur": 5,
        "offset": 8,
        "stream": 0,
        "effects": [
          "speed:2.0"
        ]
      }
    ]
  ]
}`;

const V1_SAMPLE = `{
  "version": "1",
  "source": "/media/example.mp4",
  "timebase": "30/1",
  "chunks": [
    [
      0,
      10,
      1.0
    ],
    [
      10,
      15,
      99999.0
    ],
    [
      15,
      25,
      2.0
    ],
    [
      25,
      30,
      99999.0
    ]
  ]
}`;

const V2_SAMPLE = `{
  "version": "2",
  "source": "/media/example.mp4",
  "tb": "30/1",
  "effects": [
    [
      "cut"
    ],
    [],
    [
      "speed:2.0"
    ]
  ],
  "clips": [
    [
      0,
      10,
      1
    ],
    [
      10,
      15,
      0
    ],
    [
      15,
      25,
      2
    ],
    [
      25,
      30,
      0
    ]
  ]
}`;

describe('Nim number and text formatting', () => {
  const f64: [number, string][] = [
    [1, '1.0'],
    [2, '2.0'],
    [99999, '99999.0'],
    [0.5, '0.5'],
    [1.5, '1.5'],
    [0, '0.0'],
    [-2, '-2.0'],
    [Math.fround(1.1), '1.100000023841858'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1e-7, '0.0000001'],
    [1e-8, '1e-8'],
    [1e16, '10000000000000000.0'],
    [1e17, '1e+17'],
    [1.5e300, '1.5e+300'],
  ];
  for (const [x, text] of f64) it(`float64 ${x} -> ${text}`, () => assert.equal(formatNimFloat64(x), text));

  const f32: [number, string][] = [
    [2, '2.0'],
    [1.1, '1.1'],
    [0.5, '0.5'],
    [1.25, '1.25'],
    [2 / 3, '0.6666667'],
    [0.0001, '0.0001'],
    [0.00001, '0.00001'],
    [1e-6, '1e-6'],
    [16777216, '16777216.0'],
    [1e9, '1e+9'],
    [123456789012, '1.2345679e+11'],
    [1.401298464324817e-45, '1e-45'],
  ];
  for (const [x, text] of f32) it(`float32 ${x} -> ${text}`, () => assert.equal(formatNimFloat32(x), text));

  it('pretty-prints like Nim std/json', () => {
    const text = prettyNimJson({ a: [], b: {}, c: [1, new JsonFloat(2)], d: 'q"\\\n\t\u0001\u000b\u001f é' });
    assert.equal(text, '{\n  "a": [],\n  "b": {},\n  "c": [\n    1,\n    2.0\n  ],\n  "d": "q\\"\\\\\\n\\t\\u0001\\u000b\\u001F é"\n}');
  });
});

describe('writeTimelineJson', () => {
  it('v3 matches auto-editor byte for byte', () => assert.equal(writeTimelineJson(sample(), 'v3'), V3_SAMPLE));
  it('v1 matches auto-editor byte for byte', () => assert.equal(writeTimelineJson(sample(), 'v1'), V1_SAMPLE));
  it('v2 matches auto-editor byte for byte', () => assert.equal(writeTimelineJson(sample(), 'v2'), V2_SAMPLE));

  it('writes volume and speed actions as float32 and leaves effects out when there are none', () => {
    const tl = runsToTimeline([run(0, 10, Math.fround(1.1), 0.5), run(10, 20)], media(), { num: 30, den: 1 });
    const doc = JSON.parse(writeTimelineJson(tl, 'v3'));
    assert.deepEqual(doc.v[0][0].effects, ['speed:1.1', 'volume:0.5']);
    assert.equal('effects' in doc.v[0][1], false);
    assert.match(writeTimelineJson(tl, 'v1'), /\n {6}1\.100000023841858\n/);
    assert.deepEqual(JSON.parse(writeTimelineJson(tl, 'v2')).effects, [['cut'], [], ['speed:1.1', 'volume:0.5']]);
  });

  it('starts v1 chunks at 0 even when the source opens with a cut', () => {
    const tl = runsToTimeline([run(5, 8)], media(), { num: 30, den: 1 });
    assert.deepEqual(JSON.parse(writeTimelineJson(tl, 'v1')).chunks, [
      [0, 5, 99999],
      [5, 8, 1],
    ]);
  });

  it('refuses v1 and v2 for a timeline with several sources', () => {
    const tl = sample();
    tl.a[0] = tl.a[0].map((c) => ({ ...c, src: '/media/other.wav' }));
    assert.throws(() => writeTimelineJson(tl, 'v1'), userError(/single source.*2/));
    assert.throws(() => writeTimelineJson(tl, 'v2'), userError(/single source/));
    assert.doesNotThrow(() => writeTimelineJson(tl, 'v3'));
  });

  it('recovers v1 from a speed-1 v3 timeline, but not from a speed-changed one', () => {
    const plain = readTimelineJson(writeTimelineJson(runsToTimeline([run(0, 10), run(15, 25)], media(), { num: 30, den: 1 }), 'v3'), '/');
    assert.equal(plain.kind, 'timeline');
    const chunks = JSON.parse(writeTimelineJson((plain as TimelineV3File).timeline, 'v1')).chunks;
    assert.deepEqual(chunks, [
      [0, 10, 1],
      [10, 15, 99999],
      [15, 25, 1],
    ]);
    const fast = readTimelineJson(V3_SAMPLE, '/') as TimelineV3File;
    assert.throws(() => writeTimelineJson(fast.timeline, 'v1'), userError(/speed-changed.*write it as v3/));
  });
});

describe('readTimelineJson round trips', () => {
  it('v3 -> Timeline -> v3 is identical', () => {
    const file = readTimelineJson(V3_SAMPLE, '/elsewhere');
    assert.equal(file.kind, 'timeline');
    const { timeline, sources } = file as TimelineV3File;
    assert.deepEqual(sources, [SRC]);
    assert.deepEqual(timeline.v[0][1], { src: SRC, start: 10, dur: 5, offset: 8, stream: 0, speed: 2, volume: 1 });
    assert.deepEqual(timeline.videoLangs, ['eng']);
    assert.deepEqual(timeline.langs, ['eng']);
    assert.equal(writeTimelineJson(timeline, 'v3'), V3_SAMPLE);
  });

  it('v1 -> runs -> Timeline -> v1 is identical', () => {
    const file = readTimelineJson(V1_SAMPLE, '/') as TimelineRunsFile;
    assert.equal(file.kind, 'runs');
    assert.deepEqual(file.runs, [run(0, 10), run(15, 25, 2)]);
    assert.equal(file.length, 30);
    assert.deepEqual(file.tb, { num: 30, den: 1 });
    const tl = timelineFromRuns(file, media(file.source));
    assert.equal(writeTimelineJson(tl, 'v1'), V1_SAMPLE);
    assert.equal(writeTimelineJson(tl, 'v3'), V3_SAMPLE);
  });

  it('v2 -> runs -> Timeline -> v2 is identical', () => {
    const file = readTimelineJson(V2_SAMPLE, '/') as TimelineRunsFile;
    assert.deepEqual(file.runs, [run(0, 10), run(15, 25, 2)]);
    assert.equal(writeTimelineJson(timelineFromRuns(file, media(file.source)), 'v2'), V2_SAMPLE);
  });

  it('reads the v1 examples of auto-editor docs and tests (integers, speed 0 as cut, no timebase)', () => {
    const file = readTimelineJson('{"version": "1", "source": "example.mp4", "chunks": [ [0, 26, 1.0], [26, 34, 0] ]}', '/work') as TimelineRunsFile;
    assert.equal(file.source, resolve('/work', 'example.mp4'));
    assert.deepEqual(file.sources, [file.source]);
    assert.equal(file.tb, null);
    assert.deepEqual(file.runs, [run(0, 26)]);
    assert.equal(file.length, 34);
    // Without a timebase in the file, the source's sanitised frame rate is used.
    const info = media(file.source);
    info.video[0].avgFrameRate = { num: 2997, den: 100 };
    assert.deepEqual(timelineFromRuns(file, info).tb, { num: 30000, den: 1001 });
  });

  it('reads the v2 docs example (gaps are cuts, any effect order)', () => {
    const text = '{"version":"2","source":"example.mp4","tb":"30000/1001","effects":[[],["speed:2.0"],["cut"],["nil","volume:0.5"]],"clips":[[0,26,0],[34,396,1],[396,400,2],[400,410,3]]}';
    const file = readTimelineJson(text, '/w') as TimelineRunsFile;
    assert.deepEqual(file.tb, { num: 30000, den: 1001 });
    assert.deepEqual(file.runs, [run(0, 26), run(34, 396, 2), run(400, 410, 1, 0.5)]);
    assert.equal(file.length, 410);
  });

  it('resolves relative v3 sources and templateFile against baseDir and lists each source once', () => {
    const doc = JSON.parse(V3_SAMPLE);
    doc.templateFile = 'tpl.mp4';
    doc.v[0][0].src = 'a.mp4';
    doc.a[0][0].src = 'sub/b.wav';
    const file = readTimelineJson(JSON.stringify(doc), '/proj') as TimelineV3File;
    assert.equal(file.timeline.templateFile, resolve('/proj', 'tpl.mp4'));
    assert.equal(file.timeline.v[0][0].src, resolve('/proj', 'a.mp4'));
    assert.deepEqual(file.sources, [resolve('/proj', 'a.mp4'), SRC, resolve('/proj', 'sub/b.wav')]);
  });

  it('pads and trims langs like auto-editor and accepts #rgb backgrounds', () => {
    const doc = JSON.parse(V3_SAMPLE);
    doc.langs = ['english'];
    doc.background = '#0F0';
    const { timeline } = readTimelineJson(JSON.stringify(doc), '/') as TimelineV3File;
    assert.deepEqual(timeline.videoLangs, ['engl']);
    assert.deepEqual(timeline.langs, ['und']);
    assert.equal(timeline.background, '#00ff00');
    doc.langs = ['a', 'b', 'c', 'd'];
    assert.deepEqual(JSON.parse(writeTimelineJson((readTimelineJson(JSON.stringify(doc), '/') as TimelineV3File).timeline, 'v3')).langs, ['a', 'b']);
  });

  it('multiplies speed actions as float32 values, as auto-editor stores them', () => {
    const doc = JSON.parse(V3_SAMPLE);
    doc.v[0][1].effects = ['speed:1.1', 'speed:2', 'volume:0.3'];
    const clip = (readTimelineJson(JSON.stringify(doc), '/') as TimelineV3File).timeline.v[0][1];
    assert.equal(clip.speed, Math.fround(1.1) * 2);
    assert.equal(clip.volume, Math.fround(0.3));
  });

  it('reads varispeed into the speed and keeps it apart, so its pitch can follow', () => {
    const doc = JSON.parse(V3_SAMPLE);
    doc.v[0][1].effects = ['speed:2', 'varispeed:1.1', 'volume:0.5'];
    doc.v[0][0].effects = ['varispeed:0.5'];
    const { timeline } = readTimelineJson(JSON.stringify(doc), '/') as TimelineV3File;
    assert.equal(timeline.v[0][1].speed, 2 * Math.fround(1.1));
    assert.equal(timeline.v[0][1].varispeed, Math.fround(1.1));
    assert.equal(timeline.v[0][1].volume, 0.5);
    assert.equal(timeline.v[0][0].speed, 0.5);
    assert.equal(timeline.v[0][0].varispeed, 0.5);
    // Written back as the same actions.
    const again = JSON.parse(writeTimelineJson(timeline, 'v3'));
    assert.deepEqual(again.v[0][1].effects, ['speed:2.0', 'varispeed:1.1', 'volume:0.5']);
    assert.deepEqual(again.v[0][0].effects, ['varispeed:0.5']);
    assert.equal('varispeed' in timeline.a[0][0], false, 'no varispeed field when there is none');
  });

  it('carries a run\'s varispeed to its clips and to v2 effect groups', () => {
    const tl = runsToTimeline(
      [
        { start: 0, end: 10, speed: 3, varispeed: 1.5, volume: 1 },
        { start: 20, end: 30, speed: 1, varispeed: 1, volume: 1 },
      ],
      media(),
      { num: 30, den: 1 },
    );
    assert.equal(tl.v[0][0].varispeed, 1.5);
    assert.equal(tl.v[0][0].speed, 3);
    assert.equal('varispeed' in tl.v[0][1], false);
    assert.deepEqual(JSON.parse(writeTimelineJson(tl, 'v3')).a[0][0].effects, ['speed:2.0', 'varispeed:1.5']);
    const v2 = JSON.parse(writeTimelineJson(tl, 'v2'));
    assert.deepEqual(v2.effects, [['cut'], [], ['speed:2.0', 'varispeed:1.5']]);
    const back = readTimelineJson(JSON.stringify(v2), '/') as TimelineRunsFile;
    assert.deepEqual(back.runs[0], { start: 0, end: 10, speed: 3, varispeed: 1.5, volume: 1 });
  });

  it('drops v3 clips whose effect is cut and accepts a numeric version', () => {
    const doc = JSON.parse(V3_SAMPLE);
    doc.version = 3;
    doc.a[0][0].effects = ['cut'];
    const { timeline } = readTimelineJson(JSON.stringify(doc), '/') as TimelineV3File;
    assert.equal(timeline.a[0].length, 1);
  });
});

describe('readTimelineJson validation', () => {
  /** Each case edits a valid v3 document and expects a UserError matching the pattern. */
  const v3Cases: [string, (doc: any) => void, RegExp][] = [
    ['unknown version', (d) => (d.version = '4'), /Unsupported timeline version "4"/],
    ['missing version', (d) => delete d.version, /no "version"/],
    ['missing timebase', (d) => delete d.timebase, /v3 timeline: missing "timebase"/],
    ['bad timebase', (d) => (d.timebase = 'thirty'), /invalid "timebase" "thirty"/],
    ['zero timebase', (d) => (d.timebase = '0/1'), /invalid "timebase"/],
    ['timebase not a string', (d) => (d.timebase = 30), /"timebase" must be a string/],
    ['samplerate too low', (d) => (d.samplerate = 50), /"samplerate" is 50/],
    ['missing samplerate', (d) => delete d.samplerate, /missing "samplerate"/],
    ['bad background', (d) => (d.background = 'blue-ish'), /invalid "background"/],
    ['missing background', (d) => delete d.background, /missing "background"/],
    ['resolution of one number', (d) => (d.resolution = [1280]), /"resolution" must be \[width, height\]/],
    ['negative resolution', (d) => (d.resolution = [1280, -1]), /"resolution"\[1\] is -1/],
    ['layers not arrays', (d) => (d.v = [{}]), /"v"\[0\] must be an array of clips/],
    ['clip not an object', (d) => (d.v[0][0] = 3), /clip v\[0\]\[0\] must be an object/],
    ['missing src', (d) => delete d.v[0][1].src, /clip v\[0\]\[1\] "src"/],
    ['empty src', (d) => (d.a[0][0].src = ''), /clip a\[0\]\[0\] "src" must not be empty/],
    ['null src', (d) => (d.a[0][0].src = null), /has no media/],
    ['negative start', (d) => (d.v[0][0].start = -1), /clip v\[0\]\[0\] "start" is -1, it must be >= 0/],
    ['fractional start', (d) => (d.v[0][0].start = 1.5), /"start" must be an integer/],
    ['zero dur', (d) => (d.v[0][0].dur = 0), /"dur" is 0, it must be >= 1/],
    ['missing dur', (d) => delete d.a[0][1].dur, /missing clip a\[0\]\[1\] "dur"/],
    ['negative offset', (d) => (d.v[0][1].offset = -3), /"offset" is -3, it must be >= 0/],
    ['stream over 1000', (d) => (d.v[0][0].stream = 1001), /"stream" is 1001, it must be between 0 and 1000/],
    ['negative stream', (d) => (d.a[0][0].stream = -1), /"stream" is -1/],
    ['effects not a list', (d) => (d.v[0][0].effects = 'speed:2'), /"effects" must be a list of action strings/],
    ['unknown action', (d) => (d.v[0][0].effects = ['zoom:2']), /"zoom:2", which tacet does not support yet/],
    ['varispeed too slow', (d) => (d.v[0][0].effects = ['varispeed:0.1']), /varispeed must be from 0\.2 to 100/],
    ['varispeed too fast', (d) => (d.v[0][0].effects = ['varispeed:101']), /varispeed must be from 0\.2 to 100/],
    ['zero speed', (d) => (d.v[0][0].effects = ['speed:0']), /speed must be between 0 and 99999/],
    ['non-numeric speed', (d) => (d.v[0][0].effects = ['speed:fast']), /not a number/],
    ['transitions', (d) => (d.transitions = { v: [[{ kind: 'dissolve', at: 5, dur: 2 }]], a: [] }), /transitions are not supported/],
  ];
  for (const [name, edit, pattern] of v3Cases) {
    it(`v3: ${name}`, () => {
      const doc = JSON.parse(V3_SAMPLE);
      edit(doc);
      assert.throws(() => readTimelineJson(JSON.stringify(doc), '/'), userError(pattern));
    });
  }

  const otherCases: [string, string, RegExp][] = [
    ['not an object', '[1, 2]', /must hold a JSON object/],
    ['v1 without source', '{"version":"1","chunks":[]}', /v1 timeline: missing "source"/],
    ['v1 without chunks', '{"version":"1","source":"a.mp4"}', /v1 timeline: missing "chunks"/],
    ['v1 chunk of two', '{"version":"1","source":"a.mp4","chunks":[[0,5]]}', /chunk 0 must be \[start, end, speed\]/],
    ['v1 negative start', '{"version":"1","source":"a.mp4","chunks":[[-1,5,1]]}', /chunk 0 has an invalid start -1/],
    ['v1 end before start', '{"version":"1","source":"a.mp4","chunks":[[5,4,1]]}', /chunk 0 has an invalid end 4/],
    ['v1 overlapping chunks', '{"version":"1","source":"a.mp4","chunks":[[0,5,1],[3,8,1]]}', /chunk 1 starts at 3, before the previous chunk ends \(5\)/],
    ['v1 speed as text', '{"version":"1","source":"a.mp4","chunks":[[0,5,"1"]]}', /speed that is not a number/],
    ['v1 bad timebase', '{"version":"1","source":"a.mp4","timebase":"fast","chunks":[]}', /invalid "timebase" "fast"/],
    ['v2 without tb', '{"version":"2","source":"a.mp4","effects":[[]],"clips":[]}', /v2 timeline: missing "tb"/],
    ['v2 effect index out of range', '{"version":"2","source":"a.mp4","tb":"30/1","effects":[[]],"clips":[[0,5,1]]}', /clip 0 refers to effect 1, but "effects" has 1 entries/],
    ['v2 effects not lists', '{"version":"2","source":"a.mp4","tb":"30/1","effects":["cut"],"clips":[]}', /effects\[0\] must be a list/],
    ['v2 unknown action', '{"version":"2","source":"a.mp4","tb":"30/1","effects":[["invert"]],"clips":[]}', /"invert", which tacet does not support yet/],
  ];
  for (const [name, text, pattern] of otherCases) {
    it(name, () => assert.throws(() => readTimelineJson(text, '/'), userError(pattern)));
  }

  const syntax: [string, string, RegExp][] = [
    ['empty text', '', /Invalid timeline JSON at line 1, column 1: expected a value/],
    ['trailing comma', '{"version": "3",}', /line 1, column 17: expected a string key/],
    ['missing colon on line 3', '{\n  "version": "3",\n  "timebase" "30/1"\n}', /line 3, column 14: expected ':' after the key "timebase"/],
    ['unterminated string', '{"version": "3', /line 1, column 13: unterminated string/],
    ['garbage after the value', '{"version": "3"} x', /line 1, column 18: unexpected 'x' after the end of the value/],
    ['single quotes', "{'version': '3'}", /expected a string key, found '''/],
    ['bad number', '{"a": -}', /invalid number/],
  ];
  for (const [name, text, pattern] of syntax) {
    it(`malformed JSON: ${name}`, () => assert.throws(() => readTimelineJson(text, '/'), userError(pattern)));
  }

  it('parses valid JSON the way JSON.parse does', () => {
    const text = '\ufeff{"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n"], "__proto__": {"b": {}}}';
    assert.deepEqual(JSON.parse(JSON.stringify(parseJsonStrict(text))), JSON.parse(text.slice(1)));
  });
});
