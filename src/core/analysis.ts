import { audioLevels, blackLevels, motionLevels, type LevelsOptions } from '../analyze/index.js';
import { readCues, type Cue } from '../analyze/subtitle.js';
import { levelRequestsOf, planRuns, type EditPlan } from '../edit/plan.js';
import type { FrameLevelRequest, LevelRequest } from '../edit/expr.js';
import { scanMediaSeconds } from '../media/scan.js';
import type { MediaInfo } from '../media/types.js';
import { runsToTimeline } from '../timeline/clips.js';
import type { Timeline } from '../timeline/model.js';
import { roundHalfAway, toNumber, type Rational } from '../timeline/rational.js';

export interface AnalysisHooks {
  noCache: boolean;
  signal?: AbortSignal;
  onProgress?: (title: string, done: number, total: number) => void;
  onWarning?: (message: string) => void;
}

function requestKey(req: LevelRequest): string {
  return JSON.stringify(req);
}

function title(req: LevelRequest, i: number, n: number): string {
  const what = req.method === 'audio' ? 'audio' : req.method === 'subtitle' ? 'subtitles' : req.method;
  return n > 1 ? `Analyzing ${what} (${i + 1}/${n})` : `Analyzing ${what}`;
}

/**
 * Computes every level array the plan needs (each streamed and cached), then plans runs and
 * builds the timeline. Returns the media length in frames (auto-editor's `len`) as well.
 */
export async function editMedia(info: MediaInfo, tb: Rational, plan: EditPlan, hooks: AnalysisHooks): Promise<{ timeline: Timeline; len: number }> {
  const requests = levelRequestsOf(plan, { audio: info.audio.length, video: info.video.length, subtitle: info.subtitle.length });
  const levels = new Map<string, Uint16Array>();
  const cues = new Map<number, Cue[]>();
  let mediaSeconds: number | null = null;
  for (let i = 0; i < requests.length; i++) {
    const req = requests[i];
    const t = title(req, i, requests.length);
    const opts: LevelsOptions = {
      noCache: hooks.noCache,
      signal: hooks.signal,
      onProgress: (done, total) => hooks.onProgress?.(t, done, total),
      onSkipped: (n) => hooks.onWarning?.(`skipped ${n} corrupt packet(s) of ${info.path}`),
    };
    if (req.method === 'subtitle') {
      cues.set(req.stream, await readCues(info.path, req.stream));
      continue;
    }
    const result =
      req.method === 'audio'
        ? await audioLevels(info.path, req.stream, req.channel, tb, opts)
        : req.method === 'motion'
          ? await motionLevels(info.path, req.stream, tb, { width: req.width, blur: req.blur, region: req.region ? [...req.region] as [number, number, number, number] : null }, opts)
          : await blackLevels(info.path, req.stream, tb, req.pixelBlack, opts);
    levels.set(requestKey(req), result.levels);
    if (req.method === 'audio' && req.stream === 0 && mediaSeconds === null) mediaSeconds = result.seconds;
  }
  // auto-editor's media length comes from the first audio stream (else the video's duration).
  if (mediaSeconds === null) mediaSeconds = await scanMediaSeconds(info);
  const len = roundHalfAway(mediaSeconds * toNumber(tb));
  const runs = planRuns(plan, {
    len,
    tb,
    audioStreamCount: info.audio.length,
    levels: (req: FrameLevelRequest) => {
      const l = levels.get(requestKey(req));
      if (!l) throw new Error(`levels for ${requestKey(req)} were not analysed`);
      return l;
    },
    cues: (stream: number) => cues.get(stream) ?? [],
  });
  return { timeline: runsToTimeline(runs, info, tb, { length: len }), len };
}
