// One measured analysis, in its own process so that peak RSS belongs to this run alone (worker
// threads share the process, so maxRSS covers the whole pool).
//   node dist/bench/analyze-one.js FILE [serial|parallel]
import { analyzeAudio } from '../src/analyze/audio.js';

const [path, mode = 'parallel'] = process.argv.slice(2);
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const r = await analyzeAudio(path, 0, { num: 30, den: 1 }, null, undefined, undefined, { parallel: mode !== 'serial' });
const cpu = process.cpuUsage(cpu0);
const result = {
  wall: (performance.now() - t0) / 1000,
  cpu: (cpu.user + cpu.system) / 1e6,
  maxRssMB: process.resourceUsage().maxRSS / 1024,
  frames: r.levels.length,
  mode: r.mode,
};
process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
