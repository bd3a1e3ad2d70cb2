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
