// The subcommands as users run them: info, levels, subdump, desc, cache, completion, each --help.
// Expected values come from the generated media (what was encoded), never from ffprobe.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { cacheKey, writeCachedLevels } from '../../src/analyze/cache.js';
import { toUnorm16 } from '../../src/analyze/unorm16.js';
import { generateMedia } from '../../src/media/generate.js';
import { CLI, runCli } from '../helpers/cli.js';
import { SHARED_MEDIA, hasSharedMedia, tempDir } from '../helpers/media.js';

let tmp: ReturnType<typeof tempDir>;
let tone: string; // 4 s mono 48 kHz: silence, a 0.5-amplitude tone from 1 s to 2 s, silence
let clip: string; // 2 s H.264 160x120 at 25 fps + AAC stereo 44.1 kHz
let ntsc: string; // 1 s H.264 at 30000/1001, no audio
let cacheEnv: Record<string, string>;

before(async () => {
  tmp = tempDir('tacet-subcommands-');
  cacheEnv = { TACET_CACHE_DIR: join(tmp.dir, 'cache') };
  tone = join(tmp.dir, 'tone.wav');
  clip = join(tmp.dir, 'clip.mp4');
  ntsc = join(tmp.dir, 'ntsc.mp4');
  await generateMedia(tone, { duration: 4, audio: { sampleRate: 48000, layout: 'mono', bursts: [[1, 2]] } });
  await generateMedia(clip, {
    duration: 2,
    video: { width: 160, height: 120, rate: { num: 25, den: 1 } },
    audio: { sampleRate: 44100, layout: 'stereo', bursts: [[0.5, 1.5]] },
  });
  await generateMedia(ntsc, { duration: 1, video: { width: 64, height: 48, rate: { num: 30000, den: 1001 } } });
});
after(() => tmp.cleanup());

/** The values between `@start` and the closing blank line. */
function levelValues(stdout: string): string[] {
  assert.ok(stdout.startsWith('\n@start\n'), `levels output starts with a blank line and @start: ${JSON.stringify(stdout.slice(0, 20))}`);
  assert.ok(stdout.endsWith('\n\n'), 'levels output ends with a blank line');
  return stdout.slice('\n@start\n'.length, -2).split('\n');
}

test('info: the text layout lists the streams of generated media', async () => {
  const r = await runCli(['info', clip]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.equal(lines[0], `${clip}:`);
  assert.equal(lines[1], ' - recommendedTimebase: 25/1');
  for (const expected of [
    ' - video:',
    '     - codec: h264',
    '     - fps: 25',
    '     - resolution: 160x120',
    '     - aspect ratio: 4:3',
    '     - pixel aspect ratio: 1:1',
    '     - pix fmt: yuv420p',
    ' - audio:',
    '     - codec: aac',
    '     - layout: stereo',
    '     - samplerate: 44100',
    ' - container:',
  ]) {
    assert.ok(lines.includes(expected), `missing line ${JSON.stringify(expected)} in:\n${r.stdout}`);
  }
  assert.ok(r.stdout.endsWith('\n\n'));
});

test('info --json: known values, several files, and an unreadable file marked invalid with exit code 1', async () => {
  const garbage = join(tmp.dir, 'garbage.mp4');
  writeFileSync(garbage, Buffer.alloc(3000, 7));
  const r = await runCli(['info', '--json', clip, tone, ntsc, garbage]);
  assert.equal(r.code, 1, 'an unreadable file makes the exit code 1');
  assert.match(r.stderr, /^tacet: error: could not open .*garbage\.mp4/);
  const json = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(json), [clip, tone, ntsc, garbage]);
  const c = json[clip];
  assert.equal(c.type, 'media');
  assert.equal(c.recommendedTimebase, '25/1');
  assert.equal(c.video.length, 1);
  assert.deepEqual(
    { codec: c.video[0].codec, fps: c.video[0].fps, resolution: c.video[0].resolution, aspect: c.video[0].aspect_ratio, sar: c.video[0].pixel_aspect_ratio, pix: c.video[0].pix_fmt, lang: c.video[0].lang },
    { codec: 'h264', fps: '25', resolution: [160, 120], aspect: [4, 3], sar: '1:1', pix: 'yuv420p', lang: 'und' },
  );
  for (const field of ['color_range', 'color_space', 'color_primaries', 'color_transfer', 'bitrate', 'duration']) {
    assert.equal(typeof c.video[0][field], 'number', field);
  }
  assert.match(c.video[0].timebase, /^1\/\d+$/);
  assert.ok(Math.abs(c.video[0].duration - 2) < 0.1, `video duration ${c.video[0].duration}`);
  assert.deepEqual({ codec: c.audio[0].codec, layout: c.audio[0].layout, rate: c.audio[0].samplerate }, { codec: 'aac', layout: 'stereo', rate: 44100 });
  assert.ok(Math.abs(c.container.duration - 2) < 0.1, `container duration ${c.container.duration}`);
  assert.ok(c.container.bitrate > 0);
  assert.deepEqual(c.subtitle, []);

  const t = json[tone];
  assert.equal(t.recommendedTimebase, '30/1', 'no video: 30/1');
  assert.deepEqual(t.video, []);
  assert.deepEqual({ codec: t.audio[0].codec, rate: t.audio[0].samplerate }, { codec: 'pcm_s16le', rate: 48000 });
  // A plain WAV carries no channel mask, so FFmpeg (and auto-editor) describe the layout by count.
  assert.match(t.audio[0].layout, /^(mono|1 channels)$/);
  assert.ok(Math.abs(t.container.duration - 4) < 0.01);

  assert.equal(json[ntsc].recommendedTimebase, '30000/1001');
  assert.equal(json[ntsc].video[0].fps, '30000/1001');
  assert.deepEqual(json[garbage], { type: 'invalid' });
});

test('info: a missing file says so; the text form marks it Invalid', async () => {
  const r = await runCli(['info', join(tmp.dir, 'nope.mp4'), tone]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /input file not found: .*nope\.mp4/);
  assert.match(r.stdout, /nope\.mp4:\n - Invalid\n\n/);
  assert.match(r.stdout, /tone\.wav:\n - recommendedTimebase: 30\/1/);
});

test('levels: one value per frame at 30/1, loud where the tone is, as float and as d16', async () => {
  const f = await runCli(['levels', tone, '--no-cache']);
  assert.equal(f.code, 0, f.stderr);
  const floats = levelValues(f.stdout);
  assert.equal(floats.length, 120, '4 s at the default 30/1');
  const d = await runCli(['levels', tone, '--no-cache', '--display', 'd16']);
  assert.equal(d.code, 0, d.stderr);
  const ints = levelValues(d.stdout).map(Number);
  assert.equal(ints.length, 120);
  for (let i = 0; i < 120; i++) {
    assert.match(floats[i], /^(0|1)\.\d+$/);
    assert.equal(toUnorm16(Number(floats[i])), ints[i], `frame ${i}: ${floats[i]} must stand for ${ints[i]}`);
  }
  // The floor is a 0.0005 sine; the tone is 0.5 on top of it, so it peaks just under 0.5005.
  for (let i = 0; i < 29; i++) assert.ok(ints[i] < 100, `frame ${i} is quiet: ${ints[i]}`);
  for (let i = 31; i < 59; i++) assert.ok(ints[i] > toUnorm16(0.49) && ints[i] <= toUnorm16(0.5006), `frame ${i} is loud: ${ints[i]}`);
  for (let i = 61; i < 120; i++) assert.ok(ints[i] < 100, `frame ${i} is quiet: ${ints[i]}`);

  const tb = await runCli(['levels', tone, '--no-cache', '-tb', '25']);
  assert.equal(levelValues(tb.stdout).length, 100, '4 s at 25/1');
});

test('levels: motion and subtitle methods, and errors', async () => {
  const motion = await runCli(['levels', clip, '--edit', 'motion', '--no-cache']);
  assert.equal(motion.code, 0, motion.stderr);
  const values = levelValues(motion.stdout);
  assert.equal(values.length, 60, '2 s of 25 fps video placed on a 30/1 grid');
  assert.equal(values[0], '0.0', 'the first frame has nothing to differ from');
  assert.ok(values.slice(1).some((v) => Number(v) > 0), 'testsrc2 moves');

  const cases: Array<[string[], RegExp]> = [
    [['levels', ntsc], /needs an audio stream/],
    [['levels', tone, '--edit', 'motion'], /needs a video stream/],
    [['levels', clip, '--edit', 'audio:stream=4'], /audio stream 4 does not exist/],
    [['levels', clip, '--edit', 'motion:stream=1'], /video stream 1 does not exist/],
    [['levels', tone, '--edit', '(or audio motion)'], /one method/],
    [['levels', tone, '-tb', 'fast'], /Invalid frame rate "fast"/],
    [['levels', tone, '--display', 'hex'], /not a choice for --display/],
    [['levels'], /needs a FILE/],
    [['levels', join(tmp.dir, 'missing.wav')], /not found/],
  ];
  for (const [args, pattern] of cases) {
    const r = await runCli([...args, '--no-cache']);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
    assert.equal(r.stdout, '', 'nothing on stdout when refusing');
  }
});

test('levels: a 6-hour analysis is printed whole, even through | tail', async () => {
  // 6 hours at 30/1 from the cache, so the test exercises printing, not decoding.
  const frames = 6 * 3600 * 30;
  const levels = new Uint16Array(frames);
  for (let i = 0; i < frames; i++) levels[i] = (i * 7) % 65536;
  levels[frames - 1] = 65535;
  const previous = process.env.TACET_CACHE_DIR;
  process.env.TACET_CACHE_DIR = cacheEnv.TACET_CACHE_DIR;
  try {
    writeCachedLevels(cacheKey(tone, { method: 'audio', stream: 0, channel: null, tb: '30/1' }), levels, 6 * 3600);
  } finally {
    if (previous === undefined) delete process.env.TACET_CACHE_DIR;
    else process.env.TACET_CACHE_DIR = previous;
  }
  const piped = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" levels "${tone}" | tail -n 3`], {
    env: { ...process.env, ...cacheEnv },
    encoding: 'utf8',
  });
  assert.equal(piped.status, 0, piped.stderr);
  const tail = piped.stdout.split('\n');
  assert.equal(tail[1], '1.0', `the last value arrives: ${JSON.stringify(piped.stdout)}`);
  assert.equal(tail[2], '', 'then the closing blank line');

  const counted = await runCli(['levels', tone, '--display', 'd16'], { env: cacheEnv });
  assert.equal(counted.code, 0, counted.stderr);
  const values = levelValues(counted.stdout);
  assert.equal(values.length, frames);
  assert.equal(values[12345], String((12345 * 7) % 65536));
});

test('cache: shows the folder and entries, and clean empties it', async () => {
  const env = { TACET_CACHE_DIR: join(tmp.dir, 'cache2') };
  const empty = await runCli(['cache'], { env });
  assert.equal(empty.code, 0, empty.stderr);
  assert.match(empty.stdout, new RegExp(`^cache folder: ${env.TACET_CACHE_DIR}\nEmpty cache\n$`));
  assert.equal((await runCli(['levels', tone], { env })).code, 0);
  const full = await runCli(['cache'], { env });
  assert.match(full.stdout, /\nentry: [0-9a-f]{32}  size: \d+(\.\d\d KiB| B)\n/);
  assert.match(full.stdout, /\ntotal cache size: .+ \(1 entry\)\n$/);
  const clean = await runCli(['cache', 'clean'], { env });
  assert.equal(clean.code, 0, clean.stderr);
  assert.equal(clean.stdout, `removed 1 cache entry from ${env.TACET_CACHE_DIR}\n`);
  assert.match((await runCli(['cache'], { env })).stdout, /Empty cache/);
  const bad = await runCli(['cache', 'purge'], { env });
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /takes only "clean"/);
});

test('desc: no description; and a description when ffmpeg can write one', async (t) => {
  const r = await runCli(['desc', tone]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '\nNo description.\n\n');
  const described = join(tmp.dir, 'described.mka');
  const ff = spawnSync('ffmpeg', ['-v', 'error', '-y', '-i', tone, '-c', 'copy', '-metadata', 'description=A talk about silence', described]);
  if (ff.status !== 0 || !existsSync(described)) {
    t.diagnostic('ffmpeg not available: the positive case is not checked');
    return;
  }
  const d = await runCli(['desc', described]);
  assert.equal(d.stdout, '\nA talk about silence\n\n');
});

test('subdump: the text of each subtitle stream', { skip: !hasSharedMedia && 'shared media absent' }, async () => {
  const mp4 = join(SHARED_MEDIA, 'mov_text.mp4');
  const r = await runCli(['subdump', mp4, tone]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `file: ${mp4} (0:mov_text)\noop\nboop\n------\n------\n`);
});

test('every subcommand has --help, and completion prints a script', async () => {
  for (const name of ['info', 'levels', 'subdump', 'desc', 'cache', 'completion', 'batch']) {
    const r = await runCli([name, '--help']);
    assert.equal(r.code, 0, `${name}: ${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^Usage: tacet ${name} `));
  }
  const main = await runCli(['--help']);
  assert.match(main.stdout, /Commands:\n {2}info +show what media files contain/);
  const bash = await runCli(['completion', '-s', 'bash']);
  assert.equal(bash.code, 0, bash.stderr);
  assert.match(bash.stdout, /complete -o filenames -o bashdefault -F _tacet_complete tacet/);
  const none = await runCli(['completion']);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /needs -s SHELL/);
  const typo = await runCli(['info', '--jsn', tone]);
  assert.equal(typo.code, 1);
  assert.match(typo.stderr, /Unknown option --jsn for tacet info; did you mean --json\?/);
});
