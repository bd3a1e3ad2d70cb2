// One measured edit + render (default audio edit), in its own process so that peak RSS belongs to
// this run alone. Also samples RSS at every progress report, per phase (analysis, rendering), to
// show where memory goes.
//   node dist/bench/render-one.js INPUT OUTPUT [--no-partial-lossless]
import { rmSync } from 'node:fs';
import { runEdit } from '../src/core/edit.js';

const [input, output] = process.argv.slice(2);
const phases: Record<string, number> = {};
const t0 = performance.now();
const cpu0 = process.cpuUsage();
let renderStart = 0;
const r = await runEdit({
  inputs: [input],
  edits: [{ label: 1, expr: 'audio' }],
  whens: [],
  ranges: [],
  margin: '0.2s',
  smooth: '0.2s,0.1s',
  frameRate: null,
  export: null,
  output,
  noCache: true,
  render: process.argv.includes('--no-partial-lossless') ? { partialLossless: false } : {},
  onProgress: (title) => {
    const phase = title.startsWith('Render') ? 'render' : 'analysis';
    if (phase === 'render' && !renderStart) renderStart = performance.now();
    phases[phase] = Math.max(phases[phase] ?? 0, process.memoryUsage.rss() / 2 ** 20);
  },
});
const t1 = performance.now();
const cpu = process.cpuUsage(cpu0);
rmSync(output, { force: true });
const result = {
  wall: (t1 - t0) / 1000,
  /** Seconds from the first render progress report to the end (the render alone). */
  renderWall: renderStart ? (t1 - renderStart) / 1000 : null,
  cpu: (cpu.user + cpu.system) / 1e6,
  maxRssMB: process.resourceUsage().maxRSS / 1024,
  /** Largest RSS seen at progress reports, per phase (MB). */
  phaseRssMB: phases,
  frames: r.outputFrames,
};
process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
