import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { MediaError, UserError } from '../errors.js';
import { av, yieldToLoop } from '../media/av.js';
import { openInput } from '../media/probe.js';

/** One subtitle cue: times in seconds, text as shown. */
export interface Cue {
  start: number;
  end: number;
  text: string;
}

/** Sidecar subtitle extensions, in the order they are looked for. */
export const SIDECAR_EXTS = ['.srt', '.vtt', '.ass'] as const;

/**
 * A cue time as integer ticks of `den` per second, as FFmpeg's subtitle demuxers keep it (SRT and
 * WebVTT: milliseconds; ASS: centiseconds). A fraction with another number of digits is scaled.
 */
function ticks(h: string | undefined, m: string, s: string, frac: string, den: number): number {
  const f = frac ? Math.round((Number(frac) * den) / 10 ** frac.length) : 0;
  return (Number(h ?? 0) * 3600 + Number(m) * 60 + Number(s)) * den + f;
}

/**
 * A cue from its start and end ticks, timed as auto-editor times a subtitle packet: start =
 * pts × time base, end = start + duration × time base, each a double. Summing whole seconds and
 * the fraction instead (2 + 0.28) is an ulp off often enough to move floor/ceil by a frame: 2.28 s
 * × 25 fps is 56.99999999999999 as auto-editor computes it, 57.00000000000001 as (2 + 0.28) × 25.
 */
function timedCue(start: number, end: number, den: number, text: string): Cue {
  const startSeconds = start / den;
  return { start: startSeconds, end: startSeconds + (end - start) / den, text };
}

const TIME = String.raw`(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d+))?`;

/** Cues of a SubRip (.srt) or WebVTT (.vtt) text. */
export function parseSrtOrVtt(text: string): Cue[] {
  const cues: Cue[] = [];
  const arrow = new RegExp(`^\\s*${TIME}\\s*-->\\s*${TIME}`);
  const blocks = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split(/\n{2,}/);
  for (const block of blocks) {
    const lines = block.split('\n');
    const at = lines.findIndex((l) => arrow.test(l));
    if (at < 0) continue;
    const m = arrow.exec(lines[at])!;
    const start = ticks(m[1], m[2], m[3], m[4] ?? '', 1000);
    const end = ticks(m[5], m[6], m[7], m[8] ?? '', 1000);
    cues.push(timedCue(start, end, 1000, lines.slice(at + 1).join('\n').trim()));
  }
  return cues;
}

/** Text of an ASS event without override tags ({\i1}) and with \N as a line break. */
function assText(raw: string): string {
  return raw.replace(/\{[^}]*\}/g, '').replace(/\\[Nn]/g, '\n').replace(/\\h/g, ' ').trim();
}

/** Cues of an Advanced SubStation (.ass/.ssa) file. */
export function parseAss(text: string): Cue[] {
  const cues: Cue[] = [];
  let format: string[] = ['layer', 'start', 'end', 'style', 'name', 'marginl', 'marginr', 'marginv', 'effect', 'text'];
  let inEvents = false;
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const t = line.trim();
    if (t.startsWith('[')) {
      inEvents = t.toLowerCase() === '[events]';
      continue;
    }
    if (!inEvents) continue;
    if (/^format\s*:/i.test(t)) {
      format = t.slice(t.indexOf(':') + 1).split(',').map((s) => s.trim().toLowerCase());
      continue;
    }
    if (!/^dialogue\s*:/i.test(t)) continue;
    const body = t.slice(t.indexOf(':') + 1);
    const fields: string[] = [];
    let rest = body;
    for (let i = 0; i < format.length - 1; i++) {
      const comma = rest.indexOf(',');
      if (comma < 0) break;
      fields.push(rest.slice(0, comma).trim());
      rest = rest.slice(comma + 1);
    }
    fields.push(rest); // Text is last and may contain commas
    const get = (name: string) => fields[format.indexOf(name)] ?? '';
    const time = new RegExp(`^${TIME}$`);
    const s = time.exec(get('start'));
    const e = time.exec(get('end'));
    if (!s || !e) continue;
    const start = ticks(s[1], s[2], s[3], s[4] ?? '', 100);
    cues.push(timedCue(start, ticks(e[1], e[2], e[3], e[4] ?? '', 100), 100, assText(get('text'))));
  }
  return cues;
}

/** Text carried by one subtitle packet of a text codec. */
function packetText(codec: string, data: Buffer): string {
  switch (codec) {
    case 'mov_text': {
      // 3GPP timed text: a 16-bit big-endian length, the UTF-8 text, then style boxes.
      if (data.length < 2) return '';
      const len = data.readUInt16BE(0);
      return data.subarray(2, 2 + len).toString('utf8');
    }
    case 'ass':
    case 'ssa': {
      // Matroska stores "ReadOrder,Layer,Style,Name,MarginL,MarginR,MarginV,Effect,Text".
      const parts = data.toString('utf8').split(',');
      return assText(parts.slice(8).join(','));
    }
    default:
      return data.toString('utf8').trim();
  }
}

const TEXT_CODECS = new Set(['subrip', 'srt', 'webvtt', 'mov_text', 'ass', 'ssa', 'text']);

/**
 * Cues of subtitle stream `stream` (0-based among the file's subtitle streams); an index past the
 * file's own streams selects a sidecar file `<input>.srt/.vtt/.ass` beside it.
 */
export async function readCues(path: string, stream: number): Promise<Cue[]> {
  const input = await openInput(path);
  const { lib, c } = av();
  const subs = input.fmt.streams.filter((s) => s.codecpar.codecType === c.AVMEDIA_TYPE_SUBTITLE);
  if (stream >= subs.length) {
    input.close();
    return readSidecar(path, stream - subs.length, subs.length);
  }
  try {
    const st = subs[stream];
    const codec = lib.avGetCodecName(st.codecpar.codecId) ?? 'unknown';
    if (!TEXT_CODECS.has(codec)) throw new UserError(`subtitle stream ${stream} of ${path} is ${codec} (pictures, not text): it cannot be searched`);
    const tb = st.timeBase;
    const pkt = new lib.Packet();
    pkt.alloc();
    const cues: Cue[] = [];
    try {
      let n = 0;
      while (input.read(pkt, st.index) >= 0) {
        if (pkt.streamIndex === st.index && pkt.data && pkt.pts !== -0x8000000000000000n) {
          const start = (Number(pkt.pts) * tb.num) / tb.den;
          const end = start + (Number(pkt.duration) * tb.num) / tb.den;
          const text = packetText(codec, pkt.data);
          if (text) cues.push({ start, end, text });
        }
        pkt.unref();
        if (++n % 4096 === 0) await yieldToLoop();
      }
    } finally {
      pkt.free();
    }
    return cues;
  } finally {
    input.close();
  }
}

function readSidecar(path: string, nth: number, embedded: number): Cue[] {
  const stem = join(dirname(path), basename(path, extname(path)));
  const found = SIDECAR_EXTS.map((ext) => `${stem}${ext}`).filter((p) => existsSync(p));
  const file = found[nth];
  if (!file) {
    const where = embedded ? `${path} has ${embedded} subtitle stream(s)` : `${path} has no subtitle stream`;
    throw new UserError(`subtitle stream ${nth + embedded} not found: ${where} and no sidecar ${SIDECAR_EXTS.map((e) => basename(stem) + e).join('/')}`);
  }
  const text = readFileSync(file, 'utf8');
  const cues = extname(file) === '.ass' ? parseAss(text) : parseSrtOrVtt(text);
  if (cues.length === 0 && text.trim()) throw new MediaError(`no subtitle cues could be read from ${file}`);
  return cues;
}
