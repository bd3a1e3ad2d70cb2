// tacet batch: many inputs, same options, each in its own process; failures never stop the rest.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateMedia } from '../../src/media/generate.js';
import { CLI, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/media.js';

let tmp: ReturnType<typeof tempDir>;
let talk: string;

before(async () => {
  tmp = tempDir('tacet-batch-');
  talk = join(tmp.dir, 'talk.wav');
  await generateMedia(talk, { duration: 3, audio: { sampleRate: 16000, layout: 'mono', bursts: [[1, 2]] } });
});
after(() => tmp.cleanup());

/** A folder with three good recordings (one in a subfolder), a broken one and a text file. */
function batchFolder(name: string): string {
  const dir = join(tmp.dir, name);
  mkdirSync(join(dir, 'more'), { recursive: true });
  for (const f of ['a.wav', 'b.wav', 'more/c.wav']) copyFileSync(talk, join(dir, f));
  writeFileSync(join(dir, 'broken.wav'), 'not a recording, only words '.repeat(100));
  writeFileSync(join(dir, 'notes.txt'), 'not media');
  return dir;
}

test('edits every input to its own output, N at a time; a failing input does not stop the others', async () => {
  const dir = batchFolder('mixed');
  const r = await runCli(['batch', '**/*.wav', 'missing*.mp4', '--jobs', '2', '--no-cache', '-m', '0.1s'], { cwd: dir });
  assert.equal(r.code, 1, 'some inputs failed');
  assert.doesNotMatch(r.stderr, /\n\s+at /);
  // One result line per input, then the summary.
  for (const f of ['a.wav', 'b.wav', 'more/c.wav']) {
    const out = f.replace('.wav', '_ALTERED.wav');
    assert.match(r.stdout, new RegExp(`^${f}: kept \\d+ of 90 frames -> ${out}$`, 'm'));
  }
  assert.match(r.stdout, /^failed: broken\.wav: could not open broken\.wav: .+$/m);
  assert.match(r.stdout, /^failed: missing\*\.mp4: no file matches missing\*\.mp4$/m);
  assert.match(r.stdout, /\nbatch: 3 of 5 input\(s\) succeeded, 2 failed:\n {2}broken\.wav: could not open.*\n {2}missing\*\.mp4: no file matches missing\*\.mp4\n/);
  assert.match(r.stdout, /Finished\. took [\d.]+ seconds/);
  assert.deepEqual(readdirSync(dir, { recursive: true }).map(String).sort(), [
    'a.wav',
    'a_ALTERED.wav',
    'b.wav',
    'b_ALTERED.wav',
    'broken.wav',
    'more',
    'more/c.wav',
    'more/c_ALTERED.wav',
    'notes.txt',
  ]);
  // The same options reached every child: a 0.1 s margin keeps fewer frames than the default.
  const kept = [...r.stdout.matchAll(/kept (\d+) of 90/g)].map((m) => Number(m[1]));
  assert.deepEqual(new Set(kept).size, 1);

  // Run again: the glob leaves the earlier outputs alone.
  const again = await runCli(['batch', '*.wav', '--no-cache', '--progress', 'none'], { cwd: dir });
  assert.match(again.stdout, /batch: 2 of 3 input\(s\) succeeded, 1 failed/);
  assert.doesNotMatch(again.stdout, /_ALTERED_ALTERED/);
});

test('one overall progress line in the machine style, and exit 0 when all succeed', async () => {
  const dir = join(tmp.dir, 'progress');
  mkdirSync(dir);
  for (const f of ['x.wav', 'y.wav']) copyFileSync(talk, join(dir, f));
  const r = await runCli(['batch', 'x.wav', 'y.wav', '--progress', 'machine', '--no-cache'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  const records = r.stderr.split('\r').filter((s) => /~/.test(s));
  assert.ok(records.length >= 2, r.stderr);
  for (const rec of records) assert.match(rec.trim(), /^Batch of 2~[\d.]+~2\.0~-?[\d.]+$/);
  assert.match(r.stdout, /batch: all 2 input\(s\) succeeded/);
});

test('-o names a folder for the outputs, and export options apply to every input', async () => {
  const dir = batchFolder('to-folder');
  mkdirSync(join(dir, 'timelines'));
  const r = await runCli(['batch', 'a.wav', 'b.wav', '--export', 'v3', '-o', 'timelines', '--no-cache'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(readdirSync(join(dir, 'timelines')).sort(), ['a_ALTERED.v3', 'b_ALTERED.v3']);
  assert.equal(JSON.parse(readFileSync(join(dir, 'timelines', 'a_ALTERED.v3'), 'utf8')).version, '3');
});

test('refuses what a batch cannot do, with one line each', async () => {
  const dir = batchFolder('refusals');
  const cases: Array<[string[], RegExp]> = [
    [['batch'], /needs at least one FILE or GLOB/],
    [['batch', 'a.wav', '--jobs', '0'], /--jobs needs a whole number from 1 to 256, got '0'/],
    [['batch', 'a.wav', '-j', 'many'], /--jobs needs a whole number/],
    [['batch', 'a.wav', 'b.wav', '-o', 'out.wav'], /-o must name an existing folder/],
    [['batch', 'a.wav', '--margn', '1s'], /did you mean --margin/],
    [['batch', 'a.wav', '--license-key', 'abc'], /not supported by tacet yet/],
  ];
  for (const [args, pattern] of cases) {
    const r = await runCli(args, { cwd: dir });
    assert.equal(r.code, 1, args.join(' '));
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, pattern, args.join(' '));
  }
  assert.ok(!readdirSync(dir).some((f) => f.includes('ALTERED')), 'nothing was edited');
});

test('Ctrl-C stops the batch: running edits leave no partial output, the rest are not started, exit 130', async () => {
  const dir = join(tmp.dir, 'interrupted');
  mkdirSync(dir);
  const long = join(dir, 'one.wav');
  await generateMedia(long, { duration: 120, audio: { sampleRate: 16000, layout: 'mono', graph: 'sine=frequency=300:sample_rate=16000:duration=120' } });
  copyFileSync(long, join(dir, 'two.wav'));
  copyFileSync(long, join(dir, 'three.wav'));
  const child = spawn(process.execPath, [CLI, 'batch', '*.wav', '--jobs', '1', '--no-cache', '--progress', 'machine', '--edit', 'none'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let sent = false;
  child.stderr.on('data', (d) => {
    stderr += d;
    if (!sent && /Batch of 3~/.test(stderr)) {
      sent = true;
      child.kill('SIGINT');
    }
  });
  const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
  assert.ok(sent, stderr);
  assert.equal(code, 130, stderr);
  assert.match(stderr, /batch interrupted/);
  const left = readdirSync(dir).filter((f) => f.includes('.partial'));
  assert.deepEqual(left, [], 'no partial file');
  assert.ok(readdirSync(dir).filter((f) => f.includes('_ALTERED')).length < 3, 'not every input was edited');
});
