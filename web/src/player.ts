/**
 * Plays the source "as edited": while playing, a cut region is skipped by seeking to the next kept
 * one, and a sped-up region plays at its speed through playbackRate (pitch kept, as `speed` does;
 * browsers cap the rate at 16×). Checked on every animation frame, so at most a frame or two of a
 * cut shows: a preview of the edit, not the render.
 */
import type { Chunk } from '../../src/view/model.js';

// What browsers accept for playbackRate.
const MIN_RATE = 0.0625;
const MAX_RATE = 16;

/** The chunk holding `frame`, by binary search (chunks are contiguous from 0). */
export function chunkIndexAt(chunks: readonly Chunk[], frame: number): number {
  let lo = 0;
  let hi = chunks.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [s, e] = chunks[mid]!;
    if (frame < s) hi = mid - 1;
    else if (frame >= e) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** Drives a media element along the edit. */
export class EditedPlayer {
  private chunks: Chunk[] = [];
  /** A cut region the user clicked: it plays unskipped until its end. */
  private heard: Chunk | null = null;
  asEdited = true;

  /** @param onTime called with the current source frame on every animation frame. */
  constructor(
    private readonly media: HTMLMediaElement,
    private readonly rate: number,
    private readonly onTime: (frame: number, playing: boolean) => void,
  ) {
    media.preservesPitch = true;
    const loop = () => {
      this.tick();
      requestAnimationFrame(loop);
    };
    requestAnimationFrame(loop);
    // Animation frames stop in a hidden tab; time updates keep the edit honoured there too.
    media.addEventListener('timeupdate', () => this.tick());
  }

  /** The source frame being shown (the tiny bias keeps exact frame starts in their own frame). */
  frame(): number {
    return Math.floor(this.media.currentTime * this.rate + 1e-6);
  }

  /** New regions; takes effect at once. */
  setChunks(chunks: Chunk[]): void {
    this.chunks = chunks;
    this.heard = null;
  }

  /** Seconds where frame `frame` starts, nudged a hundredth of a frame in to land inside it. */
  private timeOf(frame: number): number {
    return (frame + 0.01) / this.rate;
  }

  /** Starts playing at the beginning of `chunk`; a cut chunk is played through so it can be heard. */
  playChunk(chunk: Chunk): void {
    this.heard = chunk[2] >= 99999 ? chunk : null;
    this.media.currentTime = this.timeOf(chunk[0]);
    void this.media.play().catch(() => {});
  }

  private tick(): void {
    const frame = this.frame();
    if (this.asEdited && !this.media.paused && !this.media.seeking && this.chunks.length) {
      const i = chunkIndexAt(this.chunks, frame);
      const chunk = this.chunks[i];
      if (this.heard && (frame < this.heard[0] || frame >= this.heard[1])) this.heard = null;
      if (chunk && chunk[2] >= 99999 && chunk !== this.heard) {
        let next = i + 1;
        while (next < this.chunks.length && this.chunks[next]![2] >= 99999) next++;
        if (next < this.chunks.length) this.media.currentTime = this.timeOf(this.chunks[next]![0]);
        else {
          this.media.pause();
          this.media.currentTime = this.chunks[this.chunks.length - 1]![1] / this.rate;
        }
      } else {
        const speed = chunk && chunk !== this.heard ? chunk[2] : 1;
        const wanted = Math.min(MAX_RATE, Math.max(MIN_RATE, speed));
        if (this.media.playbackRate !== wanted) this.media.playbackRate = wanted;
      }
    } else if (!this.asEdited && this.media.playbackRate !== 1) {
      this.media.playbackRate = 1;
    }
    this.onTime(frame, !this.media.paused);
  }
}
