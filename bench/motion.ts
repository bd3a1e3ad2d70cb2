// `npm run bench:motion`: motion analysis (auto-editor's `--edit motion` defaults) of generated
// 720p30 H.264 videos: wall time, real-time factor and peak RSS, against FFmpeg decoding the same
// file and running the same filter graph, in the same run. The inputs are generated once into
// bench/.data/.
//   npm run bench:motion -- [--runs N] [--minutes 2,10]
//
// On a shared machine other processes steal CPU time and make wall times meaningless. On Linux each
// run therefore counts the CPU time the whole machine spent during it (/proc/stat) minus what the
// measured process itself used; a run where other processes used more than 3% of the machine is
// discarded and repeated (up to --retries times), and the table says how many were.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateMedia } from '../src/media/generate.js';
import { arg, fmt, hasFfmpeg as ffmpegOnPath, median, quiet as quietRun, timeCommand, type Sample as BaseSample } from './measure.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const dataDir = join(root, 'bench', '.data');

const runs = Number(arg('--runs', '5'));
const minutes = arg('--minutes', '2,10').split(',').map(Number);
const retries = Number(arg('--retries', '20'));

/**
 * A 720p30 H.264 video: FFmpeg's testsrc2 (a moving pattern and a running clock, so every frame
 * differs and the decoder never gets an easy, empty frame), x264 `veryfast` (CABAC, B-frames,
 * GOP 250, as ordinary recordings have), no audio.
 */
async function ensureInput(min: number): Promise<string> {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, `motion-${min}min-720p30-h264.mp4`);
  if (existsSync(path)) return path;
  process.stderr.write(`generating ${path} (${min} min of 720p30 H.264; once)...\n`);
  const t0 = performance.now();
  await generateMedia(path, {
    duration: min * 60,
    video: { width: 1280, height: 720, rate: { num: 30, den: 1 }, source: 'testsrc2' },
    videoOptions: { preset: 'veryfast' },
  });
  process.stderr.write(`generated in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  return path;
}

interface Sample extends BaseSample {
  frames?: number;
  seconds?: number;
  moving?: number;
}

const counter = { discarded: 0 };

/** Runs `measure` until other processes stay below 3% of the machine during it. */
function quiet(what: string, measure: () => Sample): Sample {
  return quietRun(what, measure, retries, counter);
}

function measureTacet(path: string): Sample {
  const out = execFileSync(process.execPath, [join(here, 'motion-one.js'), path], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

const hasFfmpeg = ffmpegOnPath();

/** FFmpeg CLI: decode only (`-f null`), or decode + the motion filter graph. */
function measureFfmpeg(path: string, graph: string | null): Sample {
  return timeCommand('ffmpeg', ['-v', 'error', '-nostdin', '-i', path, '-map', '0:v:0', ...(graph ? ['-vf', graph] : []), '-f', 'null', '-']);
}
const MOTION_GRAPH = 'scale=400:-1,format=gray,gblur=sigma=9';

console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
console.log(`runs per measurement: ${runs} (medians; peak RSS is the largest)\n`);
if (!hasFfmpeg) console.log('ffmpeg not on PATH: baseline skipped (apt-get install ffmpeg)\n');
console.log(
  '| input | size | tacet motion wall (s) | cpu (s) | real-time factor | peak RSS (MB) | ffmpeg decode wall (s) | ffmpeg decode + motion graph wall (s) | ffmpeg graph peak RSS (MB) | wall ratio tacet/ffmpeg graph |',
);
console.log('|---|---|---|---|---|---|---|---|---|---|');
const peaks = new Map<number, number>();
let failed = false;
for (const min of minutes) {
  const path = await ensureInput(min);
  const t: Sample[] = [];
  const d: Sample[] = [];
  const g: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    t.push(quiet('tacet', () => measureTacet(path)));
    if (hasFfmpeg) {
      d.push(quiet('ffmpeg decode', () => measureFfmpeg(path, null)));
      g.push(quiet('ffmpeg graph', () => measureFfmpeg(path, MOTION_GRAPH)));
    }
  }
  const seconds = min * 60;
  const tw = median(t.map((s) => s.wall));
  const gw = hasFfmpeg ? median(g.map((s) => s.wall)) : NaN;
  const peak = Math.max(...t.map((s) => s.maxRssMB));
  peaks.set(min, peak);
  const rtf = seconds / tw;
  if (rtf < 10) failed = true;
  const frames = t[0].frames;
  if (frames !== seconds * 30) {
    console.error(`unexpected level count ${frames} for ${seconds} s at 30 fps`);
    failed = true;
  }
  console.log(
    `| ${min} min 1280x720 30 fps H.264 | ${(statSync(path).size / 2 ** 20).toFixed(0)} MiB | ${fmt(tw)} | ${fmt(median(t.map((s) => s.cpu)))} | ${fmt(rtf, 1)}x | ${fmt(peak, 0)} | ${fmt(hasFfmpeg ? median(d.map((s) => s.wall)) : NaN)} | ${fmt(gw)} | ${fmt(hasFfmpeg ? Math.max(...g.map((s) => s.maxRssMB)) : NaN, 0)} | ${fmt(tw / gw)} |`,
  );
}
const small = Math.min(...minutes);
const large = Math.max(...minutes);
if (small !== large) {
  const a = peaks.get(small)!;
  const b = peaks.get(large)!;
  console.log(`\npeak RSS ${large} min / ${small} min = ${fmt(b / a)} (${fmt(b, 0)} MB vs ${fmt(a, 0)} MB)`);
}
console.log(`\nruns discarded because other processes used the CPU meanwhile: ${counter.discarded}`);
if (failed) console.log('\nFAIL: motion analysis below 10x real time (or wrong level count)');
process.exit(failed ? 1 : 0);
