// `npm run bench:render-audio`: peak memory and time of rendering long audio-only recordings with
// the default edit (issue 5: a 6-hour audio render keeps peak RSS ≤ 150 MB). Inputs: 1 and 6 hours
// of speech-like stereo AAC (bench/talk.ts ensureSpeechAudio), as Matroska (.mka) and MP4 (.m4a)
// holding the same packets; each is rendered to the same container (.mka to .mkv, tacet's Matroska
// output) by `runEdit` in a child process
// (bench/render-one.ts: analysis, cut, AAC re-encode of the kept audio, mux).
//   npm run bench:render-audio -- [--runs N] [--hours 1,6] [--containers mka,m4a]
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { arg, fmt, machineLine, median, runChild, withForeign, type Sample } from './measure.js';
import { ensureSpeechAudio } from './talk.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const dataDir = join(root, 'bench', '.data');

type Result = Sample & { renderWall: number | null; phaseRssMB: Record<string, number>; frames: number };

const runs = Number(arg('--runs', '1'));
const hours = arg('--hours', '1,6').split(',').map(Number);
const containers = arg('--containers', 'mka,m4a').split(',');
const LIMIT_MB = 150;

console.log(machineLine());
console.log(`runs per input: ${runs} (medians; peak RSS is the largest)\n`);
const rows: string[] = [];
let over = false;
for (const ext of containers) {
  for (const h of hours) {
    const input = await ensureSpeechAudio(dataDir, h, ext);
    // tacet writes Matroska audio as .mkv (it has no .mka output kind yet).
    const outExt = ext === 'mka' ? 'mkv' : ext;
    const output = join(dataDir, `render-audio-out-${process.pid}.${outExt}`);
    const rs: Array<Result & { foreign: number }> = [];
    for (let i = 0; i < runs; i++) {
      rs.push(withForeign(() => runChild<Result>(join(here, 'render-one.js'), [input, output])));
      process.stderr.write(`${h} h .${ext} run ${i + 1}/${runs}: ${JSON.stringify(rs[i])}\n`);
    }
    const peak = Math.max(...rs.map((r) => r.maxRssMB));
    if (h >= 6 && peak > LIMIT_MB) over = true;
    const phase = (k: string) => fmt(Math.max(...rs.map((r) => r.phaseRssMB[k] ?? NaN)), 0);
    rows.push(
      `| ${h} h stereo AAC .${ext} → .${outExt} | ${(statSync(input).size / 2 ** 20).toFixed(0)} MiB | ${rs[0].frames} | ${fmt(median(rs.map((r) => r.wall)))} | ${fmt(median(rs.map((r) => r.renderWall ?? NaN)))} | ${fmt(median(rs.map((r) => r.cpu)))} | ${fmt(peak, 0)} | ${phase('analysis')} | ${phase('render')} | ${fmt(median(rs.map((r) => r.foreign)), 0)} |`,
    );
  }
}
console.log('| input → output | size | output frames (30/s) | wall (s) | of which render (s) | cpu (s) | peak RSS (MB) | RSS seen in analysis (MB) | RSS seen in render (MB) | other processes\' CPU (s) |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);
console.log(over ? `\nFAIL: a 6-hour render exceeded ${LIMIT_MB} MB peak RSS` : `\n6-hour renders within ${LIMIT_MB} MB peak RSS (or not measured)`);
process.exit(over ? 1 : 0);
