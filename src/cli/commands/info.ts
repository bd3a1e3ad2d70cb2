/**
 * `tacet info FILE... [--json]`: what media files contain, in auto-editor's layout.
 *
 * The text form is auto-editor's YAML-like listing (`PATH:` then ` - recommendedTimebase: …`,
 * ` - video:`, `   - track 0:`, `     - codec: …`); `--json` prints one object per file keyed by
 * its path, with auto-editor's field names. A file that cannot be read is listed as invalid (as
 * auto-editor does), its reason goes to stderr, and the exit code is 1, so scripts notice.
 */
import { MediaError, UserError } from '../../errors.js';
import type { MediaDetails } from '../../media/probe.js';
import { ratToString, type Rational } from '../../timeline/rational.js';
import { defaultTimebase } from '../../timeline/timebase.js';
import type { CommandContext } from '../commands.js';
import { nimFloat } from '../progress.js';
import { formatSubHelp, parseSubArgs, specOf } from '../subargs.js';

const UNDETERMINED = 'und';

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return Math.abs(a);
}

/** Display aspect ratio of a resolution in lowest terms (1920×1080 → 16:9); 0:0 when unknown. */
export function aspectRatio(width: number, height: number): [number, number] {
  const g = gcd(width, height);
  return g === 0 ? [0, 0] : [width / g, height / g];
}

/** A rational as auto-editor prints one: `30` when the denominator is 1, else `30000/1001`. */
export function rationalText(r: Rational | null): string {
  if (r === null) return '0/0';
  return r.den === 1 ? String(r.num) : `${r.num}/${r.den}`;
}

/** auto-editor's JSON for one readable file. */
export function infoJson(d: MediaDetails): Record<string, unknown> {
  const { info } = d;
  const tb = defaultTimebase(info);
  return {
    type: 'media',
    recommendedTimebase: ratToString(tb),
    video: info.video.map((v, i) => ({
      codec: v.codec,
      fps: rationalText(v.avgFrameRate),
      resolution: [v.width, v.height],
      aspect_ratio: aspectRatio(v.width, v.height),
      pixel_aspect_ratio: `${v.sampleAspectRatio.num}:${v.sampleAspectRatio.den}`,
      duration: v.duration ?? 0,
      pix_fmt: v.pixelFormat,
      color_range: d.colour[i]?.range ?? 0,
      color_space: d.colour[i]?.space ?? 2,
      color_primaries: d.colour[i]?.primaries ?? 2,
      color_transfer: d.colour[i]?.transfer ?? 2,
      timebase: ratToString(v.timeBase),
      bitrate: v.bitrate,
      lang: v.lang ?? UNDETERMINED,
    })),
    audio: info.audio.map((a) => ({
      codec: a.codec,
      layout: a.layout,
      samplerate: a.sampleRate,
      duration: a.duration ?? 0,
      bitrate: a.bitrate,
      lang: a.lang ?? UNDETERMINED,
    })),
    subtitle: info.subtitle.map((s) => ({ codec: s.codec, lang: s.lang ?? UNDETERMINED })),
    container: { duration: info.duration, bitrate: info.bitrate },
  };
}

/** `1 (bt709)` for the colour enums auto-editor names; the bare number otherwise. */
function bt709(value: number): string {
  return value === 1 ? '1 (bt709)' : String(value);
}

/** auto-editor's text listing for one readable file (ends with a blank line). */
export function infoText(path: string, d: MediaDetails): string {
  const { info } = d;
  const tb = defaultTimebase(info);
  const out: string[] = [`${path}:`, ` - recommendedTimebase: ${ratToString(tb)}`];
  const generic = (lang: string | null, bitrate: number) => {
    if (bitrate) out.push(`     - bitrate: ${bitrate}`);
    if (lang && lang !== UNDETERMINED) out.push(`     - lang: ${lang}`);
  };
  if (info.video.length) out.push(' - video:');
  info.video.forEach((v, i) => {
    const [rw, rh] = aspectRatio(v.width, v.height);
    const colour = d.colour[i];
    out.push(`   - track ${i}:`);
    out.push(`     - codec: ${v.codec}`);
    out.push(`     - fps: ${rationalText(v.avgFrameRate)}`);
    out.push(`     - resolution: ${v.width}x${v.height}`);
    out.push(`     - aspect ratio: ${rw}:${rh}`);
    out.push(`     - pixel aspect ratio: ${v.sampleAspectRatio.num}:${v.sampleAspectRatio.den}`);
    if (v.duration) out.push(`     - duration: ${nimFloat(v.duration)}`);
    out.push(`     - pix fmt: ${v.pixelFormat}`);
    if (colour) {
      // 0 and 2 mean "unspecified" for these enums: auto-editor leaves them out, and so do we.
      if (colour.range === 1) out.push('     - color range: 1 (tv)');
      else if (colour.range === 2) out.push('     - color range: 2 (pc)');
      else if (colour.range !== 0) out.push(`     - color range: ${colour.range}`);
      if (colour.space !== 2) out.push(`     - color space: ${bt709(colour.space)}`);
      if (colour.primaries !== 2) out.push(`     - color primaries: ${bt709(colour.primaries)}`);
      if (colour.transfer !== 2) out.push(`     - color transfer: ${bt709(colour.transfer)}`);
    }
    out.push(`     - timebase: ${ratToString(v.timeBase)}`);
    generic(v.lang, v.bitrate);
  });
  if (info.audio.length) out.push(' - audio:');
  info.audio.forEach((a, i) => {
    out.push(`   - track ${i}:`);
    out.push(`     - codec: ${a.codec}`);
    out.push(`     - layout: ${a.layout}`);
    out.push(`     - samplerate: ${a.sampleRate}`);
    if (a.duration) out.push(`     - duration: ${nimFloat(a.duration)}`);
    generic(a.lang, a.bitrate);
  });
  if (info.subtitle.length) out.push(' - subtitle:');
  info.subtitle.forEach((s, i) => {
    out.push(`   - track ${i}:`);
    out.push(`     - codec: ${s.codec}`);
    generic(s.lang, 0);
  });
  if (d.data.length) out.push(' - data:');
  d.data.forEach((s, i) => {
    out.push(`   - track ${i}:`);
    out.push(`     - codec: ${s.codec}${s.tag ? ` (${s.tag})` : ''}`);
    if (s.timecode) out.push(`     - timecode: ${s.timecode}`);
  });
  out.push(' - container:');
  if (info.duration) out.push(`   - duration: ${nimFloat(info.duration)}`);
  out.push(`   - bitrate: ${info.bitrate}`);
  return out.join('\n') + '\n\n';
}

/** Runs `tacet info`. */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const spec = specOf('info');
  const args = parseSubArgs(spec, argv);
  if (args.help) {
    ctx.stdout.write(formatSubHelp(spec));
    return 0;
  }
  const json = args.values.has('--json');
  const { inspect } = await import('../../media/probe.js');
  const byPath: Record<string, unknown> = {};
  let failed = 0;
  for (const path of args.positionals) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    let details: MediaDetails;
    try {
      details = await inspect(path);
    } catch (e) {
      if (!(e instanceof UserError || e instanceof MediaError)) throw e;
      failed++;
      ctx.stderr.write(`tacet: error: ${e.message}\n`);
      if (json) byPath[path] = { type: 'invalid' };
      else ctx.stdout.write(`${path}:\n - Invalid\n\n`);
      continue;
    }
    if (json) byPath[path] = infoJson(details);
    else ctx.stdout.write(infoText(path, details));
  }
  if (json) ctx.stdout.write(`${JSON.stringify(byPath, null, 2)}\n`);
  return failed > 0 ? 1 : 0;
}
