import { MediaError, UserError } from '../errors.js';
import { rational, type Rational } from '../timeline/rational.js';
import { av, averrorMessage, loadAv } from './av.js';
import type { AudioStreamInfo, MediaInfo, SubtitleStreamInfo, VideoStreamInfo } from './types.js';
import { statSync } from 'node:fs';

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

/** Opens a media file for reading, with a clear error for anything FFmpeg cannot open. */
export async function openFormat(path: string, inputFormat?: string): Promise<FormatContext> {
  await loadAv();
  const { lib } = av();
  const fmt = new lib.FormatContext();
  const ifmt = inputFormat ? lib.InputFormat.findInputFormat(inputFormat) : null;
  const ret = fmt.openInputSync(path, ifmt, null);
  if (ret < 0) throw new MediaError(`could not open ${path}: ${averrorMessage(ret)}`);
  const info = fmt.findStreamInfoSync(null);
  if (info < 0) {
    fmt.closeInputSync();
    throw new MediaError(`could not read streams of ${path}: ${averrorMessage(info)}`);
  }
  return fmt;
}

function language(stream: { metadata: { get(k: string): string | null } | null }): string | null {
  const lang = stream.metadata?.get('language') ?? null;
  return lang;
}

/** Reads container and stream facts (no decoding). */
export async function probe(path: string): Promise<MediaInfo> {
  assertInputFile(path);
  const fmt = await openFormat(path);
  try {
    return describe(path, fmt);
  } finally {
    fmt.closeInputSync();
  }
}

/** MediaInfo for an already opened container. */
export function describe(path: string, fmt: FormatContext): MediaInfo {
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
    duration: fmt.duration > 0n ? Number(fmt.duration) / AV_TIME_BASE : 0,
    bitrate: Number(fmt.bitRate),
    video,
    audio,
    subtitle,
  };
}
