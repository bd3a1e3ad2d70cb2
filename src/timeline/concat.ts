/**
 * Several inputs in one edit (`tacet a.mp4 b.mp4`): each input's timeline, cut on its own, is laid
 * after the previous one's, so the result plays the inputs in the order given.
 */
import { UserError } from '../errors.js';
import { timelineLength, type Clip, type Timeline } from './model.js';
import { UNKNOWN_LANG } from './clips.js';

/**
 * Joins timelines end to end: every layer continues across the parts (layer i of each part goes to
 * layer i of the result, so there are as many layers as the part with the most has; a part without
 * a layer leaves a gap there, which renders as silence or background). All parts must share one
 * timebase. Resolution comes from the first part with video, sample rate and layout from the first
 * with audio, background and template from the first part; languages from the first part that has
 * the layer. Only a single part keeps its `linear` description (v1/v2 describe one source).
 */
export function concatTimelines(parts: readonly Timeline[]): Timeline {
  const first = parts[0];
  if (!first) throw new RangeError('concatTimelines needs at least one timeline');
  if (parts.length === 1) return first;
  for (const p of parts) {
    if (p.tb.num * first.tb.den !== first.tb.num * p.tb.den) {
      throw new RangeError(`timelines to join must share a timebase (${first.tb.num}/${first.tb.den} vs ${p.tb.num}/${p.tb.den})`);
    }
  }
  const vCount = Math.max(...parts.map((p) => p.v.length));
  const aCount = Math.max(...parts.map((p) => p.a.length));
  const v: Clip[][] = Array.from({ length: vCount }, () => []);
  const a: Clip[][] = Array.from({ length: aCount }, () => []);
  let shift = 0;
  for (const p of parts) {
    p.v.forEach((layer, i) => v[i]!.push(...layer.map((c) => ({ ...c, start: c.start + shift }))));
    p.a.forEach((layer, i) => a[i]!.push(...layer.map((c) => ({ ...c, start: c.start + shift }))));
    shift += timelineLength(p);
  }
  const withVideo = parts.find((p) => p.v.length > 0) ?? first;
  const withAudio = parts.find((p) => p.a.length > 0) ?? first;
  const langOf = (i: number, kind: 'v' | 'a') => {
    const p = parts.find((q) => q[kind].length > i);
    return (kind === 'v' ? p?.videoLangs?.[i] : p?.langs[i]) ?? UNKNOWN_LANG;
  };
  const joined: Timeline = {
    tb: first.tb,
    background: first.background,
    resolution: [withVideo.resolution[0], withVideo.resolution[1]],
    sampleRate: withAudio.sampleRate,
    layout: withAudio.layout,
    langs: a.map((_, i) => langOf(i, 'a')),
    videoLangs: v.map((_, i) => langOf(i, 'v')),
    v,
    a,
  };
  if (first.templateFile !== undefined) joined.templateFile = first.templateFile;
  return joined;
}

/** Throws auto-editor's "Timeline is empty" when no layer has a clip. */
export function assertNotEmpty(tl: Timeline): void {
  if (timelineLength(tl) === 0) throw new UserError('Timeline is empty, nothing to do.');
}
