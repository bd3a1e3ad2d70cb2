import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { EDITOR_FORMATS, EXPORT_BY_EXTENSION, parseExportArg } from '../export/index.js';
import { extractAudioToWav } from '../media/extract.js';
import type { MediaInfo } from '../media/types.js';
import { checkOutputPath, renderTimeline, tempOutputPath } from '../render/render.js';
import { SpanMap, clipSpans, findSidecars, mainLayer, retimeSubtitleText } from '../render/streams.js';
import { writeTimelineJson } from '../timeline/json.js';
import type { Timeline } from '../timeline/model.js';
import type { RenderRequest } from '../render/settings.js';

/** What a run produces. */
export type ExportKind = 'render' | 'clip-sequence' | 'v1' | 'v2' | 'v3' | keyof typeof EDITOR_FORMATS;

const JSON_EXT: Record<'v1' | 'v2' | 'v3', string> = { v1: '.json', v2: '.v2', v3: '.v3' };
const ALL_KINDS = ['default', 'v1', 'v2', 'v3', 'clip-sequence', ...Object.keys(EDITOR_FORMATS)];
/** auto-editor exports tacet does not write (recognised so they are refused by name). */
const NOT_SUPPORTED = ['json', 'timeline', 'audio'];

export interface ExportChoice {
  kind: ExportKind;
  params: Record<string, string>;
}

/** Which export a run makes: `--export` wins, then the output's extension, else a render. */
export function resolveExport(exportArg: string | null, output: string | null): ExportChoice {
  if (exportArg) {
    const { kind, params } = parseExportArg(exportArg);
    if (kind === 'default' || kind === 'render') return { kind: 'render', params };
    if (ALL_KINDS.includes(kind)) return { kind: kind as ExportKind, params };
    if (NOT_SUPPORTED.includes(kind)) throw new UserError(`export "${kind}" is not supported by tacet (available: ${ALL_KINDS.join(', ')})`);
    throw new UserError(`unknown export "${kind}" (available: ${ALL_KINDS.join(', ')})`);
  }
  if (output && output !== '-') {
    const byExt = EXPORT_BY_EXTENSION[extname(output).toLowerCase()];
    if (byExt) return { kind: byExt as ExportKind, params: {} };
  }
  return { kind: 'render', params: {} };
}

/** The extension a kind writes (a render keeps the input's). */
function kindExtension(kind: ExportKind, input: string): string {
  if (kind === 'render' || kind === 'clip-sequence') return extname(input);
  if (kind === 'v1' || kind === 'v2' || kind === 'v3') return JSON_EXT[kind];
  return EDITOR_FORMATS[kind].ext;
}

/** Default output path: `<dir>/<name>_ALTERED<ext>`, with the export kind's extension. */
export function defaultOutputPath(input: string, kind: ExportKind): string {
  const ext = extname(input);
  const stem = join(dirname(input), `${basename(input, ext)}_ALTERED`);
  return kind === 'clip-sequence' ? stem : `${stem}${kindExtension(kind, input)}`;
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

export interface WriteOptions {
  choice: ExportChoice;
  /** Output path, "-" for stdout, or null for the default name. */
  output: string | null;
  /** The file named on the command line (a media file or a timeline file), if any. */
  input: string | null;
  /** Render settings as given (`-c:v`, `-anorm`, …); only renders and clip sequences use them. */
  render?: RenderRequest;
  signal?: AbortSignal;
  onProgress?: (title: string, done: number, total: number) => void;
  /** Told about what a render cannot keep (a subtitle stream the container cannot hold, …). */
  onWarning?: (message: string) => void;
  /** Told what only `--debug` shows (partial-lossless decisions). */
  onDebug?: (message: string) => void;
}

export interface Written {
  /** The written file or folder; null when the result went to stdout. */
  output: string | null;
  stdout: string | null;
}

/** Produces the chosen output for a timeline: a timeline file, an editor project, a render or clips. */
export async function writeOutput(tl: Timeline, sources: Map<string, MediaInfo>, o: WriteOptions): Promise<Written> {
  const { kind, params } = o.choice;
  const firstSource = sources.keys().next().value as string;
  const base = o.input ?? firstSource;
  const protectedPaths = [...sources.keys(), ...(o.input ? [o.input] : [])];
  if (o.output === '-' && (kind === 'render' || kind === 'clip-sequence')) {
    throw new UserError('cannot write media to standard output; use a timeline export (e.g. --export v3) with -o -');
  }

  if (kind === 'render') {
    let out = o.output ?? defaultOutputPath(base, kind);
    checkOutputPath(out, protectedPaths);
    // `-o name` without an extension takes the input's, as auto-editor does.
    if (extname(out) === '') out += extname(firstSource);
    const report = await renderTimeline(tl, sources, {
      output: out,
      render: o.render ?? {},
      signal: o.signal,
      onProgress: (d, t, stage) => o.onProgress?.(stage ?? 'Rendering', d, t),
      onWarning: o.onWarning,
    });
    // The decoder carries on past a damaged packet; the user should know the output may show it.
    if (report.skippedPackets > 0) o.onWarning?.(`skipped ${report.skippedPackets} corrupt packet(s) while rendering ${out}`);
    const lossless = report.partialLossless;
    if (lossless?.used) {
      o.onDebug?.(`partial lossless: copied ${lossless.copiedFrames} of ${report.frames} frames, re-encoded ${lossless.encodedFrames} in ${lossless.segments} segment(s)`);
    } else if (lossless) {
      o.onDebug?.(`partial lossless not used: ${lossless.reason}`);
    }
    writeSidecarSubtitles(tl, firstSource, out, protectedPaths, o.onWarning);
    return { output: out, stdout: null };
  }

  if (kind === 'clip-sequence') return writeClipSequence(tl, sources, o, base, protectedPaths);

  let text: string;
  let out = o.output === '-' ? null : (o.output ?? defaultOutputPath(base, kind));
  if (out) checkOutputPath(out, protectedPaths);
  if (kind === 'v1' || kind === 'v2' || kind === 'v3') {
    // auto-editor ends the file without a newline but echoes one on stdout; so do we.
    text = writeTimelineJson(tl, kind);
    if (!out) text += '\n';
  } else {
    const format = EDITOR_FORMATS[kind];
    const extractedAudio = format.extractsAudio ? await extractAudioTracks(tl, sources, out ?? base, o) : undefined;
    text = format.write({ timeline: tl, sources, extractedAudio, name: params.name }, params);
  }
  if (!out) return { output: null, stdout: text };
  writeAtomically(out, text);
  return { output: out, stdout: null };
}

/**
 * Sidecar subtitles (`talk.srt`, `talk.vtt`, `talk.ass` beside `talk.mp4`) retimed to the render and
 * written beside it with its name (`talk_ALTERED.srt`), each through a temporary file. A player
 * pairs a video with same-named subtitles, so the cut video keeps its captions.
 */
function writeSidecarSubtitles(tl: Timeline, media: string, rendered: string, protectedPaths: string[], onWarning?: (m: string) => void): string[] {
  const sidecars = findSidecars(media);
  if (sidecars.length === 0) return [];
  const map = new SpanMap(clipSpans(mainLayer(tl).filter((c) => c.src === media), tl.tb));
  const stem = join(dirname(rendered), basename(rendered, extname(rendered)));
  const written: string[] = [];
  for (const sidecar of sidecars) {
    const out = `${stem}${extname(sidecar)}`;
    if ([...protectedPaths, sidecar].some((p) => resolve(p) === resolve(out))) {
      onWarning?.(`${basename(sidecar)} not retimed: its output name ${out} would replace an input`);
      continue;
    }
    writeAtomically(out, retimeSubtitleText(readFileSync(sidecar, 'utf8'), extname(sidecar), map));
    written.push(out);
  }
  return written;
}

/**
 * Resolve links only the first audio stream of a file: every later stream used by the timeline is
 * written once as `<stem>_tracks/<source>-<n>.wav` beside the project file.
 */
async function extractAudioTracks(tl: Timeline, sources: Map<string, MediaInfo>, projectPath: string, o: WriteOptions): Promise<Map<string, string>> {
  const wanted = new Set<string>();
  for (const layer of tl.a) for (const c of layer) if (c.stream > 0) wanted.add(`${c.src}#${c.stream}`);
  const result = new Map<string, string>();
  if (wanted.size === 0) return result;
  const dir = join(dirname(resolve(projectPath)), `${basename(projectPath, extname(projectPath))}_tracks`);
  mkdirSync(dir, { recursive: true });
  let i = 0;
  for (const key of wanted) {
    const hash = key.lastIndexOf('#');
    const src = key.slice(0, hash);
    const stream = Number(key.slice(hash + 1));
    if (!sources.get(src)?.audio[stream]) throw new UserError(`audio stream ${stream} of ${src} does not exist`);
    const wav = join(dir, `${basename(src, extname(src))}-${stream}.wav`);
    o.onProgress?.('Writing audio tracks', i++, wanted.size);
    await extractAudioToWav(src, stream, wav);
    result.set(key, wav);
  }
  return result;
}

/** One media file per kept clip, numbered in timeline order, in a folder named like the output. */
async function writeClipSequence(tl: Timeline, sources: Map<string, MediaInfo>, o: WriteOptions, base: string, protectedPaths: string[]): Promise<Written> {
  const dir = o.output ?? defaultOutputPath(base, 'clip-sequence');
  for (const p of protectedPaths) if (resolve(p) === resolve(dir)) throw new UserError(`output ${dir} is the same as an input`);
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UserError(`clip-sequence output ${dir} exists and is not a folder`);
  if (!existsSync(dirname(resolve(dir)))) throw new UserError(`output folder does not exist: ${dirname(dir)}`);
  mkdirSync(dir, { recursive: true });
  const main = tl.v[0]?.length ? tl.v[0] : tl.a[0];
  const ext = extname(base) || extname(sources.keys().next().value as string);
  const stem = basename(base, extname(base));
  const width = String(main.length).length;
  for (let i = 0; i < main.length; i++) {
    const clip = main[i];
    const pick = (layer: typeof main) => layer.filter((c) => c.start === clip.start).map((c) => ({ ...c, start: 0 }));
    const one: Timeline = { ...tl, v: tl.v.map(pick), a: tl.a.map(pick) };
    const out = join(dir, `${stem}-${String(i + 1).padStart(width, '0')}${ext}`);
    await renderTimeline(one, sources, {
      output: out,
      render: o.render ?? {},
      signal: o.signal,
      onProgress: (d, t, stage) => o.onProgress?.(`${stage ?? 'Rendering'} clip ${i + 1}/${main.length}`, d, t),
    });
  }
  return { output: dir, stdout: null };
}
