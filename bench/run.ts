// `npm run bench`: generates long stereo AAC recordings (once, cached in bench/.data), then measures
// tacet's audio analysis against FFmpeg decoding the same file, in the same run.
//   npm run bench -- [--runs N] [--hours 1,6]
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arg, fmt, hasFfmpeg, median, timeCommand, type Sample } from './measure.js';
import { ensureSpeechAudio } from './talk.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const dataDir = join(root, 'bench', '.data');

const runs = Number(arg('--runs', '5'));
const hours = arg('--hours', '1,6').split(',').map(Number);

const containers = arg('--containers', 'mka,m4a').split(',');

/** The same AAC packets in another container (no re-encode): Matroska has no per-packet index. */
function ensureContainer(h: number, ext: string): Promise<string> {
  return ensureSpeechAudio(dataDir, h, ext);
}

function measureTacet(path: string, mode: 'serial' | 'parallel'): Sample & { mode?: { kind: string; why?: string } } {
  const out = execFileSync(process.execPath, [join(here, 'analyze-one.js'), path, mode], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

function measureRender(path: string): Sample {
  const out = join(dataDir, `render-out-${process.pid}.m4a`);
  const text = execFileSync(process.execPath, [join(here, 'render-one.js'), path, out], { encoding: 'utf8' });
  return JSON.parse(text.trim().split('\n').pop()!);
}

function measureFfmpeg(path: string): Sample {
  // GNU time (apt-get install time), when present, reports FFmpeg's peak RSS and CPU time.
  return timeCommand('ffmpeg', ['-v', 'error', '-nostdin', '-i', path, '-map', '0:a', '-f', 'null', '-']);
}

console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
console.log(`runs per measurement: ${runs} (medians)\n`);
const withRender = !process.argv.includes('--no-render');
const ffmpeg = hasFfmpeg();
if (!ffmpeg) console.log('ffmpeg not on PATH: baseline skipped (apt-get install ffmpeg)\n');
console.log(
  '| input | size | tacet serial wall (s) | cpu (s) | peak RSS (MB) | tacet parallel wall (s) | cpu (s) | peak RSS (MB) | parallel ran as | ffmpeg decode wall (s) | ffmpeg cpu (s) | ffmpeg peak RSS (MB) | wall ratio parallel/ffmpeg |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|---|');
const renders: Array<{ h: string; sample: Sample }> = [];
const peaks = new Map<string, number>();
for (const ext of containers) for (const h of hours) {
  const path = await ensureContainer(h, ext);
  const s1: Sample[] = [];
  const t: Array<ReturnType<typeof measureTacet>> = [];
  const f: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    // Interleaved, so that a change in machine load hits every column alike.
    s1.push(measureTacet(path, 'serial'));
    t.push(measureTacet(path, 'parallel'));
    if (ffmpeg) f.push(measureFfmpeg(path));
  }
  const ran = t[0].mode?.kind === 'parallel' ? 'parallel' : `serial (${t[0].mode?.why ?? '?'})`;
  const tw = median(t.map((s) => s.wall));
  const fw = ffmpeg ? median(f.map((s) => s.wall)) : NaN;
  const size = `${(statSync(path).size / 2 ** 20).toFixed(0)} MiB`;
  const peak = Math.max(...t.map((s) => s.maxRssMB));
  peaks.set(`${ext}:${h}`, peak);
  console.log(
    `| ${h} h stereo AAC 48 kHz .${ext} | ${size} | ${fmt(median(s1.map((s) => s.wall)))} | ${fmt(median(s1.map((s) => s.cpu)))} | ${fmt(Math.max(...s1.map((s) => s.maxRssMB)), 0)} | ${fmt(tw)} | ${fmt(median(t.map((s) => s.cpu)))} | ${fmt(Math.max(...t.map((s) => s.maxRssMB)), 0)} | ${ran} | ${fmt(fw)} | ${fmt(ffmpeg ? median(f.map((s) => s.cpu)) : NaN)} | ${fmt(ffmpeg ? Math.max(...f.map((s) => s.maxRssMB)) : NaN, 0)} | ${fmt(tw / fw)} |`,
  );
  if (withRender) renders.push({ h: `${h} h .${ext}`, sample: measureRender(path) });
}
console.log('');
for (const ext of containers) {
  const one = peaks.get(`${ext}:1`);
  const six = peaks.get(`${ext}:6`);
  if (one && six) {
    console.log(`.${ext}: peak RSS 6 h / 1 h = ${fmt(six / one)} (${fmt(six, 0)} MB vs ${fmt(one, 0)} MB)`);
  }
}
if (renders.length) {
  console.log('\nFull edit (analysis + cut + AAC re-encode of the kept audio), one run each:\n');
  console.log('| input | wall (s) | cpu (s) | peak RSS (MB) | output frames |');
  console.log('|---|---|---|---|---|');
  for (const { h, sample } of renders) {
    console.log(`| ${h} stereo AAC 48 kHz | ${fmt(sample.wall)} | ${fmt(sample.cpu)} | ${fmt(sample.maxRssMB, 0)} | ${(sample as Sample & { frames: number }).frames} |`);
  }
}
process.exit(0);
