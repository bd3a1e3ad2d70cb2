// tacet batch expands globs itself (Node 20 has no fs.glob, and cmd.exe expands nothing).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { expandBraces, expandGlob, hasGlob, segmentRegExp } from '../../src/glob.js';
import { expandInputs } from '../../src/cli/commands/batch.js';

describe('glob pieces', () => {
  it('knows a glob from a plain name, honouring escapes', () => {
    assert.equal(hasGlob('talk.mp4'), false);
    assert.equal(hasGlob('*.mp4'), true);
    assert.equal(hasGlob('take?.wav'), true);
    assert.equal(hasGlob('[ab].mp4'), true);
    assert.equal(hasGlob('{a,b}.mp4'), true);
    assert.equal(hasGlob('odd\\*name.mp4'), false);
  });

  it('expands braces, nested and in sequence; lone braces stay literal', () => {
    assert.deepEqual(expandBraces('a{b,c}d'), ['abd', 'acd']);
    assert.deepEqual(expandBraces('{x,y{1,2}}.mp4'), ['x.mp4', 'y1.mp4', 'y2.mp4']);
    assert.deepEqual(expandBraces('{a,b}-{1,2}'), ['a-1', 'a-2', 'b-1', 'b-2']);
    assert.deepEqual(expandBraces('{x}.mp4'), ['{x}.mp4']);
    assert.deepEqual(expandBraces('a{b.mp4'), ['a{b.mp4']);
  });

  it('matches one segment like a shell: *, ?, classes, negation, no leading dot', () => {
    const cases: Array<[string, string, boolean]> = [
      ['*.mp4', 'talk.mp4', true],
      ['*.mp4', 'talk.mp4.part', false],
      ['*.mp4', '.hidden.mp4', false],
      ['.*.mp4', '.hidden.mp4', true],
      ['take?.wav', 'take1.wav', true],
      ['take?.wav', 'take10.wav', false],
      ['[ab]*.mp4', 'b1.mp4', true],
      ['[!ab]*.mp4', 'b1.mp4', false],
      ['[a-c].mp4', 'c.mp4', true],
      ['a+b(1).mp4', 'a+b(1).mp4', true],
      ['\\*.mp4', '*.mp4', true],
      ['\\*.mp4', 'x.mp4', false],
    ];
    for (const [pattern, name, expected] of cases) assert.equal(segmentRegExp(pattern).test(name), expected, `${pattern} vs ${name}`);
  });
});

describe('expandGlob on a folder tree', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tacet-glob-'));
    for (const f of ['a.mp4', 'b.mp4', 'c.wav', '.hidden.mp4', 'a_ALTERED.mp4', 'sub/d.mp4', 'sub/deep/e.mp4', '.git/f.mp4', 'odd [1].mp4']) {
      mkdirSync(join(dir, f, '..'), { recursive: true });
      writeFileSync(join(dir, f), 'x');
    }
    mkdirSync(join(dir, 'folder.mp4'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('matches files only, sorted, relative to the pattern', () => {
    assert.deepEqual(expandGlob('*.mp4', dir), ['a.mp4', 'a_ALTERED.mp4', 'b.mp4', 'odd [1].mp4']);
    assert.deepEqual(expandGlob('sub/*.mp4', dir), ['sub/d.mp4']);
    assert.deepEqual(expandGlob('*.{mp4,wav}', dir), ['a.mp4', 'a_ALTERED.mp4', 'b.mp4', 'c.wav', 'odd [1].mp4']);
    assert.deepEqual(expandGlob('*/*.mp4', dir), ['sub/d.mp4']);
  });

  it('walks any depth with ** but not into hidden folders', () => {
    assert.deepEqual(expandGlob('**/*.mp4', dir), ['a.mp4', 'a_ALTERED.mp4', 'b.mp4', 'odd [1].mp4', 'sub/d.mp4', 'sub/deep/e.mp4']);
    assert.deepEqual(expandGlob('sub/**', dir), ['sub/d.mp4', 'sub/deep/e.mp4']);
  });

  it('takes absolute patterns and answers absolute paths', () => {
    assert.deepEqual(expandGlob(`${dir}/sub/*.mp4`), [`${dir}/sub/d.mp4`]);
  });

  it('matches nothing quietly', () => {
    assert.deepEqual(expandGlob('*.mkv', dir), []);
    assert.deepEqual(expandGlob('missing/*.mp4', dir), []);
  });

  it('batch inputs: globs expanded, earlier outputs skipped, duplicates dropped, empty globs kept as failures', () => {
    const items = expandInputs(['*.mp4', 'a.mp4', 'zz*.mov', 'https://example.com/v', 'literal-missing.mp4'], dir);
    assert.deepEqual(
      items.map((i) => i.input),
      ['a.mp4', 'b.mp4', 'odd [1].mp4', null, 'https://example.com/v', 'literal-missing.mp4'],
    );
    assert.equal(items[3].given, 'zz*.mov');
  });
});
