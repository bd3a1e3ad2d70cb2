import { FilterPipe } from '../media/filter.js';
import { av } from '../media/av.js';
import type { AudioSource } from './audio-source.js';

/** atempo factors whose product is `f`, each within 0.5–2 where FFmpeg's WSOLA sounds best. */
export function atempoChain(f: number): number[] {
  const out: number[] = [];
  while (f > 2) {
    out.push(2);
    f /= 2;
  }
  while (f < 0.5) {
    out.push(0.5);
    f /= 0.5;
  }
  if (Math.abs(f - 1) > 1e-9 || out.length === 0) out.push(f);
  return out;
}

/**
 * Streams one speed-changed clip: source samples go through FFmpeg's resampler (varispeed: pitch
 * follows) and atempo (speed: pitch kept), and the result is trimmed or padded to the clip's exact
 * output sample count, since atempo alone drifts by tens of samples per clip.
 */
export class StretchedClip {
  private readonly pipe: FilterPipe;
  private srcDone = 0;
  private flushed = false;
  private produced = 0;
  private pending: Float32Array = new Float32Array(0);
  private pendingUsed = 0;
  private readonly channels: number;

  constructor(
    private readonly source: AudioSource,
    private readonly srcStart: number,
    private readonly srcCount: number,
    private readonly outCount: number,
    private readonly sampleRate: number,
    private readonly layout: { nbChannels: number; order: number; mask: bigint },
    speed: number,
    varispeed: number,
  ) {
    const { lib } = av();
    this.channels = source.channels;
    const parts: string[] = [];
    if (varispeed !== 1) parts.push(`asetrate=${Math.round(sampleRate * varispeed)}`, `aresample=${sampleRate}`);
    const tempo = speed / varispeed;
    if (Math.abs(tempo - 1) > 1e-9) for (const f of atempoChain(tempo)) parts.push(`atempo=${f}`);
    parts.push('aformat=sample_fmts=flt');
    this.pipe = FilterPipe.create(
      {
        kind: 'audio',
        sampleRate,
        sampleFormat: lib.avGetSampleFmtFromName('flt'),
        layout: `0x${layout.mask.toString(16)}`,
        timeBase: { num: 1, den: sampleRate },
      },
      parts.join(','),
    );
  }

  /** The next `n` output samples of the clip: exactly n, silence past the stretched end. */
  read(n: number): Float32Array {
    const ch = this.channels;
    const out = new Float32Array(n * ch);
    let filled = 0;
    while (filled < n && this.produced < this.outCount) {
      const avail = this.pending.length / ch - this.pendingUsed;
      if (avail > 0) {
        const take = Math.min(avail, n - filled, this.outCount - this.produced);
        out.set(this.pending.subarray(this.pendingUsed * ch, (this.pendingUsed + take) * ch), filled * ch);
        this.pendingUsed += take;
        filled += take;
        this.produced += take;
        continue;
      }
      if (!this.refill()) break;
    }
    return out;
  }

  /** Moves filtered output into `pending`, feeding more source when the graph needs it. */
  private refill(): boolean {
    for (;;) {
      const f = this.pipe.pull();
      if (f) {
        const buf = f.data?.[0];
        const samples = f.nbSamples;
        if (!buf || samples === 0) continue;
        // The frame's memory is reused by the next pull: copy what we keep.
        this.pending = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + samples * this.channels * 4));
        this.pendingUsed = 0;
        return true;
      }
      if (this.flushed) return false;
      if (this.srcDone >= this.srcCount) {
        this.pipe.push(null);
        this.flushed = true;
        continue;
      }
      const n = Math.min(8192, this.srcCount - this.srcDone);
      const block = new Float32Array(n * this.channels);
      this.source.copyRange(this.srcStart + this.srcDone, n, (data, samples, offset) => {
        block.set(data.subarray(0, samples * this.channels), offset * this.channels);
      });
      this.pipe.pushSamples(block, n, this.layout, this.sampleRate, this.srcDone);
      this.srcDone += n;
    }
  }

  /** Frees the filter graph. */
  close(): void {
    this.pipe.close();
  }
}
