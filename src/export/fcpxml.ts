/**
 * FCPXML writers: `final-cut-pro` (FCPXML 1.11; `version=10` writes 1.10) and `resolve` (FCPXML the
 * way DaVinci Resolve imports it).
 *
 * They follow auto-editor 31's exporter (src/exports/fcp11.nim) in meaning, and Apple's DTDs and
 * files written by Final Cut Pro and Resolve (../shared/formats) in structure:
 * - resources (a `format` per video format, an `asset` with a `media-rep` per file), then
 *   library > event > project > sequence > spine, as every sample has it;
 * - every time is an exact, reduced rational number of seconds on the timeline's frame grid
 *   (`1001/30000s`, `0s`): a decimal or a truncated ratio moves cuts by a frame in FCP;
 * - a speed change is a two-point `timeMap` from the clip start to the end of the asset, exactly as
 *   Final Cut Pro writes a constant retime (fcp-fcpxml1.11-29.97-speed-stereo.fcpxml). The clip's
 *   `start` is then in retimed time, which is what v3's speed-scaled `offset` already is.
 *
 * Where auto-editor writes something an editor cannot read back as intended, these writers differ:
 * - `asset.duration` is the source's length (auto-editor writes the timeline's length for Final Cut
 *   Pro, so a clip late in a long source starts past its asset's end);
 * - the spine is contiguous (holes are `gap`s) and the timeMap slope is the exact speed (auto-editor
 *   truncates the retimed end to whole frames);
 * - resolve: audio streams after the first are connected clips on lanes -1, -2, … anchored to the
 *   spine clip they belong to, each referencing its extracted WAV. auto-editor appends them to the
 *   spine again from offset 0, which overlaps the spine and is not valid FCPXML;
 * - resolve defaults to FCPXML 1.10: Resolve 18.5 refuses 1.11 ("DaVinci Resolve supports Final Cut
 *   Pro X XML 1.3 … 1.10", auto-editor issue #367). `version=11` still writes 1.11.
 *
 * A timeline whose layers differ (e.g. an edited v3 file) keeps the first non-empty layer on the
 * spine and puts every other layer on lanes, so nothing is dropped. Final Cut Pro plays all audio
 * streams of an asset-clip together, so when the audio layers all mirror the spine they need no
 * clips of their own; otherwise the spine plays video only and each audio layer gets its own lane.
 */
import { standInInfo } from './stand-in.js';
import { create } from 'xmlbuilder2';
import { UserError } from '../errors.js';
import type { MediaInfo } from '../media/types.js';
import { type Clip, type Timeline, timelineLength } from '../timeline/model.js';
import { type Rational, ratEquals, ratToString } from '../timeline/rational.js';
import { baseName, fileUrl } from './paths.js';
import type { ExportInput, Exporter } from './types.js';

type XmlNode = ReturnType<typeof create>;

/** Which FCPXML dialect to write. */
type Variant = 'final-cut-pro' | 'resolve';

/** Colour space for every format: tacet's probe does not report colour, and Rec. 709 is FCP's default. */
const COLOR_SPACE = '1-1-1 (Rec. 709)';
/** Event that holds the project, like auto-editor's fixed "Auto-Editor Media Group". */
const EVENT_NAME = 'tacet Media Group';

function gcd(a: bigint, b: bigint): bigint {
  if (a < 0n) a = -a;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/**
 * An FCPXML time: `num/den` seconds reduced to lowest terms, `Ns` when whole, `0s` for zero. BigInt
 * keeps 64-bit numerators exact (the DTD allows a 64-bit numerator and a 32-bit denominator).
 */
export function fcpxmlSeconds(num: bigint, den: bigint): string {
  if (den <= 0n) throw new RangeError('FCPXML time with a non-positive denominator');
  if (num === 0n) return '0s';
  const g = gcd(num, den);
  const n = num / g;
  const d = den / g;
  return d === 1n ? `${n}s` : `${n}/${d}s`;
}

/** `frames` timeline frames at `tb` as an FCPXML time (frames × den / num seconds). */
function framesTime(frames: number, tb: Rational): string {
  return fcpxmlSeconds(BigInt(frames) * BigInt(tb.den), BigInt(tb.num));
}

/**
 * The speed as an exact ratio p/q. Speeds come from decimals the user typed (1.5, 0.8, 1.25×1.2)
 * that doubles hold inexactly, so the closest fraction with a denominator up to 10^6 is taken
 * (continued fractions), which recovers 3/2 from 1.5 and 3/2 × 6/5 = 9/5 from 1.7999999999999998.
 */
function speedRatio(speed: number): [bigint, bigint] {
  if (!(speed > 0) || !Number.isFinite(speed)) throw new UserError(`Cannot write speed ${speed} to FCPXML.`);
  let [h0, h1, k0, k1] = [0, 1, 1, 0];
  let x = speed;
  for (let i = 0; i < 40; i++) {
    const a = Math.floor(x);
    const h2 = a * h1 + h0;
    const k2 = a * k1 + k0;
    if (k2 > 1_000_000) break;
    [h0, h1, k0, k1] = [h1, h2, k1, k2];
    if (Math.abs(h1 / k1 - speed) <= speed * 1e-12) break;
    const frac = x - a;
    if (frac < 1e-12) break;
    x = 1 / frac;
  }
  return [BigInt(h1), BigInt(k1)];
}

/** Strips characters XML 1.0 cannot carry and line breaks that attribute values would lose. */
function clean(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f]/g, ' ')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '');
}

/** File name without its extension, for Windows and POSIX paths. */
function stem(path: string): string {
  const name = baseName(path);
  return name.replace(/\.[^.]*$/, '') || name;
}

/**
 * FCP's name for a standard video format (e.g. `FFVideoFormat1080p2997`), as Final Cut Pro writes it
 * in the samples; anything else is `FFVideoFormatRateUndefined` (auto-editor's fallback), for which
 * FCP relies on frameDuration, width and height.
 */
function formatName(width: number, height: number, rate: Rational): string {
  const tags: Array<[Rational, string]> = [
    [{ num: 24000, den: 1001 }, '2398'],
    [{ num: 24, den: 1 }, '24'],
    [{ num: 25, den: 1 }, '25'],
    [{ num: 30000, den: 1001 }, '2997'],
    [{ num: 30, den: 1 }, '30'],
    [{ num: 50, den: 1 }, '50'],
    [{ num: 60000, den: 1001 }, '5994'],
    [{ num: 60, den: 1 }, '60'],
  ];
  const tag = tags.find(([r]) => ratEquals(r, rate))?.[1];
  if (tag) {
    if (width === 1280 && height === 720) return `FFVideoFormat720p${tag}`;
    if (width === 1920 && height === 1080) return `FFVideoFormat1080p${tag}`;
    if (width === 3840 && height === 2160) return `FFVideoFormat3840x2160p${tag}`;
  }
  return 'FFVideoFormatRateUndefined';
}

/** `sequence.audioLayout` is an enumeration in the DTD: mono, stereo or surround. */
function audioLayout(layout: string): 'mono' | 'stereo' | 'surround' {
  if (layout === 'mono') return 'mono';
  if (layout === 'stereo' || layout === 'downmix' || layout === '') return 'stereo';
  return /^(2\.1|3\.0|3\.1|4\.0|4\.1|quad|5\.|6\.|7\.|hexagonal|octagonal|hexadecagonal|22\.2)/.test(layout) ? 'surround' : 'stereo';
}

/** `sequence.audioRate` is an enumeration in the DTD; other rates fall back to 48k. */
function audioRate(sampleRate: number): string {
  const rates: Record<number, string> = {
    32000: '32k',
    44100: '44.1k',
    48000: '48k',
    88200: '88.2k',
    96000: '96k',
    176400: '176.4k',
    192000: '192k',
  };
  return rates[sampleRate] ?? '48k';
}

/** The gain as FCP's `adjust-volume amount` in dB (FCP's floor is -96 dB). */
function volumeDb(volume: number): string {
  if (!(volume > 0)) return '-96dB';
  const db = Math.max(-96, 20 * Math.log10(volume));
  return `${Number(db.toFixed(3))}dB`;
}

/** One file referenced by the project: a source, or a WAV extracted from one (resolve). */
interface AssetDef {
  id: string;
  path: string;
  name: string;
  info: MediaInfo;
  /** Id of the `format` describing its video; undefined for audio-only files. */
  formatId?: string;
  /** Length in timeline frames: the file's length, or more if a clip reaches further. */
  frames: number;
}

/** A clip as it will be written: which asset, which lane, which components. */
interface PlacedClip {
  clip: Clip;
  asset: AssetDef;
  /** 0 on the spine; >0 video layers above it; <0 audio layers below it. */
  lane: number;
  srcEnable?: 'video' | 'audio';
  /** Whether the clip plays audio (then it gets FCP's default `dialogue` role). */
  audio: boolean;
}

/** One element of the spine: a clip or a gap, with the lane clips anchored to it. */
interface SpineItem {
  offset: number;
  dur: number;
  /** The item's own local time at its first frame: the clip's (retimed) start, 0 for a gap. */
  localStart: number;
  placed?: PlacedClip;
  anchored: Array<{ placed: PlacedClip; offset: number }>;
}

function sameRange(a: Clip, b: Clip): boolean {
  return a.start === b.start && a.dur === b.dur && a.offset === b.offset && a.speed === b.speed && a.volume === b.volume;
}

/** The project name: `name="..."`, then ExportInput.name, then the first source's file name. */
function projectName(input: ExportInput, params: Record<string, string>): string {
  if (params.name !== undefined) return params.name;
  if (input.name !== undefined) return input.name;
  const first = [...input.timeline.v, ...input.timeline.a].flat()[0];
  return first ? stem(first.src) : 'tacet';
}

/** FCPXML version from `version=`: 10 or 11 (auto-editor's spelling), 1.10 and 1.11 also accepted. */
function fcpxmlVersion(params: Record<string, string>, variant: Variant): '1.10' | '1.11' {
  for (const key of Object.keys(params)) {
    if (key !== 'name' && key !== 'version') {
      throw new UserError(`Unknown attribute "${key}" for the ${variant} export (it accepts name="..." and version=10|11).`);
    }
  }
  const v = params.version;
  if (v === undefined || v === '') return variant === 'resolve' ? '1.10' : '1.11';
  if (v === '11' || v === '1.11') return '1.11';
  if (v === '10' || v === '1.10') return '1.10';
  throw new UserError(`Unknown Final Cut Pro XML version "${v}": use version=10 (FCPXML 1.10) or version=11 (FCPXML 1.11).`);
}

/** Plans assets, spine and lanes, then writes the document. */
function write(input: ExportInput, params: Record<string, string>, variant: Variant): string {
  const version = fcpxmlVersion(params, variant);
  const name = projectName(input, params);
  const tl: Timeline = input.timeline;
  const tb = tl.tb;
  if (!(tb.num > 0 && tb.den > 0)) throw new UserError(`Invalid timeline frame rate ${ratToString(tb)}.`);
  const total = timelineLength(tl);

  // --- Files. Ids are given when the resources are written, in order of first use.
  const assets = new Map<string, AssetDef>();
  const assetFor = (path: string, info: () => MediaInfo, displayName: string): AssetDef => {
    let def = assets.get(path);
    if (!def) {
      const i = info();
      // The asset's length on the frame grid, rounded down so it never claims media past the end
      // of the file (Resolve refuses to link clips whose "timecode extents" the media lacks).
      const seconds = i.duration || i.video[0]?.duration || i.audio[0]?.duration || 0;
      const frames = Math.max(0, Math.floor((seconds * tb.num) / tb.den + 1e-9));
      def = { id: '', path, name: displayName, info: i, frames };
      assets.set(path, def);
    }
    return def;
  };
  const displayName = (path: string): string => (variant === 'resolve' ? baseName(path) : stem(path));
  const sourceAsset = (src: string): AssetDef => assetFor(src, () => (input.sources.get(src) ?? standInInfo(src, input.timeline)), displayName(src));

  /** The file an audio clip plays: for resolve, streams after the first come from extracted WAVs. */
  const audioAsset = (c: Clip): AssetDef => {
    if (variant !== 'resolve' || c.stream === 0) return sourceAsset(c.src);
    const wav = input.extractedAudio?.get(`${c.src}#${c.stream}`);
    if (!wav) {
      throw new Error(
        `resolve export: audio stream ${c.stream} of ${c.src} has no extracted WAV (ExportInput.extractedAudio["${c.src}#${c.stream}"]).`,
      );
    }
    return assetFor(
      wav,
      () => {
        // Probed facts when the caller has them; otherwise the WAV is the stream it was cut from.
        const probed = input.sources.get(wav);
        if (probed) return probed;
        const src = (input.sources.get(c.src) ?? standInInfo(c.src, input.timeline));
        const stream = src.audio[c.stream];
        return {
          path: wav,
          format: 'wav',
          duration: stream?.duration ?? src.duration,
          bitrate: 0,
          video: [],
          audio: [
            {
              index: 0,
              codec: 'pcm_s16le',
              sampleRate: stream?.sampleRate ?? tl.sampleRate,
              channels: stream?.channels ?? 2,
              layout: stream?.layout ?? tl.layout,
              timeBase: { num: 1, den: stream?.sampleRate ?? tl.sampleRate },
              duration: stream?.duration ?? null,
              startTime: 0,
              bitrate: 0,
              lang: stream?.lang ?? null,
            },
          ],
          subtitle: [],
        };
      },
      displayName(wav),
    );
  };

  // --- Which layer is the spine, and which layers need lanes.
  const videoLayers = tl.v.filter((l) => l.length > 0);
  const audioLayers = tl.a.filter((l) => l.length > 0);
  const primaryIsVideo = videoLayers.length > 0;
  const primary = primaryIsVideo ? videoLayers[0] : (audioLayers[0] ?? []);
  /** An audio layer the spine's asset-clips already play: same ranges, read from the same files. */
  const mirrors = (layer: Clip[]): boolean =>
    layer.length === primary.length && layer.every((c, i) => sameRange(c, primary[i]) && audioAsset(c) === sourceAsset(primary[i].src));

  let spinePlaysAudio: boolean;
  const laneAudio: Clip[][] = [];
  if (primaryIsVideo) {
    // Audio layers that read the spine's own files (not extracted WAVs) either all mirror the spine,
    // and the spine's asset-clips play them, or the spine plays video only and they all get lanes.
    const own = audioLayers.filter((l) => l.some((c) => audioAsset(c).path === c.src));
    spinePlaysAudio = own.length > 0 && own.every(mirrors);
    for (const l of audioLayers) if (!(spinePlaysAudio && own.includes(l))) laneAudio.push(l);
  } else {
    spinePlaysAudio = true;
    for (const l of audioLayers.slice(1)) if (!mirrors(l)) laneAudio.push(l);
  }

  const placeSpine = (c: Clip): PlacedClip => {
    const asset = primaryIsVideo ? sourceAsset(c.src) : audioAsset(c);
    const hasVideo = asset.info.video.length > 0;
    const hasAudio = asset.info.audio.length > 0;
    let srcEnable: PlacedClip['srcEnable'];
    if (primaryIsVideo && !spinePlaysAudio && hasAudio) srcEnable = 'video';
    if (!primaryIsVideo && hasVideo) srcEnable = 'audio';
    return { clip: c, asset, lane: 0, srcEnable, audio: hasAudio && srcEnable !== 'video' };
  };

  // --- The spine: the primary layer with gaps so that it is contiguous up to the timeline's end.
  const spineItems: SpineItem[] = [];
  let at = 0;
  for (const c of [...primary].sort((a, b) => a.start - b.start)) {
    if (c.start < at) throw new UserError(`Clips overlap at frame ${c.start} on one track; FCPXML cannot hold that.`);
    if (c.start > at) spineItems.push({ offset: at, dur: c.start - at, localStart: 0, anchored: [] });
    spineItems.push({ offset: c.start, dur: c.dur, localStart: c.offset, placed: placeSpine(c), anchored: [] });
    at = c.start + c.dur;
  }
  if (total > at) spineItems.push({ offset: at, dur: total - at, localStart: 0, anchored: [] });

  /** Connects a lane clip to the spine item its first frame lies in, in that item's local time. */
  const anchor = (placed: PlacedClip): void => {
    const t = placed.clip.start;
    let lo = 0;
    let hi = spineItems.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (spineItems[mid].offset <= t) lo = mid;
      else hi = mid - 1;
    }
    const item = spineItems[lo];
    item.anchored.push({ placed, offset: item.localStart + (t - item.offset) });
  };

  let lane = 0;
  for (const layer of videoLayers.slice(primaryIsVideo ? 1 : 0)) {
    lane++;
    for (const c of layer) {
      const asset = sourceAsset(c.src);
      const hasAudio = asset.info.audio.length > 0;
      anchor({ clip: c, asset, lane, srcEnable: hasAudio ? 'video' : undefined, audio: false });
    }
  }
  lane = 0;
  for (const layer of laneAudio) {
    lane--;
    for (const c of layer) {
      const asset = audioAsset(c);
      anchor({ clip: c, asset, lane, srcEnable: asset.info.video.length > 0 ? 'audio' : undefined, audio: true });
    }
  }

  // An asset must cover every frame a clip reads: [offset, offset + dur) × speed in source frames.
  const placedAll: PlacedClip[] = [];
  for (const item of spineItems) {
    if (item.placed) placedAll.push(item.placed);
    for (const a of item.anchored) placedAll.push(a.placed);
  }
  for (const p of placedAll) {
    const end = Math.ceil((p.clip.offset + p.clip.dur) * p.clip.speed - 1e-9);
    p.asset.frames = Math.max(p.asset.frames, end);
  }

  // --- Resources: the sequence format, then each asset with its format if it needs its own.
  const doc = create({ version: '1.0', encoding: 'UTF-8' }).dtd({ name: 'fcpxml' });
  const root = doc.ele('fcpxml', { version });
  const resources = root.ele('resources');
  let nextId = 1;
  const seqFormatId = `r${nextId++}`;
  resources.ele('format', {
    id: seqFormatId,
    name: formatName(tl.resolution[0], tl.resolution[1], tb),
    frameDuration: fcpxmlSeconds(BigInt(tb.den), BigInt(tb.num)),
    width: String(tl.resolution[0]),
    height: String(tl.resolution[1]),
    colorSpace: COLOR_SPACE,
  });
  const formats = new Map<string, string>();
  for (const asset of new Set(placedAll.map((p) => p.asset))) {
    const v = asset.info.video[0];
    if (v) {
      const rate = v.avgFrameRate && v.avgFrameRate.num > 0 && v.avgFrameRate.den > 0 ? v.avgFrameRate : tb;
      if (ratEquals(rate, tb) && v.width === tl.resolution[0] && v.height === tl.resolution[1]) {
        asset.formatId = seqFormatId;
      } else {
        // The file's own format, so FCP conforms it to the sequence instead of misreading it.
        const key = `${v.width}x${v.height}@${rate.num}/${rate.den}`;
        let id = formats.get(key);
        if (!id) {
          id = `r${nextId++}`;
          formats.set(key, id);
          resources.ele('format', {
            id,
            name: formatName(v.width, v.height, rate),
            frameDuration: fcpxmlSeconds(BigInt(rate.den), BigInt(rate.num)),
            width: String(v.width),
            height: String(v.height),
            colorSpace: COLOR_SPACE,
          });
        }
        asset.formatId = id;
      }
    }
    asset.id = `r${nextId++}`;
    // Resolve reads only a file's first audio stream (hence the WAVs), so its assets describe that
    // one stream, as auto-editor's do; Final Cut Pro gets every stream it will play.
    const audio = variant === 'resolve' ? asset.info.audio.slice(0, 1) : asset.info.audio;
    const attrs: Record<string, string> = { id: asset.id, name: clean(asset.name), start: '0s', duration: framesTime(asset.frames, tb) };
    if (v) {
      attrs.hasVideo = '1';
      attrs.format = asset.formatId as string;
    }
    if (audio.length > 0) attrs.hasAudio = '1';
    if (v) attrs.videoSources = '1';
    if (audio.length > 0) {
      attrs.audioSources = String(audio.length);
      attrs.audioChannels = String(audio.reduce((n, s) => n + Math.max(1, s.channels), 0));
      attrs.audioRate = String(audio[0].sampleRate);
    }
    resources.ele('asset', attrs).ele('media-rep', { kind: 'original-media', src: fileUrl(asset.path) });
  }

  // --- Library > event > project > sequence > spine.
  const sequence = root
    .ele('library')
    .ele('event', { name: EVENT_NAME })
    .ele('project', { name: clean(name) })
    .ele('sequence', {
      format: seqFormatId,
      duration: framesTime(total, tb),
      tcStart: '0s',
      tcFormat: 'NDF',
      audioLayout: audioLayout(tl.layout),
      audioRate: audioRate(tl.sampleRate),
    });
  const spine = sequence.ele('spine');
  for (const item of spineItems) {
    const el = item.placed
      ? addClip(spine, item.placed, item.offset, tb)
      : spine.ele('gap', { name: 'Gap', offset: framesTime(item.offset, tb), duration: framesTime(item.dur, tb) });
    // Anchored items come after the clip's timing and intrinsic elements, as the DTD orders them.
    const sorted = [...item.anchored].sort((a, b) => b.placed.lane - a.placed.lane || a.offset - b.offset);
    for (const a of sorted) addClip(el, a.placed, a.offset, tb);
  }
  return doc.end({ prettyPrint: true, indent: '    ' }) + '\n';
}

/**
 * Writes one `asset-clip`: its place (`offset`, in the parent's time), its source range (`start`,
 * `duration`), then the DTD's child order: timeMap (timing params), adjust-volume (intrinsic audio).
 */
function addClip(parent: XmlNode, p: PlacedClip, offset: number, tb: Rational): XmlNode {
  const c = p.clip;
  const attrs: Record<string, string> = { ref: p.asset.id };
  if (p.lane !== 0) attrs.lane = String(p.lane);
  attrs.offset = framesTime(offset, tb);
  attrs.name = clean(p.asset.name);
  // `start` is in the clip's retimed time when it has a timeMap: v3's speed-scaled offset.
  attrs.start = framesTime(c.offset, tb);
  attrs.duration = framesTime(c.dur, tb);
  if (p.srcEnable) attrs.srcEnable = p.srcEnable;
  attrs.tcFormat = 'NDF';
  if (p.audio) attrs.audioRole = 'dialogue';
  const el = parent.ele('asset-clip', attrs);
  if (c.speed !== 1) {
    // A constant retime as FCP writes one: retimed 0 → source 0, and the retimed time at which the
    // whole asset has played → the asset's length. The slope is the exact speed p/q.
    const [p1, q1] = speedRatio(c.speed);
    const frames = BigInt(p.asset.frames);
    const timeMap = el.ele('timeMap');
    timeMap.ele('timept', { time: '0s', value: '0s', interp: 'smooth2' });
    timeMap.ele('timept', {
      time: fcpxmlSeconds(frames * BigInt(tb.den) * q1, BigInt(tb.num) * p1),
      value: framesTime(p.asset.frames, tb),
      interp: 'smooth2',
    });
  }
  if (c.volume !== 1 && p.audio) el.ele('adjust-volume', { amount: volumeDb(c.volume) });
  return el;
}

/**
 * `final-cut-pro`: FCPXML 1.11 for Final Cut Pro 10.6.6 and later; `version=10` writes FCPXML 1.10
 * for older releases. `name="..."` names the project.
 */
export const writeFinalCutPro: Exporter = (input, params) => write(input, params, 'final-cut-pro');

/**
 * `resolve`: FCPXML for DaVinci Resolve (1.10 unless `version=11`). Audio streams after the first are
 * read from the WAVs in `input.extractedAudio` (Resolve only plays a file's first audio stream) and
 * placed on lanes below the spine; `name="..."` names the timeline.
 */
export const writeResolve: Exporter = (input, params) => write(input, params, 'resolve');
