// The modern styles print a local time of day; pin the zone before any Date is made.
process.env.TZ = 'UTC';

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { Progress, REDRAW_INTERVAL_MS, formatFinished, nimFloat } from '../../src/cli/progress.js';
import type { ProgressStyle } from '../../src/cli/options.js';

/** A stream that records writes, and a clock the test moves by hand. */
function harness(style: ProgressStyle, columns = 80) {
  const writes: string[] = [];
  const stream = { write: (s: string) => writes.push(s), isTTY: true, columns };
  // 2024-01-01T15:00:00Z, so the ETA clock reads in the afternoon.
  let now = Date.UTC(2024, 0, 1, 15, 0, 0);
  const progress = new Progress(style, stream, () => now);
  return {
    writes,
    progress,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('Progress machine style', () => {
  it('writes title~index~total~eta\\r in Nim float format', () => {
    const { writes, progress, advance } = harness('machine');
    progress.start('Analyzing audio', 1000);
    assert.deepEqual(writes, ['Analyzing audio~0.0~1000.0~0.0\r']);
    advance(2000);
    progress.tick(250); // a quarter done in 2 s: 6 s to go
    assert.equal(writes[1], 'Analyzing audio~250.0~1000.0~6.0\r');
    advance(1000);
    progress.tick(300); // 3 s for 30%: 10 s total, 7 s to go
    assert.equal(writes[2], 'Analyzing audio~300.0~1000.0~7.0\r');
    advance(1000);
    progress.tick(1100); // over-reporting is clamped to the total
    assert.equal(writes[3], 'Analyzing audio~1000.0~1000.0~0.0\r');
  });

  it('rounds the ETA to two decimals', () => {
    const { writes, progress, advance } = harness('machine');
    progress.start('t', 3);
    advance(1000);
    progress.tick(1); // 1 s for a third: 2 s to go
    advance(1000);
    progress.tick(2.999); // 2 s for 0.9997: 0.0006.. s to go → 0.0
    assert.equal(writes[1], 't~1.0~3.0~2.0\r');
    assert.equal(writes[2], 't~2.999~3.0~0.0\r');
  });

  it('clears the line on end', () => {
    const { writes, progress } = harness('machine', 40);
    progress.start('t', 10);
    progress.end();
    assert.equal(writes.at(-1), ' '.repeat(38) + '\r');
  });
});

describe('Progress.report', () => {
  it('starts a stage on a new title, ends the one before, and ticks within a stage', () => {
    const { writes, progress, advance } = harness('machine');
    progress.report('Analyzing audio', 0, 100);
    advance(1000);
    progress.report('Analyzing audio', 50, 100);
    assert.deepEqual(writes, ['Analyzing audio~0.0~100.0~0.0\r', 'Analyzing audio~50.0~100.0~1.0\r']);
    progress.report('Rendering', 10, 40);
    // The audio stage's line is blanked, then the new stage drawn at 0 and ticked to 10 (throttled).
    assert.match(writes[2], /^ +\r$/);
    assert.equal(writes[3], 'Rendering~0.0~40.0~0.0\r');
    progress.end();
    progress.end(); // a second end (or one with no stage) writes nothing more
    assert.equal(writes.length, 5);
  });
});

describe('Progress throttling', () => {
  it('redraws at most once per interval, however often it is ticked', () => {
    const { writes, progress, advance } = harness('machine');
    progress.start('t', 10_000);
    for (let i = 1; i <= 1000; i++) {
      advance(1); // 1000 ticks over one second
      progress.tick(i);
    }
    // The start draw plus one per full interval.
    assert.equal(writes.length, 1 + Math.floor(1000 / REDRAW_INTERVAL_MS));
    assert.ok(writes.length <= 11, 'no more than ~10 redraws a second');
  });

  it('draws the first tick after a quiet interval immediately', () => {
    const { writes, progress, advance } = harness('ascii');
    progress.start('t', 10);
    progress.tick(1);
    assert.equal(writes.length, 1, 'a tick right after start is not drawn');
    advance(REDRAW_INTERVAL_MS);
    progress.tick(2);
    assert.equal(writes.length, 2);
  });

  it('ignores ticks before start and after end', () => {
    const { writes, progress, advance } = harness('modern');
    progress.tick(5);
    assert.equal(writes.length, 0);
    progress.start('t', 10);
    progress.end();
    advance(10_000);
    progress.tick(5);
    progress.end();
    assert.equal(writes.length, 2, 'one draw and one clear');
  });
});

describe('Progress bar styles', () => {
  it('draws the modern bar with partial cells and a wall-clock ETA', () => {
    const { writes, progress, advance } = harness('modern', 80);
    progress.start('Rendering', 100);
    // 80 columns - 9 title - 35 = 36 cells.
    assert.equal(writes[0], `  ⏳Rendering |${' '.repeat(36)}|  0.0%  ETA 03:00 PM    \r`);
    advance(60_000);
    progress.tick(12.5); // 4.5 cells; one minute for 1/8: done at 15:08
    assert.equal(writes[1], `  ⏳Rendering |████▌${' '.repeat(31)}| 12.5%  ETA 03:08 PM    \r`);
  });

  it('draws classic and ascii bars', () => {
    const classic = harness('classic', 50); // 50 - 1 - 35 = 14 cells
    classic.progress.start('x', 2);
    classic.advance(1000);
    classic.progress.tick(1);
    assert.equal(classic.writes[1], `  ⏳x [${'█'.repeat(7)}${'░'.repeat(7)}] 50.0%  ETA 03:00 PM    \r`);

    const ascii = harness('ascii', 50);
    ascii.progress.start('x', 4);
    ascii.advance(1000);
    ascii.progress.tick(4);
    assert.equal(ascii.writes[1], `  & x [${'#'.repeat(14)}] 100.0%  ETA 03:00 PM    \r`);
  });

  it('does not count colour codes in the title width', () => {
    const plain = harness('ascii', 60);
    plain.progress.start('abc', 1);
    const coloured = harness('ascii', 60);
    coloured.progress.start('\x1b[32mabc\x1b[0m', 1);
    assert.equal(coloured.writes[0].replace(/\x1b\[[0-9;]*m/g, ''), plain.writes[0]);
  });

  it('keeps a bar of at least one cell on a tiny terminal, and 80 columns when unknown', () => {
    const tiny = harness('ascii', 10);
    tiny.progress.start('title', 1);
    assert.match(tiny.writes[0], /\[-\]/);
    const writes: string[] = [];
    const piped = new Progress('ascii', { write: (s: string) => writes.push(s) }, () => 0);
    piped.start('t', 1);
    piped.end();
    assert.equal(writes[1], ' '.repeat(78) + '\r');
  });

  it('clears the line on end for the bar styles', () => {
    const { writes, progress } = harness('modern', 30);
    progress.start('t', 1);
    progress.end();
    assert.equal(writes.at(-1), ' '.repeat(28) + '\r');
  });

  it('writes nothing at all with style none', () => {
    const { writes, progress, advance } = harness('none');
    progress.start('t', 10);
    advance(1000);
    progress.tick(5);
    progress.end();
    assert.deepEqual(writes, []);
  });

  it('survives a zero total', () => {
    const { writes, progress, advance } = harness('machine');
    progress.start('t', 0);
    advance(1000);
    progress.tick(0);
    assert.equal(writes[1], 't~0.0~0.0~0.0\r');
  });
});

describe('formatFinished', () => {
  it("matches auto-editor's wording and rounding", () => {
    assert.equal(formatFinished(12.345), 'Finished. took 12.35 seconds (0:00:12)');
    assert.equal(formatFinished(12.344), 'Finished. took 12.34 seconds (0:00:12)');
    assert.equal(formatFinished(5), 'Finished. took 5.0 seconds (0:00:05)');
    assert.equal(formatFinished(0.004), 'Finished. took 0.0 seconds (0:00:00)');
    assert.equal(formatFinished(59.5), 'Finished. took 59.5 seconds (0:01:00)');
    assert.equal(formatFinished(3725.1), 'Finished. took 3725.1 seconds (1:02:05)');
    assert.equal(formatFinished(36000), 'Finished. took 36000.0 seconds (10:00:00)');
  });

  it('prints floats the way Nim does', () => {
    assert.equal(nimFloat(3), '3.0');
    assert.equal(nimFloat(0.25), '0.25');
    assert.equal(nimFloat(1000), '1000.0');
  });
});

describe('Progress steady redraw and messages', () => {
  it('redraws from a timer between ticks, and stops with end()', async () => {
    const writes: string[] = [];
    const progress = new Progress('machine', { write: (s: string) => writes.push(s) }, Date.now, true);
    progress.start('Rendering', 100);
    progress.tick(10);
    // Timers run late on a busy machine: wait for two redraws, however long they take (up to 5 s).
    const redraws = () => writes.filter((w) => w.startsWith('Rendering~10.0~100.0~')).length;
    for (let waited = 0; redraws() < 2 && waited < 5000; waited += REDRAW_INTERVAL_MS) {
      await new Promise((r) => setTimeout(r, REDRAW_INTERVAL_MS));
    }
    const drawn = redraws();
    assert.ok(drawn >= 2, `expected steady redraws without ticks, got ${drawn}: ${JSON.stringify(writes)}`);
    progress.end();
    const count = writes.length;
    await new Promise((r) => setTimeout(r, REDRAW_INTERVAL_MS * 2));
    assert.equal(writes.length, count, 'no redraw after end()');
  });

  it('clearLine blanks the bar for a message, and the next tick draws it again', () => {
    const { writes, progress, advance } = harness('machine', 30);
    progress.start('t', 10);
    progress.clearLine();
    assert.equal(writes.at(-1), ' '.repeat(28) + '\r');
    progress.tick(1); // drawn at once, although the interval has not passed
    assert.equal(writes.at(-1), 't~1.0~10.0~0.0\r');
    advance(1);
    progress.end();
    progress.clearLine(); // after end: nothing to clear
    assert.equal(writes.at(-1), ' '.repeat(28) + '\r');
    assert.equal(writes.length, 4);
  });
});
