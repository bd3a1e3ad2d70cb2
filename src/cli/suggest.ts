/**
 * "Did you mean …?" hints for mistyped option names and choice values.
 *
 * Option names are short and the usual typos are a dropped, doubled, wrong or swapped letter
 * (`--margn`, `--exprot`, `-fsp`), so an edit distance that counts a swap of neighbours as one
 * edit does well; a prefix (`--frame` for `--frame-rate`) is the other common slip.
 */

/**
 * Edit distance where an insertion, deletion, substitution or swap of two adjacent characters
 * each cost 1 (the "optimal string alignment" variant of Damerau–Levenshtein).
 */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  // Three rolling rows: a swap looks two rows back.
  let beforePrevious = new Array<number>(b.length + 1).fill(0);
  let previous = new Array<number>(b.length + 1);
  let current = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, beforePrevious[j - 2] + 1);
      }
      current[j] = best;
    }
    [beforePrevious, previous, current] = [previous, current, beforePrevious];
  }
  return previous[b.length];
}

/**
 * The candidate closest to `input`, or null when nothing is close enough to be a plausible typo.
 *
 * The allowance is a third of the input's length, leading dashes not counted, and nothing for
 * inputs of one or two letters (every short option is one edit from every other). auto-editor
 * allows max(3, len/3), which turns `--foo` into `--gop`; this is stricter. Failing that, a
 * candidate that starts with the input (at least three letters) is offered. Ties keep the earliest
 * candidate, so callers list canonical names first. An exact match is not a suggestion.
 */
export function didYouMean(input: string, candidates: Iterable<string>): string | null {
  const list = [...candidates];
  const coreLength = input.replace(/^-+/, '').length;
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of list) {
    const distance = editDistance(input, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== null && bestDistance === 0) return null;
  const limit = coreLength < 3 ? 0 : Math.max(1, Math.floor(coreLength / 3));
  if (best !== null && bestDistance <= limit) return best;
  if (coreLength >= 3) return list.find((c) => c !== input && c.startsWith(input)) ?? null;
  return null;
}
