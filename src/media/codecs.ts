/**
 * Which encoders an output gets. Rule: keep the source's codec when the container can hold it
 * (HEVC stays HEVC), otherwise the container's usual default.
 */
import { UserError } from '../errors.js';
import { av } from './av.js';

/** Decoder codec name → the encoder tacet uses to write the same codec. */
const ENCODER_FOR: Record<string, string> = {
  h264: 'libx264',
  hevc: 'libx265',
  vp9: 'libvpx-vp9',
  av1: 'libsvtav1',
  mpeg4: 'mpeg4',
  prores: 'prores_ks',
  gif: 'gif',
  aac: 'aac',
  mp3: 'libmp3lame',
  opus: 'libopus',
  vorbis: 'libvorbis',
  flac: 'flac',
  alac: 'alac',
  pcm_s16le: 'pcm_s16le',
  pcm_s24le: 'pcm_s24le',
  pcm_s32le: 'pcm_s32le',
  pcm_f32le: 'pcm_f32le',
};

/** The codecs one output container can hold (FFmpeg codec names) and its usual ones. */
export interface ContainerRule {
  video: string[] | null; // null: no video possible
  audio: string[]; // empty: no audio possible
  defaultVideo: string | null;
  defaultAudio: string | null;
}

const MP4: ContainerRule = {
  video: ['h264', 'hevc', 'av1', 'vp9', 'mpeg4'],
  audio: ['aac', 'mp3', 'opus', 'flac', 'alac'],
  defaultVideo: 'h264',
  defaultAudio: 'aac',
};
const CONTAINERS: Record<string, ContainerRule> = {
  '.mp4': MP4,
  // FFmpeg writes .m4v with its iPod muxer, which takes fewer codecs than MP4.
  '.m4v': { ...MP4, video: ['h264', 'mpeg4'], audio: ['aac', 'alac'] },
  '.mov': { ...MP4, video: ['h264', 'hevc', 'prores', 'mpeg4'], audio: ['aac', 'alac', 'pcm_s16le', 'pcm_s24le', 'mp3'] },
  '.mkv': {
    video: ['h264', 'hevc', 'vp9', 'av1', 'mpeg4', 'prores'],
    audio: ['aac', 'opus', 'vorbis', 'flac', 'mp3', 'alac', 'pcm_s16le', 'pcm_s24le', 'pcm_s32le', 'pcm_f32le'],
    defaultVideo: 'h264',
    defaultAudio: 'aac',
  },
  '.webm': { video: ['vp9', 'av1'], audio: ['opus', 'vorbis'], defaultVideo: 'vp9', defaultAudio: 'opus' },
  '.m4a': { video: null, audio: ['aac', 'alac'], defaultVideo: null, defaultAudio: 'aac' },
  '.mp3': { video: null, audio: ['mp3'], defaultVideo: null, defaultAudio: 'mp3' },
  '.wav': { video: null, audio: ['pcm_s16le', 'pcm_s24le', 'pcm_s32le', 'pcm_f32le'], defaultVideo: null, defaultAudio: 'pcm_s16le' },
  '.flac': { video: null, audio: ['flac'], defaultVideo: null, defaultAudio: 'flac' },
  '.ogg': { video: null, audio: ['vorbis', 'opus', 'flac'], defaultVideo: null, defaultAudio: 'vorbis' },
  '.opus': { video: null, audio: ['opus'], defaultVideo: null, defaultAudio: 'opus' },
  '.gif': { video: ['gif'], audio: [], defaultVideo: 'gif', defaultAudio: null },
};

/** Extensions tacet can render to. */
export const RENDER_EXTENSIONS = Object.keys(CONTAINERS);

export interface CodecChoice {
  video: string | null;
  /** null: the container holds no audio (GIF). */
  audio: string | null;
}

/** The rule for an output extension (with its dot); a UserError naming the others when unknown. */
export function containerRule(ext: string): ContainerRule {
  const rule = CONTAINERS[ext.toLowerCase()];
  if (!rule) throw new UserError(`cannot render to "${ext || '(no extension)'}" files; use one of ${RENDER_EXTENSIONS.join(' ')}`);
  return rule;
}

/**
 * A codec name (`h264`, `hevc`, `aac`) or an encoder name (`libx264`, `libfdk_aac`) the bundled
 * FFmpeg has, as { codec, encoder }; null when neither exists for that kind of stream.
 */
export function resolveCodecName(name: string, kind: 'video' | 'audio'): { codec: string; encoder: string } | null {
  const { lib, c } = av();
  const type = kind === 'video' ? c.AVMEDIA_TYPE_VIDEO : c.AVMEDIA_TYPE_AUDIO;
  const known = ENCODER_FOR[name];
  const encoder = lib.Codec.findEncoderByName((known ?? name) as never);
  if (!encoder || encoder.type !== type) return null;
  const codec = lib.avGetCodecName(encoder.id);
  return codec ? { codec, encoder: encoder.name ?? name } : null;
}

/** Encoders for an output extension given the source's video and audio codec names. */
export function chooseEncoders(ext: string, sourceVideo: string | null, sourceAudio: string | null): CodecChoice {
  const rule = containerRule(ext);
  const pick = (allowed: string[], source: string | null, fallback: string): string =>
    source && allowed.includes(source) && ENCODER_FOR[source] ? ENCODER_FOR[source] : ENCODER_FOR[fallback];
  return {
    video: rule.video && rule.defaultVideo ? pick(rule.video, sourceVideo, rule.defaultVideo) : null,
    audio: rule.defaultAudio ? pick(rule.audio, sourceAudio, rule.defaultAudio) : null,
  };
}
