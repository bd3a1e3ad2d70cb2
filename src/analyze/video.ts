import { StreamDecoder } from '../media/decoder.js';
import { FilterPipe } from '../media/filter.js';
import { yieldToLoop } from '../media/av.js';
import type { Rational } from '../timeline/rational.js';
import { LevelBuffer, type AnalysisProgress } from './audio.js';
import { toUnorm16 } from './unorm16.js';

/** A gray picture handed to a per-frame measure: `width` bytes per row, rows `stride` apart. */
export interface GrayPlane {
  data: Uint8Array;
  width: number;
  height: number;
  stride: number;
}

/** Parameters of a per-frame video measure. */
export interface VideoMeasure {
  /**
   * FFmpeg filters from the decoded frame to a gray picture (after a `pixel_aspect=1/1` source),
   * or a function of the decoded picture's size that returns them.
   */
  chain: string | ((width: number, height: number) => string);
  /** The measure of one filtered frame in [0, 1]. */
  measure(plane: GrayPlane): number;
}

export interface VideoAnalysisResult {
  levels: Uint16Array;
  /** Seconds of video decoded (end of the last frame). */
  seconds: number;
  skipped: number;
}

/**
 * Runs a per-frame measure over one video stream, placing values on the timeline grid as
 * auto-editor does: a frame's index is round(pts × tb); with `prev` starting at −1 the value is
 * emitted `index − prev` times (a gap takes the value of the frame that ends it); a frame whose
 * index is already filled is dropped (the measure still sees it); nothing after the last frame.
 */
export async function analyzeVideo(
  path: string,
  stream: number,
  tb: Rational,
  m: VideoMeasure,
  onProgress?: AnalysisProgress,
  signal?: AbortSignal,
): Promise<VideoAnalysisResult> {
  const dec = await StreamDecoder.open(path, 'video', stream, { threads: 0 });
  let pipe: FilterPipe | null = null;
  try {
    const st = dec.stream;
    const total = st.duration > 0n ? (Number(st.duration) * st.timeBase.num) / st.timeBase.den : dec.durationUs / 1e6;
    const rate = tb.num / tb.den;
    const levels = new LevelBuffer(Math.ceil(Math.max(total, 1) * rate) + 2);
    let prev = -1;
    let lastSeconds = 0;
    let lastYield = performance.now();
    for (let f = dec.next(); f; f = dec.next()) {
      const sec = dec.frameSeconds(f) ?? lastSeconds;
      lastSeconds = sec;
      pipe ??= FilterPipe.create(
        { kind: 'video', width: f.width, height: f.height, pixelFormat: f.format, timeBase: dec.timeBase, sar: { num: 1, den: 1 } },
        typeof m.chain === 'string' ? m.chain : m.chain(f.width, f.height),
      );
      pipe.push(f);
      for (let g = pipe.pull(); g; g = pipe.pull()) {
        const buf = g.data?.[0];
        if (!buf) continue;
        const value = m.measure({ data: buf, width: g.width, height: g.height, stride: g.linesize[0] });
        prev = placeLevel(levels, prev, Math.round(sec * rate), value);
      }
      const now = performance.now();
      if (now - lastYield > 50) {
        lastYield = now;
        onProgress?.(sec, total);
        await yieldToLoop();
        if (signal?.aborted) throw signal.reason;
      }
    }
    onProgress?.(total, total);
    return { levels: levels.finish(), seconds: lastSeconds, skipped: dec.skipped };
  } finally {
    pipe?.close();
    dec.close();
  }
}

/**
 * Places one frame's value on the grid (see analyzeVideo): pushes it `index − prev` times when the
 * index is new; returns the new `prev`. Shared by the serial loop and parallel ranges (video-range.ts).
 */
export function placeLevel(levels: LevelBuffer | null, prev: number, index: number, value: number): number {
  if (index <= prev) return prev;
  if (levels) {
    const u = toUnorm16(value);
    for (let k = prev; k < index; k++) levels.push(u);
  }
  return index;
}

/** A video measure as plain data, so that it crosses postMessage to a pool worker. */
export type VideoMeasureSpec =
  | { kind: 'motion'; width: number; blur: number; region: [number, number, number, number] | null }
  | { kind: 'black'; pixelBlack: number };

/** A fresh measure (with its own previous-frame state) for a spec. */
export function measureOf(spec: VideoMeasureSpec): VideoMeasure {
  return spec.kind === 'motion' ? motionMeasure(spec.width, spec.blur, spec.region) : blackMeasure(spec.pixelBlack);
}

/** Motion: the share of gray bytes that differ at all from the previous frame's (first frame 0). */
export function motionMeasure(width: number, blur: number, region: [number, number, number, number] | null): VideoMeasure {
  // Two buffers swapped every frame: the current gray picture and the previous one.
  let prev: Uint8Array | null = null;
  let spare: Uint8Array | null = null;
  const tail = `scale=${width}:-1,format=gray,gblur=sigma=${blur}`;
  return {
    chain: region ? (iw, ih) => `${cropFilter(iw, ih, region)},${tail}` : tail,
    measure({ data, width: w, height: h, stride }) {
      const size = w * h;
      const cur: Uint8Array = spare && spare.length === size ? spare : new Uint8Array(size);
      for (let y = 0; y < h; y++) cur.set(data.subarray(y * stride, y * stride + w), y * w);
      const before = prev;
      spare = before;
      prev = cur;
      if (!before || before.length !== size) return 0;
      let changed = 0;
      for (let i = 0; i < size; i++) if (cur[i] !== before[i]) changed++;
      return changed / size;
    },
  };
}

/**
 * The crop of a motion region (fractions x, y, w, h of the decoded picture) in pixels, computed as
 * auto-editor does: in float32 (`round(iw × w)` with a float32 product), at least one pixel, the
 * offsets clamped so that the crop stays inside the picture. A double product rounds differently
 * at a few sizes (180 × 0.575 is 103.4999… in double, 103.5 in float32: 103 rows instead of 104).
 * FFmpeg's crop then rounds all four down to the chroma subsampling, for auto-editor too.
 */
export function cropFilter(iw: number, ih: number, region: readonly [number, number, number, number]): string {
  const px = (size: number, fraction: number) => roundHalfAway(Math.fround(Math.fround(size) * Math.fround(fraction)));
  const [x, y, w, h] = region;
  const cw = Math.max(1, px(iw, w));
  const ch = Math.max(1, px(ih, h));
  const cx = Math.min(Math.max(px(iw, x), 0), iw - cw);
  const cy = Math.min(Math.max(px(ih, y), 0), ih - ch);
  return `crop=${cw}:${ch}:${cx}:${cy}`;
}

function roundHalfAway(v: number): number {
  return v < 0 ? -Math.round(-v) : Math.round(v);
}

/**
 * Blackdetect: the share of pixels whose luma is at most round(pixelBlack × 255), with auto-editor's
 * float32 product (pixel-black 0.7 gives 179, where a double product gives 178.4999… → 178).
 */
export function blackMeasure(pixelBlack: number): VideoMeasure {
  const limit = Math.round(Math.fround(Math.fround(Math.min(1, Math.max(0, pixelBlack))) * 255));
  return {
    chain: 'format=gray',
    measure({ data, width: w, height: h, stride }) {
      let black = 0;
      for (let y = 0; y < h; y++) {
        const row = y * stride;
        for (let x = 0; x < w; x++) if (data[row + x] <= limit) black++;
      }
      return black / (w * h);
    },
  };
}
