import { StreamDecoder, type AvFrame } from '../media/decoder.js';
import type { Rational } from '../timeline/rational.js';

/**
 * Hands out source video frames by index (index = round(pts × fps)), decoding forward and seeking
 * instead of decoding across gaps longer than a GOP. Holds at most two decoded frames.
 */
export class VideoSource {
  private held: AvFrame | null = null;
  private heldIdx = -1;
  private pending: AvFrame | null = null;
  private pendingIdx = -1;
  private ended = false;
  /** Largest keyframe distance seen, in frames: seeking only pays when the gap is longer. */
  private gop = 60;
  private lastKeyIdx = -1;
  /** Frames decoded (for tests and benchmarks: shows that cuts were skipped). */
  decoded = 0;
  seeks = 0;

  private constructor(
    private readonly dec: StreamDecoder,
    private readonly fps: number,
    private readonly noSeek: boolean,
  ) {}

  /**
   * Opens the `nth` video stream of `path`; `fps` is its average frame rate. `noSeek`
   * (`--no-seek`): decode straight through cuts; only a jump backwards still seeks.
   */
  static async open(path: string, nth: number, fps: Rational, opts: { noSeek?: boolean } = {}): Promise<VideoSource> {
    const dec = await StreamDecoder.open(path, 'video', nth, { threads: 0 });
    return new VideoSource(dec, fps.num / fps.den, opts.noSeek === true);
  }

  get skipped(): number {
    return this.dec.skipped;
  }

  private readNext(): boolean {
    if (this.ended) return false;
    const f = this.dec.next();
    if (!f) {
      this.ended = true;
      return false;
    }
    this.decoded++;
    const sec = this.dec.frameSeconds(f);
    const idx = sec === null ? this.pendingIdx + 1 : Math.round(sec * this.fps);
    if (f.keyFrame) {
      if (this.lastKeyIdx >= 0 && idx > this.lastKeyIdx) this.gop = Math.max(this.gop, idx - this.lastKeyIdx);
      this.lastKeyIdx = idx;
    }
    this.pending?.free();
    this.pending = f.clone();
    this.pendingIdx = idx;
    return true;
  }

  private seekTo(target: number): void {
    this.seeks++;
    this.dec.seek(Math.max(0, (target - 1) / this.fps));
    // The next keyframe is not the one after the last seen: a distance across the jump is no GOP.
    this.lastKeyIdx = -1;
    this.held?.free();
    this.held = null;
    this.heldIdx = -1;
    this.pending?.free();
    this.pending = null;
    this.pendingIdx = -1;
    this.ended = false;
  }

  /** The frame shown at source index `target`: the last frame whose index ≤ target (or the first after). */
  frameAt(target: number): AvFrame | null {
    const pos = this.pending ? this.pendingIdx : this.heldIdx;
    if ((this.held && target < this.heldIdx) || (!this.noSeek && target - pos > this.gop + 2)) this.seekTo(target);
    for (;;) {
      if (!this.pending && !this.readNext()) break;
      if (this.pendingIdx <= target || !this.held) {
        this.held?.free();
        this.held = this.pending;
        this.heldIdx = this.pendingIdx;
        this.pending = null;
        if (this.heldIdx >= target) break;
        continue;
      }
      break;
    }
    return this.held;
  }

  close(): void {
    this.held?.free();
    this.pending?.free();
    this.dec.close();
  }
}
