/**
 * Partial-lossless planning (pure): which output frames can be copied as whole source GOPs and
 * which must be decoded and re-encoded. A GOP is copied only when it lies entirely inside one
 * normal-speed stretch of the timeline (so every one of its frames lands, unchanged and in order,
 * on consecutive output frames) and the source scan found it safe to copy (see GopTable). An HEVC
 * GOP starting with a CRA picture (`reset`) is copied whole only right after the GOP before it;
 * entered from anywhere else, the copy starts at its CRA, and its leading pictures (which may
 * refer to the GOP before) are re-encoded.
 */
import type { GopTable } from '../media/packets.js';
import type { Clip } from '../timeline/model.js';

export type { GopTable };

/**
 * A stretch of output frames [start, end): copied packets of source frames from `srcStart`, or
 * re-encoded. `reset`: the copy starts at an HEVC CRA picture entered from elsewhere than the GOP
 * before it: its leading pictures are left out (their frames are in the encode span before) and
 * the CRA is written as a BLA picture (see craAsBla).
 */
export type PlanSpan =
  | { kind: 'copy'; start: number; end: number; srcStart: number; reset?: true }
  | { kind: 'encode'; start: number; end: number };

function isNormalSpeed(c: Clip): boolean {
  return c.speed === 1 && (c.varispeed ?? 1) === 1;
}

/** Joins clips that continue each other in both timeline and source (e.g. split only for volume). */
function mergeContiguous(clips: Clip[]): Clip[] {
  const out: Clip[] = [];
  for (const c of clips) {
    const p = out[out.length - 1];
    if (
      p &&
      isNormalSpeed(p) &&
      isNormalSpeed(c) &&
      p.src === c.src &&
      p.stream === c.stream &&
      p.start + p.dur === c.start &&
      p.offset + p.dur === c.offset
    ) {
      out[out.length - 1] = { ...p, dur: p.dur + c.dur };
    } else {
      out.push(c);
    }
  }
  return out;
}

/** Index of the first GOP starting at or after source frame `frame`. */
function firstGopFrom(gops: GopTable, frame: number): number {
  let lo = 0;
  let hi = gops.starts.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (gops.starts[mid] < frame) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Splits the output frames of a video layer (clips of one source whose frame rate equals the
 * timeline's) into copy and encode spans, in output order. Frames in gaps between clips belong to
 * no span (the full render writes nothing there either). Adjacent spans of the same kind are
 * merged when they also continue each other in the source.
 */
export function planLossless(layer: Clip[], gops: GopTable): PlanSpan[] {
  const clips = mergeContiguous([...layer].sort((a, b) => a.start - b.start));
  const spans: PlanSpan[] = [];
  const encode = (start: number, end: number): void => {
    if (end <= start) return;
    const last = spans[spans.length - 1];
    if (last?.kind === 'encode' && last.end === start) last.end = end;
    else spans.push({ kind: 'encode', start, end });
  };
  /** The last span is a copy that `srcStart` continues in both output and source. */
  const continues = (start: number, srcStart: number): boolean => {
    const last = spans[spans.length - 1];
    return last?.kind === 'copy' && last.end === start && last.srcStart + (last.end - last.start) === srcStart;
  };
  const copy = (start: number, end: number, srcStart: number, reset = false): void => {
    if (continues(start, srcStart)) spans[spans.length - 1].end = end;
    else spans.push(reset ? { kind: 'copy', start, end, srcStart, reset: true } : { kind: 'copy', start, end, srcStart });
  };
  let cursor = 0;
  for (const clip of clips) {
    // A clip overlapping the one before starts showing where that one ends (as in the full render).
    const from = Math.max(cursor, clip.start);
    const to = clip.start + clip.dur;
    if (from >= to) continue;
    cursor = to;
    if (!isNormalSpeed(clip)) {
      encode(from, to);
      continue;
    }
    const srcFrom = clip.offset + (from - clip.start);
    const srcTo = clip.offset + clip.dur;
    let out = from;
    let g = firstGopFrom(gops, srcFrom);
    // A CRA GOP whose leading pictures come before the clip may still be entered at its CRA.
    if (g > 0 && gops.reset?.[g - 1] && (gops.keys?.[g - 1] ?? -1) >= srcFrom) g--;
    for (; g < gops.starts.length && gops.starts[g] + gops.lengths[g] <= srcTo; g++) {
      if (!gops.copyable[g]) continue;
      const key = gops.keys?.[g] ?? gops.starts[g];
      const whole = gops.starts[g] >= srcFrom;
      const at = from + gops.starts[g] - srcFrom;
      if (gops.reset?.[g] && (!whole || !continues(at, gops.starts[g]))) {
        const keyAt = from + key - srcFrom;
        encode(out, keyAt);
        copy(keyAt, at + gops.lengths[g], key, true);
        out = at + gops.lengths[g];
        continue;
      }
      encode(out, at);
      copy(at, at + gops.lengths[g], gops.starts[g]);
      out = at + gops.lengths[g];
    }
    encode(out, to);
  }
  return spans;
}

/** Frames a plan copies. */
export function copiedFrames(spans: PlanSpan[]): number {
  let n = 0;
  for (const s of spans) if (s.kind === 'copy') n += s.end - s.start;
  return n;
}
