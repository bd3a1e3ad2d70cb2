/**
 * From per-frame labels to runs, and from runs to the v3 Timeline: the same arithmetic auto-editor's
 * initLinearTimeline does, so that tacet keeps exactly the frames auto-editor keeps.
 */
import { UserError } from '../errors.js';
import type { MediaInfo } from '../media/types.js';
import type { Clip, Run, Timeline } from './model.js';
import type { Rational } from './rational.js';

/** auto-editor's stand-in speed for "cut" (v1 files write it as 99999.0). */
export const CUT_SPEED = 99999;

/** Resolution auto-editor gives a timeline whose source has no video (MediaInfo.getRes). */
export const DEFAULT_RESOLUTION: readonly [number, number] = [1920, 1080];
/** Sample rate auto-editor gives a timeline whose source has no audio. */
export const DEFAULT_SAMPLE_RATE = 48000;
/** Audio layout auto-editor gives a timeline whose source has no audio. */
export const DEFAULT_LAYOUT = 'stereo';
/** auto-editor's default background colour (-b). */
export const DEFAULT_BACKGROUND = '#000000';
/** Language written for streams that do not declare one (FFmpeg's "undetermined"). */
export const UNKNOWN_LANG = 'und';

/**
 * True when a run with this speed is dropped: auto-editor cuts at speed <= 0 and at >= 99999 (its
 * cut marker); NaN and infinities can only come from bad arithmetic and are cut too.
 */
export function isCutSpeed(speed: number): boolean {
  return !Number.isFinite(speed) || speed <= 0 || speed >= CUT_SPEED;
}

/**
 * Where the source run [start, end) lands when played at `speed`, in auto-editor's speed-scaled
 * units: `offset = ceil(start / speed)`, `dur = ceil(end / speed) - offset`. Scaling both edges (not
 * the length) keeps consecutive runs seamless. Returns null when the run vanishes: when
 * round((end - start) / speed) is 0 (auto-editor's test), and also when the ceilings leave a zero
 * duration (e.g. [1, 2) at speed 2), which auto-editor skips as well.
 */
export function clipBounds(start: number, end: number, speed: number): { offset: number; dur: number } | null {
  // Math.round is half-up; for the non-negative lengths here that equals Nim's half-away rounding.
  if (Math.round((end - start) / speed) === 0) return null;
  const offset = Math.ceil(start / speed);
  const dur = Math.ceil(end / speed) - offset;
  if (dur <= 0) return null;
  return { offset, dur };
}

/**
 * What one label does, as returned by the `actions` callback of labelsToRuns. `varispeed` is the
 * part of `speed` whose pitch follows it (absent = 1).
 */
export type LabelAction = { speed: number; volume: number; varispeed?: number } | 'cut';

/**
 * Splits per-frame labels (0 inactive, 1 active, 2..255 extra classes) into maximal runs of equal
 * label and gives each the speed and volume of its label's action. Cut runs are left out, so the
 * gaps between the returned runs (and after the last one, up to labels.length) are cuts. A run's
 * speed is whatever the action says; actions that resolve to a cut speed (isCutSpeed) are dropped
 * too. `actions` is asked once per distinct label.
 */
export function labelsToRuns(labels: Uint8Array, actions: (label: number) => LabelAction): Run[] {
  const cache = new Map<number, LabelAction>();
  const actionOf = (label: number): LabelAction => {
    let a = cache.get(label);
    if (a === undefined) {
      a = actions(label);
      cache.set(label, a);
    }
    return a;
  };
  const runs: Run[] = [];
  let start = 0;
  for (let i = 1; i <= labels.length; i++) {
    if (i < labels.length && labels[i] === labels[start]) continue;
    const action = actionOf(labels[start]);
    if (action !== 'cut' && !isCutSpeed(action.speed)) {
      const run: Run = { start, end: i, speed: action.speed, volume: action.volume };
      if (action.varispeed !== undefined) run.varispeed = action.varispeed;
      runs.push(run);
    }
    start = i;
  }
  return runs;
}

/** Options for runsToTimeline. */
export interface RunsToTimelineOptions {
  /** Background colour "#rrggbb" (default #000000). */
  background?: string;
  /**
   * Source length in frames the runs were cut from (normally labels.length). Only v1/v2 export
   * uses it, to write the trailing cut; defaults to the last run's end.
   */
  length?: number;
  /** Return a timeline without clips instead of failing (one input of several may be all cut). */
  allowEmpty?: boolean;
}

/** auto-editor keeps at most 4 characters of a language tag and calls a missing one "und". */
function langOf(lang: string | null | undefined): string {
  return lang ? lang.slice(0, 4) : UNKNOWN_LANG;
}

/**
 * Builds the v3 timeline for one source from its runs (in source order, half-open, in frames at
 * `tb`). Kept runs become clips laid end to end (clipBounds decides offset and duration; runs that
 * vanish are skipped, cut runs are skipped). Like auto-editor, the source's first video stream gets
 * one video layer (stream 0) and every audio stream gets an audio layer (stream i), all with the same
 * clips; a run's varispeed factor (when not 1) is carried to its clips. Resolution comes from the
 * first video stream (else 1920x1080), sample rate and layout from
 * the first audio stream (else 48000 and stereo), languages from the streams ("und" when unknown).
 * The runs are also kept as `linear` so the timeline can be written as v1 or v2.
 * Throws UserError when nothing is left ("Timeline is empty"), as auto-editor does.
 */
export function runsToTimeline(runs: Run[], info: MediaInfo, tb: Rational, opts: RunsToTimelineOptions = {}): Timeline {
  const src = info.path;
  const base: Omit<Clip, 'stream'>[] = [];
  const kept: Run[] = [];
  let position = 0;
  let previousEnd = 0;
  for (const run of runs) {
    if (!Number.isInteger(run.start) || !Number.isInteger(run.end) || run.start < previousEnd || run.end < run.start) {
      throw new RangeError(`runs must be integer, ordered and non-overlapping; got [${run.start}, ${run.end}) after ${previousEnd}`);
    }
    previousEnd = run.end;
    if (isCutSpeed(run.speed)) continue;
    kept.push({ ...run });
    const bounds = clipBounds(run.start, run.end, run.speed);
    if (bounds === null) continue;
    const clip: Omit<Clip, 'stream'> = { src, start: position, dur: bounds.dur, offset: bounds.offset, speed: run.speed, volume: run.volume };
    // Only carried when it matters, so that plain timelines keep their plain shape.
    if (run.varispeed !== undefined && run.varispeed !== 1) clip.varispeed = run.varispeed;
    base.push(clip);
    position += bounds.dur;
  }

  const v: Clip[][] = [];
  const a: Clip[][] = [];
  const videoLangs: string[] = [];
  const langs: string[] = [];
  if (info.video.length > 0) {
    v.push(base.map((c) => ({ ...c, stream: 0 })));
    videoLangs.push(langOf(info.video[0].lang));
  }
  info.audio.forEach((stream, i) => {
    a.push(base.map((c) => ({ ...c, stream: i })));
    langs.push(langOf(stream.lang));
  });
  if (!opts.allowEmpty && (v.length === 0 || v[0].length === 0) && (a.length === 0 || a[0].length === 0)) {
    throw new UserError('Timeline is empty, nothing to do.');
  }

  const video = info.video[0];
  const audio = info.audio[0];
  return {
    tb,
    background: opts.background ?? DEFAULT_BACKGROUND,
    resolution: video ? [video.width, video.height] : [DEFAULT_RESOLUTION[0], DEFAULT_RESOLUTION[1]],
    sampleRate: audio ? audio.sampleRate : DEFAULT_SAMPLE_RATE,
    layout: audio ? audio.layout : DEFAULT_LAYOUT,
    langs,
    videoLangs,
    v,
    a,
    templateFile: src,
    linear: { src, runs: kept, length: Math.max(opts.length ?? 0, previousEnd) },
  };
}

/**
 * Source frame index a clip shows at timeline frame `n` (also beyond the clip's edges, for
 * transition handles): round(round((offset + n − start) × fps / tb) × speed), half away from zero,
 * where `fps` is the source's average frame rate and `tb` the timeline's.
 */
export function sourceFrameIndex(clip: Clip, n: number, fps: number, tb: number): number {
  return roundAway(roundAway(((clip.offset + n - clip.start) * fps) / tb) * clip.speed);
}

function roundAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}
