// `npm run bench:render`: how long tacet takes to render the default edit of a 10-minute 720p30
// talk (bench/talk.ts) with every frame re-encoded (`--no-partial-lossless`), against the FFmpeg
// CLI encoding the SAME kept frames with the SAME encoder settings, in the same run (issue 7:
// tacet ≤ 1.05× FFmpeg).
//   npm run bench:render -- [--runs N] [--minutes 10]
//
// Needs `ffmpeg` and `ffprobe` on PATH (apt-get install ffmpeg) and GNU time (apt-get install time)
// for CPU time and peak RSS; it stops and says so when ffmpeg is missing.
//
// What is compared:
// - The kept ranges come from tacet itself: `tacet TALK --export v3` (audio edit, default margin),
//   timed as "analysis". tacet then renders that timeline file (`tacet TALK.v3.json -o OUT.mp4`):
//   probe, decode (seeking across cuts longer than a GOP), encode, mux; node start-up included.
// - FFmpeg decodes the talk and keeps the same frames with `select`/`aselect` (every kept range as
//   a `between(n,first,last)` term; audio by whole 1024-sample AAC frames, so up to 21 ms differ at
//   each cut), then encodes with what tacet uses when no option is given: libx264 at its defaults
//   (preset medium, crf 23, automatic threads), yuv420p, AAC at the encoder's default bit rate, MP4
//   with +faststart. The FFmpeg CLI and node-av carry different FFmpeg (and x264) builds: the
//   table prints both outputs' frame counts and bit rates so the work can be seen to match.
// - Runs are interleaved (tacet, ffmpeg, tacet, …) so a change in machine load hits both alike.
//   Each run also records the CPU seconds other processes used meanwhile (/proc/stat): on a shared
//   machine wall times are noisy and CPU time is the steadier measure.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arg, fmt, gnuTime, hasFfmpeg, machineLine, median, timeCommand, withForeign, type Sample } from './measure.js';
import { ensureTalk, TALK_FPS } from './talk.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const dataDir = join(root, 'bench', '.data');
const tacet = join(here, '..', 'src', 'cli', 'main.js');

/** A run of kept source frames [first, last] (inclusive, as FFmpeg's between() takes them). */
interface Kept {
  first: number;
  last: number;
}

interface V3Clip {
  src: string;
  start: number;
  dur: number;
  offset: number;
  speed?: number;
  stream: number;
}

/** Kept source ranges of the first layer of `layers`, in source frames (speed 1 only). */
function keptRanges(layers: V3Clip[][]): Kept[] {
  const clips = [...(layers[0] ?? [])].sort((a, b) => a.start - b.start);
  for (const c of clips) if ((c.speed ?? 1) !== 1) throw new Error('the benchmark expects no speed changes');
  const out: Kept[] = [];
  for (const c of clips) {
    const prev = out[out.length - 1];
    if (prev && prev.last + 1 === c.offset) prev.last = c.offset + c.dur - 1;
    else out.push({ first: c.offset, last: c.offset + c.dur - 1 });
  }
  return out;
}

/** The FFmpeg command that keeps `video`/`audio` ranges of `input` and encodes as tacet does. */
function ffmpegArgs(input: string, video: Kept[], audio: Kept[], output: string): string[] {
  const vSel = video.map((k) => `between(n,${k.first},${k.last})`).join('+');
  // aselect sees whole decoded frames; t is a frame's start. Kept when it starts inside a range.
  const aSel = audio.map((k) => `between(t,${(k.first / TALK_FPS).toFixed(6)},${((k.last + 1) / TALK_FPS - 1e-4).toFixed(6)})`).join('+');
  const graph = `[0:v]select='${vSel}',setpts=N/(${TALK_FPS}*TB)[v];[0:a]aselect='${aSel}',asetpts=N/SR/TB[a]`;
  return [
    '-v', 'error', '-nostdin', '-y', '-i', input,
    '-filter_complex', graph, '-map', '[v]', '-map', '[a]',
    '-fps_mode', 'passthrough',
    '-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-c:a', 'aac',
    '-movflags', '+faststart', output,
  ];
}

/** Frames, seconds and bit rate of each stream of a written file (ffprobe). */
function describe(path: string): string {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,nb_frames,duration,bit_rate', '-of', 'csv=p=0', path], { encoding: 'utf8' });
  return r.stdout
    .trim()
    .split('\n')
    .map((line) => {
      const [codec, duration, bitRate, frames] = line.split(',');
      return `${codec} ${frames} frames ${Number(duration).toFixed(2)} s ${(Number(bitRate) / 1000).toFixed(0)} kb/s`;
    })
    .join('; ');
}

/** Whether this tacet accepts `--no-partial-lossless` (older builds refuse it as not implemented). */
function acceptsNoPartialLossless(timeline: string): boolean {
  const r = spawnSync(process.execPath, [tacet, timeline, '--no-partial-lossless', '--export', 'v3', '-o', '-'], { encoding: 'utf8' });
  return r.status === 0;
}

type Run = Sample & { foreign: number };

function row(what: string, runs: Run[]): string {
  const wall = median(runs.map((s) => s.wall));
  const cpu = median(runs.map((s) => s.cpu));
  const rss = Math.max(...runs.map((s) => s.maxRssMB));
  const foreign = median(runs.map((s) => s.foreign));
  return `| ${what} | ${fmt(wall)} | ${fmt(cpu)} | ${fmt(cpu / wall)} | ${fmt(rss, 0)} | ${fmt(foreign, 1)} | ${runs.map((s) => fmt(s.wall, 1)).join(' ')} |`;
}

const runs = Number(arg('--runs', '5'));
const minutes = Number(arg('--minutes', '10'));

if (!hasFfmpeg()) {
  console.log('bench:render needs the ffmpeg CLI on PATH for its baseline (apt-get install ffmpeg); not found, so nothing was measured.');
  process.exit(1);
}
if (!gnuTime) console.log('GNU time is missing (apt-get install time): CPU time and peak RSS show n/a.\n');

const talk = await ensureTalk(dataDir, minutes);
const timeline = talk.replace(/\.mp4$/, '.v3.json');
const tacetOut = join(dataDir, `render-tacet-${process.pid}.mp4`);
const ffmpegOut = join(dataDir, `render-ffmpeg-${process.pid}.mp4`);

console.log(machineLine());
console.log(`runs per measurement: ${runs} (medians; peak RSS is the largest)\n`);

// The edit: tacet's own analysis and cut list, written as a v3 timeline (no cache: really analysed).
const analysis = timeCommand(process.execPath, [tacet, talk, '--export', 'v3', '-o', timeline, '--no-cache', '--progress', 'none']);
const v3 = JSON.parse(readFileSync(timeline, 'utf8')) as { v: V3Clip[][]; a: V3Clip[][] };
const video = keptRanges(v3.v);
const audio = keptRanges(v3.a);
const keptFrames = video.reduce((n, k) => n + k.last - k.first + 1, 0);
const total = minutes * 60 * TALK_FPS;
const noPl = acceptsNoPartialLossless(timeline);
const tacetArgs = [tacet, timeline, '-o', tacetOut, '--progress', 'none', ...(noPl ? ['--no-partial-lossless'] : [])];
console.log(`input: ${talk}`);
console.log(`edit: ${keptFrames} of ${total} frames kept in ${video.length} ranges (${total - keptFrames} cut); analysis (export v3, no cache) ${fmt(analysis.wall)} s wall, ${fmt(analysis.cpu)} s CPU`);
console.log(`tacet: node ${tacetArgs.slice(1).join(' ')}${noPl ? '' : '  (this tacet has no --no-partial-lossless yet: it always re-encodes every frame)'}`);
console.log(`ffmpeg: ffmpeg ${ffmpegArgs(talk, video, audio, ffmpegOut).map((a) => (a.includes(' ') || a.includes('(') ? `"${a.length > 160 ? `${a.slice(0, 160)}…` : a}"` : a)).join(' ')}\n`);

const t: Run[] = [];
const f: Run[] = [];
try {
  for (let i = 0; i < runs; i++) {
    t.push(withForeign(() => timeCommand(process.execPath, tacetArgs)));
    f.push(withForeign(() => timeCommand('ffmpeg', ffmpegArgs(talk, video, audio, ffmpegOut))));
    process.stderr.write(`run ${i + 1}/${runs}: tacet ${fmt(t[i].wall)} s (cpu ${fmt(t[i].cpu)}), ffmpeg ${fmt(f[i].wall)} s (cpu ${fmt(f[i].cpu)})\n`);
  }
  console.log('| render of the default edit | wall (s) | cpu (s) | cpu / wall | peak RSS (MB) | other processes\' CPU during a run (s) | wall of each run (s) |');
  console.log('|---|---|---|---|---|---|---|');
  console.log(row(`tacet${noPl ? ' --no-partial-lossless' : ''}`, t));
  console.log(row('ffmpeg select + libx264 + aac', f));
  const tw = median(t.map((s) => s.wall));
  const fw = median(f.map((s) => s.wall));
  const tc = median(t.map((s) => s.cpu));
  const fc = median(f.map((s) => s.cpu));
  console.log(`\ntacet / ffmpeg: wall ${fmt(tw / fw)}x, cpu ${fmt(tc / fc)}x (target: wall <= 1.05x)`);
  console.log(`tacet output:  ${describe(tacetOut)}`);
  console.log(`ffmpeg output: ${describe(ffmpegOut)}`);
} finally {
  rmSync(tacetOut, { force: true });
  rmSync(ffmpegOut, { force: true });
}
writeFileSync(join(dataDir, 'render-last.json'), JSON.stringify({ tacet: t, ffmpeg: f, analysis, keptFrames, total }, null, 1));
process.exit(0);
