/**
 * Applies `-m/--margin` (in frames) to an active mask, auto-editor's way: every start and end
 * of an active run is found in the input first, then, in this order, a positive `before` sets
 * `[start−before, start)`, a negative one clears `[start, start−before)`, a positive `after`
 * sets `[end, end+after)`, a negative one clears `[end+after, end)`, all clipped to the mask.
 * A run touching frame 0 or the last frame has no edge there, so it never grows or shrinks at
 * that side. Any non-zero input value counts as active; returns a new 0/1 mask. O(n).
 */
export function applyMargin(mask: Uint8Array, before: number, after: number): Uint8Array {
  const n = mask.length;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = mask[i] !== 0 ? 1 : 0;

  // Edges are read from `mask`, never from `out`, so earlier painting cannot create new edges.
  const isStart = (j: number): boolean => mask[j] !== 0 && mask[j - 1] === 0;
  const isEnd = (j: number): boolean => mask[j] === 0 && mask[j - 1] !== 0;

  if (before > 0) paintAtEdges(out, isStart, (j) => j - before, (j) => j, 1);
  else if (before < 0) paintAtEdges(out, isStart, (j) => j, (j) => j - before, 0);
  if (after > 0) paintAtEdges(out, isEnd, (j) => j, (j) => j + after, 1);
  else if (after < 0) paintAtEdges(out, isEnd, (j) => j + after, (j) => j, 0);
  return out;
}

/**
 * Sets `out[lo(j) .. hi(j))` to `value` for every edge j. Both bounds grow with j, so frames
 * already painted by an earlier edge are skipped: this keeps a large margin O(n), where
 * auto-editor's loop is O(edges × margin).
 */
function paintAtEdges(
  out: Uint8Array,
  isEdge: (j: number) => boolean,
  lo: (j: number) => number,
  hi: (j: number) => number,
  value: 0 | 1,
): void {
  const n = out.length;
  let painted = 0; // everything before this index is already painted
  for (let j = 1; j < n; j++) {
    if (!isEdge(j)) continue;
    const from = Math.max(lo(j), painted, 0);
    const to = Math.min(hi(j), n);
    if (from < to) {
      out.fill(value, from, to);
      painted = to;
    }
  }
}
