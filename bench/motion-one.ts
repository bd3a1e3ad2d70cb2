// One measured motion analysis (auto-editor's defaults: width 400, blur 9, whole frame), in its own
// process so that peak RSS belongs to this run alone. Goes through the same cached-levels entry
// point the CLI uses, with the cache off.
import { motionLevels, toUnorm16 } from '../src/analyze/index.js';

const [path] = process.argv.slice(2);
const threshold = toUnorm16(0.02); // the default motion threshold, quantised as levels are
const t0 = performance.now();
const cpu0 = process.cpuUsage();
const r = await motionLevels(path, 0, { num: 30, den: 1 }, { width: 400, blur: 9, region: null }, { noCache: true });
const cpu = process.cpuUsage(cpu0);
let moving = 0;
for (const v of r.levels) if (v >= threshold) moving++;
const whole = process.cpuUsage();
const result = {
  wall: (performance.now() - t0) / 1000,
  cpu: (cpu.user + cpu.system) / 1e6,
  /** CPU seconds of the whole process, start-up included (to tell our load from other processes'). */
  cpuTotal: (whole.user + whole.system) / 1e6,
  maxRssMB: process.resourceUsage().maxRSS / 1024,
  frames: r.levels.length,
  seconds: r.seconds,
  moving,
};
process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
