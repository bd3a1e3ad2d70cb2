/**
 * The `tacet view` backend: analyses the input once (through the same cached analysis as the CLI),
 * then serves the session, the level arrays, the media (or its preview proxy) and export jobs to
 * the page. Exports go through runEdit, the CLI's own entry point, so a file exported from the page
 * is the file the shown command line writes.
 */
import type { RenderRequest } from '../render/settings.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, extname, join, resolve } from 'node:path';
import { audioLevels, blackLevels, motionLevels, type LevelsOptions } from '../analyze/index.js';
import { readCues } from '../analyze/subtitle.js';
import { runEdit } from '../core/edit.js';
import { isTimelineInput } from '../core/inputs.js';
import { resolveExport } from '../core/outputs.js';
import { UserError } from '../errors.js';
import type { FrameLevelRequest, SubtitleCue } from '../edit/expr.js';
import { levelRequestsOf, parseEditRequest, type EditRequest, type RangeKind } from '../edit/plan.js';
import { EDITOR_FORMATS } from '../export/index.js';
import { assertInputFile, probe } from '../media/probe.js';
import { scanMediaSeconds } from '../media/scan.js';
import type { MediaInfo } from '../media/types.js';
import { roundHalfAway, toNumber, type Rational } from '../timeline/rational.js';
import { defaultTimebase, parseFrameRate } from '../timeline/timebase.js';
import { JobQueue } from './jobs.js';
import type { JobStatus, LevelLane, ViewSession } from './model.js';
import { browserPlayable, makePreviewProxy } from './proxy.js';
import type { ViewBackend } from './server.js';

/** What `tacet view` was asked for. */
export interface ViewAppOptions {
  /** The media file, as given on the command line. */
  input: string;
  request: EditRequest;
  frameRate: string | null;
  /** `--export` given to view: preselected in the page. */
  exportArg: string | null;
  noCache: boolean;
  /** Render and timeline settings from the command line (`-c:v`, `-res`, …), used by the page's exports. */
  render?: RenderRequest;
  /** Margin and smooth defaults of the option table (the command line leaves them out). */
  defaults: { margin: string; smooth: string };
  signal?: AbortSignal;
  onProgress?: (title: string, done: number, total: number) => void;
  onWarning?: (message: string) => void;
}

/** The backend plus what the command needs to shut it down. */
export interface ViewApp extends ViewBackend {
  /** Cancels running jobs, waits for them, and deletes the preview proxy. */
  dispose(): Promise<void>;
}

/** Every export the page offers: a render first, then tacet's timeline and editor formats. */
export const EXPORT_KINDS = ['render', 'v1', 'v2', 'v3', ...Object.keys(EDITOR_FORMATS), 'clip-sequence'];

const RANGE_KINDS: readonly RangeKind[] = ['cut', 'keep', 'set-speed', 'set-action'];

// Content types the video element is given, by extension (it decides by the type, not the name).
const MEDIA_TYPES: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.m4a': 'audio/mp4',
  '.mov': 'video/mp4',
  '.webm': 'video/webm',
  '.mkv': 'video/x-matroska',
  '.ogg': 'audio/ogg',
  '.ogv': 'video/ogg',
  '.opus': 'audio/ogg',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.flac': 'audio/flac',
};

function laneName(req: FrameLevelRequest): { name: string; scale: LevelLane['scale'] } {
  if (req.method === 'audio') return { name: `audio stream ${req.stream}${req.channel === null ? '' : ` channel ${req.channel}`}`, scale: 'db' };
  if (req.method === 'motion') return { name: `motion stream ${req.stream}`, scale: 'sqrt' };
  return { name: `black frames stream ${req.stream}`, scale: 'linear' };
}

function timebaseOf(info: MediaInfo, frameRate: string | null, onWarning?: (m: string) => void): Rational {
  if (frameRate === null) return defaultTimebase(info);
  const parsed = parseFrameRate(frameRate);
  if (parsed.warning) onWarning?.(parsed.warning);
  return parsed.rate;
}

/** Checks the page's settings field by field: they reach runEdit, so they must be what it expects. */
function checkSettings(value: unknown): EditRequest {
  const fail = (why: string): never => {
    throw new UserError(`bad export request: ${why}`);
  };
  if (typeof value !== 'object' || value === null) return fail('settings missing');
  const s = value as Record<string, unknown>;
  const list = <T>(name: string, item: (x: Record<string, unknown>) => T): T[] => {
    const v = s[name];
    if (!Array.isArray(v)) return fail(`${name} must be a list`);
    return v.map((x: unknown) => (typeof x === 'object' && x !== null ? item(x as Record<string, unknown>) : fail(`${name} entries must be objects`)));
  };
  const str = (x: unknown, what: string): string => (typeof x === 'string' ? x : fail(`${what} must be text`));
  const int = (x: unknown, what: string): number => (Number.isInteger(x) ? (x as number) : fail(`${what} must be a whole number`));
  return {
    edits: list('edits', (x) => ({ label: int(x.label, 'label'), expr: str(x.expr, 'expr') })),
    whens: list('whens', (x) => ({ label: int(x.label, 'label'), actions: str(x.actions, 'actions') })),
    ranges: list('ranges', (x) => {
      const kind = RANGE_KINDS.find((k) => k === x.kind) ?? fail('unknown range kind');
      return { kind, text: str(x.text, 'range') };
    }),
    margin: str(s.margin, 'margin'),
    smooth: str(s.smooth, 'smooth'),
  };
}

/**
 * Probes and analyses `opts.input` for every method its edit needs (cached, cancellable), computes
 * the media length as the CLI does, and returns the backend. Bad options and unreadable files
 * throw UserError or MediaError before anything is served.
 */
export async function createViewApp(opts: ViewAppOptions): Promise<ViewApp> {
  const plan = parseEditRequest(opts.request);
  let defaultExport = 'render';
  const exportKinds = [...EXPORT_KINDS];
  if (opts.exportArg !== null) {
    const choice = resolveExport(opts.exportArg, null);
    // An --export with attributes (premiere:name="…") is offered as given, attributes and all.
    defaultExport = opts.exportArg.includes(':') ? opts.exportArg : choice.kind;
    if (!exportKinds.includes(defaultExport)) exportKinds.unshift(defaultExport);
  }
  if (isTimelineInput(opts.input)) throw new UserError(`tacet view needs a media file, not a timeline: ${opts.input}`);
  assertInputFile(opts.input);
  const info = await probe(opts.input);
  const tb = timebaseOf(info, opts.frameRate, opts.onWarning);
  const counts = { audio: info.audio.length, video: info.video.length, subtitle: info.subtitle.length };
  const requests = levelRequestsOf(plan, counts);

  const lanes: LevelLane[] = [];
  const levels: Uint16Array[] = [];
  const cues: Array<{ stream: number; cues: SubtitleCue[] }> = [];
  let mediaSeconds: number | null = null;
  const frameRequests = requests.filter((r): r is FrameLevelRequest => r.method !== 'subtitle');
  for (const req of requests) {
    if (req.method === 'subtitle') {
      cues.push({ stream: req.stream, cues: await readCues(info.path, req.stream) });
      continue;
    }
    const i = lanes.length;
    const title = `Analyzing ${req.method}${frameRequests.length > 1 ? ` (${i + 1}/${frameRequests.length})` : ''}`;
    const lo: LevelsOptions = {
      noCache: opts.noCache,
      signal: opts.signal,
      onProgress: (done, total) => opts.onProgress?.(title, done, total),
      onSkipped: (n) => opts.onWarning?.(`skipped ${n} corrupt packet(s) of ${info.path}`),
    };
    const result =
      req.method === 'audio'
        ? await audioLevels(info.path, req.stream, req.channel, tb, lo)
        : req.method === 'motion'
          ? await motionLevels(info.path, req.stream, tb, { width: req.width, blur: req.blur, region: req.region ? [...req.region] as [number, number, number, number] : null }, lo)
          : await blackLevels(info.path, req.stream, tb, req.pixelBlack, lo);
    levels.push(result.levels);
    lanes.push({ index: i, request: req, ...laneName(req) });
    // The media length comes from the first audio stream when it was decoded, as in editMedia.
    if (req.method === 'audio' && req.stream === 0 && mediaSeconds === null) mediaSeconds = result.seconds;
  }
  if (mediaSeconds === null) mediaSeconds = await scanMediaSeconds(info);
  const len = roundHalfAway(mediaSeconds * toNumber(tb));

  const playable = browserPlayable(info);
  const ext = extname(info.path).toLowerCase();
  const sourceType = MEDIA_TYPES[ext] ?? (info.video.length ? 'video/mp4' : 'audio/mp4');
  const session: ViewSession = {
    file: opts.input,
    name: basename(opts.input),
    tb,
    len,
    counts,
    request: opts.request,
    frameRate: opts.frameRate,
    defaults: opts.defaults,
    lanes,
    cues,
    media: { hasVideo: info.video.length > 0, source: playable ? '/media' : null },
    exportKinds,
    defaultExport,
  };

  const queue = new JobQueue();
  let previewDir: string | null = null;
  let preview: JobStatus | null = null;
  const startPreview = (): JobStatus => {
    if (preview && preview.state !== 'failed' && preview.state !== 'cancelled') return preview;
    previewDir ??= mkdtempSync(join(tmpdir(), 'tacet-view-'));
    const out = join(previewDir, 'preview.mp4');
    preview = queue.add('preview', 'preview', 'Making a preview the browser can play', async (ctx) => {
      await makePreviewProxy(info, out, { signal: ctx.signal, onProgress: (d, t) => ctx.progress('Making a preview the browser can play', d, t) });
      return out;
    });
    return preview;
  };
  // Start at once when the codecs are known not to play: the page will need the proxy.
  if (!playable) startPreview();

  return {
    session: () => session,
    levels: (index) => levels[index],
    mediaFile: (urlPath) => {
      if (urlPath === '/media') return { path: info.path, type: sourceType };
      if (urlPath === '/preview.mp4' && preview?.state === 'done' && preview.output) return { path: preview.output, type: 'video/mp4' };
      return undefined;
    },
    jobs: () => queue.all(),
    startPreview: () => ({ ...startPreview() }),
    cancel: (id) => queue.cancel(id),
    startExport: (body) => {
      if (typeof body !== 'object' || body === null) throw new UserError('bad export request: expected {kind, settings}');
      const { kind, settings } = body as { kind?: unknown; settings?: unknown };
      if (typeof kind !== 'string' || !exportKinds.includes(kind)) throw new UserError(`unknown export kind: ${String(kind)}`);
      const request = checkSettings(settings);
      parseEditRequest(request); // refuse bad settings now, not inside the job
      const status = queue.add('export', kind, 'Waiting', async (ctx) => {
        const result = await runEdit({
          inputs: [opts.input],
          ...request,
          frameRate: opts.frameRate,
          export: kind,
          output: null,
          noCache: opts.noCache,
          render: opts.render ?? {},
          signal: ctx.signal,
          onProgress: ctx.progress,
          onWarning: opts.onWarning,
        });
        // Absolute, so the page can say where the file went whatever folder view was started in.
        return result.output === null ? null : resolve(result.output);
      });
      return { ...status };
    },
    dispose: async () => {
      await queue.close();
      if (previewDir) rmSync(previewDir, { recursive: true, force: true });
    },
  };
}
