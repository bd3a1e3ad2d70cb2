import { basename, extname } from 'node:path';
import { UserError } from '../errors.js';
import { parseEditRequest, type EditRequest } from '../edit/plan.js';
import { formatStats } from '../edit/stats.js';
import { loadAv } from '../media/av.js';
import { assertInputFile, probe } from '../media/probe.js';
import type { MediaInfo } from '../media/types.js';
import { timelineLength, type Timeline } from '../timeline/model.js';
import type { Rational } from '../timeline/rational.js';
import { defaultTimebase, parseFrameRate } from '../timeline/timebase.js';
import { assertNotEmpty, concatTimelines } from '../timeline/concat.js';
import { applyTimelineSettings, parseTimelineSettings } from '../timeline/settings.js';
import { editMedia } from './analysis.js';
import { isTimelineInput, loadTimeline } from './inputs.js';
import { resolveExport, writeOutput } from './outputs.js';
import { parseEncodeSettings, sourceCodecs, type RenderRequest } from '../render/settings.js';
import { parseAudioNormalize } from '../render/normalize.js';
import { checkTransition } from '../render/transition.js';

export { defaultOutputPath, resolveExport, writeAtomically } from './outputs.js';

/** Options of one edit: what the CLI (or a script, or a worker) asks for. */
export interface EditOptions extends EditRequest {
  /**
   * Media files (several are cut one by one and joined in this order) or one timeline file; empty =
   * a timeline given as `stdinTimeline`.
   */
  inputs: readonly string[];
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
  /** Told what a run decided that only `--debug` shows (whether a render copied GOPs, and why not). */
  onDebug?: (message: string) => void;
  signal?: AbortSignal;
}

export interface EditResult {
  /** Written file (or folder), or null when the result went to stdout or nothing was written. */
  output: string | null;
  /** Text for standard output (`-o -` timelines, `--stats`). */
  stdout: string | null;
  timeline: Timeline;
  /** Timeline length in frames, and the inputs' summed length in frames (null for a timeline input). */
  outputFrames: number;
  inputFrames: number | null;
}

/** Analyses, edits and renders (or exports) one edit of one or more inputs: tacet's main job. */
export async function runEdit(opts: EditOptions): Promise<EditResult> {
  // Validate everything that needs no media first, so bad options fail before any decoding.
  const choice = resolveExport(opts.export, opts.output);
  const renders = choice.kind === 'render' || choice.kind === 'clip-sequence';
  const renderExt = renders ? renderExtension(opts.output, opts.inputs[0] ?? null) : null;
  if (renderExt !== null) {
    await loadAv();
    parseEncodeSettings(opts.render ?? {}, renderExt);
  }
  const plan = parseEditRequest(opts);
  const settings = parseTimelineSettings(opts.render ?? {});
  const inputs = opts.inputs;
  if (opts.render?.audioNormalize) parseAudioNormalize(opts.render.audioNormalize);
  if (opts.render?.transition) checkTransition(opts.render.transition);
  let timeline: Timeline;
  let sources: Map<string, MediaInfo>;
  let inputFrames: number | null = null;
  let lengths: Map<string, number> | undefined;

  if (inputs.length === 0 || inputs.some((p) => isTimelineInput(p))) {
    if (inputs.length > 1) {
      const timelines = inputs.filter((p) => isTimelineInput(p));
      throw new UserError(
        timelines.length === inputs.length
          ? `give one timeline file at a time (got ${inputs.length})`
          : `cannot mix a timeline file (${timelines[0]}) with media files in one edit; give the timeline alone`,
      );
    }
    const loaded = await loadTimeline(inputs[0] ?? null, opts.stdinTimeline, opts.frameRate);
    for (const w of loaded.warnings) opts.onWarning?.(w);
    ({ timeline, sources } = loaded);
  } else {
    // Probe every input before analysing any, so a missing second file fails at once.
    const infos: MediaInfo[] = [];
    for (const input of inputs) {
      assertInputFile(input);
      infos.push(await probe(input));
    }
    // With the sources known, `auto` codecs resolve and their options are checked before decoding.
    if (renderExt !== null) parseEncodeSettings(opts.render ?? {}, renderExt, sourceCodecs(...infos));
    const tb = timebaseFor(infos[0]!, opts);
    const several = infos.length > 1;
    const parts: Timeline[] = [];
    inputFrames = 0;
    lengths = new Map();
    for (let i = 0; i < infos.length; i++) {
      const info = infos[i]!;
      const position = {
        ...(several ? { input: { name: basename(info.path), index: i, count: infos.length }, allowEmpty: true } : {}),
        singleThreaded: renderExt !== null,
      };
      const edited = await editMedia(info, tb, plan, opts, position);
      parts.push(edited.timeline);
      inputFrames += edited.len;
      lengths.set(info.path, edited.len);
    }
    timeline = concatTimelines(parts);
    assertNotEmpty(timeline);
    sources = new Map(infos.map((info) => [info.path, info]));
  }
  timeline = applyTimelineSettings(timeline, settings);
  const outputFrames = timelineLength(timeline);

  if (opts.stats) {
    if (inputFrames === null) throw new UserError('--stats needs a media file as input, not a timeline');
    return { output: null, stdout: formatStats(inputFrames, timeline, lengths), timeline, outputFrames, inputFrames };
  }
  const written = await writeOutput(timeline, sources, {
    choice,
    output: opts.output,
    input: inputs[0] ?? null,
    render: opts.render ?? {},
    signal: opts.signal,
    onProgress: opts.onProgress,
    onWarning: opts.onWarning,
    onDebug: opts.onDebug,
  });
  return { ...written, timeline, outputFrames, inputFrames };
}

/** The extension a render will write, when it is already known (null for a timeline input without -o). */
function renderExtension(output: string | null, input: string | null): string | null {
  if (output && output !== '-' && extname(output) !== '') return extname(output).toLowerCase();
  if (input && !isTimelineInput(input) && extname(input) !== '') return extname(input).toLowerCase();
  return null;
}

function timebaseFor(info: MediaInfo, opts: EditOptions): Rational {
  if (opts.frameRate === null) return defaultTimebase(info);
  const parsed = parseFrameRate(opts.frameRate);
  if (parsed.warning) opts.onWarning?.(parsed.warning);
  return parsed.rate;
}
