import { UserError } from '../errors.js';
import { splitNumberUnit } from './time.js';

/**
 * Parses a threshold: `N` in [0,1], `N%`, or `NdB` (10^(N/20)). Returns the float; callers
 * quantise it with `toUnorm16` so that comparisons with levels are exact integer comparisons.
 */
export function parseThreshold(text: string): number {
  const { value, unit } = splitNumberUnit(text, 'threshold');
  let ratio: number;
  if (unit === '%') ratio = value / 100;
  else if (unit === 'dB') ratio = Math.pow(10, value / 20);
  else if (unit === '') ratio = value;
  else throw new UserError(`invalid threshold "${text}": unknown unit "${unit}" (use a number from 0 to 1, N% or NdB)`);

  // auto-editor checks the range after narrowing to float32, so e.g. 1.00000001 still counts as 1.
  const narrowed = Math.fround(ratio);
  if (!(narrowed >= 0 && narrowed <= 1)) {
    throw new UserError(`threshold "${text}" is out of range: it must be from 0 to 1 (0% to 100%, or at most 0dB)`);
  }
  return ratio;
}
