/**
 * Applies `--smooth MINCUT,MINCLIP` (in frames) to an active mask, auto-editor's way: one pass
 * reads a snapshot and, in a copy, turns active runs shorter than `minClip` inactive and
 * inactive runs shorter than `minCut` active (a run at either end of the mask included).
 * Passes repeat until the mask stops changing or equals the mask of two passes back: a lone run
 * shorter than both limits would otherwise flip forever. 0 turns a limit off. Any non-zero
 * input value counts as active; returns a new 0/1 mask. O(n) per pass, at most three buffers.
 */
export function applySmoothing(mask: Uint8Array, minCut: number, minClip: number): Uint8Array {
  const n = mask.length;
  let current: Uint8Array = new Uint8Array(n);
  for (let i = 0; i < n; i++) current[i] = mask[i] !== 0 ? 1 : 0;
  if (n === 0 || (minCut <= 0 && minClip <= 0)) return current;

  let previous: Uint8Array | null = null;
  let beforePrevious: Uint8Array | null = null;
  while (!sameMask(current, previous) && !sameMask(current, beforePrevious)) {
    // The state from two passes back is dropped now, so its buffer can hold the next pass.
    const next: Uint8Array = beforePrevious ?? new Uint8Array(n);
    smoothingPass(current, next, minCut, minClip);
    beforePrevious = previous;
    previous = current;
    current = next;
  }
  return current;
}

/** One pass: `out` = `src` with every too-short run flipped (decided from `src` only). */
function smoothingPass(src: Uint8Array, out: Uint8Array, minCut: number, minClip: number): void {
  out.set(src);
  const n = src.length;
  let start = 0;
  while (start < n) {
    const value = src[start]!;
    let end = start + 1;
    while (end < n && src[end] === value) end++;
    const limit = value === 1 ? minClip : minCut;
    if (end - start < limit) out.fill(value === 1 ? 0 : 1, start, end);
    start = end;
  }
}

function sameMask(a: Uint8Array, b: Uint8Array | null): boolean {
  if (b === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
