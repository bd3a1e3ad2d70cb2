// Every kind of bad input ends in one clear line and a non-zero exit code, never a stack trace,
// never a modified input and never an output or partial file. (cli.test.ts checks more message
// variants; here each case of issue 6 also proves that nothing was written.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateMedia } from '../../src/media/generate.js';
import { probe } from '../../src/media/probe.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { tempDir } from '../helpers/media.js';

let tmp: ReturnType<typeof tempDir>;
/** Originals, copied into a fresh folder for each case. */
let wav: string; // 3 s mono, loud from 1 s to 2 s
let mp4: string; // 2 s video + audio, moov at the end (as a recorder writes it)
let videoOnly: string;
let mp3: string;
let loudMp3: string; // loud throughout, so that what survives the damage is kept

before(async () => {
  tmp = tempDir('tacet-bad-');
  const src = join(tmp.dir, 'src');
  mkdirSync(src);
  wav = join(src, 'talk.wav');
  mp4 = join(src, 'clip.mp4');
  videoOnly = join(src, 'silent-film.mp4');
  mp3 = join(src, 'voice.mp3');
  await generateMedia(wav, { duration: 3, audio: { sampleRate: 16000, layout: 'mono', bursts: [[1, 2]] } });
  await generateMedia(mp4, {
    duration: 2,
    video: { width: 96, height: 64, rate: { num: 25, den: 1 } },
    audio: { sampleRate: 44100, layout: 'stereo', bursts: [[0.5, 1.5]] },
  });
  await generateMedia(videoOnly, { duration: 1, video: { width: 64, height: 48, rate: { num: 25, den: 1 } } });
  await generateMedia(mp3, { duration: 3, audio: { sampleRate: 44100, layout: 'mono', bursts: [[1, 2]] } });
  loudMp3 = join(src, 'loud.mp3');
  await generateMedia(loudMp3, { duration: 3, audio: { sampleRate: 44100, layout: 'mono', bursts: [[0, 3]] } });
});
after(() => tmp.cleanup());

/** A listing of a folder with each file's size and bytes' digest, to prove nothing changed. */
function snapshot(dir: string): string {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .sort()
    .map((f) => {
      const st = statSync(join(dir, f));
      return st.isDirectory() ? `${f}/` : `${f}:${st.size}:${readFileSync(join(dir, f)).toString('base64').slice(0, 64)}`;
    })
    .join('\n');
}

function assertOneLineError(r: CliResult, pattern: RegExp, label: string): void {
  assert.equal(r.code, 1, `${label}: exit code (stderr: ${r.stderr})`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${label}: expected one line, got:\n${r.stderr}`);
  assert.match(lines[0], /^tacet: error: /, label);
  assert.match(lines[0], pattern, label);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${label}: stack trace`);
}

let caseNumber = 0;

/**
 * Runs tacet in a fresh folder holding a copy of `input` (or whatever `prepare` makes) and checks
 * the error, then that the folder is exactly as before: no output, no partial file, input intact.
 */
async function refused(label: string, make: (dir: string) => string, extra: string[], pattern: RegExp): Promise<void> {
  const dir = join(tmp.dir, `case-${++caseNumber}`);
  mkdirSync(dir);
  const input = make(dir);
  const before = snapshot(dir);
  const r = await runCli([input, ...extra, '--no-cache'], { cwd: dir });
  assertOneLineError(r, pattern, label);
  assert.equal(snapshot(dir), before, `${label}: the folder changed (an output, a partial file or a modified input)`);
}

const copy = (file: string) => (dir: string) => {
  const to = join(dir, basename(file));
  copyFileSync(file, to);
  return to;
};

test('missing, folder, no extension, empty, garbage and truncated inputs', async () => {
  await refused('missing file', (dir) => join(dir, 'missing.mp4'), [], /input file not found: .*missing\.mp4/);
  await refused('directory', (dir) => {
    mkdirSync(join(dir, 'takes.mp4'));
    return join(dir, 'takes.mp4');
  }, [], /input is a directory, not a file/);
  await refused('no extension', (dir) => {
    copyFileSync(wav, join(dir, 'talk'));
    return join(dir, 'talk');
  }, [], /input file must have an extension .*talk/);
  await refused('empty file', (dir) => {
    writeFileSync(join(dir, 'empty.mp4'), '');
    return join(dir, 'empty.mp4');
  }, [], /input file is empty/);
  await refused('garbage bytes', (dir) => {
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + 7) % 251;
    writeFileSync(join(dir, 'garbage.mp4'), bytes);
    return join(dir, 'garbage.mp4');
  }, [], /could not open .*garbage\.mp4: .*\(is it a media file\?\)/);
  await refused('truncated MP4 (no moov)', (dir) => {
    const whole = readFileSync(mp4);
    writeFileSync(join(dir, 'cut-short.mp4'), whole.subarray(0, Math.floor(whole.length * 0.6)));
    return join(dir, 'cut-short.mp4');
  }, [], /could not open .*cut-short\.mp4: it is truncated: the recording was not finished \(no 'moov' index/);
});

test('missing streams and stream indexes out of range', async () => {
  await refused('no audio for an audio method', copy(videoOnly), [], /edit method "audio" needs an audio stream, but the input has none/);
  await refused('no video for motion', copy(wav), ['--edit', 'motion'], /edit method "motion" needs a video stream, but the input has none/);
  await refused('audio stream out of range', copy(mp4), ['--edit', 'audio:stream=2'], /audio stream 2 does not exist: the input has 1 audio stream/);
  await refused('video stream out of range', copy(mp4), ['--edit', 'motion:stream=1'], /video stream 1 does not exist/);
  await refused('blackdetect without video', copy(mp3), ['--edit', 'blackdetect'], /needs a video stream/);
});

test('invalid expressions, units, ranges, rates, colours and resolutions; codecs refused by name', async () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['unbalanced expression', ['--edit', '(or audio motion'], /--edit: missing closing parenthesis/],
    ['unknown method', ['--edit', 'sparkle'], /sparkle/],
    ['bad threshold', ['--edit', 'audio:threshold=loud'], /invalid threshold "loud"/],
    ['unknown unit', ['-m', '5parsecs'], /unknown unit "parsecs"/],
    ['unit in a range', ['--cut', '1xyz,2s'], /unknown unit "xyz"/],
    ['range backwards', ['--cut', '3sec,1sec'], /3sec/],
    ['range too short', ['--cut', '1sec'], /too few values: give START,STOP/],
    ['speed range too short', ['--set-speed', '2,1s'], /give SPEED,START,STOP/],
    ['rate not a number', ['-r', 'fast'], /Invalid frame rate "fast"/],
    ['rate zero', ['-r', '0'], /must be greater than 0/],
    ['rate negative', ['--frame-rate', '-30'], /must be greater than 0/],
    ['colour', ['--background', 'reddish'], /^tacet: error: --background "reddish": not a colour; give #rrggbb, #rgb or a colour name such as black, white or red$/],
    ['colour by alias', ['-bg', '#zz0000'], /^tacet: error: --background "#zz0000": expected #rrggbb or #rgb with hex digits \(0-9, a-f\)$/],
    ['resolution', ['--resolution', '1920'], /^tacet: error: --resolution "1920": expected WIDTH,HEIGHT, e\.g\. 1920,1080$/],
    ['resolution by alias', ['-res', '0,0'], /^tacet: error: --resolution "0,0": the width must be at least 1$/],
    ['resolution too large', ['-res', '1920,20000'], /^tacet: error: --resolution "1920,20000": the height must be at most 16384$/],
    ['resolution not whole', ['-res', '19.5,10'], /^tacet: error: --resolution "19\.5,10": the width must be a whole number of pixels$/],
    ['video codec in an audio file', ['-c:v', 'h264'], /^tacet: error: -c:v h264: \.wav files hold no video$/],
    ['unknown audio codec', ['--audio-codec', 'nonsense'], /-c:a: unknown audio codec or encoder "nonsense"; \.wav files take pcm_s16le, pcm_s24le/],
    ['audio codec the container cannot hold', ['-c:a', 'aac'], /-c:a aac: \.wav files cannot hold aac audio; use one of pcm_s16le/],
    ['bad audio bit rate', ['-b:a', 'loud'], /-b:a: invalid bit rate "loud"/],
    ['unknown layout', ['-layout', 'hexaphonic'], /-layout: unknown audio layout "hexaphonic"/],
    ['nothing left', ['-an'], /-an leaves nothing to write: \.wav files hold only audio/],
    ['unknown action', ['--when-inactive', 'zoom:2'], /zoom/],
  ];
  for (const [label, args, pattern] of cases) await refused(label, copy(wav), args, pattern);
  const videoCases: Array<[string, string[], RegExp]> = [
    ['unknown video codec', ['-c:v', 'h263p'], /-c:v h263p: \.mp4 files cannot hold h263p video; use one of h264, hevc, av1, vp9, mpeg4$/],
    ['bad crf for the encoder', ['-c:v', 'mpeg4', '-crf', '18'], /-crf 18: encoder mpeg4 has no such option/],
    ['unknown pixel format', ['-pix_fmt', 'yuv4444'], /-pix_fmt: unknown pixel format "yuv4444"/],
    ['bad scale', ['--scale', 'half'], /--scale: invalid scale "half"/],
    ['no streams left', ['-vn', '-an'], /-vn and -an together leave nothing to write/],
  ];
  for (const [label, args, pattern] of videoCases) await refused(label, copy(mp4), args, pattern);
});

test('outputs that would destroy the input or cannot be written', async () => {
  await refused('output equal to input', copy(wav), ['-o', 'talk.wav'], /same file as the input/);
  await refused('output is a directory', (dir) => {
    mkdirSync(join(dir, 'out'));
    return copy(wav)(dir);
  }, ['-o', 'out'], /output out is a directory/);
  await refused('output in a missing folder', copy(wav), ['-o', join('no', 'such', 'dir', 'out.wav')], /output folder does not exist: no\/such\/dir/);
  await refused('timeline to a missing folder', copy(wav), ['-o', join('nowhere', 'cut.v3')], /folder does not exist|no such file/i);
});

test('corrupt packets are skipped and counted, and the output is still written', async () => {
  const dir = join(tmp.dir, 'corrupt');
  mkdirSync(dir);
  const input = join(dir, 'damaged.mp3');
  const bytes = readFileSync(loudMp3);
  // Scribble over a third of the frames in the middle (deterministically), headers included.
  let seed = 12345;
  for (let i = Math.floor(bytes.length * 0.3); i < Math.floor(bytes.length * 0.6); i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    if (i % 7 < 3) bytes[i] = seed & 0xff;
  }
  writeFileSync(input, bytes);
  const r = await runCli([input, '--no-cache'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^tacet: warning: skipped \d+ corrupt packet\(s\) of .*damaged\.mp3$/m);
  // The render decodes the kept parts again and says so too (a cut may have skipped the damage).
  assert.match(r.stderr, /^tacet: warning: skipped \d+ corrupt packet\(s\) while rendering .*damaged_ALTERED\.mp3$/m);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.deepEqual(readFileSync(input), bytes, 'the input is untouched');
  const out = join(dir, 'damaged_ALTERED.mp3');
  const info = await probe(out);
  assert.equal(info.audio.length, 1);
  assert.ok(info.duration > 0.3, `output has audio: ${info.duration}`);
  assert.deepEqual(readdirSync(dir).sort(), ['damaged.mp3', 'damaged_ALTERED.mp3'], 'no partial file left');
});

test('a full disk: one clear error, and neither the output nor a partial file is left behind', async (t) => {
  if (process.platform !== 'linux') {
    t.skip('tmpfs mounts are a Linux feature');
    return;
  }
  const mnt = join(tmp.dir, 'full-disk');
  mkdirSync(mnt);
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { encoding: 'utf8' });
  if (mounted.status !== 0) {
    t.skip(`cannot mount a 1 MB tmpfs here (${(mounted.stderr || mounted.error?.message || '').trim()}): the full-disk case is not checked`);
    return;
  }
  try {
    // Fill the disk to the last byte, then ask for more.
    try {
      writeFileSync(join(mnt, 'filler'), Buffer.alloc(2 * 1024 * 1024, 1));
    } catch (e) {
      assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
    }
    const before = readdirSync(mnt).sort();
    const cases: Array<[string, string[]]> = [
      ['render', [wav, '--edit', 'none', '-o', join(mnt, 'out.wav')]],
      ['timeline export', [wav, '-o', join(mnt, 'out.v3')]],
      ['editor export', [wav, '-o', join(mnt, 'out.fcpxml')]],
    ];
    for (const [label, args] of cases) {
      const r = await runCli([...args, '--no-cache']);
      assertOneLineError(r, /no space left on device/i, `full disk, ${label}`);
      assert.deepEqual(readdirSync(mnt).sort(), before, `${label}: something was left on the full disk`);
    }
  } finally {
    const umount = spawnSync('umount', [mnt]);
    if (umount.status !== 0) spawnSync('umount', ['-l', mnt]);
  }
});
