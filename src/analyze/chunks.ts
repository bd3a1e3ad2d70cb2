import type { Rational } from '../timeline/rational.js';

/**
 * auto-editor's chunk-size recurrence: each timeline frame takes
 * `min(round(exact + err), ceil(exact))` samples, then `err += exact − taken`, with
 * `exact = sampleRate × den / num` in float64. The float recurrence is kept on purpose: a closed
 * form gives different sizes at ties.
 */
export class ChunkSizer {
  private readonly exact: number;
  private readonly ceilExact: number;
  private err: number;

  /**
   * `err` resumes the recurrence mid-stream: parallel analysis hands each range the exact float
   * state the serial loop would have there, so every range sizes its chunks bit for bit alike.
   */
  constructor(sampleRate: number, tb: Rational, err = 0) {
    this.exact = (sampleRate * tb.den) / tb.num;
    this.ceilExact = Math.ceil(this.exact);
    this.err = err;
  }

  /** Size of the next chunk in samples per channel. */
  next(): number {
    const taken = Math.min(Math.round(this.exact + this.err), this.ceilExact);
    this.err += this.exact - taken;
    return taken;
  }

  /** The recurrence's float state before the next chunk (to resume it elsewhere). */
  get state(): number {
    return this.err;
  }
}

/** Where a timeline frame starts: its index, first sample, and the recurrence state there. */
export interface FrameStart {
  frame: number;
  sample: number;
  err: number;
}

/**
 * Start of each frame in `frames` (ascending), found by running the serial recurrence: one float
 * loop over frames, no samples, so a 6-hour file costs well under a millisecond per range.
 */
export function frameStarts(sampleRate: number, tb: Rational, frames: number[]): FrameStart[] {
  const sizer = new ChunkSizer(sampleRate, tb);
  const out: FrameStart[] = [];
  let frame = 0;
  let sample = 0;
  for (const target of frames) {
    if (target < frame) throw new Error('frameStarts: frames must be ascending');
    while (frame < target) {
      sample += sizer.next();
      frame++;
    }
    out.push({ frame, sample, err: sizer.state });
  }
  return out;
}
