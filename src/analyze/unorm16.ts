/**
 * auto-editor stores every level as unorm16: trunc(float32(x) * 65535 + 0.5), computed in float32.
 * Thresholds are quantised the same way so that "active" is an exact integer comparison.
 */
export function toUnorm16(x: number): number {
  if (!(x >= 0)) return 0;
  if (x >= 1) return 65535;
  return Math.trunc(Math.fround(Math.fround(Math.fround(x) * 65535) + 0.5));
}

/** The float a unorm16 stands for. */
export function fromUnorm16(u: number): number {
  return u / 65535;
}
