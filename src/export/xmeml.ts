/**
 * Final Cut Pro 7 XML ("xmeml" version 5) writers: `premiere` and `resolve-fcp7`.
 *
 * Both follow auto-editor 31's FCP7 exporter (src/exports/fcp7.nim) in what they mean and differ
 * from it only where it writes something an editor cannot read back as intended:
 * - clipitem ids are unique across all tracks (auto-editor's resolve variant repeats them on every
 *   audio track), and every `<link>` names a clipitem that exists;
 * - `pathurl` is a percent-encoded `file://` URL (auto-editor writes a bare path, which breaks on
 *   `#`, `%` and non-ASCII names);
 * - element order follows files written by Premiere and Resolve themselves
 *   (../shared/formats/samples), e.g. `<filter>` after `<file>` and before `<sourcetrack>`, which is
 *   where FCP7 defines it and where Premiere looks for it.
 *
 * Frame numbers: start/end are timeline frames; in/out are the clip's own (speed-scaled) frames,
 * `in = offset`, `out = offset + dur`, exactly as auto-editor writes them. That is FCP7's "clip
 * time" for a constant speed change, and it is why auto-editor's v3 `offset` is speed-scaled.
 * Premiere and Resolve read in/out on the sequence's frame grid, so the clipitem rate is the
 * sequence rate.
 */
import { standInInfo } from './stand-in.js';
import { create } from 'xmlbuilder2';
import { UserError } from '../errors.js';
import type { AudioStreamInfo, MediaInfo } from '../media/types.js';
import { type Clip, type Timeline, timelineLength } from '../timeline/model.js';
import { type Rational, ratToString } from '../timeline/rational.js';
import { baseName, fileUrl } from './paths.js';
import type { ExportInput, Exporter } from './types.js';

type XmlNode = ReturnType<typeof create>;

/** An xmeml `<rate>`: a whole timebase plus the NTSC flag (timebase × 1000/1001). */
export interface XmemlRate {
  timebase: number;
  ntsc: boolean;
}

/**
 * The xmeml `<rate>` for a timebase, by exact rational comparison: N×1000/1001 is NTSC N
 * (30000/1001 → 30 TRUE, 60000/1001 → 60 TRUE, 24000/1001 → 24 TRUE), a whole number N is N FALSE.
 * Like auto-editor, N×999/1000 for N other than 24, 30 and 60 is also written as NTSC N.
 * Any other rate has no xmeml form, so it is a UserError rather than a silently wrong timeline
 * (auto-editor truncates it, which puts every cut in the wrong place).
 */
export function xmemlRate(tb: Rational): XmemlRate {
  if (tb.num <= 0 || tb.den <= 0) throw new UserError(`Invalid timeline frame rate ${ratToString(tb)}.`);
  if (tb.den === 1) return { timebase: tb.num, ntsc: false };
  // tb = N × 1000/1001  ⇔  N = tb × 1001/1000 is a whole number.
  if ((tb.num * 1001) % (tb.den * 1000) === 0) return { timebase: (tb.num * 1001) / (tb.den * 1000), ntsc: true };
  const ceil = Math.ceil(tb.num / tb.den);
  if (![24, 30, 60].includes(ceil) && tb.num * 1000 === ceil * 999 * tb.den) return { timebase: ceil, ntsc: true };
  throw new UserError(
    `Premiere/FCP7 XML can only describe whole-number or NTSC (N×1000/1001) frame rates, but this timeline's ` +
      `is ${ratToString(tb)} (${(tb.num / tb.den).toFixed(3)} fps). Choose one with --frame-rate, e.g. 30000/1001 or 30.`,
  );
}

/** Which of the two FCP7 dialects to write. */
type Variant = 'premiere' | 'resolve';

/** One `<file>`: a source or an extracted WAV, defined in full at its first use. */
interface FileDef {
  id: string;
  path: string;
  info: MediaInfo;
  written: boolean;
}

/** One clipitem to be written, with everything its `<link>` elements need. */
interface ItemPlan {
  id: string;
  clip: Clip;
  kind: 'video' | 'audio';
  file: FileDef;
  /** 1-based track number among the sequence's tracks of this kind. */
  trackIndex: number;
  /** 1-based position of the clipitem in its track. */
  clipIndex: number;
  /** `sourcetrack/trackindex`: which of the file's tracks (channels) this clipitem plays. */
  sourceTrack: number;
  /** Timeline audio layer this item comes from (audio only); stereo pairs share it. */
  layer: number;
  group: ItemPlan[] | null;
}

/** A sequence track and the attributes Premiere uses to pair exploded stereo tracks. */
interface TrackPlan {
  kind: 'video' | 'audio';
  items: ItemPlan[];
  /** Premiere only: exploded stereo (2 tracks) or a mono track. */
  explode?: { index: number; count: number; type: 'Stereo' | 'Mono' };
}

/** Formats a number the way editors parse it: no float noise (1.1 × 100 → "110"). */
function num(x: number): string {
  return String(Number(x.toPrecision(12)));
}

function audioStream(index: number, channels: number, sampleRate: number): AudioStreamInfo {
  return {
    index,
    codec: 'pcm_s16le',
    sampleRate,
    channels,
    layout: channels === 1 ? 'mono' : 'stereo',
    timeBase: { num: 1, den: sampleRate },
    duration: null,
    startTime: 0,
    bitrate: 0,
    lang: null,
  };
}

/** Channels of a clip's audio stream (2 when unknown). */
function channelsOf(info: MediaInfo, stream: number): number {
  return Math.max(1, info.audio[stream]?.channels ?? 2);
}

/** The sequence name: `name="..."` first, then ExportInput.name, then the first source's name. */
function sequenceName(input: ExportInput, params: Record<string, string>): string {
  for (const key of Object.keys(params)) {
    // auto-editor accepts `version` for every export kind and ignores it where it means nothing.
    if (key !== 'name' && key !== 'version') throw new UserError(`Unknown attribute "${key}" for this export (it accepts name="...").`);
  }
  if (params.name !== undefined) return params.name;
  if (input.name !== undefined) return input.name;
  const first = [...input.timeline.v, ...input.timeline.a].flat()[0];
  if (!first) return 'tacet';
  return baseName(first.src).replace(/\.[^.]*$/, '') || baseName(first.src);
}

/** Lays out tracks, clipitem ids, files and link groups before anything is written. */
function plan(input: ExportInput, variant: Variant): TrackPlan[] {
  const tl = input.timeline;
  const files = new Map<string, FileDef>();
  const fileFor = (path: string, info: () => MediaInfo): FileDef => {
    let def = files.get(path);
    if (!def) {
      def = { id: `file-${files.size + 1}`, path, info: info(), written: false };
      files.set(path, def);
    }
    return def;
  };
  const sourceFile = (src: string): FileDef => fileFor(src, () => input.sources.get(src) ?? standInInfo(src, tl));

  const tracks: TrackPlan[] = [];
  let nextId = 1;
  const item = (clip: Clip, kind: 'video' | 'audio', file: FileDef, trackIndex: number, clipIndex: number, sourceTrack: number, layer: number): ItemPlan => ({
    id: `clipitem-${nextId++}`,
    clip,
    kind,
    file,
    trackIndex,
    clipIndex,
    sourceTrack,
    layer,
    group: null,
  });

  let videoTracks = 0;
  for (const layer of tl.v) {
    if (layer.length === 0) continue;
    const trackIndex = ++videoTracks;
    tracks.push({ kind: 'video', items: layer.map((c, j) => item(c, 'video', sourceFile(c.src), trackIndex, j + 1, c.stream + 1, -1)) });
  }

  let audioTracks = 0;
  tl.a.forEach((layer, layerIndex) => {
    if (layer.length === 0) return;
    if (variant === 'resolve') {
      // Resolve reads only a file's first audio stream from FCP7 XML, so later streams come from
      // the WAVs the caller extracted (auto-editor 31 does the same: setStreamTo0). A stereo clip
      // stays one clipitem on one track, as Resolve itself writes it.
      const trackIndex = ++audioTracks;
      tracks.push({
        kind: 'audio',
        items: layer.map((c, j) => {
          const wav = c.stream > 0 ? input.extractedAudio?.get(`${c.src}#${c.stream}`) : undefined;
          if (wav) {
            const src = input.sources.get(c.src) ?? standInInfo(c.src, tl);
            const stream = src.audio[c.stream];
            const file = fileFor(wav, () => ({
              path: wav,
              format: 'wav',
              duration: stream?.duration ?? src.duration,
              bitrate: 0,
              video: [],
              audio: [audioStream(0, channelsOf(src, c.stream), stream?.sampleRate ?? tl.sampleRate)],
              subtitle: [],
            }));
            return item(c, 'audio', file, trackIndex, j + 1, 1, layerIndex);
          }
          // Without an extracted WAV the source's own stream is named, as auto-editor did before 31.
          return item(c, 'audio', sourceFile(c.src), trackIndex, j + 1, c.stream + 1, layerIndex);
        }),
      });
      return;
    }
    // Premiere: a stereo (or wider) stream is an exploded pair of tracks, one per channel; a mono
    // stream is one Mono track. An exploded mono pair would play its missing channel as silence.
    const firstInfo = sourceFile(layer[0].src).info;
    const stereo = channelsOf(firstInfo, layer[0].stream) >= 2;
    const count = stereo ? 2 : 1;
    for (let index = 0; index < count; index++) {
      const trackIndex = ++audioTracks;
      tracks.push({
        kind: 'audio',
        explode: { index, count, type: stereo ? 'Stereo' : 'Mono' },
        items: layer.map((c, j) => {
          const file = sourceFile(c.src);
          // sourcetrack counts the file's audio channels across its streams (stream 0's L/R are
          // 1 and 2, the next stream starts at 3), as in Premiere's exports and auto-editor 31.
          let channelOffset = 0;
          for (let s = 0; s < c.stream; s++) channelOffset += channelsOf(file.info, s);
          return item(c, 'audio', file, trackIndex, j + 1, channelOffset + index + 1, layerIndex);
        }),
      });
    }
  });

  linkGroups(tracks);
  return tracks;
}

/**
 * Links the clipitems that are one piece of media: the same source range at the same timeline
 * place, one video clip with its audio clips (both channels of a stereo pair, every stream). Editors
 * then move and trim them together. A clip with no partner gets no links, as in Premiere's files.
 */
function linkGroups(tracks: TrackPlan[]): void {
  const groups = new Map<string, ItemPlan[]>();
  for (const track of tracks) {
    for (const it of track.items) {
      const c = it.clip;
      const key = `${c.src}\u0000${c.start}\u0000${c.dur}\u0000${c.offset}\u0000${c.speed}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = []));
      // One video clip per group: an overlay layer showing the same range stays independent.
      if (it.kind === 'video' && group.some((g) => g.kind === 'video')) continue;
      group.push(it);
      it.group = group;
    }
  }
  for (const group of groups.values()) if (group.length < 2) for (const it of group) it.group = null;
}

/** Adds `<rate><timebase/><ntsc/></rate>`. */
function addRate(parent: XmlNode, rate: XmemlRate): void {
  const r = parent.ele('rate');
  r.ele('timebase').txt(String(rate.timebase));
  r.ele('ntsc').txt(rate.ntsc ? 'TRUE' : 'FALSE');
}

/**
 * A constant `<parameter>`. Premiere gets auto-editor's form (FCP7's element order, with the
 * authoringApp attribute its Time Remap is known to import with); Resolve gets the order Resolve
 * itself writes (name, parameterid, value, valuemin, valuemax).
 */
function addParameter(effect: XmlNode, variant: Variant, id: string, name: string, value: string, min?: string, max?: string): void {
  if (variant === 'premiere') {
    const p = effect.ele('parameter', { authoringApp: 'PremierePro' });
    p.ele('parameterid').txt(id);
    p.ele('name').txt(name);
    if (min !== undefined) p.ele('valuemin').txt(min);
    if (max !== undefined) p.ele('valuemax').txt(max);
    p.ele('value').txt(value);
    return;
  }
  const p = effect.ele('parameter');
  p.ele('name').txt(name);
  p.ele('parameterid').txt(id);
  p.ele('value').txt(value);
  if (min !== undefined) p.ele('valuemin').txt(min);
  if (max !== undefined) p.ele('valuemax').txt(max);
}

/** A constant speed change: FCP7's Time Remap effect with the speed in percent. */
function addSpeedFilter(clipitem: XmlNode, variant: Variant, speed: number): void {
  const effect = clipitem.ele('filter').ele('effect');
  effect.ele('name').txt('Time Remap');
  effect.ele('effectid').txt('timeremap');
  addParameter(effect, variant, 'variablespeed', 'variablespeed', '0', '0', '1');
  addParameter(effect, variant, 'speed', 'speed', num(speed * 100), '-100000', '100000');
  addParameter(effect, variant, 'frameblending', 'frameblending', 'FALSE');
}

/** A constant gain: FCP7's Audio Levels effect (linear, 1 = unchanged, max +12 dB). */
function addVolumeFilter(clipitem: XmlNode, variant: Variant, volume: number): void {
  const effect = clipitem.ele('filter').ele('effect');
  effect.ele('name').txt('Audio Levels');
  effect.ele('effectid').txt('audiolevels');
  if (variant === 'premiere') {
    effect.ele('effectcategory').txt('audiolevels');
    effect.ele('effecttype').txt('audiolevels');
    effect.ele('mediatype').txt('audio');
  } else {
    // Resolve writes effecttype and mediatype before effectcategory.
    effect.ele('effecttype').txt('audiolevels');
    effect.ele('mediatype').txt('audio');
    effect.ele('effectcategory').txt('audiolevels');
  }
  addParameter(effect, variant, 'level', 'Level', num(volume), '0', '3.98109');
}

/**
 * The `<file>` element: in full at its first use, later as `<file id="..."/>`. The file's
 * `<duration>` is present but empty, as auto-editor writes it: Resolve needs the tag, and Premiere
 * then reads the length from the media instead of trusting a container's approximate duration.
 */
function addFile(clipitem: XmlNode, def: FileDef, rate: XmemlRate, variant: Variant, kind: 'video' | 'audio'): void {
  const file = clipitem.ele('file', { id: def.id });
  if (def.written) return;
  def.written = true;
  const info = def.info;
  const name = baseName(def.path);
  const timecode = (parent: XmlNode): void => {
    const tc = parent.ele('timecode');
    if (variant === 'premiere') addRate(tc, rate);
    tc.ele('string').txt('00:00:00:00');
    if (variant === 'premiere') tc.ele('frame').txt('0');
    tc.ele('displayformat').txt('NDF');
    if (variant === 'resolve') addRate(tc, rate);
  };
  if (variant === 'premiere') {
    file.ele('name').txt(name);
    file.ele('pathurl').txt(fileUrl(def.path));
    addRate(file, rate);
    file.ele('duration');
    timecode(file);
  } else {
    file.ele('duration');
    addRate(file, rate);
    file.ele('name').txt(name);
    file.ele('pathurl').txt(fileUrl(def.path));
    // Resolve gives a file first used by an audio clip no timecode; do the same.
    if (kind === 'video') timecode(file);
  }
  const media = file.ele('media');
  const v = info.video[0];
  if (v) {
    const sc = media.ele('video').ele('samplecharacteristics');
    if (variant === 'premiere') addRate(sc, rate);
    sc.ele('width').txt(String(v.width));
    sc.ele('height').txt(String(v.height));
    if (variant === 'premiere') {
      sc.ele('anamorphic').txt('FALSE');
      sc.ele('pixelaspectratio').txt('square');
      sc.ele('fielddominance').txt('none');
    }
  }
  // One <audio> per stream, in stream order: that is how a reader maps sourcetrack to a stream.
  for (const a of info.audio) {
    const audio = media.ele('audio');
    if (variant === 'premiere') {
      const sc = audio.ele('samplecharacteristics');
      sc.ele('depth').txt('16');
      sc.ele('samplerate').txt(String(a.sampleRate));
    }
    audio.ele('channelcount').txt(String(a.channels));
  }
}

/** Writes one clipitem in the dialect's element order. */
function addClipitem(track: XmlNode, it: ItemPlan, t: TrackPlan, rate: XmemlRate, variant: Variant): void {
  const c = it.clip;
  const attrs: Record<string, string> = { id: it.id };
  if (variant === 'premiere' && t.explode) attrs.premiereChannelType = t.explode.type === 'Stereo' ? 'stereo' : 'mono';
  const ci = track.ele('clipitem', attrs);
  ci.ele('name').txt(baseName(it.file.path));
  if (variant === 'premiere') ci.ele('enabled').txt('TRUE');
  addRate(ci, rate);
  ci.ele('start').txt(String(c.start));
  ci.ele('end').txt(String(c.start + c.dur));
  if (variant === 'resolve') ci.ele('enabled').txt('TRUE');
  ci.ele('in').txt(String(c.offset));
  ci.ele('out').txt(String(c.offset + c.dur));
  addFile(ci, it.file, rate, variant, it.kind);
  if (variant === 'resolve' && it.kind === 'video') ci.ele('compositemode').txt('normal');
  if (c.speed !== 1) addSpeedFilter(ci, variant, c.speed);
  if (it.kind === 'audio' && c.volume !== 1) addVolumeFilter(ci, variant, c.volume);
  if (it.kind === 'audio') {
    // Video clipitems carry no sourcetrack in Premiere's or Resolve's files; audio ones say which
    // of the file's tracks they play.
    const st = ci.ele('sourcetrack');
    st.ele('mediatype').txt('audio');
    st.ele('trackindex').txt(String(it.sourceTrack));
  }
  if (it.group) {
    // Audio members of a group are numbered by the timeline layer they come from, so both
    // channels of one stereo clip share a groupindex, as in Premiere's exports.
    const layers = [...new Set(it.group.filter((g) => g.kind === 'audio').map((g) => g.layer))];
    for (const member of it.group) {
      const link = ci.ele('link');
      link.ele('linkclipref').txt(member.id);
      if (variant === 'premiere') {
        link.ele('mediatype').txt(member.kind);
        link.ele('trackindex').txt(String(member.trackIndex));
        link.ele('clipindex').txt(String(member.clipIndex));
        if (member.kind === 'audio') link.ele('groupindex').txt(String(layers.indexOf(member.layer) + 1));
      }
    }
  }
}

function addTracks(parent: XmlNode, tracks: TrackPlan[], rate: XmemlRate, variant: Variant, hasVideo: boolean): void {
  for (const t of tracks) {
    const attrs: Record<string, string> = {};
    if (variant === 'premiere' && t.explode) {
      attrs.currentExplodedTrackIndex = String(t.explode.index);
      attrs.totalExplodedTrackCount = String(t.explode.count);
      attrs.premiereTrackType = t.explode.type;
    }
    const track = parent.ele('track', attrs);
    for (const it of t.items) addClipitem(track, it, t, rate, variant);
    track.ele('enabled').txt('TRUE');
    track.ele('locked').txt('FALSE');
    // Stereo halves go to output channels 1 and 2. auto-editor 31 writes this only when the
    // sequence has video and never for mono tracks; keep that, it is what has been tested.
    if (variant === 'premiere' && t.explode?.type === 'Stereo' && hasVideo) track.ele('outputchannelindex').txt(String(t.explode.index + 1));
  }
}

function addVideoFormat(video: XmlNode, tl: Timeline, rate: XmemlRate, variant: Variant): void {
  const sc = video.ele('format').ele('samplecharacteristics');
  if (variant === 'premiere') addRate(sc, rate);
  sc.ele('width').txt(String(tl.resolution[0]));
  sc.ele('height').txt(String(tl.resolution[1]));
  sc.ele('anamorphic').txt('FALSE');
  sc.ele('pixelaspectratio').txt('square');
  sc.ele('fielddominance').txt('none');
  if (variant === 'resolve') addRate(sc, rate);
}

function write(input: ExportInput, params: Record<string, string>, variant: Variant): string {
  const tl = input.timeline;
  const rate = xmemlRate(tl.tb);
  const name = sequenceName(input, params);
  const tracks = plan(input, variant);
  const videoTracks = tracks.filter((t) => t.kind === 'video');
  const audioTracks = tracks.filter((t) => t.kind === 'audio');
  const hasVideo = videoTracks.length > 0;

  const doc = create({ version: '1.0', encoding: 'UTF-8' }).dtd({ name: 'xmeml' });
  const xmeml = doc.ele('xmeml', { version: '5' });
  const sequenceTimecode = (parent: XmlNode): void => {
    const tc = parent.ele('timecode');
    if (variant === 'premiere') addRate(tc, rate);
    tc.ele('string').txt('00:00:00:00');
    tc.ele('frame').txt('0');
    tc.ele('displayformat').txt('NDF');
    if (variant === 'resolve') addRate(tc, rate);
  };

  let media: XmlNode;
  if (variant === 'premiere') {
    // Premiere's own order (uuid omitted: output stays deterministic), plus explodedTracks so it
    // pairs the stereo halves.
    const sequence = xmeml.ele('sequence', { id: 'sequence-1', explodedTracks: 'true' });
    sequence.ele('duration').txt(String(timelineLength(tl)));
    addRate(sequence, rate);
    sequence.ele('name').txt(name);
    media = sequence.ele('media');
    const video = media.ele('video');
    addVideoFormat(video, tl, rate, variant);
    addTracks(video, videoTracks, rate, variant, hasVideo);
    const audio = media.ele('audio');
    audio.ele('numOutputChannels').txt('2');
    const sc = audio.ele('format').ele('samplecharacteristics');
    sc.ele('depth').txt('16');
    sc.ele('samplerate').txt(String(tl.sampleRate));
    const outputs = audio.ele('outputs');
    for (const ch of [1, 2]) {
      const g = outputs.ele('group');
      g.ele('index').txt(String(ch));
      g.ele('numchannels').txt('1');
      g.ele('downmix').txt('0');
      g.ele('channel').ele('index').txt(String(ch));
    }
    addTracks(audio, audioTracks, rate, variant, hasVideo);
    sequenceTimecode(sequence);
  } else {
    // Resolve's own order: no explodedTracks, in/out -1 (no marks), tracks before the format.
    const sequence = xmeml.ele('sequence');
    sequence.ele('name').txt(name);
    sequence.ele('duration').txt(String(timelineLength(tl)));
    addRate(sequence, rate);
    sequence.ele('in').txt('-1');
    sequence.ele('out').txt('-1');
    sequenceTimecode(sequence);
    media = sequence.ele('media');
    const video = media.ele('video');
    addTracks(video, videoTracks, rate, variant, hasVideo);
    addVideoFormat(video, tl, rate, variant);
    addTracks(media.ele('audio'), audioTracks, rate, variant, hasVideo);
  }
  return doc.end({ prettyPrint: true, indent: variant === 'premiere' ? '\t' : '    ' }) + '\n';
}

/**
 * `premiere`: FCP7 xmeml v5 as Premiere Pro imports it. Stereo streams become exploded track pairs,
 * mono streams one Mono track, every audio stream its own track(s); each video clip is linked to its
 * audio clips; speed is a Time Remap filter, gain an Audio Levels filter.
 */
export const writePremiere: Exporter = (input, params) => write(input, params, 'premiere');

/**
 * `resolve-fcp7`: FCP7 xmeml v5 as DaVinci Resolve imports it (Resolve's element order, one track
 * per audio stream, no exploded pairs). Resolve only plays a file's first audio stream from xmeml,
 * so audio streams after the first reference `input.extractedAudio` WAVs (key `${src}#${stream}`);
 * a stream with no extracted WAV falls back to naming the source's stream.
 */
export const writeResolveFcp7: Exporter = (input, params) => write(input, params, 'resolve');
