import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { UserError } from '../../src/errors.js';
import { parseCli, type CliCommand, type EditCliOptions } from '../../src/cli/parse.js';
import { OPTIONS, findOption, resolveProgressStyle } from '../../src/cli/options.js';

function edit(argv: string[]): { inputs: string[]; options: EditCliOptions } {
  const command = parseCli(argv);
  assert.equal(command.kind, 'edit', `expected an edit command for ${JSON.stringify(argv)}`);
  return command as Extract<CliCommand, { kind: 'edit' }>;
}

/** Asserts that parsing throws a UserError whose message matches. */
function rejects(argv: string[], message: RegExp): void {
  assert.throws(
    () => parseCli(argv),
    (error: unknown) => error instanceof UserError && message.test(error.message),
    `${JSON.stringify(argv)} should be refused with ${message}`,
  );
}

describe('parseCli defaults', () => {
  it('gives auto-editor defaults when only an input is given', () => {
    const { inputs, options } = edit(['in.mp4']);
    assert.deepEqual(inputs, ['in.mp4']);
    assert.deepEqual(options, {
      edits: [],
      whens: [],
      ranges: [],
      margin: '0.2s',
      smooth: '0.2s,0.1s',
      export: null,
      output: null,
      frameRate: null,
      noCache: false,
      progress: null,
      debug: false,
      quiet: false,
      stats: false,
      open: false,
      ytDlpLocation: 'yt-dlp',
      ytDlpExtras: null,
      outputFormat: null,
      downloadFormat: null,
      render: {},
    });
  });

  it('accepts no arguments at all (the lead decides about stdin)', () => {
    assert.deepEqual(edit([]).inputs, []);
  });
});

describe('parseCli value options and aliases', () => {
  const cases: Array<[string[], keyof EditCliOptions, string]> = [
    [['--margin', '0.3s,1.5sec'], 'margin', '0.3s,1.5sec'],
    [['-m', '6'], 'margin', '6'],
    [['--smooth', '0'], 'smooth', '0'],
    [['-s', '0.5s,0.2s'], 'smooth', '0.5s,0.2s'],
    [['--export', 'v3'], 'export', 'v3'],
    [['-ex', 'premiere:name="x"'], 'export', 'premiere:name="x"'],
    [['--output', 'out.mp4'], 'output', 'out.mp4'],
    [['-o', 'cut.xml'], 'output', 'cut.xml'],
    [['--frame-rate', 'ntsc'], 'frameRate', 'ntsc'],
    [['-r', '30000/1001'], 'frameRate', '30000/1001'],
    [['-tb', '25'], 'frameRate', '25'],
    [['-fps', '29.97'], 'frameRate', '29.97'],
    [['--time-base', 'film'], 'frameRate', 'film'],
    [['--progress', 'machine'], 'progress', 'machine'],
    [['--yt-dlp-location', '/opt/yt-dlp'], 'ytDlpLocation', '/opt/yt-dlp'],
    [['--yt-dlp-extras', '--cookies c.txt'], 'ytDlpExtras', '--cookies c.txt'],
    [['--output-format', '%(title)s.%(ext)s'], 'outputFormat', '%(title)s.%(ext)s'],
    [['--download-format', 'best'], 'downloadFormat', 'best'],
  ];
  for (const [argv, field, expected] of cases) {
    it(`${argv.join(' ')} sets ${field}`, () => {
      assert.equal(edit(['in.mp4', ...argv]).options[field], expected);
    });
  }

  it('accepts every progress style', () => {
    for (const style of ['modern', 'classic', 'ascii', 'machine', 'none'] as const) {
      assert.equal(edit(['--progress', style]).options.progress, style);
    }
  });

  it('accepts --opt=value and -o=value', () => {
    const { options } = edit(['--margin=0.5s', '-e=motion', '--export=premiere:name="a=b"', 'in.mp4']);
    assert.equal(options.margin, '0.5s');
    assert.deepEqual(options.edits, [{ label: 1, expr: 'motion' }]);
    // Only the first = separates name and value.
    assert.equal(options.export, 'premiere:name="a=b"');
  });

  it('takes negative numbers as values', () => {
    assert.equal(edit(['-m', '-0.1s', 'in.mp4']).options.margin, '-0.1s');
    assert.equal(edit(['--margin', '-2,-3', 'in.mp4']).options.margin, '-2,-3');
    assert.equal(edit(['--margin=-0.1s']).options.margin, '-0.1s');
    assert.equal(edit(['-m', '-.5s']).options.margin, '-.5s');
  });

  it('takes - as a value (stdout output)', () => {
    assert.equal(edit(['in.mp4', '-o', '-', '--export', 'v3']).options.output, '-');
  });

  it('lets the last occurrence win, as auto-editor does', () => {
    const { options } = edit(['-m', '1s', 'in.mp4', '--margin', '2s']);
    assert.equal(options.margin, '2s');
  });

  it('treats --edit:1 and -e:1 as plain --edit', () => {
    assert.deepEqual(edit(['--edit:1', 'motion']).options.edits, [{ label: 1, expr: 'motion' }]);
    assert.deepEqual(edit(['-e:1=motion']).options.edits, [{ label: 1, expr: 'motion' }]);
  });
});

describe('parseCli flags', () => {
  it('sets each flag, by name and alias', () => {
    const { options } = edit(['--no-cache', '--debug', '-q', 'a.mp4']);
    assert.equal(options.noCache, true);
    assert.equal(options.debug, true);
    assert.equal(options.quiet, true);
    assert.equal(edit(['--quiet']).options.quiet, true);
  });

  it('--open sets open and --no-open clears it; the last one wins', () => {
    assert.equal(edit(['a.mp4', '--open']).options.open, true);
    assert.equal(edit(['a.mp4', '--open', '--no-open']).options.open, false);
    assert.equal(edit(['a.mp4', '--no-open', '--open']).options.open, true);
  });

  it("takes auto-editor's export shortcuts as --export", () => {
    assert.equal(edit(['a.mp4', '-exp']).options.export, 'premiere');
    assert.equal(edit(['a.mp4', '--export-to-final-cut-pro']).options.export, 'final-cut-pro');
    assert.equal(edit(['a.mp4', '-exs', '--export', 'v3']).options.export, 'v3');
    assert.equal(edit(['a.mp4', '--export', 'v3', '-exk']).options.export, 'kdenlive');
  });

  it('keeps the arguments other than inputs, in order, for tacet batch', () => {
    const command = parseCli(['a.mp4', '-m', '0.3s', 'b.mp4', '--edit=motion', '--no-cache', '--', '-c.mp4']);
    assert.equal(command.kind, 'edit');
    const { inputs, optionArgs } = command as Extract<CliCommand, { kind: 'edit' }>;
    assert.deepEqual(inputs, ['a.mp4', 'b.mp4', '-c.mp4']);
    assert.deepEqual(optionArgs, ['-m', '0.3s', '--edit=motion', '--no-cache']);
  });

  it('refuses a value given to a flag', () => {
    rejects(['--debug=yes'], /--debug is a flag and takes no value/);
  });

  it('returns version for --version, -V and -v', () => {
    for (const spelling of ['--version', '-V', '-v']) assert.deepEqual(parseCli([spelling]), { kind: 'version' });
    assert.deepEqual(parseCli(['in.mp4', '-V']), { kind: 'version' });
  });

  it('still reports errors on the rest of the line before printing the version', () => {
    rejects(['--version', '--bogus'], /Unknown option --bogus/);
  });
});

describe('parseCli inputs', () => {
  it('takes inputs anywhere, in order', () => {
    const { inputs, options } = edit(['a.mp4', '-m', '0.1s', 'b.mov', '--debug', 'c.mkv']);
    assert.deepEqual(inputs, ['a.mp4', 'b.mov', 'c.mkv']);
    assert.equal(options.margin, '0.1s');
  });

  it('ends options at --', () => {
    const { inputs, options } = edit(['-q', '--', '--margin', '-weird.mp4', '--']);
    assert.deepEqual(inputs, ['--margin', '-weird.mp4', '--']);
    assert.equal(options.margin, '0.2s');
    assert.equal(options.quiet, true);
  });

  it('takes - and -<digit> tokens in input position as inputs', () => {
    assert.deepEqual(edit(['-', '-1.mp4']).inputs, ['-', '-1.mp4']);
  });
});

describe('parseCli errors', () => {
  it('suggests the nearest option for an unknown one', () => {
    rejects(['--margn', '0.2s'], /^Unknown option --margn; did you mean --margin\?$/);
    rejects(['--exprot', 'v3'], /did you mean --export\?/);
    rejects(['--smoth=1'], /Unknown option --smoth; did you mean --smooth\?/);
    rejects(['-fsp', '30'], /did you mean -fps\?/);
  });

  it('says nothing more when no option is close', () => {
    rejects(['--completely-different-thing'], /^Unknown option --completely-different-thing\.$/);
  });

  it('refuses unimplemented options by name', () => {
    rejects(['in.mp4', '--license-key', 'abc'], /^--license-key is not supported by tacet yet\.$/);
    rejects(['-k', 'abc'], /^-k \(--license-key\) is not supported by tacet yet\.$/);
    rejects(['--temp-dir', '/tmp'], /^--temp-dir is not supported by tacet yet\.$/);
  });

  it('refuses every unimplemented option in the table', () => {
    for (const def of OPTIONS.filter((d) => !d.implemented)) {
      rejects([def.name, 'x'], /is not supported by tacet yet\.$/);
    }
  });

  it('checks the labels of --edit:N and --when:N like auto-editor', () => {
    rejects(['-e:0', 'audio'], /^-e:0 is invalid/);
    rejects(['--edit:0', 'audio'], /label 0 means inactive/);
    rejects(['--edit:x', 'audio'], /Invalid label in --edit:x/);
    rejects(['--edit:', 'audio'], /Invalid label in --edit:/);
    rejects(['--when:256', 'cut'], /Invalid label in --when:256/);
    rejects(['-w:-1', 'cut'], /Invalid label in -w:-1/);
    rejects(['--when:N', 'cut'], /Invalid label in --when:N/);
  });

  it('names the option whose value is missing', () => {
    rejects(['in.mp4', '--margin'], /^--margin needs a value \(LENGTH\[,LENGTH\]\)\.$/);
    rejects(['-o'], /^-o needs a value \(FILE\)\.$/);
    rejects(['--edit='], /--edit needs a non-empty value/);
  });

  it('does not swallow the next option as a value', () => {
    rejects(['--margin', '--edit', 'audio'], /^--margin needs a value \(LENGTH\[,LENGTH\]\), but got the option --edit\.$/);
    rejects(['-e', '-q'], /-e needs a value \(METHOD\), but got the option -q/);
    rejects(['-o', '--'], /-o needs a value \(FILE\), but got the option --/);
    rejects(['-m', '-c:v'], /but got the option -c:v/);
  });

  it('checks --progress choices, with a suggestion', () => {
    rejects(['--progress', 'fancy'], /^'fancy' is not a choice for --progress; choose one of modern, classic, ascii, machine, none\.$/);
    rejects(['--progress=machin'], /\(did you mean machine\?\)/);
  });
});

describe('parseCli help', () => {
  it('returns general help for -h and --help anywhere', () => {
    assert.deepEqual(parseCli(['--help']), { kind: 'help', topic: null });
    assert.deepEqual(parseCli(['in.mp4', '-m', '1s', '-h']), { kind: 'help', topic: null });
    assert.deepEqual(parseCli(['-h', '--bogus']), { kind: 'help', topic: null });
  });

  it('returns option help for --x --help, by canonical name', () => {
    assert.deepEqual(parseCli(['--margin', '--help']), { kind: 'help', topic: '--margin' });
    assert.deepEqual(parseCli(['-m', '-h']), { kind: 'help', topic: '--margin' });
    assert.deepEqual(parseCli(['-r', '--help']), { kind: 'help', topic: '--frame-rate' });
    assert.deepEqual(parseCli(['--debug', '--help']), { kind: 'help', topic: '--debug' });
    assert.deepEqual(parseCli(['--edit:3', '--help']), { kind: 'help', topic: '--edit' });
  });

  it('explains an unimplemented option instead of refusing it when asked', () => {
    assert.deepEqual(parseCli(['-k', '--help']), { kind: 'help', topic: '--license-key' });
    assert.deepEqual(parseCli(['--temp-dir', '-h']), { kind: 'help', topic: '--temp-dir' });
  });

  it('gives general help once the value has been given', () => {
    assert.deepEqual(parseCli(['--margin', '1s', '--help']), { kind: 'help', topic: null });
  });

  it('refuses a value given to --help', () => {
    rejects(['--help=margin'], /--help takes no value/);
  });
});

describe('option table', () => {
  it('marks exactly the options tacet implements', () => {
    const implemented = OPTIONS.filter((d) => d.implemented).map((d) => d.name).sort();
    assert.deepEqual(implemented, [
      '--audio-bitrate',
      '--audio-codec',
      '--audio-layout',
      '--audio-normalize',
      '--background',
      '--cut',
      '--debug',
      '--download-format',
      '--edit',
      '--export',
      '--export-to-final-cut-pro',
      '--export-to-kdenlive',
      '--export-to-premiere',
      '--export-to-resolve',
      '--export-to-shotcut',
      '--faststart',
      '--fragmented',
      '--frame-rate',
      '--gop',
      '--help',
      '--keep',
      '--margin',
      '--mix-audio-streams',
      '--no-cache',
      '--no-faststart',
      '--no-fragmented',
      '--no-open',
      '--no-partial-lossless',
      '--no-seek',
      '--open',
      '--output',
      '--output-format',
      '--pix-fmt',
      '--preset',
      '--progress',
      '--quiet',
      '--resolution',
      '--sample-rate',
      '--scale',
      '--set-action',
      '--set-speed-for-range',
      '--silent-speed',
      '--smooth',
      '--stats',
      '--transition',
      '--version',
      '--video-bitrate',
      '--video-codec',
      '--video-speed',
      '--when-active',
      '--when-inactive',
      '--when:N',
      '--yt-dlp-extras',
      '--yt-dlp-location',
      '-an',
      '-crf',
      '-dn',
      '-sn',
      '-vn',
      '-vprofile',
    ]);
  });

  it("carries auto-editor's aliases", () => {
    assert.equal(findOption('-tb')?.name, '--frame-rate');
    assert.equal(findOption('-fps')?.name, '--frame-rate');
    assert.equal(findOption('-s')?.name, '--smooth');
    assert.equal(findOption('-ex')?.name, '--export');
    assert.equal(findOption('-w:0')?.name, '--when-inactive');
    assert.equal(findOption('--when-silent')?.name, '--when-inactive');
    assert.equal(findOption('-b:a')?.name, '--audio-bitrate');
    assert.equal(findOption('--output-file'), undefined, 'auto-editor 31 has no --output-file');
  });

  it('resolves the automatic progress style from the terminal', () => {
    assert.equal(resolveProgressStyle(null, true), 'modern');
    assert.equal(resolveProgressStyle(null, false), 'none');
    assert.equal(resolveProgressStyle('machine', false), 'machine');
    assert.equal(resolveProgressStyle('none', true), 'none');
  });
});
