/**
 * Reads a Final Cut Pro 7 XML ("xmeml") sequence, as written by Premiere Pro, DaVinci Resolve, Final
 * Cut Pro 7 and tacet's own `premiere`/`resolve-fcp7` exports, into a Timeline, so a user can fix
 * cuts in their editor and have tacet render the result.
 *
 * Like auto-editor 31 (src/imports/fcp7.nim) it keeps clipitems that play a media file, takes
 * start/end as timeline frames and `in` as the clip's (speed-scaled) source offset, reads speed from
 * a Time Remap filter, and reads only the first track of each exploded stereo pair. Beyond it, it
 * maps `sourcetrack` back to the audio stream, reads Audio Levels as volume, resolves clips next to
 * transitions (start/end -1), converts in/out written at a clip rate other than the sequence's, and
 * reports malformed files as UserErrors instead of crashing or guessing.
 */
import { isAbsolute, resolve } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { UserError } from '../errors.js';
import { isWindowsPath } from '../export/paths.js';
import { DEFAULT_BACKGROUND, DEFAULT_LAYOUT, DEFAULT_RESOLUTION, DEFAULT_SAMPLE_RATE, UNKNOWN_LANG } from '../timeline/clips.js';
import type { Clip, Timeline } from '../timeline/model.js';
import { type Rational, rational, ratEquals, roundHalfAway } from '../timeline/rational.js';

/** What readXmeml found: the timeline, its media files, and what it had to leave out. */
export interface XmemlImport {
  timeline: Timeline;
  /** Every media file the timeline uses, in order of first use. */
  sources: string[];
  /** Clips that could not be imported (generators, nested sequences, files without a path). */
  warnings: string[];
}

// fast-xml-parser gives plain objects: a child tag is a key, repeated tags an array, text a string
// (or `#text` next to `@_attributes`).
type XNode = { [key: string]: unknown };

function list(x: unknown): XNode[] {
  if (x === undefined || x === null) return [];
  return (Array.isArray(x) ? x : [x]).map((e) => (typeof e === 'object' && e !== null ? (e as XNode) : { '#text': e }));
}

function first(node: XNode | undefined, key: string): XNode | undefined {
  return node ? list(node[key])[0] : undefined;
}

function text(x: unknown): string {
  if (x === undefined || x === null) return '';
  if (Array.isArray(x)) return text(x[0]);
  if (typeof x === 'object') return text((x as XNode)['#text']);
  return String(x).trim();
}

function attr(node: XNode | undefined, name: string): string | undefined {
  const v = node?.[`@_${name}`];
  return v === undefined ? undefined : String(v);
}

function childText(node: XNode | undefined, key: string): string | undefined {
  if (!node || !(key in node)) return undefined;
  return text(node[key]);
}

/**
 * Turns a `pathurl` into a local path. `file:///C:/a%20b.mp4`, `file://localhost/D%3a/x.mov`
 * (Premiere) and `file://localhost/C:/x.mp4` (Resolve) become Windows paths; `file:///a/b.mp4` and
 * `file://localhost/a/b.mp4` POSIX ones; `file://server/share/x` a UNC path. A value that is not a
 * URL (auto-editor writes plain paths) is taken as a path, relative ones against `baseDir`.
 */
export function pathFromUrl(url: string, baseDir: string): string {
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new UserError(`The media path "${url}" has a broken percent-encoding.`);
    }
  };
  const m = /^file:(?:\/\/([^/]*))?(\/.*)?$/i.exec(url);
  if (!m) {
    if (isWindowsPath(url) || isAbsolute(url)) return url;
    return resolve(baseDir, url);
  }
  const host = m[1] ?? '';
  const path = decode(m[2] ?? '');
  if (host !== '' && host.toLowerCase() !== 'localhost') return `\\\\${host}${path.replace(/\//g, '\\')}`;
  if (/^\/[A-Za-z]:(\/|$)/.test(path)) return path.slice(1).replace(/\//g, '\\');
  if (path === '') throw new UserError(`The media path "${url}" names no file.`);
  return path;
}

/** An xmeml `<rate>`: NTSC N is N×1000/1001 (30 TRUE → 30000/1001). */
function readRate(node: XNode | undefined, what: string): Rational | null {
  if (!node) return null;
  const tbText = childText(node, 'timebase');
  if (tbText === undefined) return null;
  if (!/^\d+$/.test(tbText) || Number(tbText) <= 0) throw new UserError(`${what} has timebase "${tbText}"; it must be a positive whole number.`);
  const ntsc = (childText(node, 'ntsc') ?? '').toUpperCase() === 'TRUE';
  const tb = Number(tbText);
  return ntsc ? rational(tb * 1000, 1001) : rational(tb, 1);
}

/** A `<file>` definition: its path and the channel count of each audio stream it lists. */
interface FileInfo {
  path: string | null;
  channels: number[];
}

function readFileDef(node: XNode, baseDir: string): FileInfo {
  const url = childText(node, 'pathurl');
  const channels = list(first(node, 'media')?.audio).map((a) => {
    const n = Number(childText(a, 'channelcount'));
    return Number.isInteger(n) && n > 0 ? n : 2;
  });
  return { path: url ? pathFromUrl(url, baseDir) : null, channels };
}

/** Collects every `<file>` that defines something (not a bare `<file id="..."/>` reference). */
function collectFiles(node: unknown, baseDir: string, out: Map<string, FileInfo>): void {
  if (Array.isArray(node)) {
    for (const n of node) collectFiles(n, baseDir, out);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  for (const [key, value] of Object.entries(node as XNode)) {
    if (key === 'file') {
      for (const f of list(value)) {
        const id = attr(f, 'id');
        const defines = Object.keys(f).some((k) => !k.startsWith('@_'));
        if (id !== undefined && defines && !out.has(id)) out.set(id, readFileDef(f, baseDir));
      }
    }
    if (typeof value === 'object') collectFiles(value, baseDir, out);
  }
}

function findSequence(root: XNode): XNode | undefined {
  const direct = first(root, 'sequence');
  if (direct) return direct;
  // Premiere and FCP7 can also export a project or bin holding the sequence.
  for (const key of ['project', 'bin', 'children']) {
    for (const child of list(root[key])) {
      const found = findSequence(child);
      if (found) return found;
    }
  }
  return undefined;
}

/** The constant speed and gain a clipitem's filters set (1 when absent). */
function readFilters(ci: XNode, where: string): { speed: number; volume: number } {
  let speed = 1;
  let volume = 1;
  for (const filter of list(ci.filter)) {
    if ((childText(filter, 'enabled') ?? '').toUpperCase() === 'FALSE') continue;
    for (const effect of list(filter.effect)) {
      const id = (childText(effect, 'effectid') ?? '').toLowerCase();
      const params = new Map<string, XNode>();
      for (const p of list(effect.parameter)) params.set((childText(p, 'parameterid') ?? '').toLowerCase(), p);
      const value = (pid: string): string | undefined => {
        const p = params.get(pid);
        return p ? childText(p, 'value') : undefined;
      };
      if (id === 'timeremap') {
        if (value('variablespeed') === '1') {
          throw new UserError(`${where} has a variable speed (time remapping keyframes), which tacet cannot render; make it a constant speed.`);
        }
        if ((value('reverse') ?? '').toUpperCase() === 'TRUE') throw new UserError(`${where} plays in reverse, which tacet cannot render.`);
        const percent = value('speed');
        if (percent === undefined || percent === '') continue;
        const s = Number(percent) / 100;
        if (!Number.isFinite(s) || s <= 0) throw new UserError(`${where} has speed "${percent}"; only a positive constant speed can be rendered.`);
        speed = s;
      } else if (id === 'audiolevels') {
        const level = value('level');
        if (level === undefined || level === '') continue;
        const v = Number(level);
        if (!Number.isFinite(v) || v < 0) throw new UserError(`${where} has audio level "${level}", which is not a gain.`);
        volume = v;
      }
    }
  }
  return { speed, volume };
}

interface TrackContext {
  kind: 'video' | 'audio';
  index: number;
  seqRate: Rational;
  premiereChannels: boolean;
  baseDir: string;
}

/** Reads one track's clipitems; clips that play no media file are reported in `warnings`. */
function readTrack(track: XNode, ctx: TrackContext, files: Map<string, FileInfo>, warnings: string[]): Clip[] {
  const clips: Clip[] = [];
  list(track.clipitem).forEach((ci, n) => {
    const id = attr(ci, 'id');
    const where = `Clip ${id ? `"${id}"` : `#${n + 1}`} on ${ctx.kind} track ${ctx.index}`;
    if ((childText(ci, 'enabled') ?? '').toUpperCase() === 'FALSE') return;

    const fileNode = first(ci, 'file');
    if (!fileNode) {
      warnings.push(`${where} plays no media file (a nested sequence or generator); skipped.`);
      return;
    }
    const fileId = attr(fileNode, 'id');
    const file = fileId !== undefined ? files.get(fileId) : readFileDef(fileNode, ctx.baseDir);
    if (!file) throw new UserError(`${where} refers to file "${fileId}", which the XML never defines.`);
    if (!file.path) {
      warnings.push(`${where} has no <pathurl> (generated media such as bars or a slug); skipped.`);
      return;
    }

    const int = (name: string, required: boolean): number | undefined => {
      const t = childText(ci, name);
      if (t === undefined || t === '') {
        if (required) throw new UserError(`${where} has no <${name}>.`);
        return undefined;
      }
      if (!/^-?\d+$/.test(t)) throw new UserError(`${where} has <${name}>${t}</${name}>; it must be a whole number of frames.`);
      return Number(t);
    };
    let start = int('start', true)!;
    let end = int('end', true)!;
    let inPoint = int('in', true)!;
    let outPoint = int('out', false);

    // in/out written at a clip rate other than the sequence's (Premiere does this) are converted to
    // sequence frames, the grid start/end use.
    const clipRate = readRate(first(ci, 'rate'), where);
    if (clipRate && !ratEquals(clipRate, ctx.seqRate)) {
      const scale = (x: number): number => roundHalfAway((x * ctx.seqRate.num * clipRate.den) / (ctx.seqRate.den * clipRate.num));
      inPoint = scale(inPoint);
      if (outPoint !== undefined) outPoint = scale(outPoint);
    }
    // Next to a transition FCP7 writes -1 for the clip's edge; its length is then out − in.
    if (start === -1 || end === -1) {
      if (start === -1 && end === -1) throw new UserError(`${where} has neither a start nor an end on the timeline.`);
      if (outPoint === undefined) throw new UserError(`${where} sits next to a transition but has no <out> to size it.`);
      if (start === -1) start = end - (outPoint - inPoint);
      else end = start + (outPoint - inPoint);
    }
    if (start < 0) throw new UserError(`${where} starts at frame ${start}, before the sequence.`);
    if (inPoint < 0) throw new UserError(`${where} has a negative source in point (${inPoint}).`);
    if (end < start) throw new UserError(`${where} ends (frame ${end}) before it starts (frame ${start}).`);
    if (end === start) return;

    const { speed, volume } = readFilters(ci, where);
    clips.push({
      src: file.path,
      start,
      dur: end - start,
      offset: inPoint,
      speed,
      stream: ctx.kind === 'audio' ? audioStreamOf(ci, file, ctx.premiereChannels) : 0,
      volume: ctx.kind === 'audio' ? volume : 1,
    });
  });
  return clips.sort((a, b) => a.start - b.start);
}

/**
 * The audio stream a clipitem plays. Premiere numbers `sourcetrack` by channel across the file's
 * streams (stream 0's L/R are 1 and 2, the next stream starts at 3), which the file's per-stream
 * `<audio>` entries let us undo; Resolve and FCP7 number streams (or write 1).
 */
function audioStreamOf(ci: XNode, file: FileInfo, premiereChannels: boolean): number {
  const t = Number(childText(first(ci, 'sourcetrack'), 'trackindex'));
  if (!Number.isInteger(t) || t < 1) return 0;
  if (!premiereChannels) return t <= Math.max(file.channels.length, 1) ? t - 1 : 0;
  let channel = 0;
  for (let s = 0; s < file.channels.length; s++) {
    channel += file.channels[s];
    if (t <= channel) return s;
  }
  return 0;
}

/**
 * Reads an FCP7 XML (xmeml) file into a Timeline. `baseDir` resolves relative media paths. Throws a
 * UserError for a file that is not well-formed xmeml or whose clips cannot be rendered.
 */
export function readXmeml(text: string, baseDir: string): XmemlImport {
  text = text.replace(/^\uFEFF/, ''); // a byte-order mark is not part of the document
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new UserError(`This XML file is not well-formed: ${valid.err.msg} (line ${valid.err.line}, column ${valid.err.col}).`);
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    textNodeName: '#text',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: true,
    htmlEntities: true,
  }).parse(text) as XNode;

  const root = first(doc, 'xmeml');
  if (!root) {
    const tag = Object.keys(doc).find((k) => !k.startsWith('?') && !k.startsWith('!'));
    throw new UserError(`This is not a Premiere/Final Cut Pro 7 XML file: its root element is <${tag ?? '?'}>, not <xmeml>.`);
  }
  const sequence = findSequence(root);
  if (!sequence) throw new UserError('This FCP7 XML file holds no <sequence> to import.');
  const seqRate = readRate(first(sequence, 'rate'), 'The sequence');
  if (!seqRate) throw new UserError('The sequence has no <rate><timebase>, so its frame numbers cannot be placed in time.');
  const media = first(sequence, 'media');
  if (!media) throw new UserError('The sequence has no <media> (no video or audio tracks).');

  const files = new Map<string, FileInfo>();
  collectFiles(sequence, baseDir, files);
  const warnings: string[] = [];
  const premiereChannels = attr(sequence, 'explodedTracks') !== undefined;

  const video = first(media, 'video');
  const audio = first(media, 'audio');
  const v: Clip[][] = [];
  const a: Clip[][] = [];
  list(video?.track).forEach((track, i) => {
    const clips = readTrack(track, { kind: 'video', index: i + 1, seqRate, premiereChannels, baseDir }, files, warnings);
    if (clips.length > 0) v.push(clips);
  });
  list(audio?.track).forEach((track, i) => {
    // The second half of an exploded stereo pair repeats the first one's clips.
    const exploded = attr(track, 'currentExplodedTrackIndex');
    if (exploded !== undefined && exploded !== '0') return;
    const clips = readTrack(track, { kind: 'audio', index: i + 1, seqRate, premiereChannels: premiereChannels || exploded !== undefined, baseDir }, files, warnings);
    if (clips.length > 0) a.push(clips);
  });
  if (v.length === 0 && a.length === 0) {
    const skipped = warnings.length > 0 ? ` (${warnings.length} skipped: ${warnings[0]}${warnings.length > 1 ? ' …' : ''})` : '';
    throw new UserError(`This FCP7 XML sequence has no clips that play a media file, so there is nothing to render${skipped}.`);
  }

  const positive = (t: string | undefined, fallback: number): number => {
    const n = Number(t);
    return t !== undefined && Number.isInteger(n) && n > 0 ? n : fallback;
  };
  const vsc = first(first(video, 'format'), 'samplecharacteristics');
  const asc = first(first(audio, 'format'), 'samplecharacteristics');
  const sources: string[] = [];
  for (const layer of [...v, ...a]) for (const c of layer) if (!sources.includes(c.src)) sources.push(c.src);

  const timeline: Timeline = {
    tb: seqRate,
    background: DEFAULT_BACKGROUND,
    resolution: [positive(childText(vsc, 'width'), DEFAULT_RESOLUTION[0]), positive(childText(vsc, 'height'), DEFAULT_RESOLUTION[1])],
    sampleRate: positive(childText(asc, 'samplerate'), DEFAULT_SAMPLE_RATE),
    layout: DEFAULT_LAYOUT,
    langs: a.map(() => UNKNOWN_LANG),
    v,
    a,
  };
  return { timeline, sources, warnings };
}
