// Completion scripts are generated from the option and subcommand tables; bash is also exercised
// for real (it is on every test machine), zsh and fish when installed.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

import { completionScript } from '../../src/cli/commands/completion.js';
import { SUBCOMMANDS } from '../../src/cli/commands.js';
import { OPTIONS } from '../../src/cli/options.js';

function hasShell(name: string): boolean {
  return spawnSync(name, ['-c', 'exit 0']).status === 0;
}

/** Runs the bash completion function on a command line; returns what it offers. */
function bashComplete(script: string, words: string[]): string[] {
  const quoted = words.map((w) => `'${w.replace(/'/g, "'\\''")}'`).join(' ');
  const program = `${script}\nCOMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _tacet_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', program], { encoding: 'utf8', cwd: '/' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter(Boolean);
}

describe('completion scripts', () => {
  it('name every visible implemented option and every subcommand, and no refused option', async () => {
    for (const shell of ['bash', 'zsh', 'fish'] as const) {
      const script = await completionScript(shell);
      for (const def of OPTIONS.filter((d) => d.implemented && !d.hidden)) {
        const bare = def.name.replace(/^-+/, '');
        assert.ok(script.includes(bare), `${shell}: ${def.name} missing`);
      }
      for (const sub of SUBCOMMANDS) assert.ok(script.includes(sub.name), `${shell}: ${sub.name} missing`);
      assert.ok(!script.includes('license-key'), `${shell}: offers the refused --license-key`);
      assert.ok(!script.includes('silent-speed'), `${shell}: offers the hidden --silent-speed`);
    }
  });

  it('bash: completes subcommands, options, choices and per-subcommand options', async () => {
    const script = await completionScript('bash');
    assert.ok(bashComplete(script, ['tacet', 'le']).includes('levels'));
    assert.deepEqual(bashComplete(script, ['tacet', '--marg']), ['--margin']);
    assert.deepEqual(bashComplete(script, ['tacet', 'a.mp4', '--progress', 'm']), ['modern', 'machine']);
    assert.ok(bashComplete(script, ['tacet', 'a.mp4', '--export', 'pre']).includes('premiere'));
    assert.deepEqual(bashComplete(script, ['tacet', 'levels', 'a.wav', '--display', '']), ['float', 'd16']);
    assert.deepEqual(bashComplete(script, ['tacet', 'completion', '-s', 'f']), ['fish']);
    assert.deepEqual(bashComplete(script, ['tacet', 'info', '--j']), ['--json']);
    assert.deepEqual(bashComplete(script, ['tacet', 'cache', 'cl']), ['clean']);
    // batch takes its own options and every edit option.
    const batch = bashComplete(script, ['tacet', 'batch', '--']);
    assert.ok(batch.includes('--jobs') && batch.includes('--margin'));
    // Subcommand names are offered only in first position.
    assert.ok(!bashComplete(script, ['tacet', 'a.mp4', 'le']).includes('levels'));
  });

  it('zsh and fish scripts parse, when those shells are installed', async (t) => {
    for (const shell of ['zsh', 'fish'] as const) {
      if (!hasShell(shell)) {
        t.diagnostic(`${shell} is not installed: syntax not checked`);
        continue;
      }
      const r = spawnSync(shell, ['-n'], { input: await completionScript(shell), encoding: 'utf8' });
      assert.equal(r.status, 0, `${shell}: ${r.stderr}`);
    }
    const bash = spawnSync('bash', ['-n'], { input: await completionScript('bash'), encoding: 'utf8' });
    assert.equal(bash.status, 0, bash.stderr);
  });

  it('zsh uses _arguments with descriptions; fish guards options by subcommand', async () => {
    const zsh = await completionScript('zsh');
    assert.match(zsh, /^#compdef tacet/);
    assert.match(zsh, /'--progress\[[^\]]+\]:PROGRESS:\(modern classic ascii machine none\)'/);
    const fish = await completionScript('fish');
    assert.match(fish, /complete -c tacet -n '__fish_seen_subcommand_from levels' -l 'display' -x -a 'float d16'/);
    assert.match(fish, /-o 'tb'/);
  });
});
