/**
 * The levels plot: one lane per analysed level array, drawn on a canvas over time, with each
 * threshold as a dashed line and the regions (kept, sped up, cut) shaded behind and in a band on
 * top. Zoom is kept as frames per pixel, so a 6-hour recording (650,000 frames) redraws by taking
 * the peak of each pixel column, without building anything per frame.
 */
import type { Chunk, LevelLane } from '../../src/view/model.js';

/** A threshold line to draw: on which lanes, at which level (0 to 1). */
export interface ThresholdLine {
  lanes: number[];
  value: number;
}

const BAND = 18; // the regions band at the top
const AXIS = 18; // the time axis at the bottom
const LANE = 84;
const MIN_FRAMES_PER_PIXEL = 1 / 24;
const MAX_SCROLL_WIDTH = 10_000_000; // browsers refuse wider elements

const COLORS = {
  kept: '#2e9d5b',
  fast: '#e0a100',
  cut: '#d8473f',
  level: '#34405a',
  threshold: '#e05a00',
  grid: '#e3e6ec',
  text: '#5b6477',
  playhead: '#1d2330',
};

/** Where a level goes on a lane, from 0 (bottom) to 1 (top): audio in dB from -60 to 0. */
function toY(value: number, scale: LevelLane['scale']): number {
  if (scale === 'linear') return Math.min(1, Math.max(0, value));
  if (scale === 'sqrt') return Math.sqrt(Math.min(1, Math.max(0, value)));
  if (value <= 0) return 0;
  return Math.min(1, Math.max(0, (20 * Math.log10(value) + 60) / 60));
}

/** m:ss or h:mm:ss, with tenths when zoomed in. */
export function formatTime(seconds: number, tenths = false): string {
  const s = Math.max(0, seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor(s / 60) % 60;
  const sec = s % 60;
  const secText = tenths ? sec.toFixed(1).padStart(4, '0') : String(Math.floor(sec)).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${secText}` : `${m}:${secText}`;
}

/** The plot widget; the page feeds it chunks, thresholds and the playhead, and hears about clicks. */
export class Plot {
  private start = 0;
  private fpp = 1;
  private fitted = true;
  private chunks: Chunk[] = [];
  private thresholds: ThresholdLine[] = [];
  private playhead = -1;
  private drag: { x: number; start: number; moved: boolean } | null = null;
  private pending = false;

  /**
   * @param onPick called with the source frame under a click (not a drag).
   */
  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly scroll: HTMLElement,
    private readonly spacer: HTMLElement,
    private readonly lanes: readonly LevelLane[],
    private readonly levels: readonly Uint16Array[],
    private readonly len: number,
    private readonly rate: number,
    private readonly onPick: (frame: number) => void,
  ) {
    canvas.style.height = `${BAND + AXIS + Math.max(1, lanes.length) * LANE}px`;
    new ResizeObserver(() => this.resize()).observe(canvas);
    canvas.addEventListener('wheel', (e) => this.wheel(e), { passive: false });
    canvas.addEventListener('pointerdown', (e) => {
      this.drag = { x: e.clientX, start: this.start, moved: false };
      canvas.setPointerCapture(e.pointerId);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.drag) return;
      const dx = e.clientX - this.drag.x;
      if (Math.abs(dx) > 3) this.drag.moved = true;
      if (this.drag.moved) this.setStart(this.drag.start - dx * this.fpp);
    });
    canvas.addEventListener('pointerup', (e) => {
      const d = this.drag;
      this.drag = null;
      if (d && !d.moved) this.onPick(Math.floor(this.frameAt(e.offsetX)));
    });
    scroll.addEventListener('scroll', () => {
      const room = this.spacer.offsetWidth - this.scroll.clientWidth;
      const frames = this.len - this.visibleFrames();
      if (room > 0 && frames > 0) this.start = (this.scroll.scrollLeft / room) * frames;
      this.fitted = false;
      this.requestDraw();
    });
  }

  private get width(): number {
    return this.canvas.clientWidth || 1;
  }

  private visibleFrames(): number {
    return this.width * this.fpp;
  }

  private frameAt(x: number): number {
    return this.start + x * this.fpp;
  }

  private resize(): void {
    if (this.fitted) this.fit();
    else this.clamp();
  }

  /** Shows the whole recording. */
  fit(): void {
    this.fitted = true;
    this.fpp = Math.max(MIN_FRAMES_PER_PIXEL, this.len / this.width);
    this.start = 0;
    this.clamp();
  }

  /** Zooms by `factor` (> 1 zooms in) keeping the frame under `x` in place. */
  zoom(factor: number, x = this.width / 2): void {
    const anchor = this.frameAt(x);
    const maxFpp = Math.max(MIN_FRAMES_PER_PIXEL, this.len / this.width);
    this.fpp = Math.min(maxFpp, Math.max(MIN_FRAMES_PER_PIXEL, this.fpp / factor));
    this.fitted = this.fpp === maxFpp;
    this.start = anchor - x * this.fpp;
    this.clamp();
  }

  private setStart(frame: number): void {
    this.start = frame;
    this.fitted = false;
    this.clamp();
  }

  private wheel(e: WheelEvent): void {
    e.preventDefault();
    const horizontal = e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY);
    if (horizontal) this.setStart(this.start + (e.shiftKey ? e.deltaY : e.deltaX) * this.fpp);
    else this.zoom(Math.pow(1.0015, -e.deltaY), e.offsetX);
  }

  /** Keeps the view inside the recording and the scrollbar in step with it. */
  private clamp(): void {
    const visible = this.visibleFrames();
    this.start = Math.max(0, Math.min(this.start, this.len - visible));
    const total = Math.min(MAX_SCROLL_WIDTH, Math.ceil(this.len / this.fpp));
    this.spacer.style.width = `${total}px`;
    const room = total - this.scroll.clientWidth;
    const frames = this.len - visible;
    const left = room > 0 && frames > 0 ? (this.start / frames) * room : 0;
    if (Math.abs(this.scroll.scrollLeft - left) > 1) this.scroll.scrollLeft = left;
    this.requestDraw();
  }

  /** New regions (v1 chunks). */
  setChunks(chunks: Chunk[]): void {
    this.chunks = chunks;
    this.requestDraw();
  }

  /** New threshold lines. */
  setThresholds(lines: ThresholdLine[]): void {
    this.thresholds = lines;
    this.requestDraw();
  }

  /** Moves the playhead to `frame` (-1 hides it); scrolls to keep it in view while playing. */
  setPlayhead(frame: number, follow: boolean): void {
    this.playhead = frame;
    if (follow && frame >= 0) {
      const visible = this.visibleFrames();
      if (frame < this.start || frame > this.start + visible) this.setStart(frame - visible * 0.1);
    }
    this.requestDraw();
  }

  private requestDraw(): void {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.draw();
    });
  }

  private draw(): void {
    const dpr = window.devicePixelRatio || 1;
    const w = this.width;
    const h = this.canvas.clientHeight;
    if (this.canvas.width !== Math.round(w * dpr) || this.canvas.height !== Math.round(h * dpr)) {
      this.canvas.width = Math.round(w * dpr);
      this.canvas.height = Math.round(h * dpr);
    }
    const g = this.canvas.getContext('2d');
    if (!g) return;
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, h);
    const x = (frame: number) => (frame - this.start) / this.fpp;
    const end = this.start + this.visibleFrames();
    const lanesBottom = BAND + this.lanes.length * LANE;

    // Regions: a solid band on top, a light wash behind the lanes.
    for (const [s, e, speed] of this.chunks) {
      if (e <= this.start || s >= end) continue;
      const color = speed >= 99999 ? COLORS.cut : speed === 1 ? COLORS.kept : COLORS.fast;
      const x0 = Math.max(0, x(s));
      const x1 = Math.min(w, x(e));
      const width = Math.max(1, x1 - x0);
      g.fillStyle = color;
      g.fillRect(x0, 2, width, BAND - 6);
      g.globalAlpha = speed >= 99999 ? 0.1 : 0.08;
      g.fillRect(x0, BAND, width, lanesBottom - BAND);
      g.globalAlpha = 1;
    }

    // Time axis: about one label per 90 pixels, on round steps; grid lines go under the levels.
    const seconds = (90 * this.fpp) / this.rate;
    const steps = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600];
    const step = steps.find((s) => s >= seconds) ?? 7200;
    const ticks: number[] = [];
    for (let t = Math.ceil(this.start / this.rate / step) * step; t * this.rate < end; t += step) ticks.push(t);
    g.strokeStyle = COLORS.grid;
    for (const t of ticks) {
      const tx = Math.round(x(t * this.rate)) + 0.5;
      g.beginPath();
      g.moveTo(tx, BAND);
      g.lineTo(tx, lanesBottom + 4);
      g.stroke();
    }
    g.fillStyle = COLORS.text;
    g.font = '11px system-ui, sans-serif';
    for (const t of ticks) g.fillText(formatTime(t, step < 1), Math.round(x(t * this.rate)) + 3, lanesBottom + 14);

    // Lanes: the peak level of each pixel column.
    this.lanes.forEach((lane, i) => {
      const top = BAND + i * LANE;
      const bottom = top + LANE - 6;
      const height = bottom - top - 14;
      g.strokeStyle = COLORS.grid;
      g.beginPath();
      g.moveTo(0, bottom + 0.5);
      g.lineTo(w, bottom + 0.5);
      g.stroke();
      const levels = this.levels[i]!;
      g.fillStyle = COLORS.level;
      for (let px = 0; px < w; px++) {
        const f0 = Math.max(0, Math.floor(this.frameAt(px)));
        const f1 = Math.min(levels.length, Math.max(f0 + 1, Math.floor(this.frameAt(px + 1))));
        if (f0 >= levels.length) break;
        let peak = 0;
        for (let f = f0; f < f1; f++) if (levels[f]! > peak) peak = levels[f]!;
        const y = toY(peak / 65535, lane.scale) * height;
        if (y > 0) g.fillRect(px, bottom - y, 1, y);
      }
      for (const t of this.thresholds) {
        if (!t.lanes.includes(lane.index)) continue;
        const y = Math.round(bottom - toY(t.value, lane.scale) * height) + 0.5;
        g.strokeStyle = COLORS.threshold;
        g.lineWidth = 1.5;
        g.setLineDash([6, 4]);
        g.beginPath();
        g.moveTo(0, y);
        g.lineTo(w, y);
        g.stroke();
        g.setLineDash([]);
        g.lineWidth = 1;
      }
      g.fillStyle = COLORS.text;
      g.font = '12px system-ui, sans-serif';
      g.fillText(lane.name + (lane.scale === 'db' ? ' (dB)' : lane.scale === 'sqrt' ? ' (square root scale)' : ''), 6, top + 13);
    });

    if (this.playhead >= this.start && this.playhead <= end) {
      const px = Math.round(x(this.playhead)) + 0.5;
      g.strokeStyle = COLORS.playhead;
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(px, 0);
      g.lineTo(px, lanesBottom);
      g.stroke();
      g.lineWidth = 1;
    }
  }
}
