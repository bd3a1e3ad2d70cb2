/**
 * CMX 3600 EDL writer (`edl`). auto-editor has no EDL export; this follows the CMX 3600 layout as
 * Avid Media Composer writes it (../shared/formats/samples/avid-cmx3600-*.edl) and as OTIO's CMX
 * adapter reads it:
 *
 * ```
 * TITLE: talk
 * FCM: NON-DROP FRAME
 *
 * 001  TALK     AA/V  C        00:00:01:00 00:00:04:00 01:00:00:00 01:00:03:00
 * M2   TALK          045.0                00:00:01:00
 * * FROM CLIP NAME:  talk.mp4
 * * SOURCE FILE: /media/talk.mp4
 * ```
 *
 * - Out points are exclusive (the first frame not used), in source and record alike.
 * - Record time starts at 01:00:00:00 and runs contiguously through the edit.
 * - Drop-frame timecode (`hh:mm:ss;ff`, FCM: DROP FRAME) only at exactly 30000/1001 and 60000/1001;
 *   every other rate counts whole frames at its nominal rate (23.976 → 24 NDF).
 * - Reel names are at most 8 characters (A–Z, 0–9, _), unique per source; the full file name and
 *   path follow in `* FROM CLIP NAME:` and `* SOURCE FILE:` comments, which Resolve and Premiere
 *   use to find the media.
 * - Channels: video is V; audio layers are numbered tape channels in order (a mono stream takes
 *   one, a stereo or wider stream two), combined with V in CMX's codes (V, A, A2, AA, B, A2/V,
 *   AA/V); channels 3 and 4 go on an `AUD` line. CMX 3600 has one video track and four audio
 *   channels: further video layers and channels past the fourth are not written.
 * - A speed change is an M2 line: reel, speed as frames per second at the nominal rate (1.5× at
 *   30000/1001 → 045.0) and the source in point; the source out is where reading at that speed ends.
 */
import { UserError } from '../errors.js';
import type { MediaInfo } from '../media/types.js';
import type { Clip, Timeline } from '../timeline/model.js';
import { type Rational, ratEquals, roundHalfAway } from '../timeline/rational.js';
import { baseName } from './paths.js';
import type { ExportInput, Exporter } from './types.js';

/** How timecode counts frames at a rate: frames per timecode second and whether it drops frames. */
export interface TimecodeRate {
  /** Frames per timecode second (30 for 30000/1001). */
  fps: number;
  /** Drop-frame: labels ;00 and ;01 (;00–;03 at 60) skipped each minute except every tenth. */
  drop: boolean;
}

/**
 * The timecode counting for a timeline rate. Drop frame only for exactly 30000/1001 and
 * 60000/1001 (29.97 and 59.94); 24000/1001 and all other rates are non-drop at the rounded rate.
 */
export function timecodeRate(tb: Rational): TimecodeRate {
  if (!(tb.num > 0 && tb.den > 0)) throw new UserError(`Invalid timeline frame rate ${tb.num}/${tb.den}.`);
  const drop = ratEquals(tb, { num: 30000, den: 1001 }) || ratEquals(tb, { num: 60000, den: 1001 });
  return { fps: Math.max(1, Math.round(tb.num / tb.den)), drop };
}

/**
 * SMPTE timecode of a frame count: `hh:mm:ss:ff`, or `hh:mm:ss;ff` when drop-frame. Drop-frame
 * skips 2 labels per minute at 30 (4 at 60) except in minutes divisible by ten, so frame 1800 at
 * 29.97 is 00:01:00;02 and frame 17982 is 00:10:00;00.
 */
export function edlTimecode(frames: number, rate: TimecodeRate): string {
  if (!Number.isInteger(frames) || frames < 0) throw new RangeError(`timecode of ${frames} frames`);
  const { fps, drop } = rate;
  let f = frames;
  if (drop) {
    const dropped = Math.round(fps / 15); // 2 at 30, 4 at 60
    const perMinute = fps * 60 - dropped;
    const perTenMinutes = fps * 600 - dropped * 9;
    const tens = Math.floor(f / perTenMinutes);
    const rem = f % perTenMinutes;
    // Labels skipped before this frame: 9 minutes' worth per full ten minutes, then one minute's
    // worth for each minute boundary crossed within the current ten (none in its first minute).
    f += dropped * 9 * tens + (rem > dropped ? dropped * Math.floor((rem - dropped) / perMinute) : 0);
  }
  const ff = f % fps;
  const totalSeconds = Math.floor(f / fps);
  const ss = totalSeconds % 60;
  const mm = Math.floor(totalSeconds / 60) % 60;
  const hh = Math.floor(totalSeconds / 3600);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(hh)}:${two(mm)}:${two(ss)}${drop ? ';' : ':'}${two(ff)}`;
}

/** Frame count of a whole-hour timecode (01:00:00:00 is 107892 frames at 29.97 drop-frame). */
function hourFrames(hours: number, rate: TimecodeRate): number {
  const dropped = rate.drop ? Math.round(rate.fps / 15) : 0;
  return hours * (rate.fps * 3600 - dropped * 54);
}

/**
 * Reel names: the file name's stem in capitals, other characters as `_`, cut to 8 characters, made
 * unique with a numeric suffix when two sources would share one.
 */
function reelNames(paths: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const path of paths) {
    if (out.has(path)) continue;
    const stemName = baseName(path).replace(/\.[^.]*$/, '') || baseName(path);
    let base = stemName
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toUpperCase()
      .replace(/[^A-Z0-9_]+/g, '_')
      .replace(/^_+/, '')
      .slice(0, 8)
      .replace(/_+$/, '');
    if (!base) base = 'AX';
    let reel = base;
    for (let n = 2; used.has(reel); n++) reel = base.slice(0, 8 - String(n).length) + String(n);
    used.add(reel);
    out.set(path, reel);
  }
  return out;
}

/** Title: `name="..."`, then ExportInput.name, then the first source's file name; one line. */
function title(input: ExportInput, params: Record<string, string>): string {
  for (const key of Object.keys(params)) {
    // auto-editor accepts `version` for every export kind and ignores it where it means nothing.
    if (key !== 'name' && key !== 'version') throw new UserError(`Unknown attribute "${key}" for the edl export (it accepts name="...").`);
  }
  let name = params.name ?? input.name;
  if (name === undefined) {
    const first = [...input.timeline.v, ...input.timeline.a].flat()[0];
    name = first ? baseName(first.src).replace(/\.[^.]*$/, '') || baseName(first.src) : 'tacet';
  }
  // CMX titles are one line of at most 70 characters.
  return Array.from(name.replace(/[\r\n\t]+/g, ' ').trim()).slice(0, 70).join('');
}

/** Tape channels of one audio layer: 1 for a mono stream, 2 (a stereo pair) for anything wider. */
function layerChannels(layer: Clip[], sources: Map<string, MediaInfo>, tl: Timeline): number {
  const c = layer[0];
  const ch = c ? sources.get(c.src)?.audio[c.stream]?.channels : undefined;
  return (ch ?? (tl.layout === 'mono' ? 1 : 2)) >= 2 ? 2 : 1;
}

/** CMX channel code for video and audio channels 1–2 (3–4 go on the AUD line). */
function channelCode(video: boolean, a1: boolean, a2: boolean): string {
  if (video) return a1 && a2 ? 'AA/V' : a1 ? 'B' : a2 ? 'A2/V' : 'V';
  return a1 && a2 ? 'AA' : a1 ? 'A' : a2 ? 'A2' : 'NONE';
}

/** M2 speed field: signed frames per second, three integer digits and one decimal (`045.0`). */
function m2Speed(fps: number): string {
  const [int, frac] = Math.abs(fps).toFixed(1).split('.');
  return `${fps < 0 ? '-' : ''}${int.padStart(3, '0')}.${frac}`;
}

/** Comment text on one line (a path with a line break would end the comment early). */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/** One event: a source range at a record position, on a set of channels. */
interface EventPlan {
  clip: Clip;
  video: boolean;
  audio: Set<number>;
}

function write(input: ExportInput, params: Record<string, string>): string {
  const tl = input.timeline;
  const rate = timecodeRate(tl.tb);
  const lines = [`TITLE: ${title(input, params)}`, `FCM: ${rate.drop ? 'DROP FRAME' : 'NON-DROP FRAME'}`, ''];

  // Group the pieces of one A/V clip (same source range, same place) into one event, the way an
  // A/V edit is one CMX event; layers that differ become events of their own.
  const events = new Map<string, EventPlan>();
  const eventFor = (c: Clip): EventPlan => {
    const key = `${c.src}\u0000${c.start}\u0000${c.dur}\u0000${c.offset}\u0000${c.speed}`;
    let ev = events.get(key);
    if (!ev) events.set(key, (ev = { clip: c, video: false, audio: new Set() }));
    return ev;
  };
  const video = tl.v.find((l) => l.length > 0) ?? [];
  for (const c of video) eventFor(c).video = true;
  let channel = 1;
  for (const layer of tl.a) {
    if (layer.length === 0) continue;
    const count = layerChannels(layer, input.sources, tl);
    const first = channel;
    channel += count;
    for (const c of layer) {
      const ev = eventFor(c);
      for (let ch = first; ch < first + count && ch <= 4; ch++) ev.audio.add(ch);
    }
  }

  const plans = [...events.values()].filter((e) => e.video || e.audio.size > 0);
  const order = (e: EventPlan): number => (e.video ? 0 : Math.min(...e.audio));
  plans.sort((a, b) => a.clip.start - b.clip.start || order(a) - order(b));

  const reels = reelNames(plans.map((e) => e.clip.src));
  const recordStart = hourFrames(1, rate);
  plans.forEach((e, i) => {
    const c = e.clip;
    const reel = reels.get(c.src) as string;
    // Source frames read: [offset, offset + dur) × speed (v3's offset is speed-scaled).
    const srcIn = roundHalfAway(c.offset * c.speed);
    const srcOut = Math.max(srcIn + 1, roundHalfAway((c.offset + c.dur) * c.speed));
    const recIn = recordStart + c.start;
    const recOut = recIn + c.dur;
    const num = String(i + 1).padStart(3, '0');
    const code = channelCode(e.video, e.audio.has(1), e.audio.has(2));
    lines.push(
      `${num}  ${reel.padEnd(8)} ${code.padEnd(5)} C        ` +
        `${edlTimecode(srcIn, rate)} ${edlTimecode(srcOut, rate)} ${edlTimecode(recIn, rate)} ${edlTimecode(recOut, rate)}`,
    );
    const extra = [3, 4].filter((ch) => e.audio.has(ch));
    if (extra.length > 0) lines.push(`AUD  ${extra.join('    ')}`);
    if (c.speed !== 1) lines.push(`M2   ${reel.padEnd(8)}${m2Speed(rate.fps * c.speed).padStart(12)}${' '.repeat(16)}${edlTimecode(srcIn, rate)}`);
    lines.push(`* FROM CLIP NAME:  ${oneLine(baseName(c.src))}`);
    lines.push(`* SOURCE FILE: ${oneLine(c.src)}`);
    lines.push('');
  });
  return lines.join('\n');
}

/**
 * `edl`: the timeline as a CMX 3600 edit decision list, record time from 01:00:00:00, exclusive out
 * points, drop-frame timecode at 29.97/59.94, speed changes as M2 lines. `name="..."` sets the TITLE.
 */
export const writeEdl: Exporter = (input, params) => write(input, params);
