/**
 * Progress bars and the closing "Finished." line, in auto-editor's styles.
 *
 * Lines are redrawn in place with `\r`. The bar redraws at most every 100 ms (by the injectable
 * clock, not per tick): the core may tick once per decoded frame, and a terminal write per frame
 * would cost more than the work. auto-editor redraws from a thread up to ~120 times a second; ten
 * is plenty for a human and for a GUI reading the machine style.
 *
 * With `steady` set (the CLI sets it), a timer also redraws every interval between ticks, so the
 * ETA keeps moving while a slow stage reports rarely; the timer runs whenever the core yields to
 * the event loop, which it does several times a second.
 */
import type { ProgressStyle } from './options.js';

/** Where the bar is drawn: normally process.stderr; tests pass a fake. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  /** Terminal width; 80 when unknown (a pipe or file). */
  columns?: number;
}

/** Shortest interval between two redraws, in clock milliseconds. */
export const REDRAW_INTERVAL_MS = 100;

const DEFAULT_COLUMNS = 80;

/** Glyphs of the bar styles (auto-editor's): icon, fill levels from empty to full, brackets. */
const BAR_GLYPHS = {
  modern: { icon: '⏳', chars: [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'], left: '|', right: '|' },
  classic: { icon: '⏳', chars: ['░', '█'], left: '[', right: ']' },
  ascii: { icon: '& ', chars: ['-', '#'], left: '[', right: ']' },
} as const;

type BarGlyphs = (typeof BAR_GLYPHS)[keyof typeof BAR_GLYPHS];

/**
 * A number as Nim's `$` prints a float: integral values keep a `.0` ("5.0"), others use the
 * shortest round-trip form, as JavaScript does. Keeps the machine format byte-compatible with
 * auto-editor's for anything parsing it.
 */
export function nimFloat(x: number): string {
  return Number.isInteger(x) ? x.toFixed(1) : String(x);
}

/** Rounds half away from zero to `places` decimals (Nim's `round(x, places)`). */
function roundTo(x: number, places: number): number {
  const scale = 10 ** places;
  return (Math.sign(x) * Math.round(Math.abs(x) * scale)) / scale;
}

/** Visible width of a title: ANSI colour sequences (ESC … m) take no columns. */
function visibleWidth(text: string): number {
  return [...text.replace(/\x1b\[[0-9;]*m/g, '')].length;
}

/** "03:07 PM": the local wall-clock time at which the work should finish. */
function clockTime(epochMs: number): string {
  const date = new Date(epochMs);
  const hours24 = date.getHours();
  const hours12 = hours24 % 12 === 0 ? 12 : hours24 % 12;
  const minutes = String(date.getMinutes()).padStart(2, '0');
  return `${String(hours12).padStart(2, '0')}:${minutes} ${hours24 >= 12 ? 'PM' : 'AM'}`;
}

function barString(glyphs: BarGlyphs, progress: number, width: number): string {
  const filled = progress * width;
  const whole = Math.floor(filled);
  // The partly filled cell shows one of the intermediate glyphs (modern has eight of them).
  const partIndex = Math.floor((filled % 1) * (glyphs.chars.length - 1));
  const partChar = width - whole - 1 < 0 ? '' : (glyphs.chars[partIndex] ?? '');
  const full = glyphs.chars[glyphs.chars.length - 1];
  return (
    glyphs.left + full.repeat(whole) + partChar + glyphs.chars[0].repeat(Math.max(0, width - whole - 1)) + glyphs.right
  );
}

/** One progress bar, used for one stage at a time: start → tick… → end. */
export class Progress {
  private title = '';
  private titleWidth = 0;
  private total = 0;
  private begin = 0;
  private lastDraw = -Infinity;
  private lastDone = 0;
  private active = false;
  /** Title of the stage begun by start() or report(), until end(). */
  private stage: string | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  /**
   * @param style auto-editor's style name; `none` draws nothing.
   * @param stream where to draw (stderr in the CLI).
   * @param clock milliseconds; wall-clock based (Date.now) by default because the modern styles
   *   print the expected finishing time of day.
   * @param steady also redraw from a timer every REDRAW_INTERVAL_MS between ticks (off in tests,
   *   which drive the clock by hand).
   */
  constructor(
    readonly style: ProgressStyle,
    private readonly stream: ProgressStream,
    private readonly clock: () => number = Date.now,
    private readonly steady = false,
  ) {}

  /** Begins a stage of `total` units (frames, packets, …) and draws it at 0. */
  start(title: string, total: number): void {
    this.stage = title;
    this.title = title;
    this.titleWidth = visibleWidth(title);
    this.total = total;
    this.begin = this.clock();
    this.lastDone = 0;
    this.active = this.style !== 'none';
    if (!this.active) return;
    this.draw(0, this.begin);
    if (this.steady && this.timer === null) {
      this.timer = setInterval(() => this.redrawIfDue(), REDRAW_INTERVAL_MS);
      // The bar must never keep the process alive on its own.
      this.timer.unref();
    }
  }

  /** Reports that `done` units of the stage are finished; redraws if the last draw is old enough. */
  tick(done: number): void {
    if (!this.active) return;
    this.lastDone = done;
    this.redrawIfDue();
  }

  /**
   * Blanks the line for a message (a warning, a result line) while a stage is running; the next
   * tick or timer redraw brings the bar back below the message.
   */
  clearLine(): void {
    if (!this.active) return;
    this.stream.write(' '.repeat(Math.max(0, this.columns() - 2)) + '\r');
    this.lastDraw = -Infinity;
  }

  /**
   * Reports `done` of `total` for the stage called `title`, beginning it (and ending the one before)
   * when the title changes: the shape of the core's onProgress callbacks.
   */
  report(title: string, done: number, total: number): void {
    if (title !== this.stage) {
      this.end();
      this.start(title, total);
    }
    this.tick(done);
  }

  /** Ends the stage and blanks the line, so that the next output starts clean (no-op without one). */
  end(): void {
    this.stage = null;
    if (this.timer !== null) {
      clearInterval(this.timer);
      this.timer = null;
    }
    if (!this.active) return;
    this.active = false;
    this.stream.write(' '.repeat(Math.max(0, this.columns() - 2)) + '\r');
  }

  private redrawIfDue(): void {
    if (!this.active) return;
    const now = this.clock();
    if (now - this.lastDraw < REDRAW_INTERVAL_MS) return;
    this.draw(this.lastDone, now);
  }

  private columns(): number {
    const columns = this.stream.columns;
    return columns !== undefined && columns > 0 ? columns : DEFAULT_COLUMNS;
  }

  private draw(done: number, now: number): void {
    this.lastDraw = now;
    const progress = this.total > 0 ? Math.min(1, Math.max(0, done / this.total)) : 0;
    // Estimated duration of the whole stage, from the pace so far; unknown until something is done.
    const elapsed = now - this.begin;
    const estimate = progress === 0 ? 0 : elapsed / progress;

    if (this.style === 'machine') {
      // auto-editor would print minus the elapsed time while nothing is done; 0 reads better.
      const eta = progress === 0 ? 0 : Math.max(0, roundTo((this.begin + estimate - now) / 1000, 2));
      const index = Math.min(done, this.total);
      this.stream.write(`${this.title}~${nimFloat(index)}~${nimFloat(this.total)}~${nimFloat(eta)}\r`);
      return;
    }
    if (this.style === 'none') return;

    const glyphs = BAR_GLYPHS[this.style];
    const percent = nimFloat(roundTo(progress * 100, 1));
    const percentPad = ' '.repeat(Math.max(0, 4 - percent.length));
    const width = Math.max(1, this.columns() - this.titleWidth - 35);
    const bar = barString(glyphs, progress, width);
    const finish = clockTime(this.begin + estimate);
    this.stream.write(`  ${glyphs.icon}${this.title} ${bar} ${percentPad}${percent}%  ETA ${finish}    \r`);
  }
}

/**
 * The last line of a run, as auto-editor prints it: `Finished. took 12.35 seconds (0:00:12)`
 * (seconds rounded to 2 decimals in Nim's float format; the clock part to whole seconds).
 */
export function formatFinished(seconds: number): string {
  const rounded = roundTo(seconds, 2);
  const total = Math.round(Math.abs(rounded));
  const h = Math.floor(total / 3600);
  const m = Math.floor(total / 60) % 60;
  const s = total % 60;
  const sign = rounded < 0 ? '-' : '';
  const clock = `${sign}${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  return `Finished. took ${nimFloat(rounded)} seconds (${clock})`;
}
