// End-to-end: the editing language (issue 4) through the CLI on generated media whose content is
// known frame by frame: motion (boxes that move only in known intervals), black frames, subtitle
// cues (sidecar .srt/.vtt/.ass and embedded streams), actions (speed, varispeed, volume), ranges,
// --stats, and a 3-hour recording with speed changes.
//
// Where the semantics are exact, frames are asserted exactly. Audio is generated as PCM where a
// level must be sample-exact; tolerances are explained where they are used.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AudioReader } from '../../src/media/audio-reader.js';
import { generateMedia } from '../../src/media/generate.js';
import { clipBounds } from '../../src/timeline/clips.js';
import { runCli } from '../helpers/cli.js';
import { FRAME_NUMBER_FILTER, SHARED_MEDIA, frameLumas, frameNumberOf, measure, peakBetween, tempDir } from '../helpers/media.js';

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir('tacet-edit-language-')));
after(() => tmp.cleanup());

const path = (name: string) => join(tmp.dir, name);

interface V3Clip {
  src: string;
  start: number;
  dur: number;
  offset: number;
  stream: number;
  effects?: string[];
}
interface V3 {
  timebase: string;
  v: V3Clip[][];
  a: V3Clip[][];
}

/** The v3 timeline tacet makes for `args` (cache off). */
async function timelineOf(input: string, args: string[]): Promise<V3> {
  const r = await runCli([input, ...args, '--export', 'v3', '-o', '-', '--no-cache', '--progress', 'none']);
  assert.equal(r.code, 0, `tacet ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as V3;
}

/** The first layer's clips (video, else audio). */
function layer(tl: V3): V3Clip[] {
  return tl.v[0] ?? tl.a[0] ?? [];
}

/** Source frames [start, end) of every clip of a timeline without speed changes. */
async function keptRuns(input: string, args: string[]): Promise<Array<[number, number]>> {
  const clips = layer(await timelineOf(input, args));
  for (const c of clips) assert.ok(!c.effects?.some((e) => e.startsWith('speed') || e.startsWith('varispeed')), JSON.stringify(c));
  return clips.map((c) => [c.offset, c.offset + c.dur]);
}

/** `[offset, dur, effects]` of every clip: the whole edit, speed changes included. */
async function clipsOf(input: string, args: string[]): Promise<Array<[number, number, string[]]>> {
  return layer(await timelineOf(input, args)).map((c) => [c.offset, c.dur, c.effects ?? []]);
}

/** Runs that must come out as auto-editor's "Timeline is empty" error. */
async function assertEmpty(input: string, args: string[]): Promise<void> {
  const r = await runCli([input, ...args, '--export', 'v3', '-o', '-', '--no-cache', '--progress', 'none']);
  assert.equal(r.code, 1, `expected failure, got ${r.stdout}`);
  assert.match(r.stderr, /Timeline is empty/);
  assert.equal(r.stdout, '');
}

/** Expected timeline length of source runs [start, end, speed] under clipBounds' rules. */
function expectedFrames(runs: Array<[number, number, number]>): number {
  let total = 0;
  for (const [s, e, speed] of runs) total += clipBounds(s, e, speed)?.dur ?? 0;
  return total;
}

/** Expected clips [offset, dur, speed] of source runs under clipBounds' rules (vanishing runs left out). */
function expectedClips(runs: Array<[number, number, number]>): Array<[number, number, number]> {
  const out: Array<[number, number, number]> = [];
  for (const [s, e, speed] of runs) {
    const b = clipBounds(s, e, speed);
    if (b) out.push([b.offset, b.dur, speed]);
  }
  return out;
}

/** The source frame DESIGN.md's formula shows at output frame n of a clip (source fps = tb here). */
function sourceFrames(clips: Array<[number, number, number]>): number[] {
  return clips.flatMap(([offset, dur, speed]) => Array.from({ length: dur }, (_, k) => Math.round((offset + k) * speed)));
}

/** Renders `input` with `args` and measures the result. */
async function render(input: string, out: string, args: string[]) {
  const r = await runCli([input, ...args, '-o', out, '--no-cache', '--progress', 'none']);
  assert.equal(r.code, 0, r.stderr);
  return measure(out);
}

/** The frame number painted into every decoded frame of `file` (mod 64), and the end of the last frame in seconds. */
async function frameNumbers(file: string, fps: number): Promise<{ shown: number[]; end: number }> {
  const frames = await frameLumas(file);
  const end = frames.reduce((m, f) => Math.max(m, (f.seconds ?? 0) + 1 / fps), 0);
  return { shown: frames.map((f) => frameNumberOf(f.luma)), end };
}

/**
 * Audio stream `nth` of `file` inside [from, to) seconds: its peak, its frequency (rising zero
 * crossings per second of the first channel: a tone's pitch) and the stream's total sample count.
 */
async function audioBetween(file: string, from: number, to: number, nth = 0): Promise<{ peak: number; freq: number; samples: number }> {
  const reader = await AudioReader.open(file, nth, { format: 'flt', chunkSamples: 8192 });
  let crossings = 0;
  let prev = 0;
  let peak = 0;
  let samples = 0;
  try {
    const a = Math.floor(from * reader.sampleRate);
    const b = Math.floor(to * reader.sampleRate);
    for (let c = reader.read(); c; c = reader.read()) {
      samples += c.samples;
      for (let i = 0; i < c.samples; i++) {
        const p = c.position + i;
        if (p < a || p >= b) continue;
        for (let k = 0; k < c.channels; k++) peak = Math.max(peak, Math.abs(c.data[i * c.channels + k]));
        const v = c.data[i * c.channels];
        if (p > a && prev < 0 && v >= 0) crossings++;
        prev = v;
      }
    }
    return { peak, freq: crossings / (to - from), samples };
  } finally {
    reader.close();
  }
}

const FPS30 = { num: 30, den: 1 };
/** Default margin 0.2 s at 30 fps. */
const M = 6;

// ---------------------------------------------------------------------------------------------
// Motion.

describe('motion', () => {
  // 160x120 gray, 6 s at 30 fps, no audio. A 60x60 box moves 100 px/s during T in [1, 2] and a
  // 10x10 box near the top moves 120 px/s during T in [4, 5]; nothing else changes. A box appears
  // at frame 30 (T = 1.0) and is gone at frame 61, so frames 30..61 differ from their predecessor:
  // [30, 62); likewise [120, 152) for the small box. Measured levels (width 400, blur 9): big box
  // 0.17–0.31, small box 0.039–0.047, elsewhere exactly 0; at width 100 the small box is 0.11–0.16.
  const input = () => path('motion.mp4');
  const lum =
    'if(between(T\\,1\\,2)*lt(abs(X-30-(T-1)*100)\\,30)*lt(abs(Y-60)\\,30)' +
    '+between(T\\,4\\,5)*lt(abs(X-20-(T-4)*120)\\,5)*lt(abs(Y-30)\\,5)\\,235\\,100)';
  before(async () => {
    await generateMedia(input(), {
      duration: 6,
      video: { width: 160, height: 120, rate: FPS30, source: 'color=c=gray', filters: `geq=lum='${lum}':cb=128:cr=128` },
    });
  });

  test('keeps exactly the moving frames (margin 0), then with the default margin', async () => {
    assert.deepEqual(await keptRuns(input(), ['--edit', 'motion', '-m', '0']), [
      [30, 62],
      [120, 152],
    ]);
    assert.deepEqual(await keptRuns(input(), ['--edit', 'motion']), [
      [30 - M, 62 + M],
      [120 - M, 152 + M],
    ]);
  });

  test('threshold= (and positionally) drops the small box', async () => {
    assert.deepEqual(await keptRuns(input(), ['--edit', 'motion:threshold=0.07']), [[30 - M, 62 + M]]);
    assert.deepEqual(await keptRuns(input(), ['--edit', 'motion:7%']), [[30 - M, 62 + M]]);
  });

  test('width= changes the scale the frames are compared at', async () => {
    // At width 100 the blurred small box changes a larger share of the (smaller) picture.
    assert.deepEqual(await keptRuns(input(), ['--edit', 'motion:threshold=0.07,width=100']), [
      [30 - M, 62 + M],
      [120 - M, 152 + M],
    ]);
  });

  test('blur= changes the blur (blur=0: the small box changes under 2% of the pixels)', async () => {
    assert.deepEqual(await keptRuns(input(), ['--edit', 'motion:blur=0']), [[30 - M, 62 + M]]);
  });

  test('a region keeps only what moves inside it', async () => {
    // The top quarter holds part of the small box and none of the big one.
    assert.deepEqual(await keptRuns(input(), ['--edit', 'motion:x=0,y=0,w=1,h=0.25']), [[120 - M, 152 + M]]);
  });

  test('a region where nothing moves keeps nothing: the empty-timeline error', async () => {
    await assertEmpty(input(), ['--edit', 'motion:x=0,y=0.8,w=1,h=0.2']);
  });

  test('a region is cut in pixels the way auto-editor computes them (float32)', async () => {
    // 160x180, lossless; rows 102..103 are bright on the even frames 30, 32, …, 60 (T in [1, 2]),
    // so frames 30..61 change: [30, 62). h = 0.575 of 180 rows is 103.5 in auto-editor's float32
    // product: 104 rows, which hold the flashing rows. A double product gives 103.4999 → 103
    // rows, which FFmpeg's crop rounds down (chroma subsampling) to 102: nothing moves.
    const file = path('motion-rows.mp4');
    await generateMedia(file, {
      duration: 3,
      video: {
        width: 160,
        height: 180,
        rate: FPS30,
        source: 'color=c=gray',
        filters: "geq=lum='if(between(T\\,1\\,2)*between(Y\\,102\\,103)*(1-mod(N\\,2))\\,235\\,100)':cb=128:cr=128",
      },
      videoOptions: { preset: 'ultrafast', qp: '0' },
    });
    assert.deepEqual(await keptRuns(file, ['--edit', 'motion', '-m', '0']), [[30, 62]]);
    assert.deepEqual(await keptRuns(file, ['--edit', 'motion:y=0,h=0.575', '-m', '0']), [[30, 62]]);
    // 0.56 × 180 = 100.8 → 101 → 100 rows after chroma rounding: the flashing rows are outside.
    await assertEmpty(file, ['--edit', 'motion:y=0,h=0.56']);
  });

  test('the cache tells motion settings apart', async () => {
    // Same file, cache on: a cache keyed without width would replay width 400's levels.
    const cache = tempDir('tacet-edit-cache-');
    try {
      const env = { TACET_CACHE_DIR: cache.dir };
      const run = async (edit: string) => {
        const r = await runCli([input(), '--edit', edit, '--export', 'v3', '-o', '-', '--progress', 'none'], { env });
        assert.equal(r.code, 0, r.stderr);
        return layer(JSON.parse(r.stdout) as V3).map((c) => [c.offset, c.offset + c.dur]);
      };
      assert.deepEqual(await run('motion:threshold=0.07'), [[30 - M, 62 + M]]);
      assert.deepEqual(await run('motion:threshold=0.07,width=100'), [
        [30 - M, 62 + M],
        [120 - M, 152 + M],
      ]);
      assert.deepEqual(await run('motion:threshold=0.07'), [[30 - M, 62 + M]]);
      assert.ok(readdirSync(cache.dir).length > 0, 'the cache was not written');
    } finally {
      cache.cleanup();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Blackdetect.

describe('blackdetect', () => {
  // 160x120, 6 s at 30 fps, luma 200 except: T in [2, 3] luma 16 (frames 60..90, black); T in
  // [4, 4.5] the left half luma 16 (frames 120..135, 50% black); T in [5, 5.5] luma 40 (frames
  // 150..165). The measure sees `format=gray`, which expands limited range: luma 16 is 0 and
  // luma 40 is 28, black only when round(pixel-black × 255) ≥ 28 (the default limit is 26).
  const input = () => path('black.mp4');
  const lum = 'if(between(T\\,2\\,3)+between(T\\,4\\,4.5)*lt(X\\,80)\\,16\\,if(between(T\\,5\\,5.5)\\,40\\,200))';
  before(async () => {
    await generateMedia(input(), {
      duration: 6,
      video: { width: 160, height: 120, rate: FPS30, source: 'color=c=gray', filters: `geq=lum='${lum}':cb=128:cr=128` },
      audio: { sampleRate: 48000, layout: 'mono', bursts: [[0, 6]] },
    });
  });

  test('keeps the black frames (margin 0 and default)', async () => {
    assert.deepEqual(await keptRuns(input(), ['--edit', 'blackdetect', '-m', '0']), [[60, 91]]);
    assert.deepEqual(await keptRuns(input(), ['--edit', 'blackdetect']), [[60 - M, 91 + M]]);
  });

  test('(not blackdetect) cuts exactly the black frames', async () => {
    assert.deepEqual(await keptRuns(input(), ['--edit', '(not blackdetect)', '-m', '0']), [
      [0, 60],
      [91, 180],
    ]);
    // The prefix form too; with the default margin the kept parts grow into the black part.
    assert.deepEqual(await keptRuns(input(), ['--edit', 'not blackdetect']), [
      [0, 60 + M],
      [91 - M, 180],
    ]);
  });

  test('threshold= and pixel-black=', async () => {
    assert.deepEqual(await keptRuns(input(), ['--edit', 'blackdetect:threshold=0.4', '-m', '0']), [
      [60, 91],
      [120, 136],
    ]);
    assert.deepEqual(await keptRuns(input(), ['--edit', 'blackdetect:pixel-black=0.2', '-m', '0']), [
      [60, 91],
      [150, 166],
    ]);
  });

  test('pixel-black is rounded to a luma limit as auto-editor does (float32)', async () => {
    // Lossless H.264. The measure runs on `format=gray`, which expands limited-range luma to full
    // range: luma 170 becomes gray 179 (during T in [1, 2]), 171 becomes 180 (T in [3, 4]), 200
    // elsewhere is 215. With pixel-black 0.7 auto-editor's limit is round(float32(0.7 × 255)) =
    // round(178.5) = 179; a double product (178.4999…) would give 178 and find nothing.
    const file = path('black-179.mp4');
    await generateMedia(file, {
      duration: 5,
      video: {
        width: 64,
        height: 48,
        rate: FPS30,
        source: 'color=c=gray',
        filters: "geq=lum='if(between(T\\,1\\,2)\\,170\\,if(between(T\\,3\\,4)\\,171\\,200))':cb=128:cr=128",
      },
      videoOptions: { preset: 'ultrafast', qp: '0' },
    });
    assert.deepEqual(await keptRuns(file, ['--edit', 'blackdetect:pixel-black=0.7', '-m', '0']), [[30, 61]]);
    assert.deepEqual(await keptRuns(file, ['--edit', 'blackdetect:pixel-black=0.71', '-m', '0']), [
      [30, 61],
      [90, 121],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Subtitles.

const SRT = `1
00:00:01,000 --> 00:00:02,500
Hello world

2
00:00:03,250 --> 00:00:04,010
the cat sat

3
00:00:04,520 --> 00:00:05,340
Concatenate THIS
`;

// At 30 fps: cue 1 [30, 75), cue 2 [floor(97.5), ceil(120.3)) = [97, 121), cue 3 [floor(135.6),
// ceil(160.2)) = [135, 161).
const CUE1: [number, number] = [30, 75];
const CUE2: [number, number] = [97, 121];
const CUE3: [number, number] = [135, 161];

describe('subtitle', () => {
  const input = () => path('talk.mp4');
  before(async () => {
    await generateMedia(input(), { duration: 6, video: { width: 32, height: 32, rate: FPS30, source: 'color' } });
    writeFileSync(path('talk.srt'), SRT);
  });

  test('subtitle:pattern= keeps exactly the matching cues (regex, case-sensitive)', async () => {
    // "cat" is in cue 2 and inside "Concatenate" (cue 3).
    assert.deepEqual(await keptRuns(input(), ['--edit', 'subtitle:pattern=cat', '-m', '0']), [CUE2, CUE3]);
    // With the default margin cue 2 and cue 3 are 2 frames apart, which the default smoothing
    // (mincut 0.2 s) fills; the mask ends where the last cue ends (161), so the margin cannot
    // grow past it and the rest of the input (to 180) is cut.
    assert.deepEqual(await keptRuns(input(), ['--edit', 'subtitle:pattern=cat']), [[CUE2[0] - M, CUE3[1]]]);
    assert.deepEqual(await keptRuns(input(), ['--edit', 'word:cat']), [[CUE2[0] - M, CUE2[1] + M]]);
    assert.deepEqual(await keptRuns(input(), ['--edit', 'subtitle:pattern=Hello|sat', '-m', '0']), [CUE1, CUE2]);
  });

  test('case: subtitle is case-sensitive unless ignore-case=true; nothing matched is an empty timeline', async () => {
    await assertEmpty(input(), ['--edit', 'subtitle:pattern=this']);
    assert.deepEqual(await keptRuns(input(), ['--edit', 'subtitle:this,ignore-case=true', '-m', '0']), [CUE3]);
  });

  test('word: whole words only, case-insensitive by default', async () => {
    assert.deepEqual(await keptRuns(input(), ['--edit', 'word:cat', '-m', '0']), [CUE2]);
    assert.deepEqual(await keptRuns(input(), ['--edit', 'word:this', '-m', '0']), [CUE3]);
    assert.deepEqual(await keptRuns(input(), ['--edit', 'word:WORLD', '-m', '0']), [CUE1]);
    await assertEmpty(input(), ['--edit', 'word:this,ignore-case=false']);
  });

  test('regex: is subtitle under another name', async () => {
    assert.deepEqual(await keptRuns(input(), ['--edit', 'regex:pattern=^Hello', '-m', '0']), [CUE1]);
    // Brackets and commas are syntax in auto-editor's edit language: such a pattern is quoted.
    assert.deepEqual(await keptRuns(input(), ['--edit', 'regex:"^[a-z]"', '-m', '0']), [CUE2]);
  });

  test('combined with other methods: (or word:cat word:hello)', async () => {
    assert.deepEqual(await keptRuns(input(), ['--edit', '(or word:cat word:hello)', '-m', '0']), [CUE1, CUE2]);
  });

  test('.vtt and .ass sidecars', async () => {
    const vtt = path('lecture.mp4');
    const ass = path('show.mkv');
    await generateMedia(vtt, { duration: 6, video: { width: 32, height: 32, rate: FPS30, source: 'color' } });
    await generateMedia(ass, { duration: 6, video: { width: 32, height: 32, rate: FPS30, source: 'color' } });
    writeFileSync(
      path('lecture.vtt'),
      'WEBVTT\n\n00:01.000 --> 00:02.500\nHello world\n\nnote-2\n00:03.250 --> 00:04.010\nthe cat sat\n',
    );
    writeFileSync(
      path('show.ass'),
      [
        '[Script Info]',
        'ScriptType: v4.00+',
        '',
        '[Events]',
        'Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text',
        'Dialogue: 0,0:00:01.00,0:00:02.50,Default,,0,0,0,,Hello, world',
        'Dialogue: 0,0:00:03.25,0:00:04.01,Default,,0,0,0,,{\\i1}the cat{\\i0} sat',
        '',
      ].join('\n'),
    );
    assert.deepEqual(await keptRuns(vtt, ['--edit', 'word:cat', '-m', '0']), [CUE2]);
    assert.deepEqual(await keptRuns(ass, ['--edit', 'word:cat', '-m', '0']), [CUE2]);
    assert.deepEqual(await keptRuns(ass, ['--edit', 'subtitle:pattern="Hello, world"', '-m', '0']), [CUE1]);
  });

  test('cue times are computed as auto-editor computes a packet\'s (sidecar and embedded agree)', async () => {
    // At 25 fps a cue 2.280 → 4.360 s is [56, 109): 2.28 × 25 is 56.99999999999999 when 2.28 is
    // 2280 ms / 1000 (a packet's pts × time base), and the end is start + duration (2.28 + 2.08)
    // × 25 = 108.99999999999999. Adding whole seconds and the fraction (2 + 0.28) gives [57, 110).
    const cues = (name: string, srt: string, ass: string) => {
      writeFileSync(path(`${name}.srt`), srt);
      writeFileSync(path(`${name}.ass`), ass);
    };
    const file = path('timing25.mp4');
    await generateMedia(file, { duration: 6, video: { width: 32, height: 32, rate: { num: 25, den: 1 }, source: 'color' } });
    cues(
      'timing25',
      '1\n00:00:02,280 --> 00:00:04,360\nexactly here\n',
      '[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,0:00:02.28,0:00:04.36,Default,,0,0,0,,exactly here\n',
    );
    // Stream 0 is the .srt, stream 1 the .ass (sidecars are looked for in the order .srt .vtt .ass).
    assert.deepEqual(await keptRuns(file, ['--edit', 'word:here', '-m', '0']), [[56, 109]]);
    assert.deepEqual(await keptRuns(file, ['--edit', 'word:here,stream=1', '-m', '0']), [[56, 109]]);
    // The same cue muxed into Matroska (by the ffmpeg CLI, when present) is read as a packet.
    if (spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0) {
      const mkv = path('timing25-embedded.mkv');
      const r = spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', file, '-i', path('timing25.srt'), '-map', '0', '-map', '1', '-c', 'copy', mkv]);
      assert.equal(r.status, 0, String(r.stderr));
      assert.deepEqual(await keptRuns(mkv, ['--edit', 'word:here', '-m', '0']), [[56, 109]]);
    }
  });

  test('no subtitle stream and no sidecar: a clear error', async () => {
    const bare = path('bare.mp4');
    await generateMedia(bare, { duration: 2, video: { width: 32, height: 32, rate: FPS30, source: 'color' } });
    const r = await runCli([bare, '--edit', 'word:cat', '--export', 'v3', '-o', '-', '--no-cache']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /subtitle stream 0 not found/);
  });

  // Embedded text subtitle streams (auto-editor's test files): 20 fps; "oop" at 0.523–1.016 s →
  // [10, 21), "boop" at 1.523–1.916 s → [30, 39) (webvtt.mkv: 0.546–1.039, 1.546–1.939, the same
  // frames). The media length is round(1.927 × 20) = 39.
  for (const name of ['mov_text.mp4', 'webvtt.mkv']) {
    const file = join(SHARED_MEDIA, name);
    test(`embedded stream: ${name}`, { skip: existsSync(file) ? false : `${file} is absent` }, async () => {
      assert.deepEqual(await keptRuns(file, ['--edit', 'subtitle:pattern=oop', '-m', '0']), [
        [10, 21],
        [30, 39],
      ]);
      assert.deepEqual(await keptRuns(file, ['--edit', 'word:boop', '-m', '0']), [[30, 39]]);
      assert.deepEqual(await keptRuns(file, ['--edit', 'regex:^oop$', '-m', '0']), [[10, 21]]);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// Actions and ranges.

describe('actions', () => {
  // 6 s, 32x32 at 30 fps with the frame number painted in; mono 48 kHz PCM with 440 Hz bursts at
  // [1, 2) and [3.5, 4.5): PCM, so the loud frames are exactly [30, 60) and [105, 135), and with
  // the default margin the active runs are [24, 66) and [99, 141) of 180.
  const speech = () => path('speech.mkv');
  // 12 s, the same picture, stereo 48 kHz AAC with bursts at [1, 3) and [6, 7).
  const long = () => path('long.mp4');
  const ACTIVE: Array<[number, number]> = [
    [24, 66],
    [99, 141],
  ];
  before(async () => {
    await generateMedia(speech(), {
      duration: 6,
      video: { width: 32, height: 32, rate: FPS30, source: 'color', filters: FRAME_NUMBER_FILTER },
      audio: { sampleRate: 48000, layout: 'mono', bursts: [[1, 2], [3.5, 4.5]] },
      encoders: { audio: 'pcm_s16le' },
    });
    await generateMedia(long(), {
      duration: 12,
      video: { width: 32, height: 32, rate: FPS30, source: 'color', filters: FRAME_NUMBER_FILTER },
      audio: { sampleRate: 48000, layout: 'stereo', bursts: [[1, 3], [6, 7]] },
    });
  });

  test('the bursts are found exactly (the base of the tests below)', async () => {
    assert.deepEqual(await keptRuns(speech(), []), ACTIVE);
  });

  for (const action of ['speed', 'varispeed'] as const) {
    test(`--when-inactive ${action}:2: silent parts at double speed, duration by clipBounds, A/V end together`, async () => {
      const runs: Array<[number, number, number]> = [
        [0, 24, 2],
        [24, 66, 1],
        [66, 99, 2],
        [99, 141, 1],
        [141, 180, 2],
      ];
      const want = expectedClips(runs);
      const total = expectedFrames(runs);
      assert.equal(total, 12 + 42 + 17 + 42 + 19);
      const clips = await clipsOf(speech(), ['--when-inactive', `${action}:2`]);
      assert.deepEqual(
        clips.map(([o, d, e]) => [o, d, e.some((x) => x.startsWith(action)) ? 2 : 1]),
        want,
      );
      const out = path(`speech-${action}.mkv`);
      const m = await render(speech(), out, ['--when-inactive', `${action}:2`]);
      const seconds = total / 30;
      assert.equal(m.videoFrames, total);
      assert.ok(Math.abs(m.videoEnd - seconds) <= 1 / 30, `video ends at ${m.videoEnd}, want ${seconds}`);
      assert.ok(Math.abs(m.audioSeconds - seconds) <= 1 / 30, `audio ends at ${m.audioSeconds}, want ${seconds}`);
      // Every output frame is the source frame round((offset + k) × speed).
      const shown = (await frameNumbers(out, 30)).shown;
      assert.deepEqual(shown, sourceFrames(want).map((f) => f % 64));
    });
  }

  test('the old --silent-speed maps onto --when-inactive', async () => {
    assert.deepEqual(await clipsOf(speech(), ['--silent-speed', '2']), await clipsOf(speech(), ['--when-inactive', 'speed:2']));
  });

  test('speed keeps the pitch, varispeed lets it follow', async () => {
    // --edit none, source [1 s, 3 s) (a steady 440 Hz burst) at twice the speed: output [1 s, 2 s).
    const at = async (action: string) => {
      const out = path(`pitch-${action.replace(':', '')}.mp4`);
      const m = await render(long(), out, ['--edit', 'none', '--set-action', `${action},1s,3s`]);
      assert.equal(m.videoFrames, 360 - 30);
      assert.ok(Math.abs(m.audioSeconds - 11) <= 1 / 30, `audio ${m.audioSeconds}`);
      // Inner 0.8 s of the changed part, away from the 3 ms fades and the encoder's edges.
      return (await audioBetween(out, 1.1, 1.9)).freq;
    };
    // Zero crossings over 0.8 s count ±1 cycle: ±1.25 Hz, well inside ±10 Hz.
    const speed = await at('speed:2');
    assert.ok(Math.abs(speed - 440) < 10, `speed:2 plays ${speed} Hz, want 440`);
    const vari = await at('varispeed:2');
    assert.ok(Math.abs(vari - 880) < 10, `varispeed:2 plays ${vari} Hz, want 880`);
  });

  test('speed-changed audio stays in place: a burst inside a 2x range comes out where its frames do', async () => {
    // --edit none; source [4 s, 8 s) (frames [120, 240)) at 2x becomes output [4 s, 6 s); the burst
    // at source [6 s, 7 s) must sound at output [5 s, 5.5 s), where the picture shows source
    // frames 180..210, and nowhere else in that range.
    const want = expectedClips([
      [0, 120, 1],
      [120, 240, 2],
      [240, 360, 1],
    ]);
    for (const action of ['speed:2', 'varispeed:2']) {
      const out = path(`sync-${action.replace(':', '')}.mp4`);
      const m = await render(long(), out, ['--edit', 'none', '--set-action', `${action},4s,8s`]);
      assert.equal(m.videoFrames, 360 - 60);
      assert.deepEqual((await frameNumbers(out, 30)).shown, sourceFrames(want).map((f) => f % 64));
      const quiet = 0.01; // the hiss floor is 0.0005; AAC leaves it far below this
      // 30 ms guard bands around each edge: the AAC encoder and atempo's window smear an edge
      // by a few milliseconds, never by 30.
      assert.ok((await audioBetween(out, 4.03, 4.97)).peak < quiet, `${action}: sound before the burst`);
      assert.ok((await audioBetween(out, 5.03, 5.47)).peak > 0.4, `${action}: the burst is missing`);
      assert.ok((await audioBetween(out, 5.53, 5.97)).peak < quiet, `${action}: sound after the burst`);
    }
  });

  test('two audio streams: each is analysed on its own and rendered with the same clips', async () => {
    // Stream 0 has a burst at [1, 2), stream 1 at [3.5, 4.5) (mono 48 kHz PCM).
    const file = path('two-streams.mkv');
    await generateMedia(file, {
      duration: 6,
      video: { width: 32, height: 32, rate: FPS30, source: 'color', filters: FRAME_NUMBER_FILTER },
      audio: { sampleRate: 48000, layout: 'mono', bursts: [[1, 2]], lang: 'eng' },
      moreAudio: [{ sampleRate: 48000, layout: 'mono', bursts: [[3.5, 4.5]], lang: 'fra' }],
      encoders: { audio: 'pcm_s16le' },
    });
    assert.deepEqual(await keptRuns(file, ['--edit', 'audio:stream=0']), [ACTIVE[0]]);
    assert.deepEqual(await keptRuns(file, ['--edit', 'audio:stream=1']), [ACTIVE[1]]);
    assert.deepEqual(await keptRuns(file, ['--edit', 'audio']), ACTIVE);
    const tl = await timelineOf(file, ['--when-inactive', 'speed:2']);
    assert.equal(tl.a.length, 2);
    assert.deepEqual(tl.a[1], tl.a[0].map((c) => ({ ...c, stream: 1 })));

    const out = path('two-streams-out.mkv');
    const m = await render(file, out, ['--when-inactive', 'speed:2']);
    const total = 132; // as in the single-stream case above
    assert.equal(m.videoFrames, total);
    // Output: [0, 12) 2x, [12, 54) = source [24, 66), [54, 71) 2x, [71, 113) = source [99, 141), …
    const s0 = await audioBetween(out, 0, total / 30, 0);
    const s1 = await audioBetween(out, 0, total / 30, 1);
    assert.equal(s0.samples, total * 1600);
    assert.equal(s1.samples, total * 1600);
    // Stream 0's burst (source frames 30..60) is at output frames 18..48; stream 1's (105..135)
    // at 77..107. Each stream is silent where the other sounds.
    assert.ok((await audioBetween(out, 19 / 30, 47 / 30, 0)).peak > 0.4);
    assert.ok((await audioBetween(out, 19 / 30, 47 / 30, 1)).peak < 0.01);
    assert.ok((await audioBetween(out, 78 / 30, 106 / 30, 1)).peak > 0.4);
    assert.ok((await audioBetween(out, 78 / 30, 106 / 30, 0)).peak < 0.01);
  });

  test('--when-active volume:0.5 lowers the peak by 6 dB', async () => {
    // PCM (speech.mkv, exact) and AAC (long.mp4, lossy: within 0.5 dB).
    for (const [input, ext] of [
      [speech(), '.mkv'],
      [long(), '.mp4'],
    ] as const) {
      const plain = path(`vol-plain${ext}`);
      const half = path(`vol-half${ext}`);
      const a = await render(input, plain, []);
      const b = await render(input, half, ['--when-active', 'volume:0.5']);
      assert.equal(a.videoFrames, b.videoFrames);
      const p0 = await peakBetween(plain, 0, a.audioSeconds);
      const p1 = await peakBetween(half, 0, b.audioSeconds);
      const db = 20 * Math.log10(p1 / p0);
      assert.ok(Math.abs(db - 20 * Math.log10(0.5)) <= 0.5, `${input}: peak ${p0} → ${p1} (${db.toFixed(2)} dB)`);
    }
  });

  test('--edit none --cut 2sec,10sec removes exactly 8 s', async () => {
    assert.deepEqual(await keptRuns(long(), ['--edit', 'none', '--cut', '2sec,10sec']), [
      [0, 60],
      [300, 360],
    ]);
    const out = path('cut-8s.mp4');
    const m = await render(long(), out, ['--edit', 'none', '--cut', '2sec,10sec']);
    assert.equal(m.videoFrames, 360 - 240);
    // AAC: the encoder's last frame may be padded, never by a whole video frame.
    assert.ok(Math.abs(m.audioSeconds - 4) <= 1 / 30, `audio ${m.audioSeconds}`);
    const shown = (await frameNumbers(out, 30)).shown;
    const want = [...Array.from({ length: 60 }, (_, i) => i), ...Array.from({ length: 60 }, (_, i) => 300 + i)];
    assert.deepEqual(shown, want.map((f) => f % 64));
  });

  test('--set-speed 200%,1s,3s', async () => {
    const runs: Array<[number, number, number]> = [
      [0, 30, 1],
      [30, 90, 2],
      [90, 360, 1],
    ];
    const clips = await clipsOf(long(), ['--edit', 'none', '--set-speed', '200%,1s,3s']);
    assert.deepEqual(
      clips.map(([o, d, e]) => [o, d, e.includes('speed:2.0') ? 2 : 1]),
      expectedClips(runs),
    );
    const out = path('set-speed.mp4');
    const m = await render(long(), out, ['--edit', 'none', '--set-speed', '200%,1s,3s']);
    const total = expectedFrames(runs);
    assert.equal(total, 330);
    assert.equal(m.videoFrames, total);
    assert.ok(Math.abs(m.audioSeconds - total / 30) <= 1 / 30, `audio ${m.audioSeconds}`);
    const shown = (await frameNumbers(out, 30)).shown;
    assert.deepEqual(shown, sourceFrames(expectedClips(runs)).map((f) => f % 64));
  });

  test('ranges from the end: -5secs,end', async () => {
    // len = 360: -5secs is frame 210.
    assert.deepEqual(await keptRuns(long(), ['--edit', 'none', '--cut', '-5secs,end']), [[0, 210]]);
    // --edit all cuts everything; a keep range extends the (empty) labels up to the media length.
    assert.deepEqual(await keptRuns(long(), ['--edit', 'all', '--keep', '-5secs,end']), [[210, 360]]);
    // Later ranges win where they overlap.
    assert.deepEqual(await clipsOf(long(), ['--edit', 'none', '--set-speed', '2,-5secs,end', '--cut', '-2secs,end']), [
      [0, 210, []],
      [105, 45, ['speed:2.0']],
    ]);
  });

  test('label classes: --edit:2 with its own --when:2 action', async () => {
    // Label 1 = the loud frames, label 2 = the silent ones: every frame is active (so the margin
    // changes nothing) and label 2 plays at 3x; the runs are the exact burst edges.
    const runs: Array<[number, number, number]> = [
      [0, 30, 3],
      [30, 60, 1],
      [60, 105, 3],
      [105, 135, 1],
      [135, 180, 3],
    ];
    const clips = await clipsOf(speech(), ['--edit', 'audio', '--edit:2', '(not audio)', '--when:2', 'speed:3']);
    assert.deepEqual(
      clips.map(([o, d, e]) => [o, d, e.includes('speed:3.0') ? 3 : 1]),
      expectedClips(runs),
    );
  });

  test('--stats prints auto-editor\'s block and writes nothing', async () => {
    const before = readdirSync(tmp.dir).sort();
    const r = await runCli([long(), '--edit', 'none', '--cut', '2sec,10sec', '--stats', '--no-cache']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        '',
        'length:',
        ' - input:     0:00:12.00  (360)  100.0% ',
        ' - output:    0:00:04.00  (120)  33.33% ',
        ' - diff:     -0:00:08.00  (-240) -66.67%',
        'clips:',
        ' - amount:    2',
        ' - smallest:  0:00:02.00  (60)  ',
        ' - largest:   0:00:02.00  (60)  ',
        ' - median:    0:00:02.00  (60.00)',
        ' - average:   0:00:02.00  (60.00)',
        'cuts:',
        ' - amount:    1',
        ' - smallest:  0:00:08.00  (240) ',
        ' - largest:   0:00:08.00  (240) ',
        '',
        '',
      ].join('\n'),
    );
    assert.deepEqual(readdirSync(tmp.dir).sort(), before);
    assert.equal(existsSync(path('long_ALTERED.mp4')), false);
  });
});

// ---------------------------------------------------------------------------------------------
// A 3-hour recording with speed changes.

describe('3-hour recording', () => {
  // Kept cheap: 16x16 H.264 at 5 fps (tb 5/1: 54,000 frames, the frame number painted in), mono
  // 8 kHz PCM in Matroska (no audio encoding) from a lavfi graph: a 440 Hz tone during the first
  // 8 s of every 20 s, digital silence otherwise, switched on 1600-sample (0.2 s = one frame)
  // boundaries so that the levels are exact. The default margin 0.2 s is one frame here.
  const input = () => path('three-hours.mkv');
  const SECONDS = 3 * 3600;
  const FPS = 5;
  before(async () => {
    await generateMedia(input(), {
      duration: SECONDS,
      video: { width: 16, height: 16, rate: { num: FPS, den: 1 }, source: 'color', filters: FRAME_NUMBER_FILTER },
      audio: {
        sampleRate: 8000,
        layout: 'mono',
        graph: `sine=frequency=440:sample_rate=8000:samples_per_frame=${8000 / FPS}:duration=${SECONDS},volume='if(lt(mod(t\\,20)\\,8)\\,0.5\\,0)':eval=frame`,
      },
      encoders: { audio: 'pcm_s16le' },
    });
  });

  test('silent parts at 2x and an hour-long varispeed range: A/V end within one frame of the timeline', async () => {
    const len = SECONDS * FPS;
    const period = 20 * FPS;
    const loud = 8 * FPS;
    const [v0, v1] = [60 * 60 * FPS, 90 * 60 * FPS]; // --set-action varispeed:1.5,60min,90min
    // Loud [k·period, k·period + loud) widened by the 1-frame margin: speed 1; the rest 2x; the
    // range is one varispeed run on top.
    const speed = new Float64Array(len).fill(2);
    for (let k = 0; k * period < len; k++) speed.fill(1, Math.max(0, k * period - 1), Math.min(len, k * period + loud + 1));
    speed.fill(1.5, v0, v1);
    const runs: Array<[number, number, number]> = [];
    for (let s = 0, i = 1; i <= len; i++) {
      if (i < len && speed[i] === speed[s] && i !== v0 && i !== v1) continue;
      runs.push([s, i, speed[s]]);
      s = i;
    }
    const total = expectedFrames(runs);
    const out = path('three-hours-out.mkv');
    const t0 = performance.now();
    const r = await runCli([input(), '--when-inactive', 'speed:2', '--set-action', 'varispeed:1.5,60min,90min', '-o', out, '--no-cache', '--progress', 'none']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`kept ${total} of ${len} frames`));
    const renderSeconds = (performance.now() - t0) / 1000;

    // One pass over the output's video (frame numbers and end) and one over its audio (samples).
    const { shown, end: videoEnd } = await frameNumbers(out, FPS);
    const { samples } = await audioBetween(out, 0, 0);
    const seconds = total / FPS;
    assert.equal(shown.length, total);
    assert.ok(Math.abs(videoEnd - seconds) <= 1 / FPS, `video ends at ${videoEnd}, want ${seconds}`);
    assert.ok(Math.abs(samples / 8000 - seconds) <= 1 / FPS, `audio ends at ${samples / 8000}, want ${seconds}`);
    // No drift over three hours: every output frame is still the source frame the formula names.
    const want = sourceFrames(expectedClips(runs)).map((f) => f % 64);
    const firstWrong = shown.findIndex((f, i) => f !== want[i]);
    assert.equal(firstWrong, -1, `output frame ${firstWrong} shows ${shown[firstWrong]}, want ${want[firstWrong]}`);
    process.stderr.write(`# 3-hour render: ${renderSeconds.toFixed(1)} s, ${total} frames\n`);
  });
});
