import type { PcmSink } from './audio-source.js';

/**
 * `--mix-audio-streams`: several audio layers become one track. Each layer writes into its own
 * input; whatever every input has received is summed and passed on. The sum is scaled by 1/N,
 * as FFmpeg's amix does by default (normalize=1), so N full-scale layers cannot clip.
 *
 * The render advances all layers to the same timeline frame before moving on, so an input is never
 * more than one render block (about a second) ahead of the slowest: the buffers stay small.
 */
export class AudioMixer {
  private readonly pending: Float32Array[][];
  /** Samples queued per input (per channel). */
  private readonly queued: number[];
  readonly channels: number;
  private readonly gain: number;

  constructor(
    private readonly sink: PcmSink,
    private readonly inputs: number,
    channels: number,
  ) {
    this.channels = channels;
    this.gain = 1 / inputs;
    this.pending = Array.from({ length: inputs }, () => []);
    this.queued = new Array<number>(inputs).fill(0);
  }

  /** The target layer `i` writes to. */
  input(i: number): PcmSink {
    return {
      write: (data, samples) => this.write(i, data, samples),
    };
  }

  private write(i: number, data: Float32Array, samples: number): void {
    if (samples <= 0) return;
    // The caller may reuse its buffer: keep a copy.
    this.pending[i].push(data.slice(0, samples * this.channels));
    this.queued[i] += samples;
    this.mixReady();
  }

  /** Sums and writes the samples every input has. */
  private mixReady(): void {
    const n = Math.min(...this.queued);
    if (n > 0) this.emit(n);
  }

  private emit(n: number): void {
    const ch = this.channels;
    const sum = new Float32Array(n * ch);
    for (let i = 0; i < this.inputs; i++) {
      const take = Math.min(n, this.queued[i]);
      let filled = 0;
      while (filled < take) {
        const head = this.pending[i][0];
        const have = head.length / ch;
        const use = Math.min(have, take - filled);
        const base = filled * ch;
        for (let k = 0; k < use * ch; k++) sum[base + k] += head[k] * this.gain;
        if (use === have) this.pending[i].shift();
        else this.pending[i][0] = head.subarray(use * ch);
        filled += use;
      }
      this.queued[i] -= take;
    }
    this.sink.write(sum, n);
  }

  /** Writes what is left at the end (an input that stopped early counts as silence). */
  flush(): void {
    const n = Math.max(...this.queued);
    if (n > 0) this.emit(n);
  }
}
