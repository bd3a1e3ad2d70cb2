/**
 * The one table of command-line options.
 *
 * Every option auto-editor 31 accepts is listed here (names, aliases, help group), so that `--help`,
 * per-option help, "did you mean" and the refusal of options tacet does not implement yet all come
 * from the same definitions. An option that is not implemented is still a known name: the parser
 * refuses it by name instead of calling it unknown, and the help lists it as not yet supported.
 *
 * Names follow auto-editor's CLI table (src/cli.nim). The canonical name is the one auto-editor's
 * own reference page shows as the heading (the last name in its list); the others are aliases.
 */
import type { RangeKind } from '../edit/plan.js';
import type { RenderRequest } from '../render/settings.js';

/** Help groups, in the order auto-editor prints them. */
export const OPTION_GROUPS = [
  'Editing Options',
  'Timeline Options',
  'URL Download Options',
  'Display Options',
  'Container Settings',
  'Video Rendering',
  'Audio Rendering',
  'Miscellaneous',
] as const;

/** One of auto-editor's help groups. */
export type OptionGroup = (typeof OPTION_GROUPS)[number];

/** The progress bar styles auto-editor offers, in its order. */
export const PROGRESS_STYLES = ['modern', 'classic', 'ascii', 'machine', 'none'] as const;

/** A progress bar style (`--progress`). */
export type ProgressStyle = (typeof PROGRESS_STYLES)[number];

/**
 * What an option takes after its name.
 * - `flag`: nothing; its presence sets it.
 * - `string`: raw text, handed on unparsed; the core parses it (times need the timebase, which is
 *   only known after probing).
 * - `integer`: a whole number in [min, max], checked by the parser.
 * - `choice`: one of a fixed list, checked by the parser.
 */
export type ValueSpec =
  | { readonly kind: 'flag' }
  | { readonly kind: 'string' }
  | { readonly kind: 'integer'; readonly min: number; readonly max?: number }
  | { readonly kind: 'choice'; readonly choices: readonly string[] };

/** The parsed options of an edit run (the default command: `tacet FILE... [OPTIONS]`). */
export interface EditCliOptions {
  /**
   * `--edit` (label 1) and `--edit:N`/`-e:N`, raw, in command-line order; empty means the default
   * (`audio` for label 1). The same shape as the core's EditRequest.edits.
   */
  edits: Array<{ label: number; expr: string }>;
  /**
   * `--when-inactive`/`--when-silent`/`-w:0` (label 0), `--when-active`/`--when-normal`/`-w:1`
   * (label 1), `--when:N`/`-w:N`, raw actions in command-line order. The deprecated
   * `--silent-speed`/`--video-speed` arrive here too, already turned into action text (label 0/1).
   */
  whens: Array<{ label: number; actions: string }>;
  /** `--cut`/`--cut-out`, `--keep`/`--add-in`, `--set-speed`, `--set-action`: raw, in order given. */
  ranges: Array<{ kind: RangeKind; text: string }>;
  /** `--margin`, raw `LENGTH[,LENGTH]` (default `0.2s`); needs the timebase, so the core parses it. */
  margin: string;
  /** `--smooth`, raw `MINCUT[,MINCLIP]` (default `0.2s,0.1s`). */
  smooth: string;
  /** `--export`, raw `KIND[:ATTRS]` such as `premiere:name="x"`; null = chosen from the output name. */
  export: string | null;
  /** `--output`; `-` means stdout; null = `<input>_ALTERED<ext>`. */
  output: string | null;
  /** `--frame-rate` and its aliases, raw (`ntsc`, `30`, `30000/1001`, …); null = from the input. */
  frameRate: string | null;
  /** `--no-cache`: neither read nor write analysis caches. */
  noCache: boolean;
  /** `--progress`; null = decide from the terminal (see `resolveProgressStyle`). */
  progress: ProgressStyle | null;
  /** `--debug`: debugging messages and stack traces. */
  debug: boolean;
  /** `--quiet`: less output. */
  quiet: boolean;
  /** `--stats`/`--preview`: print how the input would be cut, and write nothing. */
  stats: boolean;
  /** `--open` (true) / `--no-open` (false): open the output with the system's opener when done. */
  open: boolean;
  /** `--yt-dlp-location`: the yt-dlp program used for URL inputs (a name on PATH or a path). */
  ytDlpLocation: string;
  /** `--yt-dlp-extras`: extra yt-dlp arguments, one string split like a shell would; null = none. */
  ytDlpExtras: string | null;
  /** `--output-format`: yt-dlp's output template (its -o); null = named after the URL. */
  outputFormat: string | null;
  /** `--download-format`: yt-dlp's format selector (its -f); null = yt-dlp's choice. */
  downloadFormat: string | null;
  /** Render and timeline settings (`-c:v`, `-res`, `-anorm`, …), raw; the core parses them. */
  render: RenderRequest;
}

/**
 * What an implemented option does when given:
 * - a field of EditCliOptions it sets (last occurrence wins, as in auto-editor), or, for `edits`,
 *   `whens` and `ranges`, appends to (every occurrence counts, in order);
 * - `help` / `version`: switch the whole command.
 */
export type OptionTarget = Exclude<keyof EditCliOptions, 'render'> | 'render' | 'help' | 'version';

/** One command-line option. */
export interface OptionDef {
  /** Canonical name, e.g. `--margin` (what messages and help headings use). */
  readonly name: string;
  /** Other spellings auto-editor accepts, in auto-editor's order, e.g. `-m`. */
  readonly aliases: readonly string[];
  /** What follows the name. */
  readonly value: ValueSpec;
  /** Placeholder shown in help for the value (empty for flags). */
  readonly metavar: string;
  /** Value used when the option is absent (string options only). */
  readonly default?: string;
  /** How the default is described in help when it is not simply `default`. */
  readonly defaultNote?: string;
  /** auto-editor's help group. */
  readonly group: OptionGroup;
  /** One or two plain sentences; the help screen wraps them. */
  readonly help: string;
  /** False: the name is known but tacet refuses it with a clear error. */
  readonly implemented: boolean;
  /** Not listed in `--help` (auto-editor hides deprecated spellings and export shortcuts too). */
  readonly hidden?: boolean;
  /** Where an implemented option's value goes. */
  readonly target?: OptionTarget;
  /** For a flag whose target is boolean: the value it sets (default true; `--no-open` sets false). */
  readonly flagValue?: boolean;
  /** For `edits` and `whens`: the label class it sets (a `:N` suffix on the spelling overrides it). */
  readonly label?: number;
  /** For `ranges`: which kind of range the value is. */
  readonly rangeKind?: RangeKind;
  /** For a flag whose target is `export`: the export it stands for (`-exp` is `--export premiere`). */
  readonly exportValue?: string;
  /** For target `render`: the RenderRequest field the value (or, for a flag, `flagValue`) goes to. */
  readonly renderKey?: keyof RenderRequest;
  /** For `whens`: the value is a plain speed (`--silent-speed 2`), turned into action text. */
  readonly speedValue?: boolean;
}

const FLAG: ValueSpec = { kind: 'flag' };
const TEXT: ValueSpec = { kind: 'string' };

/** An option known by name and refused (not implemented); renderOption builds on the same shape. */
function later(
  name: string,
  aliases: readonly string[],
  group: OptionGroup,
  metavar: string,
  help: string,
  extra: Partial<Pick<OptionDef, 'value' | 'hidden' | 'default'>> = {},
): OptionDef {
  return {
    name,
    aliases,
    value: extra.value ?? (metavar === '' ? FLAG : TEXT),
    metavar,
    group,
    help,
    implemented: false,
    ...(extra.hidden ? { hidden: true } : {}),
    ...(extra.default !== undefined ? { default: extra.default } : {}),
  };
}

/** auto-editor's hidden `--export-to-X`/`-exX` shortcuts: flags meaning `--export X`. */
function exportShortcut(name: string, alias: string, kind: string): OptionDef {
  return {
    name,
    aliases: [alias],
    value: FLAG,
    metavar: '',
    group: 'Editing Options',
    help: `Shortcut for --export ${kind}.`,
    implemented: true,
    hidden: true,
    target: 'export',
    exportValue: kind,
  };
}

/**
 * A render or timeline setting: its value lands in `EditCliOptions.render[key]` (a flag sets
 * `flagValue`, default true); the core parses it.
 */
function renderOption(
  name: string,
  aliases: readonly string[],
  group: OptionGroup,
  metavar: string,
  help: string,
  key: keyof RenderRequest,
  extra: { flagValue?: boolean; value?: ValueSpec } = {},
): OptionDef {
  return {
    ...later(name, aliases, group, metavar, help, { value: extra.value }),
    implemented: true,
    target: 'render',
    renderKey: key,
    ...(extra.flagValue !== undefined ? { flagValue: extra.flagValue } : {}),
  };
}

/** Every option of auto-editor 31, grouped and ordered as in its `--help`. */
export const OPTIONS: readonly OptionDef[] = [
  // ── Editing Options ──
  {
    name: '--edit',
    aliases: ['-e'],
    value: TEXT,
    metavar: 'METHOD',
    default: 'audio',
    group: 'Editing Options',
    help:
      `The expression that decides which parts are active (kept): audio, motion, blackdetect, subtitle (or regex), word, none, all, combined with or, and, xor, not; e.g. audio:threshold=4%, (or audio motion:0.03). --edit:N (-e:N, N from 2 to 255) marks further label classes; where they overlap, the higher label wins. A pattern with commas, brackets or spaces goes in double quotes, the expression in single quotes for the shell: --edit 'subtitle:pattern="(um|uh),"'.`,
    implemented: true,
    target: 'edits',
    label: 1,
  },
  {
    name: '--when-active',
    aliases: ['-w:1', '--when-normal'],
    value: TEXT,
    metavar: 'ACTION',
    default: 'nil',
    group: 'Editing Options',
    help: 'What to do with active sections (as decided by --edit). --when:N (-w:N) does the same for label N, whose default is nil.',
    implemented: true,
    target: 'whens',
    label: 1,
  },
  {
    name: '--when-inactive',
    aliases: ['-w:0', '--when-silent'],
    value: TEXT,
    metavar: 'ACTION',
    default: 'cut',
    group: 'Editing Options',
    help:
      'What to do with inactive sections: nil (keep), cut, speed:N (faster or slower, pitch kept), varispeed:N (pitch follows, 0.2 to 100), volume:N, chained with commas, e.g. speed:2,volume:0.5.',
    implemented: true,
    target: 'whens',
    label: 0,
  },
  {
    name: '--margin',
    aliases: ['-m'],
    value: TEXT,
    metavar: 'LENGTH[,LENGTH]',
    default: '0.2s',
    group: 'Editing Options',
    help: 'Extend active sections by this much before and after (one value sets both; negative values shrink them). Plain integers are frames, e.g. 0.2s, 0.3s,1.5sec, 6.',
    implemented: true,
    target: 'margin',
  },
  {
    name: '--smooth',
    aliases: ['-s'],
    value: TEXT,
    metavar: 'MINCUT[,MINCLIP]',
    default: '0.2s,0.1s',
    group: 'Editing Options',
    help: 'Keep inactive gaps shorter than MINCUT and drop active bits shorter than MINCLIP (one value sets both; 0 turns smoothing off).',
    implemented: true,
    target: 'smooth',
  },
  renderOption('--transition', [], 'Editing Options', 'dissolve:DURATION[:MIN-CUT]',
    'Cross-dissolve video and audio at cuts, and fade at both ends of the timeline. At each join of two ' +
      'clips that are not contiguous in the source (and whose removed part is at least MIN-CUT, default 0), ' +
      'the clips overlap for DURATION centred on the join, using the source just beyond their edges, so the ' +
      'length does not change; video blends linearly, audio cross-fades with equal power. The timeline fades ' +
      'in from and out to the background colour over DURATION. Times: 1s, 0.5sec, or frames (15).',
    'transition'),
  {
    name: '--output',
    aliases: ['-o'],
    value: TEXT,
    metavar: 'FILE',
    defaultNote: '<input>_ALTERED.<ext>',
    group: 'Editing Options',
    help: 'Where to write the result; its extension can pick the export (.xml premiere, .fcpxml final-cut-pro, .mlt shotcut, .kdenlive, .otio, .edl, .json/.v1, .v2, .v3). Use - to write a timeline to stdout.',
    implemented: true,
    target: 'output',
  },
  {
    name: '--cut',
    aliases: ['--cut-out'],
    value: TEXT,
    metavar: 'START,STOP',
    group: 'Editing Options',
    help:
      'Always cut this range. Times are frames, or with a unit (5s, 1.5min); start and end name the ends; negative times count back from the end, e.g. -5s,end. Give the option again for more ranges; later ranges win where they overlap.',
    implemented: true,
    target: 'ranges',
    rangeKind: 'cut',
  },
  {
    name: '--keep',
    aliases: ['--add-in'],
    value: TEXT,
    metavar: 'START,STOP',
    group: 'Editing Options',
    help: 'Always keep this range as is (action nil), whatever --edit decided.',
    implemented: true,
    target: 'ranges',
    rangeKind: 'keep',
  },
  {
    name: '--set-speed-for-range',
    aliases: ['--set-speed'],
    value: TEXT,
    metavar: 'SPEED,START,STOP',
    group: 'Editing Options',
    help: 'Play this range at SPEED (N or N%; 0 or less, or 99999 and more, cuts it), whatever --edit decided.',
    implemented: true,
    target: 'ranges',
    rangeKind: 'set-speed',
  },
  {
    name: '--set-action',
    aliases: [],
    value: TEXT,
    metavar: 'ACTION,START,STOP',
    group: 'Editing Options',
    help: 'Apply ACTION to this range, whatever --edit decided, e.g. speed:1.5,30sec,end or speed:2,volume:0.5,0,10s.',
    implemented: true,
    target: 'ranges',
    rangeKind: 'set-action',
  },
  {
    name: '--silent-speed',
    aliases: [],
    value: TEXT,
    metavar: 'NUM',
    group: 'Editing Options',
    help: 'Deprecated: speed of inactive sections (99999 = cut); the same as --when-inactive speed:NUM.',
    implemented: true,
    hidden: true,
    target: 'whens',
    label: 0,
    speedValue: true,
  },
  {
    name: '--video-speed',
    aliases: [],
    value: TEXT,
    metavar: 'NUM',
    group: 'Editing Options',
    help: 'Deprecated: speed of active sections; the same as --when-active speed:NUM.',
    implemented: true,
    hidden: true,
    target: 'whens',
    label: 1,
    speedValue: true,
  },
  {
    name: '--when:N',
    aliases: ['-w:N'],
    value: TEXT,
    metavar: 'ACTION',
    group: 'Editing Options',
    help: 'What to do with sections of label N (labels come from --edit:N; default nil).',
    implemented: true,
    hidden: true,
    target: 'whens',
  },
  exportShortcut('--export-to-premiere', '-exp', 'premiere'),
  exportShortcut('--export-to-resolve', '-exr', 'resolve'),
  exportShortcut('--export-to-final-cut-pro', '-exf', 'final-cut-pro'),
  exportShortcut('--export-to-shotcut', '-exs', 'shotcut'),
  exportShortcut('--export-to-kdenlive', '-exk', 'kdenlive'),

  // ── Timeline Options ──
  {
    name: '--export',
    aliases: ['-ex'],
    value: TEXT,
    metavar: 'EXPORT[:ATTRS]',
    defaultNote: 'from the output name, else a media file',
    group: 'Timeline Options',
    help: 'What to produce: default (a media file), premiere, resolve-fcp7, final-cut-pro, resolve, shotcut, kdenlive, otio, edl, clip-sequence (one file per clip), or auto-editor\'s timeline JSON v1, v2, v3; e.g. premiere:name="Cut 1", final-cut-pro:version=10.',
    implemented: true,
    target: 'export',
  },
  {
    name: '--frame-rate',
    aliases: ['-tb', '--time-base', '-r', '-fps'],
    value: TEXT,
    metavar: 'NUM',
    defaultNote: "the first input's video frame rate, else 30",
    group: 'Timeline Options',
    help: 'The timeline frame rate: the grid edits snap to and the output frame rate. Accepts ntsc, ntsc_film, pal, film, N, N/D or a decimal.',
    implemented: true,
    target: 'frameRate',
  },
  renderOption('--sample-rate', ['-ar'], 'Timeline Options', 'NAT', 'The timeline audio sample rate, e.g. 48000 or 48kHz.', 'sampleRate'),
  renderOption('--resolution', ['-res'], 'Timeline Options', 'WIDTH,HEIGHT', 'The timeline width and height.', 'resolution'),
  renderOption('--background', ['-b', '-bg'], 'Timeline Options', 'COLOR', 'The background as a solid RGB colour.', 'background'),

  // ── URL Download Options ──
  {
    name: '--yt-dlp-location',
    aliases: [],
    value: TEXT,
    metavar: 'PATH',
    default: 'yt-dlp',
    group: 'URL Download Options',
    help: 'The yt-dlp program that downloads URL inputs (http:// or https://): a name looked up on PATH, or a path.',
    implemented: true,
    target: 'ytDlpLocation',
  },
  {
    name: '--output-format',
    aliases: [],
    value: TEXT,
    metavar: 'TEMPLATE',
    defaultNote: 'the URL with every run of non-word characters turned into -, then .%(ext)s',
    group: 'URL Download Options',
    help: "yt-dlp's output template for the download (its -o), e.g. '%(title)s.%(ext)s'.",
    implemented: true,
    target: 'outputFormat',
  },
  {
    name: '--yt-dlp-extras',
    aliases: [],
    value: TEXT,
    metavar: 'CMD',
    group: 'URL Download Options',
    help: "Extra arguments for yt-dlp, in one quoted string, e.g. --yt-dlp-extras '--cookies c.txt'.",
    implemented: true,
    target: 'ytDlpExtras',
  },
  // Present in auto-editor 30, gone in later builds; still honoured so that old commands work.
  {
    name: '--download-format',
    aliases: [],
    value: TEXT,
    metavar: 'FORMAT',
    defaultNote: 'bestvideo[ext=mp4]+bestaudio[ext=m4a] for youtube.com, else yt-dlp\'s choice',
    group: 'URL Download Options',
    help: "yt-dlp's download format (its -f).",
    implemented: true,
    hidden: true,
    target: 'downloadFormat',
  },

  // ── Display Options ──
  {
    name: '--progress',
    aliases: [],
    value: { kind: 'choice', choices: PROGRESS_STYLES },
    metavar: 'PROGRESS',
    defaultNote: 'modern on a terminal, none otherwise',
    group: 'Display Options',
    help: 'The progress bar style: modern, classic, ascii, machine or none.',
    implemented: true,
    target: 'progress',
  },
  {
    name: '--debug',
    aliases: [],
    value: FLAG,
    metavar: '',
    group: 'Display Options',
    help: 'Show debugging messages and values.',
    implemented: true,
    target: 'debug',
  },
  {
    name: '--quiet',
    aliases: ['-q'],
    value: FLAG,
    metavar: '',
    group: 'Display Options',
    help: 'Display less output.',
    implemented: true,
    target: 'quiet',
  },
  {
    name: '--stats',
    aliases: ['--preview'],
    value: FLAG,
    metavar: '',
    group: 'Display Options',
    help: 'Print how the input would be cut (lengths, clips, cuts), then stop without writing anything.',
    implemented: true,
    target: 'stats',
  },

  // ── Container Settings ──
  renderOption('-vn', [], 'Container Settings', '', 'Leave out video streams.', 'noVideo'),
  renderOption('-an', [], 'Container Settings', '', 'Leave out audio streams.', 'noAudio'),
  renderOption('-sn', [], 'Container Settings', '', 'Leave out subtitle streams.', 'noSubtitles'),
  renderOption('-dn', [], 'Container Settings', '', 'Leave out data streams.', 'noData'),
  renderOption('--faststart', [], 'Container Settings', '', 'Put the MP4/MOV index first (movflags +faststart), good for the web.', 'faststart'),
  renderOption('--no-faststart', [], 'Container Settings', '', 'Do not move the MP4/MOV index; faster for large files.', 'faststart', { flagValue: false }),
  renderOption('--fragmented', [], 'Container Settings', '', 'Write fragmented MP4/MOV, playable before it is complete.', 'fragmented'),
  renderOption('--no-fragmented', [], 'Container Settings', '', 'Write ordinary, unfragmented MP4/MOV.', 'fragmented', { flagValue: false }),

  // ── Video Rendering ──
  renderOption('--video-codec', ['-c:v', '-vcodec'], 'Video Rendering', 'ENCODER', 'The video codec or encoder, e.g. h264, hevc, libx265; auto keeps the source codec when the container allows.', 'videoCodec'),
  renderOption('--video-bitrate', ['-b:v'], 'Video Rendering', 'BITRATE', 'Video bits per second, e.g. 5M.', 'videoBitrate'),
  renderOption('-crf', [], 'Video Rendering', 'NUM', 'Constant rate factor for quality-based encoding; lower is better.', 'crf', { value: { kind: 'integer', min: 0, max: 63 } }),
  renderOption('--gop', ['-g'], 'Video Rendering', 'NUM', 'The most frames between two keyframes.', 'gop', { value: { kind: 'integer', min: 1 } }),
  renderOption('-vprofile', ['-profile:v'], 'Video Rendering', 'PROFILE', 'The video profile, e.g. high, main or baseline for h264.', 'profile'),
  renderOption('--preset', ['-preset'], 'Video Rendering', 'PRESET', "The video encoder's preset, e.g. ultrafast, medium, slow.", 'preset'),
  renderOption('--pix-fmt', ['-pix_fmt'], 'Video Rendering', 'FMT', 'The output pixel format, e.g. yuv420p.', 'pixFmt'),
  renderOption('--scale', [], 'Video Rendering', 'NUM', "Scale the output video's resolution by NUM.", 'scale'),
  renderOption('--no-seek', [], 'Video Rendering', '', 'Decode straight through instead of seeking (for debugging desync).', 'noSeek'),
  renderOption('--no-partial-lossless', [], 'Video Rendering', '', 'Re-encode every frame instead of copying untouched GOPs (partial lossless is on by default for H.264 and HEVC into MP4, MOV and MKV).', 'partialLossless', { flagValue: false }),

  // ── Audio Rendering ──
  renderOption('--audio-codec', ['-c:a', '-acodec'], 'Audio Rendering', 'ENCODER', 'The audio codec or encoder, e.g. aac, opus, libmp3lame; auto keeps the source codec when the container allows.', 'audioCodec'),
  renderOption('--audio-layout', ['-layout'], 'Audio Rendering', 'LAYOUT', 'The audio channel layout of the output, e.g. mono, stereo.', 'audioLayout'),
  renderOption('--audio-bitrate', ['-b:a'], 'Audio Rendering', 'BITRATE', 'Audio bits per second, e.g. 192k.', 'audioBitrate'),
  renderOption('--mix-audio-streams', [], 'Audio Rendering', '', 'Mix all audio streams into one track (summed, scaled by 1/N like amix).', 'mixAudioStreams'),
  renderOption('--audio-normalize', ['-anorm'], 'Audio Rendering', 'NORM-TYPE', 'Normalise each audio track: ebu[:i=-24,lra=7,tp=-2,gain=0] (EBU R128 loudness, one linear gain capped by the true peak) or peak[:t=-8] (largest sample to t dBFS).', 'audioNormalize'),

  // ── Miscellaneous ──
  {
    name: '--no-cache',
    aliases: [],
    value: FLAG,
    metavar: '',
    group: 'Miscellaneous',
    help: 'Neither read nor write analysis cache files.',
    implemented: true,
    target: 'noCache',
  },
  {
    name: '--open',
    aliases: [],
    value: FLAG,
    metavar: '',
    group: 'Miscellaneous',
    help: "Open the output when done, with the system's opener (xdg-open, open or start); a missing opener is only a warning.",
    implemented: true,
    target: 'open',
  },
  {
    name: '--no-open',
    aliases: [],
    value: FLAG,
    metavar: '',
    group: 'Miscellaneous',
    help: 'Do not open the output when done (the default).',
    implemented: true,
    target: 'open',
    flagValue: false,
  },
  later('--license-key', ['-k'], 'Miscellaneous', 'KEY', "auto-editor's license key; tacet needs none."),
  // Present in auto-editor 30, gone in later builds.
  later('--temp-dir', [], 'Miscellaneous', 'PATH', 'Where to put temporary files.', { hidden: true }),
  {
    name: '--version',
    aliases: ['-V', '-v'],
    value: FLAG,
    metavar: '',
    group: 'Miscellaneous',
    help: "Print tacet's version and exit.",
    implemented: true,
    target: 'version',
  },
  {
    name: '--help',
    aliases: ['-h'],
    value: FLAG,
    metavar: '',
    group: 'Miscellaneous',
    help: 'Show this help and exit; after an option (--margin --help), show help for that option.',
    implemented: true,
    target: 'help',
  },
];

const byName = new Map<string, OptionDef>();
for (const def of OPTIONS) {
  for (const spelling of [def.name, ...def.aliases]) {
    // A duplicate spelling would make parsing depend on table order: fail at load, in every test run.
    if (byName.has(spelling)) throw new Error(`duplicate option spelling in table: ${spelling}`);
    byName.set(spelling, def);
  }
}

/** The definition for an exact spelling (`--margin`, `-m`, `-c:v`), or undefined. */
export function findOption(spelling: string): OptionDef | undefined {
  return byName.get(spelling);
}

/** Every spelling of every option, canonical names first (so suggestions prefer them). */
export function allSpellings(): string[] {
  return [...OPTIONS.map((d) => d.name), ...OPTIONS.flatMap((d) => d.aliases)];
}

/** The defaults of an edit run, taken from the table so that help and parser cannot disagree. */
export function defaultEditOptions(): EditCliOptions {
  const options: EditCliOptions = {
    edits: [],
    whens: [],
    ranges: [],
    margin: '',
    smooth: '',
    export: null,
    output: null,
    frameRate: null,
    noCache: false,
    progress: null,
    debug: false,
    quiet: false,
    stats: false,
    open: false,
    ytDlpLocation: '',
    ytDlpExtras: null,
    outputFormat: null,
    downloadFormat: null,
    render: {},
  };
  for (const def of OPTIONS) {
    if (def.target === 'ytDlpLocation') options.ytDlpLocation = def.default ?? 'yt-dlp';
    if (def.target === 'margin' || def.target === 'smooth') {
      if (def.default === undefined) throw new Error(`${def.name} needs a default in the option table`);
      options[def.target] = def.default;
    }
  }
  return options;
}

/**
 * The progress style to use: the user's choice, else `modern` on a terminal and `none` otherwise
 * (a bar redrawn with `\r` is noise in a log file or a pipe).
 */
export function resolveProgressStyle(choice: ProgressStyle | null, stderrIsTTY: boolean): ProgressStyle {
  return choice ?? (stderrIsTTY ? 'modern' : 'none');
}
