import { UserError } from '../errors.js';
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

/** Which input of several this is, for progress titles ("Analyzing b.mp4 (2/3)"). */
export interface InputPosition {
  name: string;
  index: number;
  count: number;
}

function title(req: LevelRequest, i: number, n: number, input?: InputPosition): string {
  const what = req.method === 'audio' ? 'audio' : req.method === 'subtitle' ? 'subtitles' : req.method;
  if (input) {
    const head = `Analyzing ${input.name} (${input.index + 1}/${input.count})`;
    return n > 1 ? `${head}: ${what} (${i + 1}/${n})` : head;
  }
  return n > 1 ? `Analyzing ${what} (${i + 1}/${n})` : `Analyzing ${what}`;
}

/** How editMedia treats one input among several. */
export interface EditMediaOptions {
  /** Names the input in progress titles. */
  input?: InputPosition;
  /** Return an empty timeline instead of failing when everything is cut (another input may keep something). */
  allowEmpty?: boolean;
  /**
   * Analyse on the calling thread. For an edit that goes on to render: the pool's worker thread
   * is never torn down and the memory of its analysis stays with the process, while the render
   * takes far longer than the analysis the pool would save (measured: 1 h of AAC rendered to
   * .m4a, 158 MB peak with the pool, 137 MB without, the same wall time).
   */
  singleThreaded?: boolean;
}

/**
 * Computes every level array the plan needs (each streamed and cached), then plans runs and
 * builds the timeline. Returns the media length in frames (auto-editor's `len`) as well.
 */
export async function editMedia(
  info: MediaInfo,
  tb: Rational,
  plan: EditPlan,
  hooks: AnalysisHooks,
  which: EditMediaOptions = {},
): Promise<{ timeline: Timeline; len: number }> {
  const counts = { audio: info.audio.length, video: info.video.length, subtitle: info.subtitle.length };
  let requests: LevelRequest[];
  try {
    requests = levelRequestsOf(plan, counts);
  } catch (e) {
    // "the input has none" must say which input when there are several.
    if (which.input && e instanceof UserError) throw new UserError(`${info.path}: ${e.message}`);
    throw e;
  }
  const levels = new Map<string, Uint16Array>();
  const cues = new Map<number, Cue[]>();
  let mediaSeconds: number | null = null;
  for (let i = 0; i < requests.length; i++) {
    const req = requests[i];
    const t = title(req, i, requests.length, which.input);
    const opts: LevelsOptions = {
      noCache: hooks.noCache,
      signal: hooks.signal,
      onProgress: (done, total) => hooks.onProgress?.(t, done, total),
      onSkipped: (n) => hooks.onWarning?.(`skipped ${n} corrupt packet(s) of ${info.path}`),
      singleThreaded: which.singleThreaded,
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
  return { timeline: runsToTimeline(runs, info, tb, { length: len, allowEmpty: which.allowEmpty }), len };
}
