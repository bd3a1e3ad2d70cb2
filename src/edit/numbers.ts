/**
 * Number syntax shared by edit-method arguments and actions, as auto-editor reads them with Nim's
 * `parseFloat` and `parseInt`: an optional sign, digits with `_` allowed between them, an optional
 * fraction and exponent; `inf` and `nan` are numbers too (the callers' range checks reject them).
 */

const FLOAT = /^[+-]?(?:\d[\d_]*(?:\.(?:\d[\d_]*)?)?|\.\d[\d_]*)(?:[eE][+-]?\d+)?$/;
const INFINITY = /^([+-]?)inf(?:inity)?$/i;
const INTEGER = /^[+-]?\d[\d_]*$/;

/** The value of `text` as Nim's parseFloat reads it, or null when it is not a number at all. */
export function parseNimFloat(text: string): number | null {
  const s = text.trim();
  if (/^[+-]?nan$/i.test(s)) return NaN;
  const inf = INFINITY.exec(s);
  if (inf !== null) return inf[1] === '-' ? -Infinity : Infinity;
  if (!FLOAT.test(s)) return null;
  return Number(s.replaceAll('_', '')) + 0;
}

/** The value of `text` as Nim's parseInt reads it, or null when it is not a whole number. */
export function parseNimInt(text: string): number | null {
  const s = text.trim();
  if (!INTEGER.test(s)) return null;
  const n = Number(s.replaceAll('_', '')) + 0;
  return Number.isSafeInteger(n) ? n : null;
}
