/**
 * MLT XML writers: `shotcut` (a Shotcut `.mlt` project) and `kdenlive` (a Kdenlive `.kdenlive`
 * project, document version 1.1). Both editors are front ends to the MLT framework, so both files
 * are MLT XML that `melt` renders as is; that is how the tests check them.
 *
 * What both share (built once here):
 * - `LC_NUMERIC="C"` on the root, so MLT parses the decimal speed in a timewarp resource with a dot
 *   whatever the reader's locale.
 * - A `<profile>` at the timeline's exact rational rate (frame_rate_num/den) and resolution, and
 *   every position as an integer frame count at that rate. MLT reads a bare integer as frames; clock
 *   strings ("00:00:01.001") would be rounded back to frames through milliseconds.
 * - Playlist entries with inclusive `out` (a clip of `dur` frames is `in=offset out=offset+dur-1`)
 *   and `<blank>` for gaps; every producer or chain is written before the first element that uses it.
 * - One video track per video layer and one audio track per audio layer. A source's video and audio
 *   go through separate producers that each switch the other kind off, so no stream is heard twice
 *   and each audio track plays exactly one stream of the file: `audio_index` is the stream's index
 *   in the container (what every MLT reads), `astream` its rank among the audio streams (what newer
 *   MLT and both editors also write).
 * - Speed as a `timewarp` producer (`resource` = `SPEED:path`). Timewarp frame n is source frame
 *   n × speed, which is exactly the speed-scaled unit of the v3 `offset`, so entries keep
 *   `in=offset`. Pitch is kept (`warp_pitch=1`) because tacet's `speed:` keeps it; a clip whose
 *   speed comes from `varispeed:` (pitch follows) gets `warp_pitch=0`.
 * - A `mix` transition from each track down to the bottom one so all audio tracks are heard
 *   (without it MLT plays only the top track's audio), and the editor's video blend transition for
 *   video tracks.
 * - Explicit `length` on every media producer, at least as long as the clips need, so MLT never
 *   trims an entry to a length it guessed from container metadata.
 *
 * Where each editor's own layout comes from: Shotcut's MultitrackModel (background track, `V1`/`A1`
 * playlists with `shotcut:video`/`shotcut:audio`, `hide="video"` audio tracks, `mix` and blend
 * transitions) and DetachAudioCommand (video part `audio_index=-1`, audio part `video_index=-1`);
 * Kdenlive's files in its own test data (tests/dataset/*.kdenlive, 22.07 to 24.01) and
 * ProjectClip::getTimelineProducer (per-track producers with `set.test_audio`/`set.test_image`,
 * a timewarp producer per clip, `audio_index`/`astream` per audio track).
 */
import { createHash } from 'node:crypto';
import { create } from 'xmlbuilder2';
import { UserError } from '../errors.js';
import type { MediaInfo } from '../media/types.js';
import { type Clip, type Timeline, timelineLength } from '../timeline/model.js';
import { roundHalfAway } from '../timeline/rational.js';
import { baseName, isWindowsPath } from './paths.js';
import type { ExportInput, Exporter } from './types.js';

type XmlNode = ReturnType<typeof create>;
type PropValue = string | number;

/**
 * The MLT version written on the root. It is the oldest MLT with everything these files use
 * (chains, `astream`) that the check runs on (Debian 12's melt is 7.12); both editors warn only
 * when a file claims a *newer* MLT than they run, so an old number is the safe one.
 */
const MLT_VERSION = '7.12.0';

/** Kdenlive's document format written here (the one with sequences, Kdenlive 23.04 and later). */
const KDENLIVE_DOC_VERSION = '1.1';

// ---------------------------------------------------------------------------------------------
// Shared model: what goes on each track, with exact frame numbers.

/** A track's content in playlist order: gaps as blanks, clips with inclusive source in/out. */
type PlaylistItem = { blank: number } | { clip: Clip; in: number; out: number };

/** One MLT track: a timeline layer and what it plays. */
interface TrackPlan {
  kind: 'video' | 'audio';
  /** Index of the layer in Timeline.v or Timeline.a. */
  layer: number;
  items: PlaylistItem[];
}

/** Everything about one source file that producers need. */
interface SourcePlan {
  /** The path as the timeline names it (the key of ExportInput.sources). */
  path: string;
  /** The path as the editors store it (forward slashes on Windows, like Qt writes). */
  resource: string;
  info: MediaInfo;
  /** Length of the source in timeline frames (at least what the clips use). */
  frames: number;
}

/** The timeline reduced to what every MLT writer needs. */
interface MltPlan {
  tl: Timeline;
  /** Timeline length in frames (> 0). */
  length: number;
  /** Video tracks, bottom first, then audio tracks in stream order. */
  video: TrackPlan[];
  audio: TrackPlan[];
  sources: Map<string, SourcePlan>;
}

/**
 * Paths as the editors write them: absolute, and on Windows with forward slashes (Shotcut and
 * Kdenlive are Qt programs and store `C:/Users/…`; MLT opens both spellings).
 */
export function mltResource(path: string): string {
  return isWindowsPath(path) ? path.replace(/\\/g, '/') : path;
}

/**
 * A layer as playlist items: blanks for gaps, and each clip's inclusive in/out in its producer's
 * frames (the v3 offset is already in timewarp frames for a speed-changed clip).
 */
function clipItems(clips: Clip[], what: string): PlaylistItem[] {
  const sorted = [...clips].sort((a, b) => a.start - b.start);
  const items: PlaylistItem[] = [];
  let position = 0;
  for (const clip of sorted) {
    for (const [name, v] of [
      ['start', clip.start],
      ['dur', clip.dur],
      ['offset', clip.offset],
    ] as const) {
      if (!Number.isInteger(v) || v < 0) throw new UserError(`${what}: clip ${name} must be a whole number of frames ≥ 0, got ${v}`);
    }
    if (clip.dur <= 0) throw new UserError(`${what}: a clip has no duration`);
    if (!(clip.speed > 0) || !Number.isFinite(clip.speed)) throw new UserError(`${what}: clip speed must be positive, got ${clip.speed}`);
    // A playlist plays one thing at a time: overlapping clips on a layer cannot be written.
    if (clip.start < position) throw new UserError(`${what}: clips overlap at frame ${clip.start}`);
    if (clip.start > position) items.push({ blank: clip.start - position });
    items.push({ clip, in: clip.offset, out: clip.offset + clip.dur - 1 });
    position = clip.start + clip.dur;
  }
  return items;
}

/** Frames of the source a clip reads up to (exclusive), in timeline frames at speed 1. */
function sourceEnd(clip: Clip): number {
  return Math.ceil((clip.offset + clip.dur) * clip.speed);
}

/** Builds the shared plan; throws UserError for timelines MLT cannot express. */
function planOf(input: ExportInput): MltPlan {
  const tl = input.timeline;
  const length = timelineLength(tl);
  if (length <= 0) throw new UserError('Timeline is empty, nothing to do.');
  const video = tl.v.map((clips, layer) => ({ kind: 'video' as const, layer, items: clipItems(clips, `video layer ${layer + 1}`) }));
  const audio = tl.a.map((clips, layer) => ({ kind: 'audio' as const, layer, items: clipItems(clips, `audio layer ${layer + 1}`) }));
  const fps = tl.tb.num / tl.tb.den;
  const sources = new Map<string, SourcePlan>();
  for (const layer of [...tl.v, ...tl.a]) {
    for (const clip of layer) {
      let s = sources.get(clip.src);
      if (!s) {
        const info = input.sources.get(clip.src);
        if (!info) throw new UserError(`no media information for ${clip.src}`);
        s = { path: clip.src, resource: mltResource(clip.src), info, frames: roundHalfAway(info.duration * fps) };
        sources.set(clip.src, s);
      }
      s.frames = Math.max(s.frames, sourceEnd(clip));
    }
  }
  for (const t of audio) {
    for (const item of t.items) {
      if ('clip' in item) {
        const info = sources.get(item.clip.src)!.info;
        if (!info.audio[item.clip.stream]) {
          throw new UserError(`${item.clip.src} has no audio stream ${item.clip.stream} (it has ${info.audio.length})`);
        }
      }
    }
  }
  return { tl, length, video, audio, sources };
}

// ---------------------------------------------------------------------------------------------
// Small shared builders.

/** Adds `<property name=…>value</property>` children in order. */
function props(el: XmlNode, list: Array<[string, PropValue] | null>): XmlNode {
  for (const p of list) if (p) el.ele('property', { name: p[0] }).txt(String(p[1]));
  return el;
}

/** The `<profile>`: the timeline's size, square pixels, and its exact rational frame rate. */
function addProfile(root: XmlNode, tl: Timeline): void {
  const [width, height] = tl.resolution;
  const g = gcd(width, height) || 1;
  root.ele('profile', {
    description: 'automatic',
    width,
    height,
    progressive: 1,
    sample_aspect_num: 1,
    sample_aspect_den: 1,
    display_aspect_num: width / g,
    display_aspect_den: height / g,
    frame_rate_num: tl.tb.num,
    frame_rate_den: tl.tb.den,
    // Both editors pick BT.601 below HD and BT.709 from 720 lines up.
    colorspace: height < 720 ? 601 : 709,
  });
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return Math.abs(a);
}

/** Speed as written in a timewarp resource: shortest decimal that reads back as the same double. */
function speedText(speed: number): string {
  return String(speed);
}

/** A gain factor in dB for MLT's `volume` filter `level` (silence is −100 dB, MLT's floor). */
function gainDb(volume: number): string {
  if (volume <= 0) return '-100';
  return String(Math.max(-100, 20 * Math.log10(volume)));
}

/** Length of the producer a clip plays from, in that producer's frames. */
function producerLength(src: SourcePlan, speed: number, clips: Array<{ out: number }>): number {
  // A timewarp producer is `frames / speed` long (Kdenlive rounds the same way); never shorter than
  // the entries that use it, or MLT would clip them.
  let len = speed === 1 ? src.frames : Math.round(src.frames / speed);
  for (const c of clips) len = Math.max(len, c.out + 1);
  return len;
}

/** Stream selection properties for a producer that plays only video, or only one audio stream. */
function streamProps(info: MediaInfo, kind: 'video' | 'audio', audioStream: number): Array<[string, PropValue]> {
  const v = info.video[0];
  if (kind === 'video') {
    return [
      ['audio_index', -1],
      ['astream', -1],
      ['video_index', v ? v.index : -1],
      ['vstream', v ? 0 : -1],
    ];
  }
  return [
    ['audio_index', info.audio[audioStream].index],
    ['astream', audioStream],
    ['video_index', -1],
    ['vstream', -1],
  ];
}

/** The entries of one playlist; `producerFor` names the producer of each clip. */
function addEntries(playlist: XmlNode, items: PlaylistItem[], producerFor: (item: Extract<PlaylistItem, { clip: Clip }>, index: number) => string, extra?: (entry: XmlNode, clip: Clip) => void): void {
  items.forEach((item, i) => {
    if ('blank' in item) {
      playlist.ele('blank', { length: item.blank });
      return;
    }
    const entry = playlist.ele('entry', { producer: producerFor(item, i), in: item.in, out: item.out });
    extra?.(entry, item.clip);
  });
}

/** A deterministic RFC 4122-shaped UUID from text (writers are pure: the same input, the same file). */
function stableUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest();
  h[6] = (h[6] & 0x0f) | 0x50; // version 5-style (name-based)
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** A description of the timeline used to seed ids, so ids change only when the timeline does. */
function seedOf(plan: MltPlan): string {
  const tl = plan.tl;
  return JSON.stringify([tl.tb, tl.resolution, [...plan.sources.keys()], tl.v, tl.a]);
}

/** The file name without its extension, for default project and sequence names. */
function stem(path: string): string {
  const name = baseName(path);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/** `<?xml …?>` plus the indented document; MLT and both editors read UTF-8. */
function finish(doc: XmlNode): string {
  return doc.end({ prettyPrint: true, indent: ' ' }) + '\n';
}

/**
 * Writes the producers a track needs, before the track's playlist, and returns which producer each
 * entry uses. Plain-speed clips of the same source and stream share one producer (what an editor
 * has after splitting a clip); each speed-changed clip gets its own timewarp producer, as both
 * editors keep them.
 */
function addTrackProducers(
  plan: MltPlan,
  track: TrackPlan,
  nextId: (prefix: 'chain' | 'producer') => string,
  write: (args: { tag: 'chain' | 'producer'; id: string; src: SourcePlan; stream: number; speed: number; pitch: 0 | 1; length: number }) => void,
): Map<number, string> {
  const ids = new Map<number, string>();
  const shared = new Map<string, string>();
  const clipItemsOf = track.items.flatMap((item, i) => ('clip' in item ? [{ item, i }] : []));
  for (const { item, i } of clipItemsOf) {
    const clip = item.clip;
    const src = plan.sources.get(clip.src)!;
    const stream = track.kind === 'audio' ? clip.stream : 0;
    if (clip.speed === 1) {
      const key = `${clip.src}\u0000${stream}`;
      let id = shared.get(key);
      if (!id) {
        id = nextId('chain');
        shared.set(key, id);
        // src.frames already covers every clip's source end (planOf), so the source length will do.
        write({ tag: 'chain', id, src, stream, speed: 1, pitch: 1, length: producerLength(src, 1, []) });
      }
      ids.set(i, id);
    } else {
      const id = nextId('producer');
      write({ tag: 'producer', id, src, stream, speed: clip.speed, pitch: keepsPitch(clip), length: producerLength(src, clip.speed, [item]) });
      ids.set(i, id);
    }
  }
  return ids;
}

/**
 * Whether a speed-changed clip keeps its pitch (MLT's `warp_pitch`). `speed:` keeps it; when the
 * timeline marks part of the speed as `varispeed` (pitch follows), MLT cannot split the two, so
 * the pitch follows as soon as there is any varispeed part. Read structurally: older timelines
 * have no varispeed field at all.
 */
function keepsPitch(clip: Clip): 0 | 1 {
  const varispeed = (clip as Clip & { varispeed?: number }).varispeed ?? 1;
  return varispeed === 1 ? 1 : 0;
}

/** A volume filter for a clip whose gain is not 1 (placed on the entry, so it affects that clip only). */
function addVolumeFilter(entry: XmlNode, clip: Clip, editorProps: Array<[string, PropValue]>): void {
  if (clip.volume === 1) return;
  props(entry.ele('filter'), [['mlt_service', 'volume'], ['level', gainDb(clip.volume)], ...editorProps]);
}

// ---------------------------------------------------------------------------------------------
// Shotcut

/**
 * Shotcut project (`.mlt`). Layout as Shotcut saves it: the retained `main_bin` playlist (Shotcut's
 * Playlist panel, holding each source), a `black` background producer on its own `background`
 * playlist, then per track its producers and playlist (`V1` video with `shotcut:video`, `A1…An`
 * audio with `shotcut:audio` and `hide="video"`), and the `tractor0` timeline marked `shotcut=1`
 * with a `mix` transition per track and a disabled blend transition on V1 (Shotcut's bottom-track
 * default). Video clips have their audio switched off and each audio stream is a clip on its own
 * audio track, which is what Shotcut's "Detach Audio" produces.
 */
export const writeShotcut: Exporter = (input) => {
  const plan = planOf(input);
  const { tl, length } = plan;
  const doc = create({ version: '1.0', encoding: 'utf-8' });
  const firstSrc = [...plan.sources.keys()][0];
  const root = doc.ele('mlt', {
    LC_NUMERIC: 'C',
    version: MLT_VERSION,
    title: input.name ?? stem(firstSrc),
    producer: 'main_bin',
  });
  addProfile(root, tl);

  const counter = { chain: 0, producer: 0 };
  const nextId = (prefix: 'chain' | 'producer'): string => `${prefix}${counter[prefix]++}`;

  // Playlist panel: one full (audio and video) chain per source, as when the file is opened.
  const binIds: string[] = [];
  for (const src of plan.sources.values()) {
    const id = nextId('chain');
    binIds.push(id);
    const chain = root.ele('chain', { id, in: 0, out: src.frames - 1 });
    props(chain, [
      ['length', src.frames],
      ['eof', 'pause'],
      ['resource', src.resource],
      ['mlt_service', 'avformat-novalidate'],
      ['seekable', 1],
      ['audio_index', src.info.audio[0]?.index ?? -1],
      ['video_index', src.info.video[0]?.index ?? -1],
      ['mute_on_pause', 0],
      ['shotcut:caption', baseName(src.resource)],
    ]);
  }
  const bin = props(root.ele('playlist', { id: 'main_bin' }), [['xml_retain', 1]]);
  [...plan.sources.values()].forEach((src, i) => bin.ele('entry', { producer: binIds[i], in: 0, out: src.frames - 1 }));

  // The background: Shotcut keeps a colour producer under every track, as long as the timeline.
  props(root.ele('producer', { id: 'black', in: 0, out: length - 1 }), [
    ['length', length],
    ['eof', 'pause'],
    ['resource', tl.background],
    ['aspect_ratio', 1],
    ['mlt_service', 'color'],
    ['mlt_image_format', 'rgba'],
    // Lets the mix transitions mix against the background's (silent) audio.
    ['set.test_audio', 0],
  ]);
  root.ele('playlist', { id: 'background' }).ele('entry', { producer: 'black', in: 0, out: length - 1 });

  const tracks = [...plan.video, ...plan.audio];
  const playlistIds: string[] = [];
  tracks.forEach((track, t) => {
    const ids = addTrackProducers(plan, track, nextId, ({ tag, id, src, stream, speed, pitch, length: len }) => {
      const el = root.ele(tag, { id, in: 0, out: len - 1 });
      const name = baseName(src.resource);
      if (speed === 1) {
        props(el, [
          ['length', len],
          ['eof', 'pause'],
          ['resource', src.resource],
          ['mlt_service', 'avformat-novalidate'],
          ['seekable', 1],
          ...streamProps(src.info, track.kind, stream),
          ['mute_on_pause', 0],
          ['shotcut:caption', name],
          // Lets Shotcut's "Reattach Audio" restore the stream the video part had.
          track.kind === 'video' && src.info.audio[0] ? ['shotcut:defaultAudioIndex', src.info.audio[0].index] : null,
        ]);
      } else {
        props(el, [
          ['length', len],
          ['eof', 'pause'],
          ['resource', `${speedText(speed)}:${src.resource}`],
          ['warp_speed', speedText(speed)],
          ['warp_resource', src.resource],
          ['warp_pitch', pitch],
          ['mlt_service', 'timewarp'],
          ['seekable', 1],
          ...streamProps(src.info, track.kind, stream),
          ['mute_on_pause', 0],
          // Shotcut records here which service a timewarp wraps, on the speed changes it makes.
          ['shotcut:producer', 'avformat-novalidate'],
          ['shotcut:caption', `${name} (${speedText(speed)}x)`],
        ]);
      }
    });
    const id = `playlist${t}`;
    playlistIds.push(id);
    const playlist = props(root.ele('playlist', { id }), [
      track.kind === 'video' ? ['shotcut:video', 1] : ['shotcut:audio', 1],
      ['shotcut:name', `${track.kind === 'video' ? 'V' : 'A'}${track.layer + 1}`],
    ]);
    addEntries(playlist, track.items, (_, i) => ids.get(i)!, (entry, clip) =>
      addVolumeFilter(entry, clip, [['shotcut:filter', 'audioGain']]),
    );
  });

  const tractor = props(root.ele('tractor', { id: 'tractor0', in: 0, out: length - 1 }), [
    ['shotcut', 1],
    ['shotcut:projectAudioChannels', projectChannels(tl)],
    ['shotcut:projectFolder', 0],
  ]);
  tractor.ele('track', { producer: 'background' });
  tracks.forEach((track, t) => tractor.ele('track', track.kind === 'audio' ? { producer: playlistIds[t], hide: 'video' } : { producer: playlistIds[t] }));
  tracks.forEach((track, t) => {
    const b = t + 1;
    props(tractor.ele('transition', { id: `transition${2 * t}` }), [
      ['a_track', 0],
      ['b_track', b],
      ['mlt_service', 'mix'],
      ['always_active', 1],
      ['sum', 1],
    ]);
    if (track.kind === 'video') {
      // Shotcut's video blend: disabled on the bottom video track (nothing under it but the
      // background), enabled on the ones above. qtblend is one Shotcut accepts that needs no
      // frei0r plugins (its default, frei0r.cairoblend, is missing from a plain melt install).
      props(tractor.ele('transition', { id: `transition${2 * t + 1}` }), [
        ['a_track', 0],
        ['b_track', b],
        ['mlt_service', 'qtblend'],
        ['disable', track.layer === 0 ? 1 : 0],
      ]);
    }
  });
  return finish(doc);
};

/** Project audio channels: Shotcut and Kdenlive offer 1 (Shotcut), 2, 4 and 6; stereo unless the sources need more. */
function projectChannels(tl: Timeline): number {
  const layout = tl.layout.toLowerCase();
  if (layout === 'mono') return 2; // a mono source plays on both sides of a stereo project
  if (layout.startsWith('5.1') || layout.startsWith('6')) return 6;
  if (layout === 'quad' || layout.startsWith('4')) return 4;
  return 2;
}

// ---------------------------------------------------------------------------------------------
// Kdenlive

/**
 * Kdenlive project (`.kdenlive`, document version 1.1 as Kdenlive 23.04 and later write it):
 * bin chains (one per source, `kdenlive:id`), the `black_track` producer, then per track its own
 * producers and two playlists inside a track tractor (`kdenlive:audio_track`, `hide="video"` for
 * audio, `hide="audio"` for video), the sequence tractor (`{uuid}`, `kdenlive:producer_type` 17,
 * `kdenlive:sequenceproperties.*`, AV groups, `mix` and `qtblend` internal transitions), the
 * `main_bin` playlist with the `kdenlive:docproperties.*` (version 1.1, document uuid) and bin
 * entries, and last the project tractor that plays the sequence (what melt renders). Kdenlive lists
 * audio tracks bottom up, so the last audio stream's track comes first and A1 is the first stream.
 */
export const writeKdenlive: Exporter = (input) => {
  const plan = planOf(input);
  const { tl, length } = plan;
  const srcList = [...plan.sources.values()];
  const firstSrc = [...plan.sources.keys()][0];
  const seed = seedOf(plan);
  const uuid = `{${stableUuid(seed)}}`;
  // Kdenlive's documentid is a creation time in ms; any stable 13-digit number serves.
  const documentId = String(1_000_000_000_000 + (parseInt(stableUuid(`doc${seed}`).replace(/-/g, '').slice(0, 12), 16) % 9_000_000_000_000));
  const doc = create({ version: '1.0', encoding: 'utf-8' });
  const root = doc.ele('mlt', {
    LC_NUMERIC: 'C',
    producer: 'main_bin',
    version: MLT_VERSION,
    // Kdenlive resolves relative resources against root; ours are absolute, so it only tells
    // Kdenlive where the media lives.
    root: dirName(mltResource(firstSrc)),
  });
  addProfile(root, tl);

  // Bin clip ids: sources from 2 (Kdenlive's first clip id), then the sequence.
  const binId = new Map<string, string>();
  srcList.forEach((s, i) => binId.set(s.path, String(i + 2)));
  const sequenceId = String(srcList.length + 2);

  const counter = { chain: 0, producer: 0 };
  const nextId = (prefix: 'chain' | 'producer'): string => `${prefix}${counter[prefix]++}`;

  // Bin clips: the full source, both kinds of stream, as Kdenlive opens a file.
  const binChainIds: string[] = [];
  for (const src of srcList) {
    const id = nextId('chain');
    binChainIds.push(id);
    props(root.ele('chain', { id, in: 0, out: src.frames - 1 }), [
      ['length', src.frames],
      ['eof', 'pause'],
      ['resource', src.resource],
      ['mlt_service', 'avformat-novalidate'],
      ['seekable', 1],
      ['audio_index', src.info.audio[0]?.index ?? -1],
      ['video_index', src.info.video[0]?.index ?? -1],
      ['mute_on_pause', 0],
      ['kdenlive:clipname', baseName(src.resource)],
      ['kdenlive:clip_type', 0],
      ['kdenlive:folderid', -1],
      ['kdenlive:id', binId.get(src.path)!],
    ]);
  }

  // Kdenlive's black track: an endless colour producer at the bottom of every sequence.
  const blackId = nextId('producer');
  props(root.ele('producer', { id: blackId, in: 0, out: length - 1 }), [
    ['length', 2147483647],
    ['eof', 'continue'],
    ['resource', 'black'],
    ['aspect_ratio', 1],
    ['mlt_service', 'color'],
    ['kdenlive:playlistid', 'black_track'],
    ['mlt_image_format', 'rgba'],
    ['set.test_audio', 0],
  ]);

  // Kdenlive orders tracks bottom to top: audio (last stream lowest), then video.
  const tracks = [...[...plan.audio].reverse(), ...plan.video];
  const tractorIds: string[] = [];
  let playlistCount = 0;
  tracks.forEach((track, t) => {
    const ids = addTrackProducers(plan, track, nextId, ({ tag, id, src, stream, speed, pitch, length: len }) => {
      const el = root.ele(tag, { id, in: 0, out: len - 1 });
      const kdenliveId = binId.get(src.path)!;
      // Kdenlive keeps the stream choice in audio_index/astream and switches the other kind off
      // with set.test_* (MLT then marks every frame as having no image, or no audio).
      const audioIndex = track.kind === 'audio' ? src.info.audio[stream].index : (src.info.audio[0]?.index ?? -1);
      const streams: Array<[string, PropValue]> = [
        ['audio_index', audioIndex],
        ['astream', track.kind === 'audio' ? stream : src.info.audio.length ? 0 : -1],
        ['video_index', src.info.video[0]?.index ?? -1],
      ];
      const tests: Array<[string, PropValue]> =
        track.kind === 'audio'
          ? [
              ['set.test_audio', 0],
              ['set.test_image', 1],
            ]
          : [
              ['set.test_audio', 1],
              ['set.test_image', 0],
            ];
      if (speed === 1) {
        props(el, [
          ['length', len],
          ['eof', 'pause'],
          ['resource', src.resource],
          ['mlt_service', 'avformat-novalidate'],
          ['seekable', 1],
          ...streams,
          ['mute_on_pause', 0],
          ['kdenlive:clipname', baseName(src.resource)],
          ['kdenlive:clip_type', 0],
          ['kdenlive:folderid', -1],
          ['kdenlive:id', kdenliveId],
          ...tests,
        ]);
      } else {
        props(el, [
          ['length', len],
          ['eof', 'pause'],
          ['resource', `${speedText(speed)}:${src.resource}`],
          ['warp_speed', speedText(speed)],
          ['warp_resource', src.resource],
          ['warp_pitch', pitch],
          ['mlt_service', 'timewarp'],
          ['seekable', 1],
          ...streams,
          ['mute_on_pause', 0],
          ['kdenlive:id', kdenliveId],
          ...tests,
        ]);
      }
    });
    const isAudio = track.kind === 'audio';
    const a = `playlist${playlistCount++}`;
    const b = `playlist${playlistCount++}`;
    const main = props(root.ele('playlist', { id: a }), [isAudio ? ['kdenlive:audio_track', 1] : null]);
    addEntries(
      main,
      track.items,
      (_, i) => ids.get(i)!,
      (entry, clip) => {
        props(entry, [['kdenlive:id', binId.get(clip.src)!]]);
        addVolumeFilter(entry, clip, [['kdenlive_id', 'volume']]);
      },
    );
    // Kdenlive's second playlist per track holds same-track transitions; empty here.
    props(root.ele('playlist', { id: b }), [isAudio ? ['kdenlive:audio_track', 1] : null]);
    const id = `tractor${t}`;
    tractorIds.push(id);
    const tractor = props(root.ele('tractor', { id, in: 0, out: length - 1 }), [
      isAudio ? ['kdenlive:audio_track', 1] : null,
      ['kdenlive:trackheight', 67],
      ['kdenlive:timeline_active', 1],
      ['kdenlive:collapsed', 0],
      ['kdenlive:thumbs_format', ''],
      ['kdenlive:audio_rec', ''],
    ]);
    tractor.ele('track', { hide: isAudio ? 'video' : 'audio', producer: a });
    tractor.ele('track', { hide: isAudio ? 'video' : 'audio', producer: b });
    if (isAudio) addKdenliveTrackAudioFilters(tractor);
  });

  // The sequence: black track plus every track tractor, with Kdenlive's internal transitions.
  const audioCount = plan.audio.length;
  const videoCount = plan.video.length;
  const sequence = props(root.ele('tractor', { id: uuid, in: 0, out: length - 1 }), [
    ['kdenlive:uuid', uuid],
    ['kdenlive:clipname', input.name ?? stem(firstSrc)],
    ['kdenlive:sequenceproperties.hasAudio', audioCount > 0 ? 1 : 0],
    ['kdenlive:sequenceproperties.hasVideo', videoCount > 0 ? 1 : 0],
    ['kdenlive:sequenceproperties.activeTrack', Math.max(0, tracks.length - 1)],
    ['kdenlive:sequenceproperties.tracksCount', tracks.length],
    ['kdenlive:sequenceproperties.documentuuid', uuid],
    ['kdenlive:duration', length],
    ['kdenlive:maxduration', length],
    ['kdenlive:producer_type', 17],
    ['kdenlive:id', sequenceId],
    ['kdenlive:clip_type', 0],
    ['kdenlive:folderid', -1],
    ['kdenlive:sequenceproperties.groups', kdenliveGroups(tracks)],
    ['kdenlive:sequenceproperties.guides', '[\n]\n'],
    ['kdenlive:sequenceproperties.position', 0],
    ['kdenlive:sequenceproperties.scrollPos', 0],
    ['kdenlive:sequenceproperties.zonein', 0],
    ['kdenlive:sequenceproperties.zoneout', length],
    ['kdenlive:sequenceproperties.disablepreview', 0],
  ]);
  sequence.ele('track', { producer: blackId });
  for (const id of tractorIds) sequence.ele('track', { producer: id });
  let transition = 0;
  tracks.forEach((track, t) => {
    const b = t + 1;
    if (track.kind === 'audio') {
      props(sequence.ele('transition', { id: `transition${transition++}` }), [
        ['a_track', 0],
        ['b_track', b],
        ['mlt_service', 'mix'],
        ['kdenlive_id', 'mix'],
        ['internal_added', 237],
        ['always_active', 1],
        ['accepts_blanks', 1],
        ['sum', 1],
      ]);
    } else {
      props(sequence.ele('transition', { id: `transition${transition++}` }), [
        ['a_track', 0],
        ['b_track', b],
        ['compositing', 0],
        ['distort', 0],
        ['rotate_center', 0],
        ['mlt_service', 'qtblend'],
        ['kdenlive_id', 'qtblend'],
        ['internal_added', 237],
        ['always_active', 1],
      ]);
    }
  });
  addKdenliveMasterFilters(sequence);

  // The bin, with the document properties Kdenlive reads first.
  const bin = props(root.ele('playlist', { id: 'main_bin' }), [
    ['kdenlive:sequenceFolder', -1],
    ['kdenlive:docproperties.audioChannels', projectChannels(tl)],
    ['kdenlive:docproperties.documentid', documentId],
    ['kdenlive:docproperties.enableproxy', 0],
    ['kdenlive:docproperties.generateproxy', 0],
    ['kdenlive:docproperties.generateimageproxy', 0],
    ['kdenlive:docproperties.uuid', uuid],
    ['kdenlive:docproperties.version', KDENLIVE_DOC_VERSION],
    ['kdenlive:docproperties.opensequences', uuid],
    ['kdenlive:docproperties.activetimeline', uuid],
    ['kdenlive:expandedFolders', ''],
    ['kdenlive:documentnotes', ''],
    ['xml_retain', 1],
  ]);
  srcList.forEach((src, i) => bin.ele('entry', { producer: binChainIds[i], in: 0, out: src.frames - 1 }));
  bin.ele('entry', { producer: uuid, in: 0, out: length - 1 });

  // The project tractor: what Kdenlive (and melt) plays, the active sequence over its length.
  const project = props(root.ele('tractor', { id: `tractor${tracks.length}`, in: 0, out: length - 1 }), [['kdenlive:projectTractor', 1]]);
  project.ele('track', { producer: uuid, in: 0, out: length - 1 });
  return finish(doc);
};

/** Directory part of an absolute path (forward slashes), for Kdenlive's `root`. */
function dirName(resource: string): string {
  const i = resource.lastIndexOf('/');
  if (i < 0) return '';
  if (i === 0) return '/';
  // Keep "C:/" rather than "C:" for a file at a drive's root.
  return /^[A-Za-z]:$/.test(resource.slice(0, i)) ? resource.slice(0, i + 1) : resource.slice(0, i);
}

/**
 * Kdenlive's clip groups: the parts of one clip on different tracks (its video and each audio
 * stream) move together. `data` is `track:position` with tracks counted from the first track
 * above the black track; a group with video and audio is an "AVSplit" group, as Kdenlive makes on
 * insert.
 */
function kdenliveGroups(tracks: TrackPlan[]): string {
  const byClip = new Map<string, Array<{ track: number; start: number; kind: 'video' | 'audio' }>>();
  tracks.forEach((track, t) => {
    for (const item of track.items) {
      if (!('clip' in item)) continue;
      const c = item.clip;
      const key = JSON.stringify([c.src, c.start, c.dur, c.offset, c.speed]);
      let parts = byClip.get(key);
      if (!parts) byClip.set(key, (parts = []));
      parts.push({ track: t, start: c.start, kind: track.kind });
    }
  });
  const groups = [...byClip.values()]
    .filter((parts) => parts.length > 1)
    .map((parts) => ({
      children: parts.map((p) => ({ data: `${p.track}:${p.start}`, leaf: 'clip', type: 'Leaf' })),
      type: parts.some((p) => p.kind === 'video') && parts.some((p) => p.kind === 'audio') ? 'AVSplit' : 'Normal',
    }));
  // Kdenlive writes Qt's indented JSON with a trailing newline.
  return groups.length ? `${JSON.stringify(groups, null, 4)}\n` : '[\n]\n';
}

/** The mixer filters Kdenlive keeps (disabled until used) on every audio track. */
function addKdenliveTrackAudioFilters(tractor: XmlNode): void {
  addKdenliveMasterFilters(tractor);
  props(tractor.ele('filter'), [
    ['iec_scale', 0],
    ['mlt_service', 'audiolevel'],
    ['dbpeak', 1],
    ['disable', 1],
  ]);
}

/** Volume and pan filters Kdenlive keeps (disabled until used) on the master and audio tracks. */
function addKdenliveMasterFilters(tractor: XmlNode): void {
  props(tractor.ele('filter'), [
    ['window', 75],
    ['max_gain', '20dB'],
    ['mlt_service', 'volume'],
    ['internal_added', 237],
    ['disable', 1],
  ]);
  props(tractor.ele('filter'), [
    ['channel', -1],
    ['mlt_service', 'panner'],
    ['internal_added', 237],
    ['start', 0.5],
    ['disable', 1],
  ]);
}
