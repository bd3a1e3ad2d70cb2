/**
 * What `tacet view` shares between its server and its page: the session and job types sent as JSON,
 * and the pure logic the page runs on every slider move (regions from levels, the threshold
 * controls, the equivalent command line). Pure TypeScript with no Node import, so that Vite bundles
 * it for the browser together with src/edit: the page decides regions with the very code the CLI
 * uses, and these functions are unit-tested in Node.
 */
import { parseEdit, type EditExpr, type FrameLevelRequest, type StreamCounts, type SubtitleCue } from '../edit/expr.js';
import { parseEditRequest, planRuns, type EditRequest, type RangeKind } from '../edit/plan.js';
import { toUnorm16 } from '../analyze/unorm16.js';
import { CUT_SPEED, clipBounds, isCutSpeed } from '../timeline/clips.js';
import type { Rational } from '../timeline/rational.js';

/** One plotted level array: what was analysed, and how the page scales it. */
export interface LevelLane {
  /** Position in ViewSession.lanes; the page fetches `/api/levels/<index>`. */
  index: number;
  request: FrameLevelRequest;
  /** Human name, e.g. "audio stream 0". */
  name: string;
  /**
   * How the page maps a level to height: audio in dB (quiet levels matter), motion by its square
   * root (a few percent of changed pixels is already motion), the share of black pixels linearly.
   */
  scale: 'db' | 'sqrt' | 'linear';
}

/** Everything the page needs besides the level arrays, served as `/api/session`. */
export interface ViewSession {
  /** The input as given on the command line (the command line shown repeats it verbatim). */
  file: string;
  /** The input's file name, for the title. */
  name: string;
  tb: Rational;
  /** Media length in frames (auto-editor's `len`), exactly as the CLI computes it. */
  len: number;
  counts: StreamCounts;
  /** The edit options the view was started with. */
  request: EditRequest;
  /** `-r` as given, or null. */
  frameRate: string | null;
  /** Margin and smooth defaults, so the command line can leave them out. */
  defaults: { margin: string; smooth: string };
  lanes: LevelLane[];
  /** Subtitle cues by stream, for the subtitle methods. */
  cues: Array<{ stream: number; cues: SubtitleCue[] }>;
  media: {
    hasVideo: boolean;
    /** URL of the source file when a browser is expected to play it; null when only a proxy will do. */
    source: string | null;
  };
  /** Every `--export` kind the server can make, `render` first. */
  exportKinds: string[];
  /** The kind preselected in the page (`--export` on the view command line, else render). */
  defaultExport: string;
}

/** What the page posts to `/api/export`: the kind and the settings of the moment. */
export interface ExportRequest {
  kind: string;
  settings: EditRequest;
}

/** A background job of the server (the preview proxy or an export), as `/api/jobs` reports it. */
export interface JobStatus {
  id: number;
  what: 'preview' | 'export';
  /** Export kind, or "preview". */
  kind: string;
  state: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  /** Current stage ("Analyzing audio", "Rendering", …). */
  title: string;
  done: number;
  total: number;
  /** Written file or folder when done. */
  output: string | null;
  error: string | null;
}

/** A v1 chunk: source frames [start, end) and their speed (99999 = cut), as `--export v1` writes it. */
export type Chunk = [start: number, end: number, speed: number];

/** The regions the page draws, and what they add up to. */
export interface EditResult {
  /** Contiguous from 0, exactly the chunks of `--export v1` for the same settings. */
  chunks: Chunk[];
  /** Frames of the edited result (the sum of the clips' durations). */
  outputFrames: number;
}

/** A stable key for a level request (property order does not matter), for looking levels up. */
export function levelKey(req: FrameLevelRequest): string {
  const o = req as unknown as Record<string, unknown>;
  return JSON.stringify(Object.keys(o).sort().map((k) => [k, o[k]]));
}

/**
 * The edit for `settings`, decided by src/edit exactly as the CLI decides it, turned into v1
 * chunks (runsToTimeline's rules: runs at a cut speed are cut, gaps are cuts, and the last chunk
 * reaches the media length). Throws UserError for settings the CLI would refuse too.
 */
export function computeEdit(session: ViewSession, settings: EditRequest, levels: ReadonlyMap<string, Uint16Array>): EditResult {
  const plan = parseEditRequest(settings);
  const runs = planRuns(plan, {
    len: session.len,
    tb: session.tb,
    audioStreamCount: session.counts.audio,
    levels: (req) => {
      const found = levels.get(levelKey(req));
      if (!found) throw new Error(`the levels of ${JSON.stringify(req)} were not analysed`);
      return found;
    },
    cues: (stream) => session.cues.find((c) => c.stream === stream)?.cues ?? [],
  });
  const chunks: Chunk[] = [];
  let position = 0;
  let outputFrames = 0;
  for (const run of runs) {
    if (isCutSpeed(run.speed)) continue;
    if (run.start > position) chunks.push([position, run.start, CUT_SPEED]);
    chunks.push([run.start, run.end, run.speed]);
    position = run.end;
    outputFrames += clipBounds(run.start, run.end, run.speed)?.dur ?? 0;
  }
  // runsToTimeline covers max(len, end of the last run, cut ones included).
  const length = Math.max(session.len, runs.length ? runs[runs.length - 1]!.end : 0);
  if (length > position) chunks.push([position, length, CUT_SPEED]);
  return { chunks, outputFrames };
}

// ---------------------------------------------------------------------------------------------
// Threshold controls: one per method leaf of every `--edit` expression.

/** A method with a threshold somewhere in an expression, for one slider in the page. */
export interface ThresholdControl {
  /** The `--edit:N` label whose expression holds it (1 = `--edit`). */
  label: number;
  /** Child indexes from the expression's root to the leaf. */
  path: number[];
  method: 'audio' | 'motion' | 'blackdetect';
  /** unorm16, as the expression stores it. */
  threshold: number;
  /** Short description, e.g. "audio", "audio stream 1", "motion". */
  name: string;
  /** Indexes of the lanes this threshold applies to (audio stream=all spans every audio lane). */
  lanes: number[];
}

/** The expression text of each label, label 1 defaulting to `audio` as parseEditRequest does. */
export function editTexts(settings: EditRequest): Map<number, string> {
  const texts = new Map<number, string>();
  for (const { label, expr } of settings.edits) texts.set(label, expr);
  if (!texts.has(1)) texts.set(1, 'audio');
  return texts;
}

/** Every thresholded method of the settings' expressions, in label then tree order. */
export function thresholdControls(settings: EditRequest, lanes: readonly LevelLane[]): ThresholdControl[] {
  const controls: ThresholdControl[] = [];
  const labels = [...editTexts(settings)].sort((a, b) => a[0] - b[0]);
  for (const [label, text] of labels) {
    const visit = (e: EditExpr, path: number[]): void => {
      if (e.kind === 'not') visit(e.arg, [...path, 0]);
      else if (e.kind === 'or' || e.kind === 'and' || e.kind === 'xor') e.args.forEach((a, i) => visit(a, [...path, i]));
      else if (e.kind === 'audio' || e.kind === 'motion' || e.kind === 'blackdetect') {
        const matching = lanes.filter((l) => {
          const r = l.request;
          if (e.kind === 'audio') return r.method === 'audio' && (e.stream === 'all' || r.stream === e.stream) && r.channel === e.channel;
          if (e.kind === 'motion') return r.method === 'motion' && r.stream === e.stream && r.width === e.width && r.blur === e.blur && String(r.region) === String(e.region);
          return r.method === 'blackdetect' && r.stream === e.stream && r.pixelBlack === e.pixelBlack;
        });
        const stream = e.kind === 'audio' && e.stream === 'all' ? '' : ` stream ${e.stream}`;
        const prefix = label === 1 ? '' : `label ${label}: `;
        controls.push({ label, path, method: e.kind, threshold: e.threshold, name: `${prefix}${e.kind}${stream}`, lanes: matching.map((l) => l.index) });
      }
    };
    visit(parseEdit(text), []);
  }
  return controls;
}

/** The settings with one method's threshold (unorm16) changed; that label's expression is rewritten. */
export function withThreshold(settings: EditRequest, control: Pick<ThresholdControl, 'label' | 'path'>, threshold: number): EditRequest {
  const text = editTexts(settings).get(control.label);
  if (text === undefined) throw new Error(`no expression for label ${control.label}`);
  const set = (e: EditExpr, path: number[]): EditExpr => {
    if (path.length === 0) {
      if (e.kind !== 'audio' && e.kind !== 'motion' && e.kind !== 'blackdetect') throw new Error('not a thresholded method');
      return { ...e, threshold };
    }
    const [i, ...rest] = path;
    if (e.kind === 'not') return { kind: 'not', arg: set(e.arg, rest) };
    if (e.kind === 'or' || e.kind === 'and' || e.kind === 'xor') return { kind: e.kind, args: e.args.map((a, k) => (k === i ? set(a, rest) : a)) };
    throw new Error('path leads nowhere');
  };
  const expr = formatEdit(set(parseEdit(text), control.path));
  const edits = settings.edits.filter((e) => e.label !== control.label);
  edits.push({ label: control.label, expr });
  return { ...settings, edits };
}

/**
 * The shortest decimal that quantises back to the unorm16 `u`, so that a threshold written into
 * the command line selects exactly the frames the page shows.
 */
export function formatThreshold(u: number): string {
  for (let digits = 1; digits <= 17; digits++) {
    const text = String(Number((u / 65535).toPrecision(digits)));
    if (toUnorm16(Number(text)) === u) return text;
  }
  return String(u / 65535);
}

/** A string argument as the `--edit` reader reads it back: quoted, `\` and `"` escaped. */
function quoteString(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&')}"`;
}

/**
 * An expression as `--edit` text that parses back to the same EditExpr (defaults left out, so a
 * typical one stays short: `audio:threshold=0.05`).
 */
export function formatEdit(e: EditExpr): string {
  const call = (name: string, args: Array<[string, string] | null>) =>
    `${name}:${args.filter((a): a is [string, string] => a !== null).map(([k, v]) => `${k}=${v}`).join(',')}`;
  switch (e.kind) {
    case 'none':
    case 'all':
      return e.kind;
    case 'not':
      return `(not ${formatEdit(e.arg)})`;
    case 'or':
    case 'and':
    case 'xor':
      return `(${e.kind} ${e.args.map(formatEdit).join(' ')})`;
    case 'audio':
      return call('audio', [
        ['threshold', formatThreshold(e.threshold)],
        e.stream === 'all' ? null : ['stream', String(e.stream)],
        e.channel === null ? null : ['channel', String(e.channel)],
      ]);
    case 'motion': {
      const r = e.region;
      return call('motion', [
        ['threshold', formatThreshold(e.threshold)],
        e.stream === 0 ? null : ['stream', String(e.stream)],
        e.width === 400 ? null : ['width', String(e.width)],
        e.blur === 9 ? null : ['blur', String(e.blur)],
        ...(r === null ? [] : (['x', 'y', 'w', 'h'] as const).map((k, i): [string, string] => [k, String(r[i])])),
      ]);
    }
    case 'blackdetect':
      return call('blackdetect', [
        ['threshold', formatThreshold(e.threshold)],
        e.stream === 0 ? null : ['stream', String(e.stream)],
        e.pixelBlack === Math.fround(0.1) ? null : ['pixel-black', String(e.pixelBlack)],
      ]);
    case 'subtitle':
      return call('subtitle', [
        ['pattern', quoteString(e.pattern)],
        e.stream === 0 ? null : ['stream', String(e.stream)],
        e.ignoreCase ? ['ignore-case', 'true'] : null,
      ]);
  }
}

// ---------------------------------------------------------------------------------------------
// Actions and the command line.

/** The action text of a label, the last `--when` for it winning; `fallback` when none is given. */
export function whenText(settings: EditRequest, label: number, fallback: string): string {
  let text = fallback;
  for (const w of settings.whens) if (w.label === label) text = w.actions;
  return text;
}

/** The settings with label's actions replaced (earlier `--when` values for it dropped). */
export function withWhen(settings: EditRequest, label: number, actions: string): EditRequest {
  return { ...settings, whens: [...settings.whens.filter((w) => w.label !== label), { label, actions }] };
}

const RANGE_OPTION: Record<RangeKind, string> = { cut: '--cut', keep: '--keep', 'set-speed': '--set-speed', 'set-action': '--set-action' };

/**
 * The `tacet` command line (argv, program name first) that makes the same edit as `settings`:
 * defaults are left out so the line stays readable. `extra` is appended (e.g. `--export v1`).
 */
export function commandLine(session: Pick<ViewSession, 'file' | 'frameRate' | 'defaults'>, settings: EditRequest, extra: string[] = []): string[] {
  const argv = ['tacet', session.file];
  const texts = editTexts(settings);
  const explicit = new Set(settings.edits.map((e) => e.label));
  for (const [label, text] of [...texts].sort((a, b) => a[0] - b[0])) {
    if (!explicit.has(label)) continue;
    argv.push(label === 1 ? '--edit' : `--edit:${label}`, text);
  }
  if (settings.margin !== session.defaults.margin) argv.push('--margin', settings.margin);
  if (settings.smooth !== session.defaults.smooth) argv.push('--smooth', settings.smooth);
  const whens = new Map<number, string>();
  for (const w of settings.whens) {
    whens.delete(w.label); // keep the order of the last occurrence
    whens.set(w.label, w.actions);
  }
  for (const [label, actions] of whens) {
    if (label === 0 && actions.trim() === 'cut') continue;
    if (label === 1 && actions.trim() === 'nil') continue;
    argv.push(label === 0 ? '--when-inactive' : label === 1 ? '--when-active' : `--when:${label}`, actions);
  }
  for (const r of settings.ranges) argv.push(RANGE_OPTION[r.kind], r.text);
  if (session.frameRate !== null) argv.push('--frame-rate', session.frameRate);
  return [...argv, ...extra];
}

/** argv as one line for a POSIX shell: arguments with anything unusual are single-quoted. */
export function shellQuote(argv: readonly string[]): string {
  return argv.map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

