/**
 * OpenTimelineIO JSON writer (`otio`, alias `premiere-otio`): a Timeline.1 holding a Stack.1 of
 * Track.1s (one per timeline layer, video layers first), each a row of Clip.2s and Gap.1s laid end
 * to end from frame 0.
 *
 * Times are RationalTime.1 with the timeline's rate as a double (30000/1001 → 29.97002997002997) and
 * frame counts as doubles, written with a decimal point (`30.0`) like OTIO's own serializer.
 *
 * Speed: a clip's `source_range` starts at its first source frame and lasts as long as the clip
 * lasts on its track; a LinearTimeWarp.1 `time_scalar` says how fast it reads the source. That is
 * OTIO's convention ("adjusting the time_scalar of a LinearTimeWarp does not affect the duration of
 * the item this effect is attached to", OTIO's API docs), the one its CMX 3600 adapter reads and
 * writes for M2 speed lines, and the one under which a track's duration is the sum of its items'.
 * auto-editor 31 writes the source's frame count as the duration instead (Premiere's reading, per
 * its comments), which makes OTIO's own tools place every later clip wrongly; tacet follows OTIO.
 *
 * auto-editor's Premiere metadata is kept where it carries information (PremierePro_OTIO: frame
 * rate, resolution, LinkID tying a video clip to its audio, channel layout per audio clip) and left
 * out where it only restates defaults (intrinsic Opacity/Motion/Volume/Panner effects).
 */
import { UserError } from '../errors.js';
import type { MediaInfo } from '../media/types.js';
import type { Clip, Timeline } from '../timeline/model.js';
import { type Rational, roundHalfAway } from '../timeline/rational.js';
import { baseName, fileUrl } from './paths.js';
import type { ExportInput, Exporter } from './types.js';

/** A number that OTIO stores as a double: always written with a fraction part. */
class Double {
  constructor(readonly value: number) {}
}

type Json = null | boolean | string | number | Double | Json[] | { [key: string]: Json };

/** Shortest round-trip form, with `.0` on whole numbers as Python's json (OTIO's writer) does. */
function formatDouble(v: number): string {
  if (!Number.isFinite(v)) throw new RangeError(`OTIO cannot store ${v}`);
  const s = String(v);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

/** Pretty JSON with 4-space indentation (OTIO's default) and Double-aware number formatting. */
function serialize(v: Json, indent: string): string {
  if (v instanceof Double) return formatDouble(v.value);
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  const inner = indent + '    ';
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => inner + serialize(x, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(v);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${serialize(x, inner)}`).join(',\n')}\n${indent}}`;
}

function stem(path: string): string {
  const name = baseName(path);
  return name.replace(/\.[^.]*$/, '') || name;
}

/** Everything that depends only on the rate. */
function timeFactory(tb: Rational) {
  const rate = new Double(tb.num / tb.den);
  const rt = (frames: number): Json => ({ OTIO_SCHEMA: 'RationalTime.1', rate, value: new Double(frames) });
  const range = (start: number, dur: number): Json => ({ OTIO_SCHEMA: 'TimeRange.1', duration: rt(dur), start_time: rt(start) });
  return { rate, rt, range };
}

/** The timeline name: `name="..."`, then ExportInput.name, then the first source's file name. */
function timelineName(input: ExportInput, params: Record<string, string>): string {
  for (const key of Object.keys(params)) {
    // auto-editor accepts `version` for every export kind and ignores it where it means nothing.
    if (key !== 'name' && key !== 'version') throw new UserError(`Unknown attribute "${key}" for the otio export (it accepts name="...").`);
  }
  if (params.name !== undefined) return params.name;
  if (input.name !== undefined) return input.name;
  const first = [...input.timeline.v, ...input.timeline.a].flat()[0];
  return first ? stem(first.src) : 'tacet';
}

/** Length of a source in timeline frames, rounded down so no reference claims media past its end. */
function sourceFrames(info: MediaInfo | undefined, tb: Rational): number {
  const seconds = info ? info.duration || info.video[0]?.duration || info.audio[0]?.duration || 0 : 0;
  return Math.max(0, Math.floor((seconds * tb.num) / tb.den + 1e-9));
}

/** First source frame a clip shows: v3's offset is speed-scaled (auto-editor's rounding). */
function sourceStart(c: Clip): number {
  return roundHalfAway(c.offset * c.speed);
}

/** Channel count of a clip's audio stream (2 when unknown, the common case). */
function channelsOf(info: MediaInfo | undefined, stream: number): number {
  return Math.max(1, info?.audio[stream]?.channels ?? 2);
}

function write(input: ExportInput, params: Record<string, string>): string {
  const tl: Timeline = input.timeline;
  const tb = tl.tb;
  if (!(tb.num > 0 && tb.den > 0)) throw new UserError(`Invalid timeline frame rate ${tb.num}/${tb.den}.`);
  const name = timelineName(input, params);
  const { rate, rt, range } = timeFactory(tb);

  // Each source's available range must hold every frame a clip reads, even if the probe was short.
  const available = new Map<string, number>();
  for (const layer of [...tl.v, ...tl.a]) {
    for (const c of layer) {
      const need = Math.ceil((c.offset + c.dur) * c.speed - 1e-9);
      const have = available.get(c.src) ?? sourceFrames(input.sources.get(c.src), tb);
      available.set(c.src, Math.max(have, need));
    }
  }

  // LinkID groups the pieces of one A/V clip (same source range at the same place), so Premiere
  // moves video and audio together; ids are numbered in timeline order.
  const linkIds = new Map<string, number>();
  const linkKey = (c: Clip): string => `${c.src}\u0000${c.start}\u0000${c.dur}\u0000${c.offset}\u0000${c.speed}`;
  const keyCount = new Map<string, number>();
  for (const layer of [...tl.v, ...tl.a]) for (const c of layer) keyCount.set(linkKey(c), (keyCount.get(linkKey(c)) ?? 0) + 1);
  let nextLink = 1;
  const linkOf = (c: Clip): number => {
    const key = linkKey(c);
    let id = linkIds.get(key);
    if (id === undefined) linkIds.set(key, (id = nextLink++));
    return id;
  };

  const mediaReference = (src: string): Json => ({
    DEFAULT_MEDIA: {
      OTIO_SCHEMA: 'ExternalReference.1',
      metadata: {},
      name: '',
      available_range: range(0, available.get(src) ?? 0),
      available_image_bounds: null,
      target_url: fileUrl(src),
    },
  });

  const clipJson = (c: Clip, audio: boolean): Json => {
    const info = input.sources.get(c.src);
    const meta: { [key: string]: Json } = {};
    if (audio) {
      const ch = channelsOf(info, c.stream);
      meta.AudioChannels = {
        ChannelType: ch >= 2 ? 'Stereo' : 'Mono',
        SecondaryAssignments: Array.from({ length: ch }, (_, i) => ({ SecondaryChannelIndex: i })),
      };
    }
    if ((keyCount.get(linkKey(c)) ?? 0) > 1) meta.LinkID = String(linkOf(c));
    // Which of the file's audio streams this clip plays; OTIO itself has no field for it.
    meta.OriginalChannelGroupIndex = audio ? c.stream : 0;
    const effects: Json[] = [];
    if (c.speed !== 1) {
      effects.push({
        OTIO_SCHEMA: 'LinearTimeWarp.1',
        metadata: {},
        name: 'Speed',
        effect_name: 'LinearTimeWarp',
        enabled: true,
        time_scalar: new Double(c.speed),
      });
    }
    return {
      OTIO_SCHEMA: 'Clip.2',
      metadata: { PremierePro_OTIO: meta },
      name: stem(c.src),
      source_range: range(sourceStart(c), c.dur),
      effects,
      markers: [],
      enabled: true,
      media_references: mediaReference(c.src),
      active_media_reference_key: 'DEFAULT_MEDIA',
    };
  };

  const gapJson = (dur: number): Json => ({
    OTIO_SCHEMA: 'Gap.1',
    metadata: {},
    name: '',
    source_range: range(0, dur),
    effects: [],
    markers: [],
    enabled: true,
  });

  /** A track's items: its clips in time order with gaps filling the holes from frame 0. */
  const children = (layer: Clip[], audio: boolean): Json[] => {
    const out: Json[] = [];
    let at = 0;
    for (const c of [...layer].sort((a, b) => a.start - b.start)) {
      if (c.start < at) throw new UserError(`Clips overlap at frame ${c.start} on one track; an OTIO track cannot hold that.`);
      if (c.start > at) out.push(gapJson(c.start - at));
      out.push(clipJson(c, audio));
      at = c.start + c.dur;
    }
    return out;
  };

  const tracks: Json[] = [];
  tl.v.forEach((layer, i) => {
    tracks.push({
      OTIO_SCHEMA: 'Track.1',
      metadata: {},
      name: `Video ${i + 1}`,
      source_range: null,
      effects: [],
      markers: [],
      enabled: true,
      children: children(layer, false),
      kind: 'Video',
    });
  });
  tl.a.forEach((layer, i) => {
    const first = layer[0];
    const ch = first ? channelsOf(input.sources.get(first.src), first.stream) : tl.layout === 'mono' ? 1 : 2;
    tracks.push({
      OTIO_SCHEMA: 'Track.1',
      metadata: { PremierePro_OTIO: { AudioChannels: { ChannelType: ch >= 2 ? 'Stereo' : 'Mono', NumberOfChannels: ch } } },
      name: `Audio ${i + 1}`,
      source_range: null,
      effects: [],
      markers: [],
      enabled: true,
      children: children(layer, true),
      kind: 'Audio',
    });
  });

  const doc: Json = {
    OTIO_SCHEMA: 'Timeline.1',
    metadata: { PremierePro_OTIO: { MetadataVersion: '1.0' } },
    name,
    global_start_time: rt(0),
    tracks: {
      OTIO_SCHEMA: 'Stack.1',
      metadata: {
        PremierePro_OTIO: {
          AudioFrameRate: new Double(tl.sampleRate),
          PixelAspectRatio: { denominator: new Double(1), numerator: new Double(1) },
          VideoFrameRate: rate,
          VideoResolution: { height: tl.resolution[1], width: tl.resolution[0] },
        },
      },
      name,
      source_range: null,
      effects: [],
      markers: [],
      enabled: true,
      children: tracks,
    },
  };
  return serialize(doc, '') + '\n';
}

/**
 * `otio` / `premiere-otio`: the timeline as OpenTimelineIO JSON (`.otio`). Every layer is a track,
 * clips reference their files by `file://` URL, and speed changes are LinearTimeWarp effects.
 * `name="..."` names the timeline.
 */
export const writeOtio: Exporter = (input, params) => write(input, params);
