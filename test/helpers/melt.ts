// melt (MLT's command-line player) as the outside check for Shotcut and Kdenlive exports.
import { spawn, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';

/** True when melt can be run. */
export function meltAvailable(): boolean {
  const r = spawnSync('melt', ['-version'], { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

/** Runs melt once: `project` rendered into `output`; resolves with melt's stderr. */
function meltOnce(project: string, output: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // -silent: no transport display or keyboard polling; real_time=-1: render every frame, never
    // drop one to keep up with a clock.
    const child = spawn('melt', ['-quiet', '-silent', project, '-consumer', `avformat:${output}`, 'real_time=-1'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stderr);
      else reject(new Error(`melt ${project} failed (${signal ?? code}): ${stderr}`));
    });
  });
}

/**
 * Renders `project` with melt. melt 7.12 with the avformat consumer now and then exits 0 having
 * written an empty file and said nothing: seen about once in 20 renders with 4 melts on 2 cores,
 * never with -verbose, on any project, so a start-up race in melt rather than anything in the
 * file. An empty result with a clean stderr is therefore retried a few times; any other failure
 * is reported.
 */
export async function renderWithMelt(project: string, output: string): Promise<string> {
  let stderr = '';
  for (let attempt = 0; attempt < 4; attempt++) {
    stderr = await meltOnce(project, output);
    if (/Failed to load/.test(stderr) || statSync(output).size > 0) break;
  }
  return stderr;
}

