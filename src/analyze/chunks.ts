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
  private err = 0;

  constructor(sampleRate: number, tb: Rational) {
    this.exact = (sampleRate * tb.den) / tb.num;
    this.ceilExact = Math.ceil(this.exact);
  }

  /** Size of the next chunk in samples per channel. */
  next(): number {
    const taken = Math.min(Math.round(this.exact + this.err), this.ceilExact);
    this.err += this.exact - taken;
    return taken;
  }
}
