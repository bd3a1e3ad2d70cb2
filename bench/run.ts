// `npm run bench`: tacet's audio analysis against FFmpeg decoding the same file once, in the same
// run, plus tacet's fixed start-up costs. Generates its inputs once into bench/.data/: 1 h and 6 h
// of stereo 48 kHz AAC (.m4a, and the same packets remuxed to .mka) and a 60 s 720p30 talk.
//   npm run bench -- [--runs N] [--inputs 1h.m4a,1h.mka,6h.mka] [--no-serial] [--render]
//
// Every measurement is a child process timed by GNU time (wall, user+system CPU, peak RSS), so
// tacet pays its start-up like a user does: tacet is the CLI (`tacet levels FILE --no-cache`),
// FFmpeg is `ffmpeg -i FILE -map 0:a -f null -`. Runs are interleaved (tacet, tacet single-threaded,
// FFmpeg, then again) so that a change of machine load hits every column alike; the table shows
// medians of wall and CPU time and the largest peak RSS. Needs `ffmpeg` and GNU `time` on PATH.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateMedia } from '../src/media/generate.js';
import { remux } from '../src/media/remux.js';
import { arg, fmt, machineBusy, median } from './measure.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const dataDir = join(root, 'bench', '.data');
const cli = join(root, 'dist', 'src', 'cli', 'main.js');
const TIME = '/usr/bin/time';

const runs = Math.max(1, Number(arg('--runs', '5')));
const inputs = arg('--inputs', '1h.m4a,1h.mka,6h.mka').split(',');
const withSerial = !process.argv.includes('--no-serial');
const withRender = process.argv.includes('--render');

function missingTools(): string[] {
  const missing: string[] = [];
  if (spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status !== 0) missing.push('ffmpeg (apt-get install ffmpeg)');
  if (!existsSync(TIME)) missing.push('GNU time at /usr/bin/time (apt-get install time)');
  return missing;
}

/** Long stereo AAC: a 220 Hz tone switched off 4 s in every 10 s (speech-like on/off levels). */
async function ensureAac(hours: number): Promise<string> {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, `talk-${hours}h-stereo-aac.m4a`);
  if (existsSync(path)) return path;
  const seconds = hours * 3600;
  process.stderr.write(`generating ${path} (${hours} h of stereo AAC; once)...\n`);
  const graph =
    `sine=frequency=220:sample_rate=48000:duration=${seconds},` +
    `volume='if(lt(mod(t,10),6),0.5,0.001)':eval=frame,aformat=channel_layouts=stereo`;
  await generateMedia(path, { duration: seconds, audio: { sampleRate: 48000, layout: 'stereo', graph } });
  return path;
}

/** `1h.m4a`, `6h.mka`: the same AAC packets in either container (remuxed, not re-encoded). */
async function ensureInput(spec: string): Promise<string> {
  const m = /^(\d+)h\.(m4a|mka)$/.exec(spec);
  if (!m) throw new Error(`--inputs: expected e.g. 1h.m4a or 6h.mka, not ${spec}`);
  const m4a = await ensureAac(Number(m[1]));
  if (m[2] === 'm4a') return m4a;
  const path = m4a.replace(/\.m4a$/, '.mka');
  if (!existsSync(path)) await remux(m4a, path);
  return path;
}

/** A 60 s 1280x720 30 fps H.264 + AAC talk: tone bursts (speech) with pauses. */
async function ensureTalk(): Promise<string> {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'talk-60s-720p30.mp4');
  if (existsSync(path)) return path;
  process.stderr.write(`generating ${path} (60 s of 720p30 H.264 + AAC; once)...\n`);
  const bursts: Array<[number, number]> = [];
  for (let t = 0; t < 60; t += 7) bursts.push([t + 0.5, t + 4.5]);
  await generateMedia(path, {
    duration: 60,
    video: { width: 1280, height: 720, rate: { num: 30, den: 1 }, source: 'testsrc2' },
    videoOptions: { preset: 'veryfast' },
    audio: { sampleRate: 48000, layout: 'stereo', bursts },
  });
  return path;
}

interface Sample {
  wall: number;
  cpu: number;
  maxRssMB: number;
  /** Share of the machine's CPU time used by other processes during the run (0..1), or NaN. */
  others: number;
}

/** Runs a command under GNU time; stdout is discarded. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Sample {
  const busy0 = machineBusy();
  const t0 = performance.now();
  const r = spawnSync(TIME, ['-f', 'tacet-bench %M %U %S', cmd, ...args], { encoding: 'utf8', env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  const wall = (performance.now() - t0) / 1000;
  const busy1 = machineBusy();
  const m = /tacet-bench (\d+) ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr ?? '');
  if (r.status !== 0 || !m) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const cpu = Number(m[2]) + Number(m[3]);
  const others = busy0 !== null && busy1 !== null ? Math.max(0, busy1 - busy0 - cpu) / (wall * cpus().length) : NaN;
  return { wall, cpu, maxRssMB: Number(m[1]) / 1024, others };
}

const tacet = (args: string[], env?: NodeJS.ProcessEnv) => timed(process.execPath, [cli, ...args], env);
const ffmpegDecode = (path: string) => timed('ffmpeg', ['-v', 'error', '-nostdin', '-i', path, '-map', '0:a', '-f', 'null', '-']);
const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : 'n/a');

const missing = missingTools();
if (missing.length) {
  console.error(`npm run bench compares tacet with FFmpeg and needs on PATH: ${missing.join(', ')}. Stopping.`);
  process.exit(2);
}
if (!existsSync(cli)) {
  console.error(`${cli} is missing: build first (npm run bench does)`);
  process.exit(2);
}

const cpuModel = cpus()[0]?.model ?? 'cpu';
console.log(`machine: ${cpus().length} x ${cpuModel}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
console.log(`${execFileSync('ffmpeg', ['-version'], { encoding: 'utf8' }).split('\n')[0]}`);
console.log(`runs per measurement: ${runs} (medians of wall and CPU; peak RSS is the largest of the runs)\n`);

// Start-up: `tacet --version`, and audio analysis of a 60 s 720p talk.
const talk = await ensureTalk();
const version: Sample[] = [];
const talkRuns: Sample[] = [];
for (let i = 0; i < runs; i++) {
  version.push(tacet(['--version']));
  talkRuns.push(tacet(['levels', talk, '--no-cache']));
}
const vWall = median(version.map((s) => s.wall));
const tWall = median(talkRuns.map((s) => s.wall));
console.log('| command | wall (s) | cpu (s) | peak RSS (MB) | others\' CPU share |');
console.log('|---|---|---|---|---|');
console.log(`| tacet --version | ${fmt(vWall)} | ${fmt(median(version.map((s) => s.cpu)))} | ${fmt(Math.max(...version.map((s) => s.maxRssMB)), 0)} | ${pct(median(version.map((s) => s.others)))} |`);
console.log(`| tacet levels talk-60s-720p30.mp4 --no-cache | ${fmt(tWall)} | ${fmt(median(talkRuns.map((s) => s.cpu)))} | ${fmt(Math.max(...talkRuns.map((s) => s.maxRssMB)), 0)} | ${pct(median(talkRuns.map((s) => s.others)))} |`);
console.log(`\n60 s talk: analysis wall minus --version wall = ${fmt(tWall - vWall)} s (target <= 0.30 s); --version ${fmt(vWall)} s (target <= 0.30 s)\n`);

console.log(
  `| input | size | tacet wall (s) | cpu (s) | peak RSS (MB) | ran as |${withSerial ? ' tacet 1 thread wall (s) | cpu (s) | peak RSS (MB) |' : ''} ffmpeg decode wall (s) | ffmpeg cpu (s) | ffmpeg peak RSS (MB) | wall ratio tacet/ffmpeg | cpu ratio | others' CPU share |`,
);
console.log(`|---|---|---|---|---|---|${withSerial ? '---|---|---|' : ''}---|---|---|---|---|---|`);
for (const spec of inputs) {
  const path = await ensureInput(spec);
  const t: Sample[] = [];
  const s1: Sample[] = [];
  const f: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    t.push(tacet(['levels', path, '--no-cache']));
    if (withSerial) s1.push(tacet(['levels', path, '--no-cache'], { ...process.env, TACET_ANALYSIS_WORKERS: '1' }));
    f.push(ffmpegDecode(path));
  }
  // How the analysis ran (parallel ranges or why not), from the library in this process.
  const { analyzeAudio } = await import('../src/analyze/audio.js');
  const probeRun = await analyzeAudio(path, 0, { num: 30, den: 1 }, null);
  const ran = probeRun.mode?.kind === 'parallel' ? `${probeRun.mode.ranges} ranges` : `1 thread (${probeRun.mode?.why})`;
  const med = (xs: Sample[], k: 'wall' | 'cpu') => median(xs.map((s) => s[k]));
  const peak = (xs: Sample[]) => Math.max(...xs.map((s) => s.maxRssMB));
  const size = `${(statSync(path).size / 2 ** 20).toFixed(0)} MiB`;
  const serialCols = withSerial ? ` ${fmt(med(s1, 'wall'))} | ${fmt(med(s1, 'cpu'))} | ${fmt(peak(s1), 0)} |` : '';
  console.log(
    `| ${spec.replace('h.', ' h stereo AAC 48 kHz .')} | ${size} | ${fmt(med(t, 'wall'))} | ${fmt(med(t, 'cpu'))} | ${fmt(peak(t), 0)} | ${ran} |${serialCols} ${fmt(med(f, 'wall'))} | ${fmt(med(f, 'cpu'))} | ${fmt(peak(f), 0)} | ${fmt(med(t, 'wall') / med(f, 'wall'))} | ${fmt(med(t, 'cpu') / med(f, 'cpu'))} | ${pct(median([...t, ...s1, ...f].map((s) => s.others)))} |`,
  );
}

if (withRender) {
  // The full edit of the 1-hour .m4a (analysis, cut, AAC re-encode of the kept audio), once.
  const path = await ensureInput('1h.m4a');
  const out = join(dataDir, `render-out-${process.pid}.m4a`);
  const text = execFileSync(process.execPath, [join(here, 'render-one.js'), path, out], { encoding: 'utf8' });
  console.log(`\nfull edit of 1 h .m4a (one run): ${text.trim().split('\n').pop()}`);
}
process.exit(0);
