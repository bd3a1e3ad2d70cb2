// The queue's pure parts, without Redis: option parsing, job payloads, output naming and the
// sweep of a dead attempt's leftovers, glob expansion, progress and status formatting.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultEditOptions } from '../../src/cli/options.js';
import { formatStatus } from '../../src/cli/commands/jobs.js';
import { queueTarget } from '../../src/queue/connection.js';
import { parseDurationMs, parseFlags, type FlagDef } from '../../src/queue/flags.js';
import { expandInputs } from '../../src/queue/glob.js';
import { planOutput, sweepPartials } from '../../src/queue/paths.js';
import { buildPayloads, checkPayload, jobFraction, type JobPayload } from '../../src/queue/payload.js';
import { UserError } from '../../src/errors.js';
import { tempDir } from '../helpers/media.js';

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir('tacet-queue-unit-')));
after(() => tmp.cleanup());

function touch(...parts: string[]): string {
  const p = join(tmp.dir, ...parts);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, 'x');
  return p;
}

const FLAGS: FlagDef[] = [
  { names: ['--queue'], metavar: 'URL', help: '' },
  { names: ['--wait'], help: '' },
];

describe('parseFlags', () => {
  test('takes its own options out and leaves the edit options, in order, for the edit parser', () => {
    const r = parseFlags(['a.mp4', '--queue', 'redis://h:1', '-m', '0.3s', '--wait', '--edit=audio', 'b.mp4'], FLAGS, true);
    assert.equal(r.values.get('--queue'), 'redis://h:1');
    assert.equal(r.values.get('--wait'), true);
    assert.deepEqual(r.rest, ['a.mp4', '-m', '0.3s', '--edit=audio', 'b.mp4']);
  });
  test('--queue=URL, and everything after -- stays an input', () => {
    const r = parseFlags(['--queue=redis://h:1', '--', '--wait'], FLAGS, true);
    assert.equal(r.values.get('--queue'), 'redis://h:1');
    assert.deepEqual(r.rest, ['--', '--wait']);
  });
  test('a missing value or an unknown option (without pass-through) is a clear error', () => {
    assert.throws(() => parseFlags(['--queue'], FLAGS, true), /--queue needs a value \(URL\)/);
    assert.throws(() => parseFlags(['--queue', '--wait'], FLAGS, true), /--queue needs a value/);
    assert.throws(() => parseFlags(['--wiat'], FLAGS, false), /Unknown option --wiat; did you mean --wait\?/);
    assert.equal(parseFlags(['--help'], FLAGS, false).help, true);
    assert.throws(() => parseFlags(['--wait=1'], FLAGS, false), /takes no value/);
  });
  test('durations: units, bare seconds, and a floor', () => {
    assert.equal(parseDurationMs('2s', '--x'), 2000);
    assert.equal(parseDurationMs('500ms', '--x'), 500);
    assert.equal(parseDurationMs('1.5', '--x'), 1500);
    assert.equal(parseDurationMs('2min', '--x'), 120_000);
    assert.throws(() => parseDurationMs('10ms', '--x'), /at least 100ms/);
    assert.throws(() => parseDurationMs('soon', '--x'), /--x needs a duration/);
  });
});

describe('queueTarget', () => {
  test('accepts redis:// and rediss://, masks the password, defaults the queue name', () => {
    const t = queueTarget('redis://:secret@queue.lan:6380/2', undefined);
    assert.equal(t.name, 'tacet');
    assert.equal(t.display, 'redis://:****@queue.lan:6380/2');
    assert.equal(t.url, 'redis://:secret@queue.lan:6380/2');
    assert.equal(queueTarget('rediss://h:1', 'talks').name, 'talks');
  });
  test('refuses a missing URL, another scheme or a name that would break BullMQ keys', () => {
    assert.throws(() => queueTarget(undefined, undefined), /--queue redis:\/\/HOST:PORT is required/);
    assert.throws(() => queueTarget('http://h:1', undefined), /redis:\/\/ or rediss:\/\//);
    assert.throws(() => queueTarget('localhost:6379', undefined), /redis:\/\/ or rediss:\/\//);
    assert.throws(() => queueTarget('redis://h:1', 'a:b'), /--queue-name/);
  });
});

describe('buildPayloads', () => {
  test('one payload per input: absolute paths, the edit options, a key each', () => {
    const a = touch('p', 'a.wav');
    touch('p', 'b.wav');
    const o = { ...defaultEditOptions(), margin: '0.3s', edits: [{ label: 1, expr: 'audio:threshold=-30dB' }] };
    const ps = buildPayloads(['a.wav', join(tmp.dir, 'p', 'b.wav'), 'a.wav'], o, join(tmp.dir, 'p'));
    assert.equal(ps.length, 2, 'the same file twice is one job');
    assert.equal(ps[0].input, a);
    assert.equal(ps[0].options.margin, '0.3s');
    assert.deepEqual(ps[0].options.edits, [{ label: 1, expr: 'audio:threshold=-30dB' }]);
    assert.notEqual(ps[0].key, ps[1].key);
    assert.deepEqual(checkPayload(JSON.parse(JSON.stringify(ps[1]))), ps[1]);
  });
  test('-o becomes absolute; -o with several inputs, -o -, bad edits and missing files are refused', () => {
    touch('q', 'a.wav');
    touch('q', 'b.wav');
    const cwd = join(tmp.dir, 'q');
    const base = defaultEditOptions();
    mkdirSync(join(cwd, 'out'));
    assert.equal(buildPayloads(['a.wav'], { ...base, output: 'out/x.m4a' }, cwd)[0].options.output, join(cwd, 'out', 'x.m4a'));
    assert.throws(() => buildPayloads(['a.wav'], { ...base, output: 'nowhere/x.m4a' }, cwd), /output folder does not exist: nowhere/);
    assert.throws(() => buildPayloads(['a.wav', 'b.wav'], { ...base, output: 'x.wav' }, cwd), /-o names one output, but 2 inputs/);
    assert.throws(() => buildPayloads(['a.wav'], { ...base, output: '-' }, cwd), /standard output/);
    assert.throws(() => buildPayloads(['a.wav'], { ...base, edits: [{ label: 1, expr: 'loudness' }] }, cwd), UserError);
    assert.throws(() => buildPayloads(['a.wav'], { ...base, export: 'nonsense' }, cwd), /unknown export/);
    assert.throws(() => buildPayloads(['nope.wav'], base, cwd), /input file not found: nope.wav/);
    assert.throws(() => buildPayloads([], base, cwd), /at least one FILE/);
    touch('q', 'noext');
    assert.throws(() => buildPayloads(['noext'], base, cwd), /must have an extension/);
    assert.throws(() => buildPayloads(['https://example.com/a.mp4'], base, cwd), /URL inputs cannot be queued/);
    assert.throws(() => buildPayloads(['a.wav'], { ...base, render: { resolution: '0,0' } }, cwd), /--resolution "0,0"/);
    assert.deepEqual(buildPayloads(['a.wav'], { ...base, render: { crf: '20', sampleRate: '44.1kHz' } }, cwd)[0].options.render, { crf: '20', sampleRate: '44.1kHz' });
  });
  test('checkPayload refuses another version or a hand-made payload', () => {
    assert.throws(() => checkPayload({ version: 1 }), /payload version 1/);
    assert.throws(() => checkPayload(null), /no tacet payload/);
    assert.throws(() => checkPayload({ version: 2, input: 'rel.wav', key: 'abcdef', options: {} }), /absolute input/);
  });
});

function payload(input: string, options: Partial<JobPayload['options']> = {}): JobPayload {
  const o = defaultEditOptions();
  return {
    version: 2,
    input,
    key: '0123456789ab',
    options: { edits: o.edits, whens: o.whens, ranges: o.ranges, margin: o.margin, smooth: o.smooth, frameRate: null, export: null, output: null, noCache: false, stats: false, render: {}, ...options },
  };
}

describe('planOutput', () => {
  test('a render: the default name beside the input, written under a job-keyed temporary name', () => {
    const plan = planOutput(payload('/data/talks/a.mp4'), null);
    assert.equal(plan.final, '/data/talks/a_ALTERED.mp4');
    assert.equal(plan.temp, '/data/talks/.a_ALTERED.tacet-job-0123456789ab.partial.mp4');
    assert.equal(plan.coreOutput, plan.temp);
  });
  test('--output-dir takes default names; a job -o keeps its own path', () => {
    assert.equal(planOutput(payload('/data/talks/a.mp4'), '/out').final, '/out/a_ALTERED.mp4');
    assert.equal(planOutput(payload('/data/talks/a.mp4', { export: 'premiere' }), '/out').final, '/out/a_ALTERED.xml');
    assert.equal(planOutput(payload('/data/a.mp4', { output: '/x/cut.m4a' }), '/out').final, '/x/cut.m4a');
  });
  test('the temporary name keeps the export the final name would pick', () => {
    const p = planOutput(payload('/d/a.mp4', { output: '/d/a.fcpxml' }), null);
    assert.equal(p.temp, '/d/.a.tacet-job-0123456789ab.partial.fcpxml');
    assert.equal(planOutput(payload('/d/a.mp4', { export: 'v3' }), null).temp, '/d/.a_ALTERED.tacet-job-0123456789ab.partial.v3');
  });
  test('outputs named after their own path, timeline inputs and --stats go straight to the core', () => {
    for (const [p, final] of [
      [payload('/d/a.mp4', { export: 'clip-sequence' }), '/d/a_ALTERED'],
      [payload('/d/a.mp4', { export: 'resolve' }), '/d/a_ALTERED.fcpxml'],
      [payload('/d/a.v3'), '/d/a_ALTERED.v3'],
      [payload('/d/a.mp4', { output: '/d/noext' }), '/d/noext'],
    ] as const) {
      const plan = planOutput(p, null);
      assert.equal(plan.final, final);
      assert.equal(plan.temp, null);
      assert.equal(plan.coreOutput, final);
    }
    assert.deepEqual(planOutput(payload('/d/a.mp4', { stats: true }), null), { final: null, coreOutput: null, temp: null });
  });
  test("sweepPartials removes this job's leftovers and nothing else", () => {
    const dir = join(tmp.dir, 'sweep');
    mkdirSync(dir);
    const names = [
      '.a_ALTERED.tacet-job-0123456789ab.partial.mp4',
      '..a_ALTERED.tacet-job-0123456789ab.partial.tacet-4242.partial.mp4',
      '.a_ALTERED.tacet-job-0123456789abc.partial.mp4',
      '.b_ALTERED.tacet-job-ffffffffffff.partial.mp4',
      'a_ALTERED.mp4',
      'a.mp4',
    ];
    for (const n of names) writeFileSync(join(dir, n), '');
    assert.deepEqual(sweepPartials(dir, '0123456789ab').sort(), names.slice(0, 2).sort());
    assert.deepEqual(readdirSync(dir).sort(), names.slice(2).sort());
    assert.deepEqual(sweepPartials(join(dir, 'missing'), '0123456789ab'), []);
  });
});

describe('glob', () => {
  test('expandInputs uses the shared glob: files only, sorted, ** across folders, hidden names only when asked for', () => {
    const root = join(tmp.dir, 'g');
    touch('g', 'a.mp4');
    touch('g', 'b.mp4');
    touch('g', '.hidden.mp4');
    touch('g', 'x', 'c.mp4');
    touch('g', 'x', 'y', 'd.mp4');
    touch('g', 'x', 'notes.txt');
    mkdirSync(join(root, 'dir.mp4'));
    assert.deepEqual(expandInputs(['*.mp4'], root), [join(root, 'a.mp4'), join(root, 'b.mp4')]);
    assert.deepEqual(expandInputs(['**/*.mp4'], root), ['a.mp4', 'b.mp4', 'x/c.mp4', 'x/y/d.mp4'].map((f) => join(root, f)));
    assert.deepEqual(expandInputs([join(root, 'x', '*', '*.mp4')], '/'), [join(root, 'x', 'y', 'd.mp4')]);
    assert.deepEqual(expandInputs(['.h*'], root), [join(root, '.hidden.mp4')]);
    assert.deepEqual(expandInputs(['x/**'], root), ['x/c.mp4', 'x/notes.txt', 'x/y/d.mp4'].map((f) => join(root, f)));
  });
  test('expandInputs: existing names as given, patterns expanded, a pattern matching nothing is an error', () => {
    const root = join(tmp.dir, 'g');
    touch('g', '[odd].mp4');
    assert.deepEqual(expandInputs(['[odd].mp4', 'x/*.mp4', 'plain.mp4'], root), ['[odd].mp4', join(root, 'x', 'c.mp4'), 'plain.mp4']);
    assert.throws(() => expandInputs(['*.mkv'], root), /no file matches \*\.mkv/);
  });
  test('expandInputs: {a,b} alternatives, and earlier outputs skipped unless named', () => {
    const root = join(tmp.dir, 'h');
    touch('h', 'a.mp4');
    touch('h', 'a_ALTERED.mp4');
    touch('h', 'b.mkv');
    touch('h', 'c.wav');
    assert.deepEqual(expandInputs(['*.{mp4,mkv}'], root), [join(root, 'a.mp4'), join(root, 'b.mkv')]);
    assert.deepEqual(expandInputs(['a_ALTERED.mp4'], root), ['a_ALTERED.mp4']);
  });
});

test('jobFraction: analysis is the first half of a job, writing the second', () => {
  assert.equal(jobFraction('Analyzing audio', 50, 100), 0.25);
  assert.equal(jobFraction('Rendering', 0, 100), 0.5);
  assert.equal(jobFraction('Rendering', 100, 100), 1);
  assert.equal(jobFraction('Rendering', 5, 0), 0.5);
});

test('formatStatus: counts, active jobs with their worker and progress, failed jobs with their error', () => {
  const text = formatStatus(
    {
      counts: { waiting: 3, active: 1, delayed: 0, completed: 7, failed: 2 },
      active: [{ id: '9', input: '/d/a.mp4', worker: 'box:12', progress: { stage: 'Rendering', done: 30, total: 120, fraction: 0.6 }, attemptsMade: 0 }],
      failed: [{ id: '4', input: '/d/bad.mp4', failedReason: 'could not open /d/bad.mp4: Invalid data', attemptsMade: 1 }],
    },
    'queue tacet on redis://h:1',
  );
  assert.equal(
    text,
    [
      'queue tacet on redis://h:1',
      '  waiting 3   active 1   delayed 0   completed 7   failed 2',
      'active:',
      '  job 9  /d/a.mp4  on box:12  Rendering 25%',
      'failed (latest 1 of 2):',
      '  job 4  /d/bad.mp4: could not open /d/bad.mp4: Invalid data (1 attempt)',
      '',
    ].join('\n'),
  );
});
