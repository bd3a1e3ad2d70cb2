// `npm run bench:lossless`: rendering a 10-minute 720p30 H.264 talk (2-second GOPs, 20 s of speech
// between 2-second pauses, see talk.ts) with tacet's default partial-lossless render against
// `--no-partial-lossless` (every frame re-encoded). `--codec hevc` renders the HEVC talk instead
// (open GOPs, re-encoded with libx265 at its defaults, which is slow: use a few minutes). The CLI
// runs as a child process under /usr/bin/time -v (GNU time; required), which gives peak RSS and
// CPU time; wall time is measured here. Runs alternate between the two modes; medians and the
// spread are printed. FFmpeg is not needed.
//   npm run bench:lossless -- [--runs N] [--minutes M] [--codec h264|hevc]
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureTalk, type TalkCodec } from './talk.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const dataDir = join(root, 'bench', '.data');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
const runs = Number(arg('--runs', '3'));
const minutes = Number(arg('--minutes', '10'));
const codec = arg('--codec', 'h264') as TalkCodec;
if (codec !== 'h264' && codec !== 'hevc') throw new Error('--codec must be h264 or hevc');

interface Sample {
  wall: number;
  cpu: number;
  rssMB: number;
  /** What `--debug` said about partial lossless. */
  lossless: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** One CLI render under GNU time. */
function render(input: string, output: string, extra: string[]): Sample {
  rmSync(output, { force: true });
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-v', process.execPath, cli, input, '-o', output, '--debug', ...extra], { encoding: 'utf8' });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`tacet failed (${r.status}):\n${r.stderr}`);
  const field = (name: string): number => {
    const m = new RegExp(`${name}: ([0-9.]+)`).exec(r.stderr);
    if (!m) throw new Error(`no "${name}" in /usr/bin/time output`);
    return Number(m[1]);
  };
  const lossless = /partial lossless.*$/m.exec(r.stderr)?.[0] ?? '';
  return {
    wall,
    cpu: field('User time \\(seconds\\)') + field('System time \\(seconds\\)'),
    rssMB: field('Maximum resident set size \\(kbytes\\)') / 1024,
    lossless,
  };
}

async function main(): Promise<void> {
  if (!existsSync('/usr/bin/time')) throw new Error('this benchmark needs GNU time at /usr/bin/time (apt-get install time)');
  const input = await ensureTalk(dataDir, minutes, codec);
  const modes = [
    { name: 'partial lossless (default)', extra: [] as string[], samples: [] as Sample[] },
    { name: '--no-partial-lossless', extra: ['--no-partial-lossless'], samples: [] as Sample[] },
  ];
  const out = join(dataDir, 'lossless-out.mp4');
  // Warm-up: fills the analysis cache and the page cache, so both modes measure rendering alike.
  render(input, out, []);
  for (let i = 0; i < runs; i++) {
    for (const m of modes) {
      const s = render(input, out, m.extra);
      m.samples.push(s);
      process.stderr.write(`${m.name}: run ${i + 1}: ${s.wall.toFixed(1)} s wall, ${s.cpu.toFixed(1)} s CPU, ${s.rssMB.toFixed(0)} MB\n`);
    }
  }
  rmSync(out, { force: true });
  const name = codec === 'h264' ? 'H.264' : 'HEVC';
  console.log(`${minutes}-minute 720p30 ${name} talk, ${runs} runs each, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), medians:`);
  console.log('| mode | wall s | CPU s | peak RSS MB | runs (wall/CPU s) |');
  console.log('|---|---:|---:|---:|---|');
  for (const m of modes) {
    const w = median(m.samples.map((s) => s.wall));
    const c = median(m.samples.map((s) => s.cpu));
    const r = median(m.samples.map((s) => s.rssMB));
    const all = m.samples.map((s) => `${s.wall.toFixed(1)}/${s.cpu.toFixed(1)}`).join(', ');
    console.log(`| ${m.name} | ${w.toFixed(1)} | ${c.toFixed(1)} | ${r.toFixed(0)} | ${all} |`);
  }
  for (const m of modes) console.log(`${m.name}: ${m.samples[0]?.lossless}`);
  const ratio = (f: (s: Sample) => number): string =>
    (median(modes[1].samples.map(f)) / median(modes[0].samples.map(f))).toFixed(1);
  console.log(`partial lossless is ${ratio((s) => s.wall)}x faster in wall time, ${ratio((s) => s.cpu)}x in CPU time`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
