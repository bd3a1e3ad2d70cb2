import { MediaError, UserError } from '../errors.js';
import { rational, type Rational } from '../timeline/rational.js';
import { av, averrorMessage, loadAv } from './av.js';
import type { AudioStreamInfo, MediaInfo, SubtitleStreamInfo, VideoStreamInfo } from './types.js';
import { ffmpegInput, LazyInput, LazyMp4, type MediaInput } from './mp4-input.js';
import { closeSync, openSync, statSync } from 'node:fs';
import { readAt } from './isobmff.js';

type FormatContext = InstanceType<ReturnType<typeof av>['lib']['FormatContext']>;

const AV_TIME_BASE = 1_000_000;

function toRational(r: { num: number; den: number } | null | undefined): Rational | null {
  if (!r || r.den === 0 || r.num === 0) return null;
  return rational(r.num, r.den);
}

function seconds(ts: bigint, tb: { num: number; den: number }): number | null {
  // AV_NOPTS_VALUE is INT64_MIN
  if (ts === -0x8000000000000000n || tb.den === 0) return null;
  return (Number(ts) * tb.num) / tb.den;
}

/** Checks that a path names a readable regular file, with the error users expect. */
export function assertInputFile(path: string): void {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw new UserError(`input file not found: ${path}`);
  }
  if (st.isDirectory()) throw new UserError(`input is a directory, not a file: ${path}`);
  if (st.size === 0) throw new UserError(`input file is empty: ${path}`);
}


/**
 * Why FFmpeg could not open an MP4/MOV (ISO base media) file, when the reason is the usual one: a
 * recording that was never finished has its `ftyp` and `mdat` boxes but no `moov` (the index, which
 * is written last), or a box that runs past the end of the file. FFmpeg only says "Invalid data",
 * which does not tell the user the file is truncated. Null for anything else.
 */
export function diagnoseIsoBmff(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = statSync(path).size;
    const head = readAt(fd, 0, 8);
    if (head.length < 8 || head.toString('latin1', 4, 8) !== 'ftyp') return null;
    let pos = 0;
    let sawMoov = false;
    // Top-level boxes only: a handful of headers, however big the file.
    for (let boxes = 0; pos + 8 <= size && boxes < 10_000; boxes++) {
      const h = readAt(fd, pos, 16);
      if (h.length < 8) break;
      let boxSize = h.readUInt32BE(0);
      const type = h.toString('latin1', 4, 8);
      if (boxSize === 1 && h.length >= 16) boxSize = Number(h.readBigUInt64BE(8));
      else if (boxSize === 0) boxSize = size - pos; // "to the end of the file"
      if (type === 'moov') sawMoov = true;
      if (boxSize < 8) return 'it is corrupt (a box with an impossible size)';
      if (pos + boxSize > size) {
        return sawMoov
          ? `it is truncated: its '${type}' box needs ${pos + boxSize - size} more bytes than the file has`
          : `it is truncated: the recording was not finished (no 'moov' index, and the '${type}' box is cut short)`;
      }
      pos += boxSize;
    }
    if (!sawMoov) return "it is truncated or incomplete: it has no 'moov' box (the index is written last, so the recording was not finished)";
    return null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** Opens a media file for reading, with a clear error for anything FFmpeg cannot open. */
export async function openFormat(path: string, inputFormat?: string): Promise<FormatContext> {
  await loadAv();
  const { lib } = av();
  const fmt = new lib.FormatContext();
  const ifmt = inputFormat ? lib.InputFormat.findInputFormat(inputFormat) : null;
  const ret = fmt.openInputSync(path, ifmt, null);
  if (ret < 0) {
    const why = inputFormat ? null : diagnoseIsoBmff(path);
    if (why) throw new MediaError(`could not open ${path}: ${why}`);
    throw new MediaError(`could not open ${path}: ${averrorMessage(ret)} (is it a media file?)`);
  }
  const info = fmt.findStreamInfoSync(null);
  if (info < 0) {
    fmt.closeInputSync();
    throw new MediaError(`could not read streams of ${path}: ${averrorMessage(info)}`);
  }
  return fmt;
}

/**
 * Opens a media file for reading packets. Long MP4/MOV/M4A files are read without FFmpeg's
 * in-memory sample index (see mp4-input.ts); everything else through FFmpeg's demuxer.
 */
export async function openInput(path: string, inputFormat?: string): Promise<MediaInput> {
  await loadAv();
  if (!inputFormat) {
    const lazy = LazyMp4.open(path);
    if (lazy) {
      try {
        return new LazyInput(lazy);
      } catch (e) {
        lazy.close();
        throw e;
      }
    }
  }
  return ffmpegInput(await openFormat(path, inputFormat));
}

function language(stream: { metadata: { get(k: string): string | null } | null }): string | null {
  const lang = stream.metadata?.get('language') ?? null;
  return lang;
}

/** Reads container and stream facts (no decoding). */
export async function probe(path: string): Promise<MediaInfo> {
  assertInputFile(path);
  const input = await openInput(path);
  try {
    return describe(path, input.fmt, input);
  } finally {
    input.close();
  }
}

/** MediaInfo for an already opened container (`container`: its whole-file duration and bit rate, when FFmpeg's context has a cut-down view). */
export function describe(path: string, fmt: FormatContext, container?: { durationUs: number; bitRate: number }): MediaInfo {
  const { lib, c } = av();
  const video: VideoStreamInfo[] = [];
  const audio: AudioStreamInfo[] = [];
  const subtitle: SubtitleStreamInfo[] = [];
  for (const st of fmt.streams) {
    const par = st.codecpar;
    const codec = lib.avGetCodecName(par.codecId) ?? 'unknown';
    const tb = st.timeBase;
    const timeBase = tb.den ? rational(tb.num, tb.den) : rational(1, AV_TIME_BASE);
    const start = seconds(st.startTime, tb) ?? 0;
    const duration = st.duration > 0n ? seconds(st.duration, tb) : null;
    if (par.codecType === c.AVMEDIA_TYPE_VIDEO) {
      if (st.hasDisposition(c.AV_DISPOSITION_ATTACHED_PIC)) continue; // cover art is not a video track
      video.push({
        index: st.index,
        codec,
        width: par.width,
        height: par.height,
        avgFrameRate: toRational(st.avgFrameRate),
        timeBase,
        sampleAspectRatio: toRational(par.sampleAspectRatio) ?? rational(1, 1),
        pixelFormat: lib.avGetPixFmtName(par.format as never) ?? 'unknown',
        duration,
        startTime: start,
        bitrate: Number(par.bitRate),
        lang: language(st),
      });
    } else if (par.codecType === c.AVMEDIA_TYPE_AUDIO) {
      const layout = lib.avChannelLayoutDescribe(par.channelLayout) ?? `${par.channels}c`;
      audio.push({
        index: st.index,
        codec,
        sampleRate: par.sampleRate,
        channels: par.channels,
        layout,
        timeBase,
        duration,
        startTime: start,
        bitrate: Number(par.bitRate),
        lang: language(st),
      });
    } else if (par.codecType === c.AVMEDIA_TYPE_SUBTITLE) {
      subtitle.push({ index: st.index, codec, lang: language(st) });
    }
  }
  const iformat = fmt.iformat;
  return {
    path,
    format: iformat?.name ?? 'unknown',
    duration: container ? Math.max(0, container.durationUs) / AV_TIME_BASE : fmt.duration > 0n ? Number(fmt.duration) / AV_TIME_BASE : 0,
    bitrate: container ? container.bitRate : Number(fmt.bitRate),
    video,
    audio,
    subtitle,
  };
}

/** Colour description of a video stream: FFmpeg's enum values (2 = unspecified, 1 = bt709). */
export interface VideoColour {
  /** AVColorRange: 0 unspecified, 1 tv (limited), 2 pc (full). */
  range: number;
  space: number;
  primaries: number;
  transfer: number;
}

/** A data stream (timecode tracks and the like). */
export interface DataStreamInfo {
  index: number;
  codec: string;
  /** The codec tag as four characters, e.g. "tmcd". */
  tag: string;
  timecode: string | null;
}

/** What `tacet info` and `tacet desc` show beyond MediaInfo. */
export interface MediaDetails {
  info: MediaInfo;
  /** One per entry of `info.video`, in the same order. */
  colour: VideoColour[];
  data: DataStreamInfo[];
  /** The container's `description` metadata, if any. */
  description: string | null;
}

function fourcc(tag: number): string {
  let s = '';
  for (let i = 0; i < 4; i++) {
    const ch = (tag >>> (8 * i)) & 0xff;
    if (ch === 0) break;
    s += String.fromCharCode(ch);
  }
  return s;
}

/** Everything probe reads, plus colour fields, data streams and the description (no decoding). */
export async function inspect(path: string): Promise<MediaDetails> {
  assertInputFile(path);
  const input = await openInput(path);
  const fmt = input.fmt;
  try {
    const { lib, c } = av();
    const info = describe(path, fmt, input);
    const colour: VideoColour[] = [];
    const data: DataStreamInfo[] = [];
    for (const st of fmt.streams) {
      const par = st.codecpar;
      if (par.codecType === c.AVMEDIA_TYPE_VIDEO && !st.hasDisposition(c.AV_DISPOSITION_ATTACHED_PIC)) {
        colour.push({
          range: Number(par.colorRange),
          space: Number(par.colorSpace),
          primaries: Number(par.colorPrimaries),
          transfer: Number(par.colorTrc),
        });
      } else if (par.codecType === c.AVMEDIA_TYPE_DATA) {
        data.push({
          index: st.index,
          codec: lib.avGetCodecName(par.codecId) ?? 'unknown',
          tag: fourcc(par.codecTag),
          timecode: st.metadata?.get('timecode') ?? null,
        });
      }
    }
    return { info, colour, data, description: fmt.metadata?.get('description') ?? null };
  } finally {
    input.close();
  }
}
