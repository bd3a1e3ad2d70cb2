import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { UserError } from '../../src/errors.js';
import { formatHelp, formatOptionHelp } from '../../src/cli/help.js';
import { OPTION_GROUPS, OPTIONS } from '../../src/cli/options.js';
import { didYouMean, editDistance } from '../../src/cli/suggest.js';

describe('formatHelp', () => {
  const help = formatHelp();

  it('starts with the usage line', () => {
    assert.equal(help.split('\n')[0], 'Usage: tacet [FILE...] [OPTIONS]');
  });

  it('has every group, in auto-editor order', () => {
    let last = -1;
    for (const group of OPTION_GROUPS) {
      const at = help.indexOf(`  ${group}:\n`);
      assert.ok(at > last, `group ${group} missing or out of order`);
      last = at;
    }
  });

  it('describes every implemented option, with its aliases', () => {
    for (const def of OPTIONS.filter((d) => d.implemented && !d.hidden)) {
      assert.ok(help.includes(def.name), `${def.name} missing from help`);
      for (const alias of def.aliases) assert.ok(help.includes(alias), `${alias} missing from help`);
    }
    assert.match(help, /-m, --margin LENGTH\[,LENGTH\]/);
    assert.match(help, /\(default: 0\.2s,0\.1s\)/);
  });

  it('never presents an unimplemented option as working', () => {
    const lines = help.split('\n');
    for (const def of OPTIONS.filter((d) => !d.implemented && !d.hidden)) {
      const mentions = lines.filter((l) => new RegExp(`(^|[ ,])${def.name.replace(/[-:]/g, '\\$&')}(,|$| )`).test(l));
      assert.ok(mentions.length > 0, `${def.name} should be listed as not yet supported`);
      // It may appear only in a "Not yet supported" list (or its wrapped continuation).
      for (const line of mentions) {
        const index = lines.indexOf(line);
        const inList = line.trimStart().startsWith('Not yet supported:') || lines[index - 1].includes('Not yet supported:');
        assert.ok(inList, `${def.name} appears outside the not-yet-supported list: ${line}`);
      }
    }
  });

  it('hides deprecated and shortcut spellings, as auto-editor does', () => {
    assert.doesNotMatch(help, /--silent-speed/);
    assert.doesNotMatch(help, /--video-speed/);
    assert.doesNotMatch(help, /^ {4}(-w:N, )?--when:N/m, '--when:N is explained in --when-active, not listed');
    assert.doesNotMatch(help, /(^|[ ,])-exp(,|$| )/m);
  });

  it('fits in 80 columns', () => {
    for (const line of help.split('\n')) assert.ok([...line].length <= 80, `too long: ${line}`);
  });

  it('fits a narrower terminal too', () => {
    for (const line of formatHelp({ width: 60 }).split('\n')) {
      // Only an unbreakable name list may overflow.
      if ([...line].length > 60) assert.match(line, /^ {4}-/, `too long: ${line}`);
    }
  });

  it('lists subcommands when given', () => {
    const withCommands = formatHelp({ commands: [{ name: 'info', help: 'Show what is in a file' }, { name: 'levels' }] });
    assert.match(withCommands, /Commands:\n {2}info {4}Show what is in a file\n {2}levels\n/);
  });
});

describe('formatOptionHelp', () => {
  it('shows aliases, default and text for an implemented option', () => {
    const text = formatOptionHelp('--margin');
    assert.match(text, /^--margin LENGTH\[,LENGTH\]\n/);
    assert.match(text, /Aliases: -m\n/);
    assert.match(text, /Default: 0\.2s\n/);
    assert.match(text, /Group: {3}Editing Options\n/);
    assert.ok(!text.includes('Not supported'));
  });

  it('accepts any spelling and shows choices', () => {
    assert.equal(formatOptionHelp('-m'), formatOptionHelp('--margin'));
    assert.match(formatOptionHelp('--progress'), /Choices: modern, classic, ascii, machine, none\n/);
    assert.match(formatOptionHelp('-r'), /Aliases: -tb, --time-base, -r, -fps\n/);
  });

  it('marks an unimplemented option as not supported', () => {
    const text = formatOptionHelp('-k');
    assert.match(text, /^--license-key KEY\n/);
    assert.match(text, /Not supported by tacet yet/);
    assert.match(formatOptionHelp('-crf'), /Range: {3}0 to 63\n/);
  });

  it('refuses an unknown name with a suggestion', () => {
    assert.throws(() => formatOptionHelp('--margn'), (e: unknown) => e instanceof UserError && /did you mean --margin\?/.test(e.message));
  });
});

describe('suggest', () => {
  it('computes edit distances', () => {
    const cases: Array<[string, string, number]> = [
      ['', '', 0], ['abc', '', 3], ['', 'ab', 2], ['kitten', 'sitting', 3], ['--margn', '--margin', 1],
      ['--exprot', '--export', 1], ['-fsp', '-fps', 1], ['flaw', 'lawn', 2], ['ca', 'abc', 3],
    ];
    for (const [a, b, d] of cases) {
      assert.equal(editDistance(a, b), d, `${a} → ${b}`);
      assert.equal(editDistance(b, a), d, `${b} → ${a}`);
    }
  });

  it('suggests only close candidates, preferring the first on ties', () => {
    assert.equal(didYouMean('--margn', ['--edit', '--margin']), '--margin');
    assert.equal(didYouMean('--xyzzy-plugh', ['--margin', '--edit']), null);
    assert.equal(didYouMean('--margin', ['--margin']), null, 'an exact match is no suggestion');
    assert.equal(didYouMean('abc', ['abx', 'aby']), 'abx');
    assert.equal(didYouMean('--foo', ['--gop']), null, 'two edits in a three-letter name is too far');
    assert.equal(didYouMean('-x', ['-e', '-q']), null, 'short options are all one edit apart');
    assert.equal(didYouMean('--frame', ['--edit', '--frame-rate']), '--frame-rate', 'prefix');
  });
});
