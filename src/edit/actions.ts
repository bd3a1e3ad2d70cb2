/**
 * Actions: what happens to a section (`--when-inactive cut`, `-w:1 speed:1.5,volume:0.5`,
 * `--set-action varispeed:2,1min,2min`). The grammar is auto-editor 31's (action.nim): actions
 * separated by commas, each `name` or `name:value`; `nil` does nothing and `cut` makes the whole
 * group a cut. tacet implements nil, cut, speed, varispeed and volume; auto-editor's other actions
 * are refused by name rather than silently ignored.
 */
import { UserError } from '../errors.js';
import { CUT_SPEED } from '../timeline/clips.js';
import { parseNimFloat } from './numbers.js';
import { splitNumberUnit } from './time.js';

/**
 * What an action group does to a section: cut it, or play it at a speed and volume.
 * - `speed`: the product of every `speed` and `varispeed` value (what clip lengths follow);
 * - `varispeed`: the product of the `varispeed` values alone (the part of `speed` whose pitch
 *   follows; 1 when there is none);
 * - `volume`: the product of the `volume` values.
 * auto-editor stores each value as a float32 and multiplies in float64, so the factors here are
 * float32 values and the products exact float64 products of them.
 */
export type ActionGroup = 'cut' | { readonly speed: number; readonly varispeed: number; readonly volume: number };

/** The group that changes nothing (`nil`, and an empty `--set-action`). */
export const NIL_ACTIONS: ActionGroup = Object.freeze({ speed: 1, varispeed: 1, volume: 1 });

/** auto-editor's actions that tacet does not render yet: refused with their name. */
const UNSUPPORTED = new Set([
  'ease',
  'deesser',
  'invert',
  'hflip',
  'vflip',
  'zoom',
  'opacity',
  'blur',
  'brightness',
  'brighthue',
  'contrast',
  'saturation',
  'rotate',
  'drawbox',
  'lens',
  'add',
]);

const SUPPORTED_TEXT = 'nil, cut, speed:N, varispeed:N, volume:N';

/**
 * Parses an action list such as `speed:2,volume:0.5`. As in auto-editor, `nil` entries are
 * skipped, and the first `cut` makes the whole group a cut (entries after it are not read).
 * `what` names the option in errors (e.g. "--when-inactive").
 */
export function parseActions(text: string, what = 'action'): ActionGroup {
  let speed = 1;
  let varispeed = 1;
  let volume = 1;
  for (const part of text.trim().split(',')) {
    const entry = part.trim();
    if (entry === 'nil') continue;
    if (entry === 'cut') return 'cut';
    const colon = entry.indexOf(':');
    const name = colon === -1 ? entry : entry.slice(0, colon);
    if (UNSUPPORTED.has(name)) throw new UserError(`action "${name}" is not supported by tacet yet (in ${what} "${text}")`);
    if (name !== 'speed' && name !== 'varispeed' && name !== 'volume') {
      const shown = entry === '' ? 'an empty action' : `unknown action "${entry}"`;
      throw new UserError(`${what}: ${shown} in "${text}" (tacet supports ${SUPPORTED_TEXT}, separated by commas)`);
    }
    const valueText = colon === -1 ? '' : entry.slice(colon + 1);
    const parsed = parseNimFloat(valueText);
    if (parsed === null || valueText.includes(':')) {
      throw new UserError(`${what}: "${entry}" needs one number, e.g. ${name}:${name === 'volume' ? '0.5' : '1.5'}`);
    }
    // auto-editor keeps the value as a float32; the ranges are its documented ones.
    const value = Math.fround(parsed);
    if (name === 'speed') {
      if (!(value > 0 && value < CUT_SPEED)) {
        throw new UserError(`${what}: "${entry}" is out of range: speed must be more than 0 and less than 99999`);
      }
      speed *= value;
    } else if (name === 'varispeed') {
      if (!(value >= 0.2 && value <= 100)) {
        throw new UserError(`${what}: "${entry}" is out of range: varispeed must be from 0.2 to 100`);
      }
      speed *= value;
      varispeed *= value;
    } else {
      if (!(value >= 0 && Number.isFinite(value))) {
        throw new UserError(`${what}: "${entry}" is out of range: volume must be 0 or more`);
      }
      volume *= value;
    }
  }
  return { speed, varispeed, volume };
}

/**
 * Parses the number of `--silent-speed`, `--video-speed` and `--set-speed`: `N` or `N%`
 * (125% = 1.25). `what` names the option in errors.
 */
export function parseSpeedValue(text: string, what: string): number {
  const { value, unit } = splitNumberUnit(text.trim(), `${what} value`);
  if (unit === '%') return value / 100;
  if (unit === '') return value;
  throw new UserError(`${what}: unknown unit "${unit}" in "${text}" (give a number, or a percentage such as 150%)`);
}

/**
 * The action group a plain speed stands for, as auto-editor maps `--silent-speed`, `--video-speed`
 * and `--set-speed`: at most 0, or 99999 and more, cut; exactly 1, nil; otherwise speed:N.
 */
export function speedToActions(speed: number): ActionGroup {
  if (speed === 1) return NIL_ACTIONS;
  const value = Math.fround(speed);
  if (!(speed > 0 && speed < CUT_SPEED) || value >= CUT_SPEED) return 'cut';
  return { speed: value, varispeed: 1, volume: 1 };
}

/**
 * The action text for a plain speed (`cut`, `nil` or `speed:N`), for callers that pass actions
 * on as text (the CLI maps `--silent-speed 2` to `-w:0 speed:2` this way). The number is written
 * so that it reads back as the same value.
 */
export function speedToActionText(text: string, what: string): string {
  const group = speedToActions(parseSpeedValue(text, what));
  if (group === 'cut') return 'cut';
  if (group.speed === 1) return 'nil';
  return `speed:${String(parseSpeedValue(text, what))}`;
}
