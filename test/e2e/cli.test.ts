// The command line as users meet it: help and version start fast, bad input ends in one clear
// line with exit code 1 (never a stack trace), inputs are never touched.
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateMedia } from '../../src/media/generate.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/media.js';

let tmp: ReturnType<typeof tempDir>;
let wav: string;
before(async () => {
  tmp = tempDir();
  wav = join(tmp.dir, 'talk.wav');
  await generateMedia(wav, { duration: 4, audio: { sampleRate: 48000, layout: 'mono', bursts: [[1, 2]] } });
});
after(() => tmp.cleanup());

function assertOneLineError(r: { code: number | null; stderr: string }, pattern: RegExp, label = ''): void {
  assert.equal(r.code, 1, `${label}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `${label}: expected one line, got:\n${r.stderr}`);
  assert.match(lines[0], /^tacet: error: /);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

test('--version and --help work and print no error', async () => {
  const v = await runCli(['--version']);
  assert.equal(v.code, 0);
  assert.equal(v.stdout.trim(), JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')).version);
  const h = await runCli(['--help']);
  assert.equal(h.code, 0);
  assert.match(h.stdout, /Usage: tacet/);
  assert.match(h.stdout, /--margin/);
  const one = await runCli(['--margin', '--help']);
  assert.equal(one.code, 0);
  assert.match(one.stdout, /--margin/);
  assert.match(one.stdout, /0\.2s/);
});

test('bad inputs give one clear line and exit code 1', async () => {
  const dir = join(tmp.dir, 'adir');
  mkdirSync(dir, { recursive: true });
  const empty = join(tmp.dir, 'empty.mp4');
  writeFileSync(empty, '');
  const garbage = join(tmp.dir, 'garbage.mp4');
  writeFileSync(garbage, Buffer.from('this is not a video file at all, just some bytes'.repeat(50)));
  const cases: Array<[string[], RegExp]> = [
    [[join(tmp.dir, 'missing.mp4')], /not found/],
    [[dir], /directory/],
    [[empty], /empty/],
    [[garbage], /could not open/],
    [[wav, '--margn', '1s'], /did you mean --margin/i],
    [[wav, '--video-codec', 'h264'], /\.wav files hold no video/],
    [[wav, '--edit', 'audio:threshold=2'], /threshold/],
    [[wav, '--edit', 'motion'], /needs a video stream/],
    [[wav, '--edit', 'sparkle'], /sparkle/],
    [[wav, '--when-inactive', 'zoom:2'], /not supported/],
    [[wav, '--cut', '3sec,1sec'], /3sec/],
    [[wav, '--edit', 'audio:stream=3'], /stream/],
    [[wav, '-m', '1.5'], /1\.5/],
    [[wav, '-r', 'abc'], /abc/],
    [[wav, '--export', 'audio'], /not supported/],
    [[wav, '--export', 'nonsense'], /unknown export/],
    [[wav, '-o', wav], /same file as the input/],
    [[wav, '-o', join(tmp.dir, 'no', 'such', 'dir', 'out.wav')], /folder does not exist/],
    [[wav, '-o', dir], /directory/],
    [[wav, '-o', '-'], /standard output/],
  ];
  for (const [args, pattern] of cases) {
    const r = await runCli([...args, '--no-cache']);
    assertOneLineError(r, pattern, args.join(' '));
  }
});

test('--debug shows the stack trace', async () => {
  const r = await runCli([join(tmp.dir, 'missing.mp4'), '--debug']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\n\s+at /);
});

test('the input is never modified, and the default output name is <name>_ALTERED<ext>', async () => {
  const before = readFileSync(wav);
  const mtime = statSync(wav).mtimeMs;
  const r = await runCli([wav, '--no-cache']);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readFileSync(wav), before);
  assert.equal(statSync(wav).mtimeMs, mtime);
  assert.ok(readdirSync(tmp.dir).includes('talk_ALTERED.wav'));
  assert.match(r.stdout, /Finished\. took/);
});

test('timeline exports pick their extension; -o with .v3 picks v3', async () => {
  const r1 = await runCli([wav, '--export', 'v2', '--no-cache']);
  assert.equal(r1.code, 0, r1.stderr);
  const v2 = JSON.parse(readFileSync(join(tmp.dir, 'talk_ALTERED.v2'), 'utf8'));
  assert.equal(v2.version, '2');
  const out = join(tmp.dir, 'picked.v3');
  const r2 = await runCli([wav, '-o', out, '--no-cache']);
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal(JSON.parse(readFileSync(out, 'utf8')).version, '3');
});

test('progress machine style reports on stderr', async () => {
  const r = await runCli([wav, '--no-cache', '--progress', 'machine', '-o', join(tmp.dir, 'p.wav')]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /~[\d.]+~[\d.]+~[\d.]+\r/);
});
