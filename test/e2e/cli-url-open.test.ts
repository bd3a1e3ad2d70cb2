// URL inputs (through a fake yt-dlp on PATH: no network) and --open (through a fake opener).
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateMedia } from '../../src/media/generate.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/media.js';

let tmp: ReturnType<typeof tempDir>;
let tone: string;
let bin: string; // fake yt-dlp and xdg-open
let empty: string; // a PATH with nothing on it
let log: string;

/** A yt-dlp stand-in: answers --get-filename from the -o template and "downloads" by copying. */
const FAKE_YT_DLP = `#!/bin/sh
printf '%s\\n' "$*" >> "$FAKE_LOG"
get=0; out=""; prev=""
for a in "$@"; do
  [ "$a" = "--get-filename" ] && get=1
  [ "$a" = "--fail" ] && { echo "ERROR: Unsupported URL: nowhere" >&2; exit 1; }
  [ "$prev" = "-o" ] && out="$a"
  prev="$a"
done
name=$(printf '%s' "$out" | sed 's/%(ext)s/wav/')
if [ $get = 1 ]; then echo "$name"; exit 0; fi
echo "[download] 100% of 1.00MiB"
cp "$FAKE_SOURCE" "$name"
`;

const FAKE_OPENER = `#!/bin/sh
printf '%s' "$1" > "$FAKE_OPENED"
`;

before(async () => {
  tmp = tempDir('tacet-url-');
  tone = join(tmp.dir, 'tone.wav');
  await generateMedia(tone, { duration: 3, audio: { sampleRate: 16000, layout: 'mono', bursts: [[1, 2]] } });
  bin = join(tmp.dir, 'bin');
  empty = join(tmp.dir, 'empty-path');
  mkdirSync(bin);
  mkdirSync(empty);
  writeFileSync(join(bin, 'yt-dlp'), FAKE_YT_DLP);
  writeFileSync(join(bin, 'xdg-open'), FAKE_OPENER);
  chmodSync(join(bin, 'yt-dlp'), 0o755);
  chmodSync(join(bin, 'xdg-open'), 0o755);
  log = join(tmp.dir, 'yt-dlp.log');
});
after(() => tmp.cleanup());

function workDir(name: string): string {
  const dir = join(tmp.dir, name);
  mkdirSync(dir);
  return dir;
}

test('a URL input is downloaded with yt-dlp (named after the URL), then edited; a second run reuses the download', async () => {
  const cwd = workDir('download');
  const env = { PATH: `${bin}:${process.env.PATH}`, FAKE_LOG: log, FAKE_SOURCE: tone };
  const url = 'https://example.com/talks/first.mp4';
  const r = await runCli([url, '--no-cache', '--yt-dlp-extras', '--cookies "my jar.txt"'], { cwd, env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Downloading https:\/\/example\.com\/talks\/first\.mp4 with yt-dlp/);
  assert.match(r.stderr, /\[download\] 100%/, "yt-dlp's own output goes to stderr, never stdout");
  assert.deepEqual(readdirSync(cwd).sort(), ['https-example-com-talks-first.wav', 'https-example-com-talks-first_ALTERED.wav']);
  assert.match(r.stdout, /https-example-com-talks-first\.wav: kept \d+ of 90 frames -> https-example-com-talks-first_ALTERED\.wav/);
  const calls = readFileSync(log, 'utf8').trim().split('\n');
  assert.deepEqual(calls, [
    `--get-filename --no-warnings -o https-example-com-talks-first.%(ext)s ${url} --cookies my jar.txt`,
    `-o https-example-com-talks-first.%(ext)s ${url} --cookies my jar.txt`,
  ]);

  const again = await runCli([url, '--no-cache', '-o', 'second.wav'], { cwd, env });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(readFileSync(log, 'utf8').trim().split('\n').length, 3, 'only the filename query: the file is already there');
  assert.ok(existsSync(join(cwd, 'second.wav')));
});

test('--yt-dlp-location and --output-format are honoured', async () => {
  const cwd = workDir('located');
  const env = { PATH: empty, FAKE_LOG: join(tmp.dir, 'located.log'), FAKE_SOURCE: tone };
  // The fake needs sed and cp: give it a PATH of its own through the location's shell.
  const wrapper = join(tmp.dir, 'my-yt-dlp');
  writeFileSync(wrapper, `#!/bin/sh\nPATH="${process.env.PATH}" exec "${join(bin, 'yt-dlp')}" "$@"\n`);
  chmodSync(wrapper, 0o755);
  const r = await runCli(['https://www.youtube.com/watch?v=abc', '--no-cache', '--yt-dlp-location', wrapper, '--output-format', 'talk.%(ext)s', '--export', 'v3'], { cwd, env });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(cwd).sort(), ['talk.wav', 'talk_ALTERED.v3']);
  const first = readFileSync(env.FAKE_LOG, 'utf8').split('\n')[0];
  assert.equal(first, '--get-filename --no-warnings -f bestvideo[ext=mp4]+bestaudio[ext=m4a] -o talk.%(ext)s https://www.youtube.com/watch?v=abc');
});

test('without yt-dlp, a URL input is one clear error, and nothing is written', async () => {
  const cwd = workDir('missing');
  const r = await runCli(['https://example.com/a.mp4', '--no-cache'], { cwd, env: { PATH: empty } });
  assert.equal(r.code, 1);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('tacet: error: '));
  assert.equal(errors.length, 1, r.stderr);
  assert.match(errors[0], /URL inputs need yt-dlp, which is not installed or not on PATH/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  assert.deepEqual(readdirSync(cwd), []);

  const located = await runCli(['https://example.com/a.mp4', '--yt-dlp-location', join(tmp.dir, 'nope', 'yt-dlp')], { cwd });
  assert.equal(located.code, 1);
  assert.match(located.stderr, /tacet: error: yt-dlp was not found at .*nope\/yt-dlp/);
});

test('a failing download is one clear error with yt-dlp\'s reason', async () => {
  const cwd = workDir('failing');
  const env = { PATH: `${bin}:${process.env.PATH}`, FAKE_LOG: join(tmp.dir, 'failing.log'), FAKE_SOURCE: tone };
  const r = await runCli(['https://example.com/x', '--yt-dlp-extras=--fail'], { cwd, env });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /tacet: error: yt-dlp could not download https:\/\/example\.com\/x: ERROR: Unsupported URL: nowhere\n$/);
  assert.deepEqual(readdirSync(cwd), []);
});

test('--open hands the output to the opener; a missing opener is only a warning', { skip: process.platform !== 'linux' && 'xdg-open is the Linux opener' }, async () => {
  const cwd = workDir('open');
  const opened = join(tmp.dir, 'opened.txt');
  const out = join(cwd, 'cut.wav');
  const r = await runCli([tone, '--no-cache', '--open', '-o', out], { env: { PATH: `${bin}:${process.env.PATH}`, FAKE_OPENED: opened } });
  assert.equal(r.code, 0, r.stderr);
  for (let i = 0; i < 100 && !existsSync(opened); i++) await new Promise((res) => setTimeout(res, 50));
  assert.equal(readFileSync(opened, 'utf8'), out);
  assert.match(r.stdout, /Finished\. took/);

  const out2 = join(cwd, 'cut2.wav');
  const missing = await runCli([tone, '--no-cache', '--open', '-o', out2], { env: { PATH: empty } });
  assert.equal(missing.code, 0, missing.stderr);
  assert.ok(existsSync(out2));
  assert.match(missing.stderr, /^tacet: warning: could not open .*cut2\.wav: xdg-open was not found/m);

  const no = await runCli([tone, '--no-cache', '--open', '--no-open', '-o', join(cwd, 'cut3.wav')], { env: { PATH: empty } });
  assert.equal(no.code, 0);
  assert.doesNotMatch(no.stderr, /could not open/);
});
