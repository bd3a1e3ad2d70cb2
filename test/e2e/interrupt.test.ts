// Ctrl-C during a render: exit code 130, and neither the output nor a temporary file is left.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { generateMedia } from '../../src/media/generate.js';
import { CLI } from '../helpers/cli.js';
import { tempDir } from '../helpers/media.js';

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  test(`${sig} during a render exits 130 and leaves no partial output`, async () => {
    const src = join(tmp.dir, `long-${sig}.wav`);
    const seconds = 1200;
    await generateMedia(src, {
      duration: seconds,
      audio: {
        sampleRate: 48000,
        layout: 'stereo',
        graph: `sine=frequency=300:sample_rate=48000:duration=${seconds},volume='if(lt(mod(t\\,10)\\,6)\\,0.5\\,0)':eval=frame,aformat=channel_layouts=stereo`,
      },
    });
    const out = join(tmp.dir, `out-${sig}.m4a`);
    const child = spawn(process.execPath, [CLI, src, '-o', out, '--no-cache', '--progress', 'machine'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (d) => {
      stderr += d;
      if (!sent && /Rendering~/.test(stderr)) {
        sent = true;
        child.kill(sig);
      }
    });
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    assert.ok(sent, `never saw the render start: ${stderr}`);
    assert.equal(code, 130, stderr);
    assert.match(stderr, /interrupted/);
    const left = readdirSync(tmp.dir).filter((f) => f.startsWith('out-') || f.includes('.partial'));
    assert.deepEqual(left, []);
  });
}
