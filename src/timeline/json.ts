/**
 * auto-editor's timeline files: v1 (chunks), v2 (clips + effect table) and v3 (layers of clips),
 * written byte for byte as auto-editor 31 writes them (src/exports/json.nim) and read with the
 * checks of its importer (src/imports/json.nim), plus clear messages for every bad field.
 */
import { isAbsolute, resolve } from 'node:path';
import { UserError } from '../errors.js';
import type { MediaInfo } from '../media/types.js';
import { DEFAULT_LAYOUT, UNKNOWN_LANG, isCutSpeed, runsToTimeline, CUT_SPEED } from './clips.js';
import { type JsonIn, type JsonOut, JsonFloat, formatNimFloat32, parseJsonStrict, prettyNimJson } from './jsontext.js';
import type { Clip, LinearSource, Run, Timeline } from './model.js';
import { type Rational, ratToString } from './rational.js';
import { INT_MAX, defaultTimebase, parseRationalText } from './timebase.js';

/** The timeline file kinds auto-editor reads and writes. */
export type TimelineJsonVersion = 'v1' | 'v2' | 'v3';

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/**
 * A clip's `effects` list as auto-editor writes it: one action per non-default value, with the value
 * printed as the float32 auto-editor stores ("speed:2.0", "varispeed:1.5", "volume:0.5"). Empty
 * means "nil". `speed` is the total speed; its varispeed part is written as its own action, and
 * the rest (speed / varispeed, exact because both are products of float32 values) as `speed`.
 */
function effectStrings(speed: number, volume: number, varispeed = 1): string[] {
  const list: string[] = [];
  const stretch = speed / varispeed;
  if (stretch !== 1) list.push(`speed:${formatNimFloat32(stretch)}`);
  if (varispeed !== 1) list.push(`varispeed:${formatNimFloat32(varispeed)}`);
  if (volume !== 1) list.push(`volume:${formatNimFloat32(volume)}`);
  return list;
}

/** auto-editor keeps at most 4 characters of a language tag; a missing one is "und". */
function langText(lang: string | undefined): string {
  return lang ? lang.slice(0, 4) : UNKNOWN_LANG;
}

function clipJson(c: Clip): JsonOut {
  const obj: { [key: string]: JsonOut } = { src: c.src, start: c.start, dur: c.dur, offset: c.offset, stream: c.stream };
  const effects = effectStrings(c.speed, c.volume, c.varispeed);
  if (effects.length > 0) obj.effects = effects;
  return obj;
}

function firstSource(tl: Timeline): string | undefined {
  for (const layer of [...tl.v, ...tl.a]) if (layer.length > 0) return layer[0].src;
  return undefined;
}

function v3Json(tl: Timeline): JsonOut {
  // auto-editor flattens languages as one per video layer, then one per audio layer.
  const langs: string[] = [];
  tl.v.forEach((_, i) => langs.push(langText(tl.videoLangs?.[i])));
  tl.a.forEach((_, i) => langs.push(langText(tl.langs[i])));
  return {
    version: '3',
    // auto-editor sets the template to the first source when none is given, and writes "" only
    // for a timeline without media.
    templateFile: tl.templateFile ?? firstSource(tl) ?? '',
    timebase: ratToString(tl.tb),
    background: tl.background,
    resolution: [tl.resolution[0], tl.resolution[1]],
    samplerate: tl.sampleRate,
    layout: tl.layout,
    langs,
    v: tl.v.map((layer) => layer.map(clipJson)),
    a: tl.a.map((layer) => layer.map(clipJson)),
  };
}

function sameClips(x: Clip[], y: Clip[]): boolean {
  return (
    x.length === y.length &&
    x.every(
      (c, i) =>
        c.start === y[i].start &&
        c.dur === y[i].dur &&
        c.offset === y[i].offset &&
        c.speed === y[i].speed &&
        (c.varispeed ?? 1) === (y[i].varispeed ?? 1) &&
        c.volume === y[i].volume,
    )
  );
}

/**
 * The source-order description v1 and v2 need. Timelines made by runsToTimeline carry it. For others
 * (read from a v3 file) it can be recovered only when every layer holds the same speed-1 clips in
 * source order, because a speed-scaled offset does not say which source frames it came from.
 */
function linearSourceOf(tl: Timeline, version: string): LinearSource {
  const sources = new Set<string>();
  for (const layer of [...tl.v, ...tl.a]) for (const c of layer) sources.add(c.src);
  if (sources.size > 1) {
    throw new UserError(
      `A ${version} timeline describes a single source, but this timeline uses ${sources.size} (${[...sources].join(', ')}); write it as v3.`,
    );
  }
  if (tl.linear && (sources.size === 0 || sources.has(tl.linear.src))) return tl.linear;

  const layers = [...tl.v, ...tl.a].filter((l) => l.length > 0);
  const reference = layers[0] ?? [];
  if (!layers.every((l) => sameClips(l, reference))) {
    throw new UserError(`This timeline's layers hold different clips, which a ${version} timeline cannot describe; write it as v3.`);
  }
  const runs: Run[] = [];
  let position = 0;
  let sourceEnd = 0;
  for (const c of reference) {
    if (c.speed !== 1) {
      throw new UserError(
        `This timeline has speed-changed clips read from a v3 file, whose exact source ranges a ${version} timeline cannot recover; write it as v3.`,
      );
    }
    if (c.start !== position || c.offset < sourceEnd) {
      throw new UserError(`This timeline is not linear (its clips are not in source order, end to end); write it as v3.`);
    }
    runs.push({ start: c.offset, end: c.offset + c.dur, speed: 1, volume: c.volume });
    position += c.dur;
    sourceEnd = c.offset + c.dur;
  }
  return { src: [...sources][0] ?? tl.templateFile ?? '', runs, length: sourceEnd };
}

/** Walks a linear source as auto-editor's clips2: kept runs with the cut gaps between them. */
function chunksOf(linear: LinearSource): { start: number; end: number; run: Run | null }[] {
  const chunks: { start: number; end: number; run: Run | null }[] = [];
  let position = 0;
  for (const run of linear.runs) {
    if (run.start > position) chunks.push({ start: position, end: run.start, run: null });
    chunks.push({ start: run.start, end: run.end, run });
    position = run.end;
  }
  if (linear.length > position) chunks.push({ start: position, end: linear.length, run: null });
  return chunks;
}

function v1Json(tl: Timeline): JsonOut {
  const linear = linearSourceOf(tl, 'v1');
  return {
    version: '1',
    source: linear.src,
    timebase: ratToString(tl.tb),
    chunks: chunksOf(linear).map((c) => [c.start, c.end, new JsonFloat(c.run ? c.run.speed : CUT_SPEED)]),
  };
}

function v2Json(tl: Timeline): JsonOut {
  const linear = linearSourceOf(tl, 'v2');
  // auto-editor's effect table starts with its two default action groups: -w:0 (cut), -w:1 (nil).
  const effects: string[][] = [['cut'], []];
  const indexOf = new Map<string, number>([['', 1]]);
  const clips: JsonOut[] = [];
  for (const c of chunksOf(linear)) {
    let index = 0;
    if (c.run) {
      const group = effectStrings(c.run.speed, c.run.volume, c.run.varispeed);
      const key = group.join(',');
      let found = indexOf.get(key);
      if (found === undefined) {
        found = effects.length;
        effects.push(group);
        indexOf.set(key, found);
      }
      index = found;
    }
    clips.push([c.start, c.end, index]);
  }
  return { version: '2', source: linear.src, tb: ratToString(tl.tb), effects, clips };
}

/**
 * Serialises a timeline as auto-editor 31 does (Nim `pretty`, 2-space indent, keys in auto-editor's
 * order, no trailing newline: add one when printing to stdout, as auto-editor's `echo` does).
 * - v3: `{"version":"3","templateFile","timebase","background","resolution","samplerate","layout",
 *   "langs","v","a"}` with clips `{src,start,dur,offset,stream,effects?}`.
 * - v1: `{"version":"1","source","timebase","chunks":[[start,end,speed],…]}`, contiguous from 0,
 *   cuts as 99999.0.
 * - v2: `{"version":"2","source","tb","effects":[["cut"],[],…],"clips":[[start,end,effect],…]}`,
 *   cut gaps included, as auto-editor's clips2 are.
 * v1 and v2 describe one source in source order: a multi-source timeline, or one read from v3 that
 * cannot be mapped back to source ranges, throws UserError.
 */
export function writeTimelineJson(tl: Timeline, version: TimelineJsonVersion): string {
  switch (version) {
    case 'v1':
      return prettyNimJson(v1Json(tl));
    case 'v2':
      return prettyNimJson(v2Json(tl));
    case 'v3':
      return prettyNimJson(v3Json(tl));
    default: {
      const never: never = version;
      throw new UserError(`Unknown timeline version "${String(never)}".`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/**
 * A v1 or v2 file: it names one source and its kept runs, but not the facts about the media a
 * Timeline needs (resolution, sample rate, streams). Probe `source`, then call timelineFromRuns.
 */
export interface TimelineRunsFile {
  kind: 'runs';
  version: '1' | '2';
  /** The source path, resolved against the file's directory. */
  source: string;
  /**
   * The file's timebase: v2's "tb", v1's optional "timebase" (null when absent). auto-editor 31
   * ignores v1's timebase and always uses the source's sanitised frame rate.
   */
  tb: Rational | null;
  /** Kept runs in source order (cut chunks and gaps left out), ready for runsToTimeline. */
  runs: Run[];
  /** Where the file's last chunk or clip ends (the source length it describes). */
  length: number;
  /** [source]. */
  sources: string[];
}

/** A v3 file: a complete timeline. */
export interface TimelineV3File {
  kind: 'timeline';
  version: '3';
  timeline: Timeline;
  /** Every distinct clip source (resolved), in order of first use: what the caller must probe. */
  sources: string[];
}

/** What readTimelineJson returns: runs for v1/v2 (media facts still needed), a Timeline for v3. */
export type TimelineFile = TimelineRunsFile | TimelineV3File;

type JsonObject = { [key: string]: JsonIn };

function isObject(v: JsonIn | undefined): v is JsonObject {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}

/** Field access that says exactly which field is wrong, e.g. `v3 timeline: clip a[0][2] "dur" ...`. */
class Reader {
  constructor(
    readonly where: string,
    readonly baseDir: string,
  ) {}

  fail(message: string): never {
    throw new UserError(`${this.where}: ${message}.`);
  }

  string(obj: JsonObject, key: string, label = `"${key}"`): string {
    const v = obj[key];
    if (v === undefined) this.fail(`missing ${label}`);
    if (typeof v !== 'string') this.fail(`${label} must be a string`);
    return v as string;
  }

  integer(obj: JsonObject, key: string, label: string, min: number, max: number, fallback?: number): number {
    const v = obj[key];
    if (v === undefined) {
      if (fallback !== undefined) return fallback;
      this.fail(`missing ${label}`);
    }
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(`${label} must be an integer, got ${JSON.stringify(v)}`);
    const n = v as number;
    if (n < min || n > max) this.fail(`${label} is ${n}, ${describeRange(min, max)}`);
    return n;
  }

  array(obj: JsonObject, key: string, label = `"${key}"`): JsonIn[] {
    const v = obj[key];
    if (v === undefined) this.fail(`missing ${label}`);
    if (!Array.isArray(v)) this.fail(`${label} must be an array`);
    return v as JsonIn[];
  }

  timebase(obj: JsonObject, key: string, required: boolean): Rational | null {
    if (obj[key] === undefined && !required) return null;
    const text = this.string(obj, key);
    const tb = parseRationalText(text);
    if (tb === null) this.fail(`invalid "${key}" ${JSON.stringify(text)} (expected a positive fraction such as "30/1" or "30000/1001")`);
    return tb;
  }

  source(obj: JsonObject, key: string, label = `"${key}"`): string {
    const path = this.string(obj, key, label);
    if (path === '') this.fail(`${label} must not be empty`);
    return isAbsolute(path) ? path : resolve(this.baseDir, path);
  }
}

function describeRange(min: number, max: number): string {
  if (max === Number.MAX_SAFE_INTEGER) return min === 0 ? 'it must be >= 0' : `it must be >= ${min}`;
  return `it must be between ${min} and ${max}`;
}

/** An effect group as tacet models it: cut, or a speed (varispeed included), varispeed and volume. */
type EffectGroup = 'cut' | { speed: number; varispeed: number; volume: number };

/**
 * Reads one effect group (a list of action strings). auto-editor stores action values as float32
 * and multiplies speeds as float64, so the same is done here; `varispeed` counts in the speed and is
 * also kept apart, because its pitch follows the speed. Actions tacet cannot render yet (zoom,
 * invert...) are refused by name rather than silently dropped.
 */
function parseEffectGroup(r: Reader, list: JsonIn, label: string): EffectGroup {
  if (!Array.isArray(list)) r.fail(`${label} must be a list of action strings`);
  let speed = 1;
  let varispeed = 1;
  let volume = 1;
  for (const item of list as JsonIn[]) {
    if (typeof item !== 'string') r.fail(`${label} must contain only strings, found ${JSON.stringify(item)}`);
    const action = (item as string).trim();
    if (action === 'cut') return 'cut';
    if (action === 'nil') continue;
    const m = /^(speed|volume|varispeed):(.+)$/.exec(action);
    if (!m) r.fail(`${label} has the action "${action}", which tacet does not support yet`);
    const value = Number(m![2]);
    if (!Number.isFinite(value)) r.fail(`${label} has "${action}", whose value is not a number`);
    const stored = Math.fround(value);
    if (m![1] === 'speed') {
      if (!(value > 0 && value < CUT_SPEED)) r.fail(`${label} has "${action}": speed must be between 0 and 99999 (exclusive)`);
      speed *= stored;
    } else if (m![1] === 'varispeed') {
      if (!(stored >= 0.2 && stored <= 100)) r.fail(`${label} has "${action}": varispeed must be from 0.2 to 100`);
      speed *= stored;
      varispeed *= stored;
    } else {
      if (value < 0) r.fail(`${label} has "${action}": volume must be >= 0`);
      volume *= stored;
    }
  }
  return { speed, varispeed, volume };
}

/** A run (or clip) field for a varispeed factor: present only when it is not 1. */
function varispeedField(varispeed: number): { varispeed?: number } {
  return varispeed === 1 ? {} : { varispeed };
}

function readV1(doc: JsonObject, baseDir: string): TimelineRunsFile {
  const r = new Reader('v1 timeline', baseDir);
  const source = r.source(doc, 'source');
  const tb = r.timebase(doc, 'timebase', false);
  const chunks = r.array(doc, 'chunks');
  const runs: Run[] = [];
  let previousEnd = 0;
  chunks.forEach((chunk, i) => {
    const label = `chunk ${i}`;
    if (!Array.isArray(chunk) || chunk.length !== 3) r.fail(`${label} must be [start, end, speed]`);
    const [start, end, speed] = chunk as JsonIn[];
    if (typeof start !== 'number' || !Number.isSafeInteger(start) || start < 0) r.fail(`${label} has an invalid start ${JSON.stringify(start)} (an integer >= 0)`);
    if (typeof end !== 'number' || !Number.isSafeInteger(end) || end < (start as number)) {
      r.fail(`${label} has an invalid end ${JSON.stringify(end)} (an integer >= its start)`);
    }
    if (typeof speed !== 'number') r.fail(`${label} has a speed that is not a number: ${JSON.stringify(speed)}`);
    if ((start as number) < previousEnd) r.fail(`${label} starts at ${start as number}, before the previous chunk ends (${previousEnd})`);
    previousEnd = end as number;
    // 0 and 99999 (and anything outside them) mean cut, as in auto-editor's importer.
    if (!isCutSpeed(speed as number)) runs.push({ start: start as number, end: end as number, speed: speed as number, volume: 1 });
  });
  return { kind: 'runs', version: '1', source, tb, runs, length: previousEnd, sources: [source] };
}

function readV2(doc: JsonObject, baseDir: string): TimelineRunsFile {
  const r = new Reader('v2 timeline', baseDir);
  const source = r.source(doc, 'source');
  const tb = r.timebase(doc, 'tb', true)!;
  const groups = r.array(doc, 'effects').map((g, i) => parseEffectGroup(r, g, `effects[${i}]`));
  const clips = r.array(doc, 'clips');
  const runs: Run[] = [];
  let previousEnd = 0;
  clips.forEach((clip, i) => {
    const label = `clip ${i}`;
    if (!Array.isArray(clip) || clip.length !== 3) r.fail(`${label} must be [start, end, effect index]`);
    const [start, end, effect] = clip as JsonIn[];
    if (typeof start !== 'number' || !Number.isSafeInteger(start) || start < 0) r.fail(`${label} has an invalid start ${JSON.stringify(start)} (an integer >= 0)`);
    if (typeof end !== 'number' || !Number.isSafeInteger(end) || end < (start as number)) {
      r.fail(`${label} has an invalid end ${JSON.stringify(end)} (an integer >= its start)`);
    }
    if (typeof effect !== 'number' || !Number.isInteger(effect) || effect < 0 || effect >= groups.length) {
      r.fail(`${label} refers to effect ${JSON.stringify(effect)}, but "effects" has ${groups.length} entries`);
    }
    if ((start as number) < previousEnd) r.fail(`${label} starts at ${start as number}, before the previous clip ends (${previousEnd})`);
    previousEnd = end as number;
    const group = groups[effect as number];
    if (group !== 'cut') {
      runs.push({ start: start as number, end: end as number, speed: group.speed, volume: group.volume, ...varispeedField(group.varispeed) });
    }
  });
  return { kind: 'runs', version: '2', source, tb, runs, length: previousEnd, sources: [source] };
}

/** "#rgb" or "#rrggbb" (any case) as "#rrggbb" in lower case; null if it is neither. */
function normaliseColor(text: string): string | null {
  const s = text.trim().toLowerCase();
  if (/^#[0-9a-f]{6}$/.test(s)) return s;
  if (/^#[0-9a-f]{3}$/.test(s)) return `#${s[1]}${s[1]}${s[2]}${s[2]}${s[3]}${s[3]}`;
  return null;
}

function readV3Clip(r: Reader, node: JsonIn, label: string): Clip | null {
  if (!isObject(node)) r.fail(`${label} must be an object`);
  const obj = node as JsonObject;
  if (obj.src === null) r.fail(`${label} has no media ("src": null), which tacet does not support`);
  const src = r.source(obj, 'src', `${label} "src"`);
  const start = r.integer(obj, 'start', `${label} "start"`, 0, Number.MAX_SAFE_INTEGER);
  const dur = r.integer(obj, 'dur', `${label} "dur"`, 1, Number.MAX_SAFE_INTEGER);
  const offset = r.integer(obj, 'offset', `${label} "offset"`, 0, Number.MAX_SAFE_INTEGER);
  const stream = r.integer(obj, 'stream', `${label} "stream"`, 0, 1000, 0);
  let group: EffectGroup = { speed: 1, varispeed: 1, volume: 1 };
  if (obj.effects !== undefined && obj.effects !== null) group = parseEffectGroup(r, obj.effects, `${label} "effects"`);
  // A clip whose effect is "cut" plays nothing; its place on the timeline simply stays empty.
  if (group === 'cut') return null;
  return { src, start, dur, offset, stream, speed: group.speed, volume: group.volume, ...varispeedField(group.varispeed) };
}

function readV3Layers(r: Reader, doc: JsonObject, key: 'v' | 'a'): Clip[][] {
  if (doc[key] === undefined || doc[key] === null) return [];
  const layers = r.array(doc, key);
  return layers.map((layer, li) => {
    if (!Array.isArray(layer)) r.fail(`"${key}"[${li}] must be an array of clips`);
    const clips: Clip[] = [];
    (layer as JsonIn[]).forEach((node, ci) => {
      const clip = readV3Clip(r, node, `clip ${key}[${li}][${ci}]`);
      if (clip) clips.push(clip);
    });
    return clips;
  });
}

function readV3(doc: JsonObject, baseDir: string): TimelineV3File {
  const r = new Reader('v3 timeline', baseDir);
  const tb = r.timebase(doc, 'timebase', true)!;
  const sampleRate = r.integer(doc, 'samplerate', '"samplerate"', 100, INT_MAX);
  const bgText = r.string(doc, 'background');
  const background = normaliseColor(bgText);
  if (background === null) r.fail(`invalid "background" ${JSON.stringify(bgText)} (expected "#rgb" or "#rrggbb")`);
  const layout = doc.layout === undefined ? DEFAULT_LAYOUT : r.string(doc, 'layout');
  if (layout === '') r.fail(`"layout" must not be empty`);
  const res = r.array(doc, 'resolution');
  if (res.length !== 2) r.fail(`"resolution" must be [width, height]`);
  const resolution = res.map((x, i) => {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x > INT_MAX) {
      r.fail(`"resolution"[${i}] is ${JSON.stringify(x)}, it must be an integer between 0 and ${INT_MAX}`);
    }
    return x as number;
  }) as [number, number];
  const transitions = doc.transitions;
  if (isObject(transitions) && Object.values(transitions).some((t) => Array.isArray(t) && t.some((l) => Array.isArray(l) && l.length > 0))) {
    r.fail('transitions are not supported by tacet yet');
  }

  const v = readV3Layers(r, doc, 'v');
  const a = readV3Layers(r, doc, 'a');

  // auto-editor pads or trims "langs" to one per video layer then one per audio layer.
  const langList = Array.isArray(doc.langs) ? doc.langs : [];
  const flat = Array.from({ length: v.length + a.length }, (_, i) => {
    const l = langList[i];
    return typeof l === 'string' && l !== '' ? l.slice(0, 4) : UNKNOWN_LANG;
  });

  let templateFile: string | undefined;
  if (typeof doc.templateFile === 'string' && doc.templateFile !== '') {
    templateFile = isAbsolute(doc.templateFile) ? doc.templateFile : resolve(baseDir, doc.templateFile);
  }

  const timeline: Timeline = {
    tb,
    background: background!,
    resolution,
    sampleRate,
    layout,
    langs: flat.slice(v.length),
    videoLangs: flat.slice(0, v.length),
    v,
    a,
  };
  if (templateFile !== undefined) timeline.templateFile = templateFile;
  const sources: string[] = [];
  for (const layer of [...v, ...a]) for (const c of layer) if (!sources.includes(c.src)) sources.push(c.src);
  return { kind: 'timeline', version: '3', timeline, sources };
}

/**
 * Reads an auto-editor timeline file (v1, v2 or v3, detected from "version"). Relative source paths
 * are resolved against `baseDir` (the file's directory). Every problem is a UserError of one
 * sentence: malformed JSON (with line and column), missing or mistyped fields, clips with start < 0,
 * dur <= 0, offset < 0 or a stream outside 0..1000, bad timebases, unknown versions and actions tacet
 * cannot honour. v1/v2 return runs (kind "runs") for timelineFromRuns; v3 returns the Timeline.
 */
export function readTimelineJson(text: string, baseDir: string): TimelineFile {
  const doc = parseJsonStrict(text, 'timeline JSON');
  if (!isObject(doc)) throw new UserError('A timeline file must hold a JSON object.');
  const version = doc.version;
  if (version === undefined) throw new UserError('This JSON file has no "version", so it is not an auto-editor timeline.');
  switch (typeof version === 'number' ? String(version) : version) {
    case '1':
      return readV1(doc, baseDir);
    case '2':
      return readV2(doc, baseDir);
    case '3':
      return readV3(doc, baseDir);
    default:
      throw new UserError(`Unsupported timeline version ${JSON.stringify(version)} (tacet reads versions "1", "2" and "3").`);
  }
}

/**
 * Turns a v1/v2 file into a Timeline once its source has been probed. The timebase is the file's
 * (v2 always has one) or else the source's default, as auto-editor does for v1.
 */
export function timelineFromRuns(file: TimelineRunsFile, info: MediaInfo, opts: { background?: string } = {}): Timeline {
  const tb = file.tb ?? defaultTimebase(info);
  return runsToTimeline(file.runs, info, tb, { background: opts.background, length: file.length });
}
