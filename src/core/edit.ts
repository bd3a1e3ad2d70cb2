import { UserError } from '../errors.js';
import { parseEditRequest, type EditRequest } from '../edit/plan.js';
import { formatStats } from '../edit/stats.js';
import { assertInputFile, probe } from '../media/probe.js';
import type { MediaInfo } from '../media/types.js';
import { timelineLength, type Timeline } from '../timeline/model.js';
import type { Rational } from '../timeline/rational.js';
import { defaultTimebase, parseFrameRate } from '../timeline/timebase.js';
import { editMedia } from './analysis.js';
import { isTimelineInput, loadTimeline } from './inputs.js';
import { resolveExport, writeOutput } from './outputs.js';
import type { RenderRequest } from '../render/settings.js';
import { parseAudioNormalize } from '../render/normalize.js';
import { checkTransition } from '../render/transition.js';

export { defaultOutputPath, resolveExport, writeAtomically } from './outputs.js';

/** Options of one edit: what the CLI (or a script, or a worker) asks for. */
export interface EditOptions extends EditRequest {
  /** A media file or a timeline file; null = a timeline given as `stdinTimeline`. */
  input: string | null;
  stdinTimeline?: string;
  frameRate: string | null;
  export: string | null;
  /** Output path; null = default name; "-" = stdout (timeline exports only). */
  output: string | null;
  noCache: boolean;
  /** Render and timeline settings (`-c:v`, `-res`, `-anorm`, …) as given; default {}. */
  render?: RenderRequest;
  /** Print statistics instead of writing anything (`--stats`/`--preview`). */
  stats?: boolean;
  onProgress?: (title: string, done: number, total: number) => void;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

export interface EditResult {
  /** Written file (or folder), or null when the result went to stdout or nothing was written. */
  output: string | null;
  /** Text for standard output (`-o -` timelines, `--stats`). */
  stdout: string | null;
  timeline: Timeline;
  /** Timeline length in frames, and the input's length in frames (null for a timeline input). */
  outputFrames: number;
  inputFrames: number | null;
}

/** Analyses, edits and renders (or exports) one input: tacet's main job. */
export async function runEdit(opts: EditOptions): Promise<EditResult> {
  // Validate everything that needs no media first, so bad options fail before any decoding.
  const choice = resolveExport(opts.export, opts.output);
  const plan = parseEditRequest(opts);
  if (opts.render?.audioNormalize) parseAudioNormalize(opts.render.audioNormalize);
  if (opts.render?.transition) checkTransition(opts.render.transition);
  let timeline: Timeline;
  let sources: Map<string, MediaInfo>;
  let inputFrames: number | null = null;

  if (isTimelineInput(opts.input)) {
    const loaded = await loadTimeline(opts.input, opts.stdinTimeline, opts.frameRate);
    for (const w of loaded.warnings) opts.onWarning?.(w);
    ({ timeline, sources } = loaded);
  } else {
    const input = opts.input!;
    assertInputFile(input);
    const info = await probe(input);
    const edited = await editMedia(info, timebaseFor(info, opts), plan, opts);
    timeline = edited.timeline;
    inputFrames = edited.len;
    sources = new Map([[info.path, info]]);
  }
  const outputFrames = timelineLength(timeline);

  if (opts.stats) {
    if (inputFrames === null) throw new UserError('--stats needs a media file as input, not a timeline');
    return { output: null, stdout: formatStats(inputFrames, timeline), timeline, outputFrames, inputFrames };
  }
  const written = await writeOutput(timeline, sources, {
    choice,
    output: opts.output,
    input: opts.input,
    render: opts.render ?? {},
    signal: opts.signal,
    onProgress: opts.onProgress,
    onWarning: opts.onWarning,
  });
  return { ...written, timeline, outputFrames, inputFrames };
}

function timebaseFor(info: MediaInfo, opts: EditOptions): Rational {
  if (opts.frameRate === null) return defaultTimebase(info);
  const parsed = parseFrameRate(opts.frameRate);
  if (parsed.warning) opts.onWarning?.(parsed.warning);
  return parsed.rate;
}
