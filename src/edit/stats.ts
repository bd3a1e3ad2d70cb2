/**
 * `--stats` / `--preview`: auto-editor's summary of an edit (stats.nim), character for character,
 * including its trailing spaces and its float formatting.
 */
import { formatNimFloat64 } from '../timeline/jsontext.js';
import { timelineLength, type Clip, type Timeline } from '../timeline/model.js';
import { roundHalfAway } from '../timeline/rational.js';

/**
 * C's `%.<digits>f` (what Nim's `{x:.2f}` uses): the exact binary value rounded to nearest, ties
 * to even. toFixed rounds exact ties up instead. An exact tie needs x × 2^(digits+1) to be whole
 * (10^digits × 2 = 2^(digits+1) × 5^digits), and then x × 10^digits is exact, so ties are found
 * and settled exactly.
 */
function fixed(x: number, digits: number): string {
  if (Number.isInteger(x * 2 ** (digits + 1))) {
    const scaled = x * 10 ** digits;
    const floor = Math.floor(scaled);
    if (scaled - floor === 0.5) return ((floor % 2 === 0 ? floor : floor + 1) / 10 ** digits).toFixed(digits);
  }
  return x.toFixed(digits);
}

/** Nim's `%0<width>.<digits>f`: zero-padded on the left to `width` characters. */
function zeroPadded(x: number, width: number, digits: number): string {
  const text = fixed(x, digits);
  return text.length >= width ? text : text.padStart(width, '0');
}

/** auto-editor's `ass` timecode: `h:mm:ss.cc`, computed with its float maths (seconds mod 60). */
export function assTimecode(seconds: number): string {
  const sign = seconds < 0 ? '-' : '';
  const total = Math.abs(seconds);
  const minutes = total / 60;
  const h = Math.trunc(minutes / 60);
  const m = Math.trunc(minutes) % 60;
  const s = total % 60;
  return `${sign}${h}:${String(m).padStart(2, '0')}:${zeroPadded(s, 5, 2)}`;
}

/** Nim's alignLeft: pads on the right, never truncates. */
function alignLeft(text: string, width: number): string {
  return text.padEnd(width);
}

/** One ` - title:  h:mm:ss.cc (ticks) percent` line; float ticks (median, average) get 2 decimals. */
function timeFrame(title: string, ticks: number, tb: number, isFloat: boolean, percent = ''): string {
  const tc = assTimecode(ticks / tb);
  const negative = tc.startsWith('-');
  const titlePart = alignLeft(`${title}:`, negative ? 9 : 10);
  const tcPart = alignLeft(tc, negative ? 12 : 11);
  const ticksPart = alignLeft(`(${isFloat ? fixed(ticks, 2) : String(ticks)})`, 6);
  const end = percent === '' ? '' : ` ${alignLeft(percent, 7)}`;
  return ` - ${titlePart} ${tcPart} ${ticksPart}${end}`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  return n % 2 === 1 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2;
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** `round(x, 2)` then Nim's `$`, as auto-editor prints percentages: 50.0, 33.33, -66.67. */
function percent(ratio: number): string {
  return `${formatNimFloat64(roundHalfAway(ratio * 100 * 100) / 100)}%`;
}

/**
 * The clips stats are taken from, per source: the first audio layer's, or the first video layer's
 * when there is no audio. With several inputs (`lengths` holds each one's length), each source is
 * looked up on its own, since an input without audio has clips only on the video layer.
 */
function statGroups(tl: Timeline, inputFrames: number, lengths?: ReadonlyMap<string, number>): Array<{ clips: Clip[]; cuts: number[] }> {
  const main = tl.a[0] ?? tl.v[0] ?? [];
  if (!lengths || lengths.size < 2) return [{ clips: main, cuts: sourceCuts(main, inputFrames) }];
  return [...lengths].map(([src, length]) => {
    const audio = tl.a[0]?.filter((c) => c.src === src) ?? [];
    const clips = audio.length > 0 ? audio : (tl.v[0]?.filter((c) => c.src === src) ?? []);
    // An input cut entirely is one cut of its whole length.
    return { clips, cuts: clips.length > 0 ? sourceCuts(clips, length) : length > 0 ? [length] : [] };
  });
}

/**
 * The cut lengths auto-editor reports: the gaps between the source spans of the clips (their
 * speed-scaled offsets turned back into source frames), plus the gap before the first and after
 * the last (up to the input length).
 */
function sourceCuts(clips: readonly Clip[], inputFrames: number): number[] {
  const spans = clips.map((c) => {
    const sourceStart = c.offset * c.speed;
    return [roundHalfAway(sourceStart), roundHalfAway(sourceStart + c.dur * c.speed)] as const;
  });
  const cuts: number[] = [];
  if (spans.length > 0 && spans[0]![0] > 0) cuts.push(spans[0]![0]);
  for (let i = 0; i + 1 < spans.length; i++) {
    const gap = spans[i + 1]![0] - spans[i]![1];
    if (gap > 0) cuts.push(gap);
  }
  if (spans.length > 0) {
    const trailing = inputFrames - spans[spans.length - 1]![1];
    if (trailing > 0) cuts.push(trailing);
  }
  return cuts;
}

function summary(lines: string[], name: string, values: number[], tb: number): void {
  lines.push(`${name}:`, ` - amount:    ${values.length}`);
  if (values.length > 0) {
    // reduce, not Math.min(...values): a long recording can have more clips than a call has arguments.
    lines.push(timeFrame('smallest', values.reduce((a, b) => Math.min(a, b)), tb, false));
    lines.push(timeFrame('largest', values.reduce((a, b) => Math.max(a, b)), tb, false));
  }
  if (values.length > 1) {
    lines.push(timeFrame('median', median(values), tb, true));
    lines.push(timeFrame('average', mean(values), tb, true));
  }
}

/**
 * auto-editor's `--stats` block for a timeline cut from an input of `inputFrames` frames (the
 * media length at the timeline's timebase): a blank line, `length:` with input, output and diff
 * (timecode, frames, percentage of the input), then `clips:` and `cuts:` with amount, smallest,
 * largest, and, with more than one, median and average; then a blank line. Clips and cuts come
 * from the first audio layer, or the first video layer when there is no audio. Lines keep
 * auto-editor's padding, trailing spaces included. `lengths` (several inputs): each source's length
 * in frames, `inputFrames` being their sum. Pure; the result ends with a newline.
 */
export function formatStats(inputFrames: number, tl: Timeline, lengths?: ReadonlyMap<string, number>): string {
  const tb = tl.tb.num / tl.tb.den;
  const outputFrames = timelineLength(tl);
  const diff = outputFrames - inputFrames;
  const lines: string[] = ['', 'length:'];
  lines.push(timeFrame('input', inputFrames, tb, false, '100.0%'));
  if (inputFrames !== 0) {
    lines.push(timeFrame('output', outputFrames, tb, false, percent(outputFrames / inputFrames)));
    lines.push(timeFrame('diff', diff, tb, false, percent(diff / inputFrames)));
  } else {
    lines.push(timeFrame('output', outputFrames, tb, false, '0.0%'));
    lines.push(timeFrame('diff', diff, tb, false, '0.0%'));
  }
  const groups = statGroups(tl, inputFrames, lengths);
  summary(
    lines,
    'clips',
    groups.flatMap((g) => g.clips.map((c) => c.dur)),
    tb,
  );
  summary(lines, 'cuts', groups.flatMap((g) => g.cuts), tb);
  return `${lines.join('\n')}\n\n`;
}
