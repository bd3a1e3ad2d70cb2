/**
 * The whole edit decision, from the command line's raw strings to runs: label classes from
 * `--edit`/`--edit:N`, margin and smoothing, `--when:N` actions, then `--cut`/`--keep`/
 * `--set-speed`/`--set-action` ranges, applied in auto-editor 31's order (conductor.nim's
 * buildTimeline). Two steps, so that every mistake in the command is reported before any media
 * is read: parseEditRequest needs no timebase; planRuns does the frame arithmetic.
 */
import { UserError } from '../errors.js';
import type { Run } from '../timeline/model.js';
import type { Rational } from '../timeline/rational.js';
import { NIL_ACTIONS, parseActions, parseSpeedValue, speedToActions, type ActionGroup } from './actions.js';
import {
  collectLevelRequests,
  evaluateEdit,
  parseEdit,
  type EditContext,
  type EditExpr,
  type LevelRequest,
  type StreamCounts,
} from './expr.js';
import { applyMargin } from './margin.js';
import { applySmoothing } from './smooth.js';
import { parseTimePair, parseTimeValue, timeValueToFrames, type TimeValue } from './time.js';

/** The kinds of range options, in auto-editor's terms. */
export type RangeKind = 'cut' | 'keep' | 'set-speed' | 'set-action';

/** What the caller (the CLI, a script) asks for: raw option values in command-line order. */
export interface EditRequest {
  /** `--edit` (label 1) and `--edit:N`; a later value for the same label wins. Label 1 defaults to `audio`. */
  edits: Array<{ label: number; expr: string }>;
  /**
   * `--when:N`/`-w:N`, `--when-inactive` (0), `--when-active` (1), and `--silent-speed`/
   * `--video-speed` already turned into action text; a later value for the same label wins.
   */
  whens: Array<{ label: number; actions: string }>;
  /** Range options in the order given; later ones win where they overlap. */
  ranges: Array<{ kind: RangeKind; text: string }>;
  /** `--margin`, raw (e.g. "0.2s" or "0.2s,0.3s"). */
  margin: string;
  /** `--smooth`, raw (e.g. "0.2s,0.1s"). */
  smooth: string;
}

/** One end of a range: a time value, or `end` (auto-editor's "as far as the frames go"). */
export type RangeTime = TimeValue | { readonly unit: 'end' };

/** A range option, checked: its action group and its two ends, still without a timebase. */
export interface PlannedRange {
  kind: RangeKind;
  /** The option's text, for error messages. */
  text: string;
  action: ActionGroup;
  start: RangeTime;
  stop: RangeTime;
}

/** A checked EditRequest: everything that can be validated without the media. */
export interface EditPlan {
  /** Edit expressions by label: label 1 first, then the others in order of first appearance. */
  edits: Array<{ label: number; expr: EditExpr }>;
  /** Action group per label; labels not listed use defaultActionsFor. */
  whens: Map<number, ActionGroup>;
  ranges: PlannedRange[];
  margin: string;
  smooth: string;
}

/** The highest label class auto-editor allows (labels are bytes; 0 means inactive). */
export const MAX_LABEL = 255;

/** What a label does when no `--when:N` is given: 0 is cut, every other label is nil. */
export function defaultActionsFor(label: number): ActionGroup {
  return label === 0 ? 'cut' : NIL_ACTIONS;
}

function checkLabel(label: number, min: number, what: string): void {
  if (!Number.isInteger(label) || label < min || label > MAX_LABEL) {
    throw new UserError(`${what}: label ${label} is out of range (${min} to ${MAX_LABEL})`);
  }
}

/** The option name a range kind is given with, for messages. */
function optionName(kind: RangeKind): string {
  return kind === 'set-speed' ? '--set-speed' : `--${kind}`;
}

/** Parses one end of a range without a timebase: `start` is frame 0, `end` is open-ended. */
export function parseRangeTimeValue(text: string): RangeTime {
  // auto-editor compares the words exactly, so only surrounding spaces are forgiven here.
  const word = text.trim();
  if (word === 'start') return { unit: 'frames', value: 0 };
  if (word === 'end') return { unit: 'end' };
  return parseTimeValue(word);
}

/** Parses one range option (`--cut 0,5s`, `--set-speed 2,1min,end`, `--set-action speed:2,0,10`). */
export function parseRange(kind: RangeKind, text: string): PlannedRange {
  const what = optionName(kind);
  const parts = text.trim().split(',');
  let action: ActionGroup;
  let times: string[];
  if (kind === 'cut' || kind === 'keep') {
    if (parts.length !== 2) {
      throw new UserError(`${what} "${text}" has too ${parts.length < 2 ? 'few' : 'many'} values: give START,STOP`);
    }
    action = kind === 'cut' ? 'cut' : NIL_ACTIONS;
    times = parts;
  } else if (kind === 'set-speed') {
    if (parts.length !== 3) {
      throw new UserError(`${what} "${text}" has too ${parts.length < 3 ? 'few' : 'many'} values: give SPEED,START,STOP`);
    }
    action = speedToActions(parseSpeedValue(parts[0]!, what));
    times = parts.slice(1);
  } else {
    if (parts.length < 3) throw new UserError(`${what} "${text}" has too few values: give ACTIONS,START,STOP`);
    // The actions may contain commas themselves; the last two values are the times.
    const actionText = parts.slice(0, -2).join(',');
    action = actionText.trim() === '' ? NIL_ACTIONS : parseActions(actionText, what);
    times = parts.slice(-2);
  }
  return { kind, text, action, start: parseRangeTimeValue(times[0]!), stop: parseRangeTimeValue(times[1]!) };
}

/**
 * Checks an EditRequest without touching media: every expression, action, range and time value
 * is parsed here, so a typo fails before minutes of analysis. Throws UserError.
 */
export function parseEditRequest(req: EditRequest): EditPlan {
  const exprs = new Map<number, EditExpr>();
  for (const { label, expr } of req.edits) {
    checkLabel(label, 1, label === 1 ? '--edit' : `--edit:${label}`);
    exprs.set(label, parseEdit(expr));
  }
  if (!exprs.has(1)) exprs.set(1, parseEdit('audio'));
  const edits = [{ label: 1, expr: exprs.get(1)! }];
  for (const [label, expr] of exprs) if (label !== 1) edits.push({ label, expr });

  const whens = new Map<number, ActionGroup>();
  for (const { label, actions } of req.whens) {
    const what = label === 0 ? '--when-inactive' : label === 1 ? '--when-active' : `--when:${label}`;
    checkLabel(label, 0, what);
    whens.set(label, parseActions(actions, what));
  }

  const ranges = req.ranges.map((r) => parseRange(r.kind, r.text));

  // Margin and smoothing need the timebase to become frames, but not to be checked.
  const anyRate: Rational = { num: 1, den: 1 };
  parseTimePair(req.margin, anyRate);
  parseTimePair(req.smooth, anyRate);
  return { edits, whens, ranges, margin: req.margin, smooth: req.smooth };
}

/**
 * Everything the analysis must provide for `plan`, each once (see collectLevelRequests). Throws
 * UserError for a missing audio or video stream.
 */
export function levelRequestsOf(plan: EditPlan, counts: StreamCounts): LevelRequest[] {
  const requests: LevelRequest[] = [];
  const seen = new Set<string>();
  for (const { expr } of plan.edits) {
    for (const req of collectLevelRequests(expr, counts)) {
      const key = JSON.stringify(req);
      if (seen.has(key)) continue;
      seen.add(key);
      requests.push(req);
    }
  }
  return requests;
}

/**
 * The labels of every frame before margin and smoothing: label 1 where `--edit` is active, and
 * where an `--edit:N` mask is active and N is higher than what is there, N. A mask longer than
 * the others extends the array with 0 (inactive). O(frames × labels).
 */
export function evaluateLabels(plan: EditPlan, ctx: EditContext): Uint8Array {
  const masks = plan.edits.map(({ label, expr }) => ({ label, mask: evaluateEdit(expr, ctx) }));
  const length = masks.reduce((n, m) => Math.max(n, m.mask.length), 0);
  const labels = new Uint8Array(length);
  for (const { label, mask } of masks) {
    for (let i = 0; i < mask.length; i++) if (mask[i] !== 0 && label > labels[i]) labels[i] = label;
  }
  return labels;
}

/**
 * Margin and smoothing on the active frames (label ≠ 0), folded back as auto-editor does: frames
 * they turn inactive get label 0, frames they turn active from label 0 get label 1, the rest keep
 * their label. Returns a new array.
 */
export function marginAndSmooth(labels: Uint8Array, margin: [number, number], smooth: [number, number]): Uint8Array {
  let active = applyMargin(labels, margin[0], margin[1]);
  active = applySmoothing(active, smooth[0], smooth[1]);
  const out = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) out[i] = active[i] === 0 ? 0 : labels[i] === 0 ? 1 : labels[i];
  return out;
}

// auto-editor's `end` is a huge frame number, not the media length: a range to `end` covers
// every frame there is, even past the media length when the levels run longer.
const END_FRAME = Number.MAX_SAFE_INTEGER;

function rangeFrames(time: RangeTime, tb: Rational): number {
  return time.unit === 'end' ? END_FRAME : timeValueToFrames(time, tb);
}

/**
 * A range's frames [start, stop) at `tb` the way auto-editor normalises them: negative values
 * count back from `len` (clamped at 0), `end` is open-ended, and start must come before stop
 * (checked before anything is clamped to `len`). Throws UserError otherwise.
 */
export function normalizeRange(range: Pick<PlannedRange, 'kind' | 'text' | 'start' | 'stop'>, tb: Rational, len: number): [number, number] {
  let start = rangeFrames(range.start, tb);
  let stop = rangeFrames(range.stop, tb);
  if (start < 0) start = Math.max(0, len + start);
  if (stop < 0) stop = Math.max(0, len + stop);
  if (start >= stop) {
    const show = (f: number) => (f === END_FRAME ? 'the end' : `frame ${f}`);
    throw new UserError(`${optionName(range.kind)} "${range.text}": start (${show(start)}) must come before stop (${show(stop)})`);
  }
  return [start, stop];
}

/** Per-frame action group indexes and the groups they point to (planActions' result). */
export interface ActionPlan {
  /** Index into `groups` for every frame. */
  index: Uint32Array;
  /**
   * Index 0 to the highest label: that label's action; after them, one group per range in order,
   * so that adjacent ranges with equal actions still stay separate runs, as in auto-editor.
   */
  groups: ActionGroup[];
}

/**
 * Labels → action group indexes, then every range applied in order. Ranges use `ctx.len` as the
 * media length (falling back to the label count when it is 0); a range reaching past the label
 * array extends it up to `len`, the new frames taking label 0's action.
 */
export function planActions(plan: EditPlan, ctx: EditContext): ActionPlan {
  const [before, after] = parseTimePair(plan.margin, ctx.tb);
  const [minCut, minClip] = parseTimePair(plan.smooth, ctx.tb);
  const labels = marginAndSmooth(evaluateLabels(plan, ctx), [before, after], [minCut, minClip]);

  let maxLabel = 1;
  for (const { label } of plan.edits) maxLabel = Math.max(maxLabel, label);
  for (const label of plan.whens.keys()) maxLabel = Math.max(maxLabel, label);
  const groups: ActionGroup[] = [];
  for (let label = 0; label <= maxLabel; label++) groups.push(plan.whens.get(label) ?? defaultActionsFor(label));

  const len = ctx.len > 0 ? ctx.len : labels.length;
  let extent = labels.length;
  const normalized = plan.ranges.map((range) => {
    const [start, stop] = normalizeRange(range, ctx.tb, len);
    extent = Math.max(extent, Math.min(stop, len));
    return [start, stop] as const;
  });

  // Grown once, to the largest extent any range asks for: growing range by range gives the same
  // frames, because a range only fills what exists when it is applied and extension never shrinks.
  let index = new Uint32Array(extent);
  index.set(labels);
  let current = labels.length;
  plan.ranges.forEach((range, k) => {
    const [start, stop] = normalized[k]!;
    current = Math.max(current, Math.min(stop, len));
    groups.push(range.action);
    const to = Math.min(stop, current);
    if (start < to) index.fill(groups.length - 1, start, to);
  });
  if (current !== index.length) index = index.subarray(0, current);
  return { index, groups };
}

/**
 * Maximal runs of equal action group index → runs, cut ones left out. A run's `speed` is the
 * product of its group's speed and varispeed values, `varispeed` the product of the varispeed
 * values, `volume` the product of the volume values.
 */
export function actionRuns({ index, groups }: ActionPlan): Run[] {
  const runs: Run[] = [];
  let start = 0;
  for (let i = 1; i <= index.length; i++) {
    if (i < index.length && index[i] === index[start]) continue;
    const group = groups[index[start]!]!;
    if (group !== 'cut') {
      runs.push({ start, end: i, speed: group.speed, volume: group.volume, varispeed: group.varispeed });
    }
    start = i;
  }
  return runs;
}

/**
 * The edit, decided: evaluates every label's expression, applies margin and smoothing, the
 * actions and the ranges, and returns the kept runs in source order (half-open frames at
 * `ctx.tb`; the gaps between them are cuts), ready for runsToTimeline.
 */
export function planRuns(plan: EditPlan, ctx: EditContext): Run[] {
  return actionRuns(planActions(plan, ctx));
}
