import type { Rational } from './rational.js';

/**
 * One clip on a track. Positions are integer frames at the timeline's timebase.
 * `offset` is in speed-scaled units (auto-editor v3): the source frame where the clip starts is
 * `offset * speed`.
 */
export interface Clip {
  /** Source file path (key into Timeline.sources). */
  src: string;
  /** Timeline position of the first frame. */
  start: number;
  /** Length on the timeline, in frames (> 0). */
  dur: number;
  /** Source position in speed-scaled frames. */
  offset: number;
  /** Playback speed; 1 is normal. Includes the varispeed factor (see `varispeed`). */
  speed: number;
  /**
   * The part of `speed` that comes from varispeed actions, whose pitch follows the speed
   * (resampling); the rest (`speed / varispeed`) keeps the pitch (time stretching). Absent = 1.
   */
  varispeed?: number;
  /** Index among the source's streams of this kind (0 = its first video, or first audio, stream). */
  stream: number;
  /** Gain factor (1 = unchanged). */
  volume: number;
}

/** The v3 timeline: layers of clips laid end to end, shared by render and every export. */
export interface Timeline {
  tb: Rational;
  /** Background colour, "#rrggbb". */
  background: string;
  resolution: [number, number];
  sampleRate: number;
  /** Audio layout name, e.g. "stereo". */
  layout: string;
  /** Language per audio layer (may be shorter than `a`; missing ones are "und"). */
  langs: string[];
  /**
   * Language per video layer (may be shorter than `v`; missing ones are "und"). auto-editor's v3
   * `langs` is flattened as video layers then audio layers, so the JSON writer needs both.
   */
  videoLangs?: string[];
  /** Video layers; v[0] is the main one. */
  v: Clip[][];
  /** Audio layers, one per audio stream of the source. */
  a: Clip[][];
  /** Optional template path carried through v3 files. */
  templateFile?: string;
  /**
   * The single-source, source-order description this timeline was built from (auto-editor's
   * "clips2"). Only timelines made from runs have it; v1 and v2 export write it, because the
   * speed-scaled v3 clips cannot be turned back into exact source ranges.
   */
  linear?: LinearSource;
}

/**
 * A source read in order: kept runs, with cuts as the gaps between them and after the last one.
 * This is what v1 chunks and v2 clips describe.
 */
export interface LinearSource {
  /** The source file every run refers to. */
  src: string;
  /** Kept runs in source order, non-overlapping, exactly as given to runsToTimeline. */
  runs: Run[];
  /** Source length in frames the description covers (>= the last run's end); the tail is a cut. */
  length: number;
}

/** A run of equal action along the source, in timebase frames, half-open. */
export interface Run {
  start: number;
  end: number;
  /**
   * Product of the group's speed/varispeed values. A speed <= 0, >= 99999 or not finite means the
   * run is cut (auto-editor's 99999 "cut" speed); see isCutSpeed.
   */
  speed: number;
  /** Gain factor (1 = unchanged). */
  volume: number;
  /** The varispeed part of `speed` (pitch follows it); absent = 1. */
  varispeed?: number;
}

/** Total length of a timeline in frames (end of its last clip on any layer). */
export function timelineLength(tl: Timeline): number {
  let end = 0;
  for (const layer of [...tl.v, ...tl.a]) for (const c of layer) end = Math.max(end, c.start + c.dur);
  return end;
}
