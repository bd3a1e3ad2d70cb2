// One measured edit + render, in its own process so that peak RSS belongs to this run alone.
import { rmSync } from 'node:fs';
import { runEdit } from '../src/core/edit.js';

const [input, output] = process.argv.slice(2);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
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
});
const cpu = process.cpuUsage(cpu0);
rmSync(output, { force: true });
const result = {
  wall: (performance.now() - t0) / 1000,
  cpu: (cpu.user + cpu.system) / 1e6,
  maxRssMB: process.resourceUsage().maxRSS / 1024,
  frames: r.outputFrames,
};
process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
