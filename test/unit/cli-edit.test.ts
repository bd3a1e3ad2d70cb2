import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { UserError } from '../../src/errors.js';
import { parseCli, type CliCommand, type EditCliOptions } from '../../src/cli/parse.js';
import { formatHelp, formatOptionHelp } from '../../src/cli/help.js';
import { parseEditRequest } from '../../src/edit/plan.js';

function options(argv: string[]): EditCliOptions {
  const command = parseCli(argv);
  assert.equal(command.kind, 'edit', `expected an edit command for ${JSON.stringify(argv)}`);
  return (command as Extract<CliCommand, { kind: 'edit' }>).options;
}

function rejects(argv: string[], message: RegExp): void {
  assert.throws(
    () => parseCli(argv),
    (error: unknown) => error instanceof UserError && message.test(error.message),
    `${JSON.stringify(argv)} should be refused with ${message}`,
  );
}

describe('--edit and --edit:N', () => {
  const cases: Array<[string[], EditCliOptions['edits']]> = [
    [['--edit', 'motion'], [{ label: 1, expr: 'motion' }]],
    [['-e', '(or audio motion)'], [{ label: 1, expr: '(or audio motion)' }]],
    [['--edit:2', 'motion'], [{ label: 2, expr: 'motion' }]],
    [['-e:255', 'none'], [{ label: 255, expr: 'none' }]],
    [['-e:3=word:um'], [{ label: 3, expr: 'word:um' }]],
    [['--edit:1', 'audio:3%'], [{ label: 1, expr: 'audio:3%' }]],
    // Every occurrence is kept, in order; the core lets the later one win per label.
    [
      ['-e', 'motion', 'in.mp4', '--edit:2', 'audio', '--edit', 'audio:5%'],
      [
        { label: 1, expr: 'motion' },
        { label: 2, expr: 'audio' },
        { label: 1, expr: 'audio:5%' },
      ],
    ],
  ];
  for (const [argv, expected] of cases) {
    it(argv.join(' '), () => assert.deepEqual(options(argv).edits, expected));
  }

  it('refuses label 0 and labels past 255', () => {
    rejects(['--edit:0', 'audio'], /label 0 means inactive/);
    rejects(['-e:256', 'audio'], /Invalid label in -e:256/);
  });
});

describe('--when, -w:N and the deprecated speed options', () => {
  const cases: Array<[string[], EditCliOptions['whens']]> = [
    [['--when-inactive', 'speed:2'], [{ label: 0, actions: 'speed:2' }]],
    [['--when-silent', 'nil'], [{ label: 0, actions: 'nil' }]],
    [['-w:0', 'volume:0.5'], [{ label: 0, actions: 'volume:0.5' }]],
    [['--when:0', 'cut'], [{ label: 0, actions: 'cut' }]],
    [['--when-active', 'speed:1.5,volume:2'], [{ label: 1, actions: 'speed:1.5,volume:2' }]],
    [['--when-normal', 'cut'], [{ label: 1, actions: 'cut' }]],
    [['-w:1', 'varispeed:2'], [{ label: 1, actions: 'varispeed:2' }]],
    [['--when:1', 'nil'], [{ label: 1, actions: 'nil' }]],
    [['-w:7', 'speed:3'], [{ label: 7, actions: 'speed:3' }]],
    [['--when:255=cut'], [{ label: 255, actions: 'cut' }]],
    // auto-editor maps --silent-speed/--video-speed onto -w:0/-w:1 with these rules.
    [['--silent-speed', '2'], [{ label: 0, actions: 'speed:2' }]],
    [['--silent-speed', '99999'], [{ label: 0, actions: 'cut' }]],
    [['--silent-speed', '100000'], [{ label: 0, actions: 'cut' }]],
    [['--silent-speed', '0'], [{ label: 0, actions: 'cut' }]],
    [['--silent-speed', '-3'], [{ label: 0, actions: 'cut' }]],
    [['--silent-speed', '1'], [{ label: 0, actions: 'nil' }]],
    [['--video-speed', '150%'], [{ label: 1, actions: 'speed:1.5' }]],
    [['--video-speed', '100%'], [{ label: 1, actions: 'nil' }]],
    [['--video-speed', '0.5'], [{ label: 1, actions: 'speed:0.5' }]],
    [
      ['-w:0', 'cut', '--silent-speed', '8', '-w:0', 'speed:4'],
      [
        { label: 0, actions: 'cut' },
        { label: 0, actions: 'speed:8' },
        { label: 0, actions: 'speed:4' },
      ],
    ],
  ];
  for (const [argv, expected] of cases) {
    it(argv.join(' '), () => assert.deepEqual(options(argv).whens, expected));
  }

  it('refuses a speed that is not a number', () => {
    rejects(['--silent-speed', 'fast'], /--silent-speed/);
    rejects(['--video-speed', '2x'], /unknown unit "x"/);
  });

  it('explains --when-inactive on request', () => {
    assert.deepEqual(parseCli(['-w:0', '--help']), { kind: 'help', topic: '--when-inactive' });
    assert.deepEqual(parseCli(['--when:9', '--help']), { kind: 'help', topic: '--when:N' });
  });
});

describe('range options', () => {
  const cases: Array<[string[], EditCliOptions['ranges']]> = [
    [['--cut', '2sec,10sec'], [{ kind: 'cut', text: '2sec,10sec' }]],
    [['--cut-out', '-5secs,end'], [{ kind: 'cut', text: '-5secs,end' }]],
    [['--keep', 'start,30'], [{ kind: 'keep', text: 'start,30' }]],
    [['--add-in', '1min,2min'], [{ kind: 'keep', text: '1min,2min' }]],
    [['--set-speed', '125%,0,5s'], [{ kind: 'set-speed', text: '125%,0,5s' }]],
    [['--set-speed-for-range', '2,10,20'], [{ kind: 'set-speed', text: '2,10,20' }]],
    [['--set-action', 'speed:2,volume:0.5,0,end'], [{ kind: 'set-action', text: 'speed:2,volume:0.5,0,end' }]],
    [['--cut=0,1s'], [{ kind: 'cut', text: '0,1s' }]],
    [
      ['--cut', '0,10', 'in.mp4', '--keep', '5,6', '--set-speed', '2,8,9', '--cut', '20,end'],
      [
        { kind: 'cut', text: '0,10' },
        { kind: 'keep', text: '5,6' },
        { kind: 'set-speed', text: '2,8,9' },
        { kind: 'cut', text: '20,end' },
      ],
    ],
  ];
  for (const [argv, expected] of cases) {
    it(argv.join(' '), () => assert.deepEqual(options(argv).ranges, expected));
  }

  it('takes one range per option, as auto-editor does: a second value is an input', () => {
    const command = parseCli(['--cut', '1s,2s', '5s,6s']) as Extract<CliCommand, { kind: 'edit' }>;
    assert.deepEqual(command.options.ranges, [{ kind: 'cut', text: '1s,2s' }]);
    assert.deepEqual(command.inputs, ['5s,6s']);
  });

  it('takes a negative start as the value, not as an option', () => {
    assert.deepEqual(options(['--cut', '-5s,end']).ranges, [{ kind: 'cut', text: '-5s,end' }]);
  });
});

describe('--stats', () => {
  it('is a flag with the alias --preview', () => {
    assert.equal(options(['in.mp4']).stats, false);
    assert.equal(options(['--stats', 'in.mp4']).stats, true);
    assert.equal(options(['in.mp4', '--preview']).stats, true);
    rejects(['--stats=1'], /--stats is a flag and takes no value/);
  });
});

describe('CLI options feed parseEditRequest', () => {
  it('gives the core exactly what it needs', () => {
    const o = options(['in.mp4', '-e:2', 'motion', '-w:2', 'speed:3', '--silent-speed', '4', '--cut', '0,1s', '-m', '0', '-s', '0']);
    const plan = parseEditRequest({ edits: o.edits, whens: o.whens, ranges: o.ranges, margin: o.margin, smooth: o.smooth });
    assert.deepEqual(plan.edits.map((e) => [e.label, e.expr.kind]), [[1, 'audio'], [2, 'motion']]);
    assert.deepEqual(plan.whens.get(0), { speed: 4, varispeed: 1, volume: 1 });
    assert.deepEqual(plan.whens.get(2), { speed: 3, varispeed: 1, volume: 1 });
    assert.equal(plan.ranges[0]!.action, 'cut');
  });
});

describe('help for the editing options', () => {
  const help = formatHelp();
  it('describes the new options and hides the deprecated ones', () => {
    for (const name of ['--cut', '--keep', '--set-speed-for-range', '--set-action', '--stats', '--when-active', '--when-inactive']) {
      assert.ok(help.split('\n').some((l) => l.includes(name) && !l.includes('Not yet supported')), `${name} should be described`);
    }
    assert.match(help, /--preview/);
    assert.match(help, /-w:0/);
  });

  it('has per-option help for the hidden ones', () => {
    assert.match(formatOptionHelp('--silent-speed'), /Deprecated/);
    assert.match(formatOptionHelp('--when:N'), /label N/);
  });
});
