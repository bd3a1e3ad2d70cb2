/** An exact rational number; den is always positive. Frame rates and time bases are never floats. */
export interface Rational {
  readonly num: number;
  readonly den: number;
}

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/** Builds a reduced rational; throws on a zero denominator. */
export function rational(num: number, den = 1): Rational {
  if (!Number.isInteger(num) || !Number.isInteger(den)) throw new RangeError(`rational needs integers, got ${num}/${den}`);
  if (den === 0) throw new RangeError('rational with zero denominator');
  if (den < 0) {
    num = -num;
    den = -den;
  }
  const g = gcd(num, den) || 1;
  return { num: num / g, den: den / g };
}

/** The value as a double (for display and for float maths that auto-editor does in floats). */
export function toNumber(r: Rational): number {
  return r.num / r.den;
}

/** Exact equality of two rationals. */
export function ratEquals(a: Rational, b: Rational): boolean {
  return a.num * b.den === b.num * a.den;
}

/** "30000/1001" or "30/1" (auto-editor writes the denominator even when it is 1). */
export function ratToString(r: Rational): string {
  return `${r.num}/${r.den}`;
}

/** Round half away from zero (auto-editor/Nim semantics; Math.round rounds -2.5 to -2). */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}
