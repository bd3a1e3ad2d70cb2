import { UserError } from '../errors.js';
import type { MediaInfo } from '../media/types.js';
import { chooseEncoders, containerRule, resolveCodecName, type ContainerRule } from '../media/codecs.js';
import { encoderPixelFormats, nearestSupportedRate, pixelFormatExists, trialOpenAudio, trialOpenVideo } from '../media/output.js';

/**
 * Render and timeline settings as the user gave them: raw text, parsed and checked by the code that
 * uses each one (encoders, the timeline, normalisation, transitions), so a bad value is reported in
 * that code's terms. The CLI, `tacet view` and queue workers all hand the core this same shape.
 */
export interface RenderRequest {
  // Timeline options: they shape the timeline itself (and so timeline exports too).
  /** `-ar/--sample-rate`: `48000`, `44.1 kHz`, `44.1kHz`. */
  sampleRate?: string;
  /** `-res/--resolution`: `WIDTH,HEIGHT`. */
  resolution?: string;
  /** `-b/--background`: padding colour, `#rrggbb` or a colour name. */
  background?: string;
  /** `--transition dissolve:DURATION[:MIN-CUT]`. */
  transition?: string;

  // Container settings.
  /** `-vn`, `-an`, `-sn`, `-dn`: leave that kind of stream out. */
  noVideo?: boolean;
  noAudio?: boolean;
  noSubtitles?: boolean;
  noData?: boolean;
  /** `--faststart` (true, the default) / `--no-faststart` (false). */
  faststart?: boolean;
  /** `--fragmented` (true) / `--no-fragmented` (false, the default). */
  fragmented?: boolean;

  // Video rendering.
  /** `-c:v/--video-codec`: an encoder or codec name; `auto` = the source's codec when the container allows. */
  videoCodec?: string;
  /** `-b:v/--video-bitrate`: `5M`, `800k`, `2500000`. */
  videoBitrate?: string;
  crf?: string;
  /** `-g/--gop`: most frames between keyframes. */
  gop?: string;
  /** `-profile:v/-vprofile`. */
  profile?: string;
  preset?: string;
  /** `-pix_fmt/--pix-fmt`. */
  pixFmt?: string;
  /** `--scale`: multiply the output resolution. */
  scale?: string;
  /** `--no-seek`: decode straight through cut regions instead of seeking. */
  noSeek?: boolean;
  /** `--no-partial-lossless` sets false: re-encode every frame. */
  partialLossless?: boolean;

  // Audio rendering.
  /** `-c:a/--audio-codec`. */
  audioCodec?: string;
  /** `-layout/--audio-layout`: `mono`, `stereo`, `5.1`, … */
  audioLayout?: string;
  /** `-b:a/--audio-bitrate`: `192k`. */
  audioBitrate?: string;
  /** `--mix-audio-streams`: one output track mixing every audio stream. */
  mixAudioStreams?: boolean;
  /** `-anorm/--audio-normalize`: `ebu[:i=,lra=,tp=,gain=]` or `peak[:t=]`. */
  audioNormalize?: string;
}

/** The keys of RenderRequest that take text (the rest are flags). */
export type RenderTextKey = { [K in keyof RenderRequest]-?: RenderRequest[K] extends string | undefined ? K : never }[keyof RenderRequest];
/** The keys of RenderRequest that are flags. */
export type RenderFlagKey = Exclude<keyof RenderRequest, RenderTextKey>;

// ─────────────────────────────────────────────────────────────────────────────
// Encoding settings: the container and encoder part of a RenderRequest, parsed and checked once.
// ─────────────────────────────────────────────────────────────────────────────

/** What the source offers, when known; encoders default to keeping its codecs. */
export interface SourceCodecs {
  video: string | null;
  audio: string | null;
  /** Pixel format name of the source video ("unknown" when the container does not say). */
  pixelFormat?: string | null;
}

/** The codecs of a probed source's first video and audio streams. */
export function sourceCodecs(...infos: MediaInfo[]): SourceCodecs {
  // Several inputs: the first with video (or audio) decides, as it decides the timeline's settings.
  const video = infos.find((i) => i.video.length > 0)?.video[0];
  const audio = infos.find((i) => i.audio.length > 0)?.audio[0];
  return { video: video?.codec ?? null, audio: audio?.codec ?? null, pixelFormat: video?.pixelFormat ?? null };
}

/** How the output video is encoded. */
export interface VideoEncodeSettings {
  /** FFmpeg encoder name; empty only from an early check (source unknown) with an `auto` codec. */
  encoder: string;
  /** Encoder options set one by one (`crf`, `preset`, `g`, `profile`, `b`). */
  options: Record<string, string>;
  /** `-pix_fmt` when given (already checked against the encoder), else null: keep the source's. */
  pixelFormat: string | null;
  /** `--scale` factor (1 when not given). */
  scale: number;
}

/** How the output audio is encoded. */
export interface AudioEncodeSettings {
  /** FFmpeg encoder name; empty only from an early check (source unknown) with an `auto` codec. */
  encoder: string;
  /** Bits per second, or undefined for the encoder's default. */
  bitrate?: number;
  /** `-layout` when given, else null: keep the timeline's layout. */
  layout: string | null;
  /** One output track mixing every audio layer (`--mix-audio-streams`). */
  mix: boolean;
}

/** Everything a render needs to know about its container and encoders. */
export interface EncodeSettings {
  /** Lower-case extension with its dot, e.g. ".mp4". */
  ext: string;
  /** null: the output has no video (an audio container, or `-vn`). */
  video: VideoEncodeSettings | null;
  /** null: the output has no audio (GIF, or `-an`). */
  audio: AudioEncodeSettings | null;
  /** Muxer options (MP4/MOV `movflags`). */
  muxerOptions: Record<string, string>;
  /** false: leave subtitle streams out (`-sn`). */
  subtitles: boolean;
  /** Cover art is a (still) video stream: `-vn` drops it, as in FFmpeg. */
  coverArt: boolean;
  /**
   * Data streams (`-dn`). tacet writes no data streams (timecode tracks, GPS/telemetry) in any case;
   * attachments are not data (FFmpeg's -dn keeps them too) and are kept where the container allows.
   */
  data: boolean;
  /** Decode through cuts instead of seeking (`--no-seek`). */
  noSeek: boolean;
}

/**
 * Parses a bit rate: `5M`, `800k`, `2500000`, `1.5M` (SI prefixes, as FFmpeg reads them) into bits
 * per second. `option` names the option in the error message.
 */
export function parseBitrate(text: string, option: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([kKmMgG]?)(?:b(?:ps)?|bit\/s)?\s*$/.exec(text);
  const scale = m ? ({ '': 1, k: 1e3, m: 1e6, g: 1e9 } as Record<string, number>)[m[2].toLowerCase()] : 0;
  const bits = m ? Math.round(Number(m[1]) * scale) : NaN;
  if (!m || !Number.isFinite(bits) || bits < 1000) {
    throw new UserError(`${option}: invalid bit rate "${text}"; use e.g. 5M, 800k or 2500000 (at least 1k)`);
  }
  return bits;
}

/** Parses `--scale`: a positive number (0.5 halves the width and height). */
export function parseScale(text: string): number {
  const n = /^\s*(\d+(?:\.\d*)?|\.\d+)\s*$/.test(text) ? Number(text) : NaN;
  if (!(n > 0) || n > 16) throw new UserError(`--scale: invalid scale "${text}"; use a positive number up to 16, e.g. 0.5 or 2`);
  return n;
}

/** Channel layouts `-layout` accepts (FFmpeg's names). */
export const AUDIO_LAYOUTS = ['mono', 'stereo', '2.1', '3.0', 'quad', '4.0', '5.0', '5.0(side)', '5.1', '5.1(side)', '7.1'];

function parseLayout(text: string): string {
  const name = text.trim().toLowerCase();
  if (AUDIO_LAYOUTS.includes(name)) return name;
  throw new UserError(`-layout: unknown audio layout "${text}"; use one of ${AUDIO_LAYOUTS.join(', ')}`);
}

/** Whether an extension writes an MP4/MOV-family file (where faststart and fragments mean something). */
function isMovFamily(ext: string): boolean {
  return ['.mp4', '.mov', '.m4a', '.m4v'].includes(ext);
}

/**
 * The container and encoder settings of a render, checked: an unknown codec, one the container
 * cannot hold, a bad number, a pixel format or option the encoder refuses, or an output left
 * with no streams is a UserError here, before anything is decoded. `source` undefined = not known
 * yet (early validation): `auto` codecs and options that depend on them are checked later.
 */
export function parseEncodeSettings(request: RenderRequest, extension: string, source?: SourceCodecs): EncodeSettings {
  const ext = extension.toLowerCase();
  const rule = containerRule(ext);
  const wantVideo = rule.video !== null && !request.noVideo && (source === undefined || source.video !== null);
  const wantAudio = rule.audio.length > 0 && !request.noAudio && (source === undefined || source.audio !== null);
  if (!wantVideo && !wantAudio) throw new UserError(nothingLeftMessage(request, ext, rule, source));

  let video: VideoEncodeSettings | null = null;
  if (wantVideo) {
    const encoder = pickEncoder('video', ext, request.videoCodec, source?.video ?? null, source !== undefined);
    const options: Record<string, string> = {};
    if (request.videoBitrate !== undefined) options.b = String(parseBitrate(request.videoBitrate, '-b:v'));
    if (request.crf !== undefined) options.crf = checkInteger(request.crf, '-crf', 0, 63);
    if (request.preset !== undefined) options.preset = checkWord(request.preset, '-preset');
    if (request.gop !== undefined) options.g = checkInteger(request.gop, '-g', 1, 100000);
    if (request.profile !== undefined) options.profile = checkWord(request.profile, '-profile:v');
    const pixelFormat = request.pixFmt === undefined ? null : checkPixelFormatName(request.pixFmt);
    video = { encoder: encoder ?? '', options, pixelFormat, scale: request.scale === undefined ? 1 : parseScale(request.scale) };
    if (encoder) checkVideoEncoder(video, source?.pixelFormat ?? null);
  } else {
    // Settings for a stream that is not written are still checked, so a typo is never silently ignored.
    if (request.videoBitrate !== undefined) parseBitrate(request.videoBitrate, '-b:v');
    if (request.scale !== undefined) parseScale(request.scale);
    if (request.pixFmt !== undefined) checkPixelFormatName(request.pixFmt);
  }

  let audio: AudioEncodeSettings | null = null;
  const bitrate = request.audioBitrate === undefined ? undefined : parseBitrate(request.audioBitrate, '-b:a');
  const layout = request.audioLayout === undefined ? null : parseLayout(request.audioLayout);
  if (wantAudio) {
    const encoder = pickEncoder('audio', ext, request.audioCodec, source?.audio ?? null, source !== undefined);
    audio = { encoder: encoder ?? '', bitrate, layout, mix: request.mixAudioStreams === true };
    if (encoder) checkAudioEncoder(audio);
  }
  if (!wantVideo && request.videoCodec !== undefined && request.videoCodec !== 'auto' && rule.video === null) {
    throw new UserError(`-c:v ${request.videoCodec}: ${ext} files hold no video`);
  }
  if (!wantAudio && request.audioCodec !== undefined && request.audioCodec !== 'auto' && rule.audio.length === 0) {
    throw new UserError(`-c:a ${request.audioCodec}: ${ext} files hold no audio`);
  }

  const muxerOptions: Record<string, string> = {};
  if (isMovFamily(ext)) {
    // Fragments carry their own index, so moving the moov (faststart) means nothing then.
    if (request.fragmented === true) {
      muxerOptions.movflags = '+frag_keyframe+empty_moov+default_base_moof';
      // Fragments start at video keyframes; without video FFmpeg would hold the whole output in
      // memory as one fragment, so cut one every 10 s instead.
      if (!wantVideo) muxerOptions.frag_duration = '10000000';
    } else if (request.faststart !== false) muxerOptions.movflags = '+faststart';
  }
  return {
    ext,
    video,
    audio,
    muxerOptions,
    subtitles: !request.noSubtitles,
    coverArt: !request.noVideo,
    data: !request.noData,
    noSeek: request.noSeek === true,
  };
}

function nothingLeftMessage(request: RenderRequest, ext: string, rule: ContainerRule, source?: SourceCodecs): string {
  if (rule.video === null && request.noAudio) return `-an leaves nothing to write: ${ext} files hold only audio`;
  if (rule.audio.length === 0 && request.noVideo) return `-vn leaves nothing to write: ${ext} files hold only video`;
  if (request.noVideo && request.noAudio) return '-vn and -an together leave nothing to write';
  if (request.noVideo) return '-vn leaves nothing to write: the input has no audio';
  if (request.noAudio) return '-an leaves nothing to write: the input has no video';
  if (rule.video === null) return `the input has no audio to write to a ${ext} file`;
  return `the input has no video to write to a ${ext} file${source?.audio ? ' (it holds only audio)' : ''}`;
}

function checkInteger(text: string, option: string, min: number, max: number): string {
  const n = /^\s*-?\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw new UserError(`${option}: expected a whole number from ${min} to ${max}, got "${text}"`);
  return String(n);
}

function checkWord(text: string, option: string): string {
  const t = text.trim();
  if (!/^[A-Za-z0-9_.+-]+$/.test(t)) throw new UserError(`${option}: invalid value "${text}"`);
  return t;
}

function checkPixelFormatName(text: string): string {
  const name = text.trim().toLowerCase();
  if (!pixelFormatExists(name)) throw new UserError(`-pix_fmt: unknown pixel format "${text}" (e.g. yuv420p, yuv444p, yuv420p10le, rgb24)`);
  return name;
}

/**
 * The encoder for one kind of stream: `auto`/absent keeps the source's codec when the container
 * allows it (null when the source is not known yet), else the container's default; a codec name
 * (`hevc`) or an encoder name (`libx265`) must be one the container can hold.
 */
function pickEncoder(kind: 'video' | 'audio', ext: string, requested: string | undefined, source: string | null, sourceKnown: boolean): string | null {
  const option = kind === 'video' ? '-c:v' : '-c:a';
  const rule = containerRule(ext);
  const allowed = (kind === 'video' ? rule.video : rule.audio) ?? [];
  const name = requested?.trim().toLowerCase();
  if (name === undefined || name === '' || name === 'auto') {
    if (!sourceKnown) return null;
    const codecs = chooseEncoders(ext, kind === 'video' ? source : null, kind === 'audio' ? source : null);
    return kind === 'video' ? codecs.video : codecs.audio;
  }
  if (name === 'copy') throw new UserError(`${option} copy is not supported: tacet re-encodes what it cuts; name a codec or use auto`);
  const resolved = resolveCodecName(name, kind);
  if (!resolved) throw new UserError(`${option}: unknown ${kind} codec or encoder "${requested}"; ${ext} files take ${allowed.join(', ')}`);
  if (!allowed.includes(resolved.codec)) {
    throw new UserError(`${option} ${requested}: ${ext} files cannot hold ${resolved.codec} ${kind}; use one of ${allowed.join(', ')}`);
  }
  return resolved.encoder;
}

/** Human spelling of the encoder options tacet sets, for messages. */
const OPTION_NAMES: Record<string, string> = { b: '-b:v', crf: '-crf', preset: '-preset', g: '-g', profile: '-profile:v' };

/**
 * Opens the video encoder once on a tiny picture with the requested options, so that an option
 * or value the encoder refuses (`-crf` for mpeg4, `-preset fastest`, a profile that does not fit
 * the pixel format) fails now, naming the option, rather than after the analysis.
 */
function checkVideoEncoder(video: VideoEncodeSettings, sourcePixelFormat: string | null): void {
  const supported = encoderPixelFormats(video.encoder);
  if (video.pixelFormat && supported && !supported.includes(video.pixelFormat)) {
    throw new UserError(`-pix_fmt ${video.pixelFormat}: encoder ${video.encoder} cannot take it; it takes ${supported.join(', ')}`);
  }
  const pixelFormat = video.pixelFormat ?? encoderPixelFormatFor(video.encoder, sourcePixelFormat);
  if (video.encoder === 'libx264') checkX264(video.options, pixelFormat);
  const failure = trialOpenVideo(video.encoder, pixelFormat, video.options);
  if (!failure) return;
  if (failure.option) {
    const spelled = OPTION_NAMES[failure.option] ?? failure.option;
    const value = video.options[failure.option];
    if (failure.missing) throw new UserError(`${spelled} ${value}: encoder ${video.encoder} has no such option`);
    throw new UserError(`${spelled} ${value}: encoder ${video.encoder} refuses this value (${failure.error})`);
  }
  // The options were accepted one by one but the encoder refused to open: find which one.
  for (const [name, value] of Object.entries(video.options)) {
    if (trialOpenVideo(video.encoder, pixelFormat, { [name]: value })) {
      throw new UserError(`${OPTION_NAMES[name] ?? name} ${value}: encoder ${video.encoder} refuses this value (with pixel format ${pixelFormat})`);
    }
  }
  throw new UserError(`encoder ${video.encoder} refuses these settings (${describeOptions(video.options)}, pixel format ${pixelFormat}): ${failure.error}`);
}

const X264_PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow', 'slower', 'veryslow', 'placebo'];
const X264_PROFILES = ['baseline', 'main', 'high', 'high10', 'high422', 'high444'];

/**
 * x264 reports a bad preset or profile on the terminal itself (not through FFmpeg's log, which
 * tacet keeps quiet): check those values first, so the user sees one clear line.
 */
function checkX264(options: Record<string, string>, pixelFormat: string): void {
  if (options.preset !== undefined && !X264_PRESETS.includes(options.preset)) {
    throw new UserError(`-preset ${options.preset}: libx264 presets are ${X264_PRESETS.join(', ')}`);
  }
  const profile = options.profile;
  if (profile === undefined) return;
  if (!X264_PROFILES.includes(profile)) throw new UserError(`-profile:v ${profile}: libx264 profiles are ${X264_PROFILES.join(', ')}`);
  const rank = X264_PROFILES.indexOf(profile);
  const deep = /1[026](le|be)$/.test(pixelFormat);
  const chroma = /444|nv24|nv42/.test(pixelFormat) ? 444 : /422|nv16|nv20/.test(pixelFormat) ? 422 : /^gray/.test(pixelFormat) ? 400 : 420;
  const needed = chroma === 444 ? 'high444' : chroma === 422 ? 'high422' : deep ? 'high10' : chroma === 400 ? 'high' : null;
  if (needed && rank < X264_PROFILES.indexOf(needed)) {
    throw new UserError(`-profile:v ${profile}: H.264 ${profile} profile cannot hold pixel format ${pixelFormat}; use ${needed} or a yuv420p -pix_fmt`);
  }
}

function describeOptions(options: Record<string, string>): string {
  const parts = Object.entries(options).map(([k, v]) => `${OPTION_NAMES[k] ?? k} ${v}`);
  return parts.length ? parts.join(' ') : 'no options';
}

/**
 * The pixel format a render gives `encoder` when `-pix_fmt` is not given: the source's when the
 * encoder takes it, else the encoder's first; GIF always gets a palette (pal8) per frame.
 */
export function encoderPixelFormatFor(encoder: string, source: string | null): string {
  if (encoder === 'gif') return 'pal8';
  const supported = encoderPixelFormats(encoder);
  const wanted = source && source !== 'unknown' ? source : 'yuv420p';
  if (!supported || supported.includes(wanted)) return wanted;
  return supported.includes('yuv420p') && /^yuv|^nv/.test(wanted) ? 'yuv420p' : supported[0];
}

function checkAudioEncoder(audio: AudioEncodeSettings): void {
  const rate = nearestSupportedRate(audio.encoder, 48000);
  const failure = trialOpenAudio(audio.encoder, rate, audio.layout ?? 'stereo', audio.bitrate);
  if (!failure) return;
  if (failure.layout) throw new UserError(`-layout ${audio.layout}: encoder ${audio.encoder} cannot write it; it takes ${failure.layout}`);
  if (audio.bitrate !== undefined && !trialOpenAudio(audio.encoder, rate, audio.layout ?? 'stereo', undefined)) {
    throw new UserError(`-b:a: encoder ${audio.encoder} refuses ${audio.bitrate} bits per second`);
  }
  throw new UserError(`encoder ${audio.encoder} refuses these settings: ${failure.error}`);
}
