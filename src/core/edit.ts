import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { audioLevels } from '../analyze/index.js';
import { UserError } from '../errors.js';
import { applyMargin, applySmoothing, collectLevelRequests, evaluateEdit, parseEdit, parseTimePair, type AudioLevelRequest } from '../edit/index.js';
import { assertInputFile, probe } from '../media/probe.js';
import { scanMediaSeconds } from '../media/scan.js';
import type { MediaInfo } from '../media/types.js';
import { checkOutputPath, renderTimeline, tempOutputPath } from '../render/render.js';
import { labelsToRuns, runsToTimeline } from '../timeline/clips.js';
import { readTimelineJson, writeTimelineJson } from '../timeline/json.js';
import { timelineLength, type Timeline } from '../timeline/model.js';
import { roundHalfAway, toNumber, type Rational } from '../timeline/rational.js';
import { defaultTimebase, parseFrameRate } from '../timeline/timebase.js';

/** Export kinds this build can write; others are refused by name. */
export type ExportKind = 'render' | 'v1' | 'v2' | 'v3';
const TIMELINE_EXPORTS = ['v1', 'v2', 'v3'] as const;
/** auto-editor's other export names: recognised so they are refused clearly, not misread. */
const LATER_EXPORTS = ['premiere', 'resolve-fcp7', 'final-cut-pro', 'resolve', 'shotcut', 'kdenlive', 'otio', 'premiere-otio', 'edl', 'clip-sequence', 'json', 'timeline', 'audio'];

/** Options of one edit: what the CLI (or a script, or a worker) asks for. */
export interface EditOptions {
  input: string | null;
  /** Timeline text read from stdin when there is no input file. */
  stdinTimeline?: string;
  edit: string;
  margin: string;
  smooth: string;
  frameRate: string | null;
  export: string | null;
  /** Output path; null = default name; "-" = stdout (timeline exports only). */
  output: string | null;
  noCache: boolean;
  onProgress?: (title: string, done: number, total: number) => void;
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

export interface EditResult {
  /** Written file, or null when the result went to `stdout`. */
  output: string | null;
  /** Text for standard output (with `-o -`). */
  stdout: string | null;
  timeline: Timeline;
  /** Timeline length in frames, and the input's length in frames (null for a timeline input). */
  outputFrames: number;
  inputFrames: number | null;
}

const TIMELINE_INPUT_EXTS = ['.v1', '.v2', '.v3', '.json'];
const EXPORT_EXT: Record<Exclude<ExportKind, 'render'>, string> = { v1: '.json', v2: '.v2', v3: '.v3' };

/** Which export a run makes: `--export` wins, then the output's extension, else a render. */
export function resolveExport(exportArg: string | null, output: string | null): ExportKind {
  if (exportArg) {
    const name = exportArg.split(':')[0].trim();
    if ((TIMELINE_EXPORTS as readonly string[]).includes(name)) return name as ExportKind;
    if (name === 'default' || name === 'render') return 'render';
    if (LATER_EXPORTS.includes(name)) throw new UserError(`export "${name}" is not supported by tacet yet (available: default, v1, v2, v3)`);
    throw new UserError(`unknown export "${name}" (available: default, v1, v2, v3)`);
  }
  if (output && output !== '-') {
    const ext = extname(output).toLowerCase();
    if (ext === '.json' || ext === '.v1') return 'v1';
    if (ext === '.v2') return 'v2';
    if (ext === '.v3') return 'v3';
    if (['.xml', '.fcpxml', '.mlt', '.kdenlive', '.otio', '.edl'].includes(ext)) {
      throw new UserError(`writing ${ext} timelines is not supported by tacet yet (available: .json/.v1, .v2, .v3)`);
    }
  }
  return 'render';
}

/** Default output path: `<dir>/<name>_ALTERED<ext>`, with the export kind's extension for timelines. */
export function defaultOutputPath(input: string, kind: ExportKind): string {
  const ext = kind === 'render' ? extname(input) : EXPORT_EXT[kind];
  const inExt = extname(input);
  return join(dirname(input), `${basename(input, inExt)}_ALTERED${ext}`);
}

/** Converts a timeline/edit length to seconds for printing. */
export function framesToSeconds(frames: number, tb: Rational): number {
  return frames / toNumber(tb);
}

/** Analyses, edits and renders (or exports) one input: tacet's main job. */
export async function runEdit(opts: EditOptions): Promise<EditResult> {
  const kind = resolveExport(opts.export, opts.output);
  if (opts.output === '-' && kind === 'render') {
    throw new UserError('cannot write rendered media to standard output; use --export v3 (or v1, v2) with -o -');
  }
  const input = opts.input;
  let timeline: Timeline;
  let inputFrames: number | null = null;
  let sources: Map<string, MediaInfo>;
  let outputBase: string;

  const isTimelineInput = input === null || TIMELINE_INPUT_EXTS.includes(extname(input).toLowerCase());
  if (isTimelineInput) {
    let text: string;
    let baseDir: string;
    if (input === null) {
      if (opts.stdinTimeline === undefined) throw new UserError('no input file given (try: tacet FILE)');
      text = opts.stdinTimeline;
      baseDir = process.cwd();
    } else {
      assertInputFile(input);
      text = readFileSync(input, 'utf8');
      baseDir = dirname(resolve(input));
    }
    ({ timeline, sources } = await timelineFromJson(text, baseDir, opts));
    const firstSource = sources.keys().next().value as string;
    outputBase = input ?? firstSource;
  } else {
    assertInputFile(input);
    const info = await probe(input);
    const tb = timebaseFor(info, opts);
    const { timeline: tl, len } = await editMedia(info, tb, opts);
    timeline = tl;
    inputFrames = len;
    sources = new Map([[info.path, info]]);
    outputBase = input;
  }

  if (kind !== 'render') {
    // auto-editor ends the file without a newline but echoes one on stdout; so do we.
    const text = writeTimelineJson(timeline, kind);
    if (opts.output === '-') return { output: null, stdout: `${text}\n`, timeline, outputFrames: timelineLength(timeline), inputFrames };
    const out = opts.output ?? defaultOutputPath(outputBase, kind);
    checkOutputPath(out, [...sources.keys(), ...(input ? [input] : [])]);
    writeAtomically(out, text);
    return { output: out, stdout: null, timeline, outputFrames: timelineLength(timeline), inputFrames };
  }

  let out = opts.output ?? defaultOutputPath(isTimelineInput ? (sources.keys().next().value as string) : outputBase, kind);
  checkOutputPath(out, [...sources.keys()]);
  // `-o name` without an extension takes the input's, as auto-editor does.
  if (extname(out) === '') out += extname(sources.keys().next().value as string);
  if (input) checkOutputPath(out, [input]);
  await renderTimeline(timeline, sources, {
    output: out,
    signal: opts.signal,
    onProgress: (done, total) => opts.onProgress?.('Rendering', done, total),
  });
  return { output: out, stdout: null, timeline, outputFrames: timelineLength(timeline), inputFrames };
}

function timebaseFor(info: MediaInfo, opts: EditOptions): Rational {
  if (opts.frameRate === null) return defaultTimebase(info);
  const parsed = parseFrameRate(opts.frameRate);
  if (parsed.warning) opts.onWarning?.(parsed.warning);
  return parsed.rate;
}

/** The edit step on a probed input: levels → mask → margin → smoothing → runs → timeline. */
async function editMedia(info: MediaInfo, tb: Rational, opts: EditOptions): Promise<{ timeline: Timeline; len: number }> {
  const expr = parseEdit(opts.edit);
  const requests = collectLevelRequests(expr, info.audio.length);
  const levelsByKey = new Map<string, Uint16Array>();
  let mediaSeconds: number | null = null;
  for (let i = 0; i < requests.length; i++) {
    const req = requests[i];
    const title = requests.length > 1 ? `Analyzing audio ${i + 1}/${requests.length}` : 'Analyzing audio';
    const { levels, seconds } = await audioLevels(info.path, req.stream, req.channel, tb, {
      noCache: opts.noCache,
      signal: opts.signal,
      onProgress: (done, total) => opts.onProgress?.(title, done, total),
      onSkipped: (n) => opts.onWarning?.(`skipped ${n} corrupt audio packet(s) in ${info.path}`),
    });
    levelsByKey.set(levelKey(req), levels);
    if (req.stream === 0 && mediaSeconds === null) mediaSeconds = seconds;
  }
  // auto-editor's media length comes from the first audio stream (else the video's duration).
  if (mediaSeconds === null) mediaSeconds = await scanMediaSeconds(info);
  const len = roundHalfAway(mediaSeconds * toNumber(tb));
  let mask = evaluateEdit(expr, {
    len,
    audioStreamCount: info.audio.length,
    levels: (req) => {
      const l = levelsByKey.get(levelKey(req));
      if (!l) throw new Error(`levels for stream ${req.stream} were not analysed`);
      return l;
    },
  });
  const [before, after] = parseTimePair(opts.margin, tb);
  mask = applyMargin(mask, before, after);
  const [minCut, minClip] = parseTimePair(opts.smooth, tb);
  mask = applySmoothing(mask, minCut, minClip);
  const runs = labelsToRuns(mask, (label) => (label === 0 ? 'cut' : { speed: 1, volume: 1 }));
  const timeline = runsToTimeline(runs, info, tb, { length: mask.length });
  return { timeline, len };
}

function levelKey(req: AudioLevelRequest): string {
  return `${req.stream}:${req.channel ?? 'all'}`;
}

async function timelineFromJson(text: string, baseDir: string, opts: EditOptions): Promise<{ timeline: Timeline; sources: Map<string, MediaInfo> }> {
  const parsed = readTimelineJson(text, baseDir);
  const sources = new Map<string, MediaInfo>();
  for (const src of parsed.sources) {
    try {
      assertInputFile(src);
    } catch {
      throw new UserError(`the timeline refers to a missing source file: ${src}`);
    }
    sources.set(src, await probe(src));
  }
  if (parsed.kind === 'timeline') return { timeline: parsed.timeline, sources };
  const info = sources.get(parsed.source)!;
  const tb = parsed.tb ?? (opts.frameRate ? parseFrameRate(opts.frameRate).rate : defaultTimebase(info));
  return { timeline: runsToTimeline(parsed.runs, info, tb, { length: parsed.length }), sources };
}

/** Writes text to `path` through a temporary file, so an interrupted run leaves nothing half-written. */
export function writeAtomically(path: string, text: string): void {
  const temp = tempOutputPath(path);
  try {
    writeFileSync(temp, text);
    renameSync(temp, path);
  } catch (e) {
    rmSync(temp, { force: true });
    throw e;
  }
}
