/**
 * The timeline options `-ar/--sample-rate`, `-res/--resolution` and `-b/--background`: parsed from
 * the raw text of a RenderRequest and laid over a timeline, whether it was just cut from media or
 * read from a timeline file. They shape the timeline itself, so renders and exports both follow.
 */
import { UserError } from '../errors.js';
import type { Timeline } from './model.js';

/** Timeline settings the user asked for; an absent field keeps the timeline's own value. */
export interface TimelineSettings {
  sampleRate?: number;
  resolution?: [number, number];
  /** "#rrggbb", lower case. */
  background?: string;
}

/** The raw option values (RenderRequest's timeline fields). */
export interface TimelineSettingsText {
  sampleRate?: string;
  resolution?: string;
  background?: string;
}

/** Highest sample rate accepted: FFmpeg's resamplers and encoders go no further than 768 kHz. */
export const MAX_SAMPLE_RATE = 768000;
/** Lowest sample rate accepted (what a v3 timeline file allows too). */
export const MIN_SAMPLE_RATE = 100;
/** Largest width or height: beyond this no common encoder can open, so it is surely a typo. */
export const MAX_DIMENSION = 16384;

// A plain decimal number and an optional unit, with optional spaces between ("44.1 kHz").
const NUMBER_UNIT = /^(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)$/i;

/**
 * Parses a sample rate as auto-editor does (`48000`, `48000Hz`, `44.1kHz`, `44.1 KHz`), and also
 * `48k`: a whole, positive number of hertz between 100 and 768000. Throws UserError.
 */
export function parseSampleRate(text: string): number {
  const m = NUMBER_UNIT.exec(text.trim());
  const bad = (why: string) => new UserError(`--sample-rate "${text}": ${why}`);
  if (!m) throw bad('expected a number of hertz, e.g. 48000, 44.1kHz or 48k');
  const unit = m[2]!.toLowerCase();
  let factor: number;
  if (unit === '' || unit === 'hz') factor = 1;
  else if (unit === 'k' || unit === 'khz') factor = 1000;
  else throw bad(`unknown unit "${m[2]}" (use Hz, kHz or k)`);
  // Scaled in decimal, not binary: 44.1 × 1000 is 44100.00000000001 as a double.
  const hz = scaleDecimal(m[1]!, factor === 1000 ? 3 : 0);
  if (hz === null) throw bad('it is not a whole number of hertz');
  if (hz < MIN_SAMPLE_RATE || hz > MAX_SAMPLE_RATE) throw bad(`it must be between ${MIN_SAMPLE_RATE} and ${MAX_SAMPLE_RATE} Hz`);
  return hz;
}

/** `digits` (a decimal numeral) × 10^shift as an integer, or null when it is not whole. */
function scaleDecimal(digits: string, shift: number): number | null {
  const [whole, frac = ''] = digits.split('.');
  const moved = frac.padEnd(shift, '0');
  if (/[^0]/.test(moved.slice(shift))) return null;
  return Number(`${whole || '0'}${moved.slice(0, shift)}`);
}

/** Parses `WIDTH,HEIGHT` (spaces allowed; `x` also accepted): positive integers up to 16384. Throws UserError. */
export function parseResolution(text: string): [number, number] {
  const parts = text.trim().split(/\s*[,x]\s*/i);
  const bad = (why: string) => new UserError(`--resolution "${text}": ${why}`);
  if (parts.length !== 2) throw bad('expected WIDTH,HEIGHT, e.g. 1920,1080');
  const dims = parts.map((p, i) => {
    const name = i === 0 ? 'width' : 'height';
    if (!/^\d+$/.test(p)) throw bad(`the ${name} must be a whole number of pixels`);
    const n = Number(p);
    if (n === 0) throw bad(`the ${name} must be at least 1`);
    if (n > MAX_DIMENSION) throw bad(`the ${name} must be at most ${MAX_DIMENSION}`);
    return n;
  });
  return [dims[0]!, dims[1]!];
}

/**
 * The HTML/CSS colour names (FFmpeg's colour table holds the same names), matched without regard
 * to case. Packed as name:rrggbb pairs to keep the table short.
 */
const COLOR_TABLE =
  'aliceblue:f0f8ff antiquewhite:faebd7 aqua:00ffff aquamarine:7fffd4 azure:f0ffff beige:f5f5dc bisque:ffe4c4 ' +
  'black:000000 blanchedalmond:ffebcd blue:0000ff blueviolet:8a2be2 brown:a52a2a burlywood:deb887 cadetblue:5f9ea0 ' +
  'chartreuse:7fff00 chocolate:d2691e coral:ff7f50 cornflowerblue:6495ed cornsilk:fff8dc crimson:dc143c cyan:00ffff ' +
  'darkblue:00008b darkcyan:008b8b darkgoldenrod:b8860b darkgray:a9a9a9 darkgrey:a9a9a9 darkgreen:006400 ' +
  'darkkhaki:bdb76b darkmagenta:8b008b darkolivegreen:556b2f darkorange:ff8c00 darkorchid:9932cc darkred:8b0000 ' +
  'darksalmon:e9967a darkseagreen:8fbc8f darkslateblue:483d8b darkslategray:2f4f4f darkslategrey:2f4f4f ' +
  'darkturquoise:00ced1 darkviolet:9400d3 deeppink:ff1493 deepskyblue:00bfff dimgray:696969 dimgrey:696969 ' +
  'dodgerblue:1e90ff firebrick:b22222 floralwhite:fffaf0 forestgreen:228b22 fuchsia:ff00ff gainsboro:dcdcdc ' +
  'ghostwhite:f8f8ff gold:ffd700 goldenrod:daa520 gray:808080 grey:808080 green:008000 greenyellow:adff2f ' +
  'honeydew:f0fff0 hotpink:ff69b4 indianred:cd5c5c indigo:4b0082 ivory:fffff0 khaki:f0e68c lavender:e6e6fa ' +
  'lavenderblush:fff0f5 lawngreen:7cfc00 lemonchiffon:fffacd lightblue:add8e6 lightcoral:f08080 lightcyan:e0ffff ' +
  'lightgoldenrodyellow:fafad2 lightgray:d3d3d3 lightgrey:d3d3d3 lightgreen:90ee90 lightpink:ffb6c1 ' +
  'lightsalmon:ffa07a lightseagreen:20b2aa lightskyblue:87cefa lightslategray:778899 lightslategrey:778899 ' +
  'lightsteelblue:b0c4de lightyellow:ffffe0 lime:00ff00 limegreen:32cd32 linen:faf0e6 magenta:ff00ff maroon:800000 ' +
  'mediumaquamarine:66cdaa mediumblue:0000cd mediumorchid:ba55d3 mediumpurple:9370db mediumseagreen:3cb371 ' +
  'mediumslateblue:7b68ee mediumspringgreen:00fa9a mediumturquoise:48d1cc mediumvioletred:c71585 ' +
  'midnightblue:191970 mintcream:f5fffa mistyrose:ffe4e1 moccasin:ffe4b5 navajowhite:ffdead navy:000080 ' +
  'oldlace:fdf5e6 olive:808000 olivedrab:6b8e23 orange:ffa500 orangered:ff4500 orchid:da70d6 palegoldenrod:eee8aa ' +
  'palegreen:98fb98 paleturquoise:afeeee palevioletred:db7093 papayawhip:ffefd5 peachpuff:ffdab9 peru:cd853f ' +
  'pink:ffc0cb plum:dda0dd powderblue:b0e0e6 purple:800080 rebeccapurple:663399 red:ff0000 rosybrown:bc8f8f ' +
  'royalblue:4169e1 saddlebrown:8b4513 salmon:fa8072 sandybrown:f4a460 seagreen:2e8b57 seashell:fff5ee ' +
  'sienna:a0522d silver:c0c0c0 skyblue:87ceeb slateblue:6a5acd slategray:708090 slategrey:708090 snow:fffafa ' +
  'springgreen:00ff7f steelblue:4682b4 tan:d2b48c teal:008080 thistle:d8bfd8 tomato:ff6347 turquoise:40e0d0 ' +
  'violet:ee82ee wheat:f5deb3 white:ffffff whitesmoke:f5f5f5 yellow:ffff00 yellowgreen:9acd32';

let colorNames: Map<string, string> | null = null;

function namedColor(name: string): string | undefined {
  colorNames ??= new Map(COLOR_TABLE.split(' ').map((pair) => pair.split(':') as [string, string]));
  return colorNames.get(name);
}

/**
 * Parses a background colour: `#rrggbb`, `#rgb`, `0xrrggbb` or a colour name (`red`, `DarkBlue`),
 * returned as lower-case `#rrggbb`. Throws UserError.
 */
export function parseBackground(text: string): string {
  const s = text.trim().toLowerCase();
  if (/^(#|0x)[0-9a-f]{6}$/.test(s)) return `#${s.slice(-6)}`;
  if (/^#[0-9a-f]{3}$/.test(s)) return `#${s[1]}${s[1]}${s[2]}${s[2]}${s[3]}${s[3]}`;
  const named = namedColor(s);
  if (named) return `#${named}`;
  if (s.startsWith('#') || s.startsWith('0x')) throw new UserError(`--background "${text}": expected #rrggbb or #rgb with hex digits (0-9, a-f)`);
  throw new UserError(`--background "${text}": not a colour; give #rrggbb, #rgb or a colour name such as black, white or red`);
}

/** Checks every timeline setting given, so a bad value fails before any media is read. Throws UserError. */
export function parseTimelineSettings(req: TimelineSettingsText): TimelineSettings {
  const settings: TimelineSettings = {};
  if (req.sampleRate !== undefined) settings.sampleRate = parseSampleRate(req.sampleRate);
  if (req.resolution !== undefined) settings.resolution = parseResolution(req.resolution);
  if (req.background !== undefined) settings.background = parseBackground(req.background);
  return settings;
}

/** The timeline with the given settings in place of its own (a new object; clips are shared). */
export function applyTimelineSettings(tl: Timeline, settings: TimelineSettings): Timeline {
  return {
    ...tl,
    ...(settings.sampleRate !== undefined ? { sampleRate: settings.sampleRate } : {}),
    ...(settings.resolution !== undefined ? { resolution: [settings.resolution[0], settings.resolution[1]] as [number, number] } : {}),
    ...(settings.background !== undefined ? { background: settings.background } : {}),
  };
}
