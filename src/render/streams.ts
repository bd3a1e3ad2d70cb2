/**
 * Everything a rendered file keeps besides the re-encoded picture and sound: subtitle streams
 * retimed to the cut, Matroska attachments, cover art (attached pictures), and sidecar subtitle
 * files. Subtitles are read by a demuxer of their own that runs just ahead of the render, so only
 * the cues about to be written are in memory, never a whole track.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { CancelledError } from '../errors.js';
import { av, yieldToLoop } from '../media/av.js';
import type { OutputFile } from '../media/output.js';
import { openFormat, openInput } from '../media/probe.js';
import type { MediaInfo } from '../media/types.js';
import type { Clip, Timeline } from '../timeline/model.js';
import type { Rational } from '../timeline/rational.js';

type Lib = ReturnType<typeof av>['lib'];
type FormatContext = InstanceType<Lib['FormatContext']>;
type Packet = InstanceType<Lib['Packet']>;
type Stream = InstanceType<Lib['Stream']>;

const NOPTS = -0x8000000000000000n;

// ---------------------------------------------------------------------------------------------
// Source time → output time

/** Where one clip's source seconds land in the output: output = outStart + (src − srcStart) / speed. */
export interface Span {
  srcStart: number;
  srcEnd: number;
  outStart: number;
  outEnd: number;
  speed: number;
}

/**
 * Spans of clips in seconds. A clip shows source frames [offset×speed, offset×speed + dur×speed)
 * at timeline frames [start, start+dur): the same bounds the audio render takes its samples from.
 */
export function clipSpans(clips: readonly Clip[], tb: Rational): Span[] {
  const sec = (frames: number) => (frames * tb.den) / tb.num;
  return clips
    .filter((c) => c.dur > 0 && c.speed > 0)
    .map((c) => {
      const src = c.offset * c.speed;
      return {
        srcStart: sec(src),
        srcEnd: sec(src + c.dur * c.speed),
        outStart: sec(c.start),
        outEnd: sec(c.start + c.dur),
        speed: c.speed,
      };
    });
}

/** Intervals closer than this (seconds) are the same instant: float noise, not a gap. */
const EPS = 1e-6;

/**
 * Maps source time intervals through a timeline's clips. Clips are indexed by source start, so a
 * cue costs a binary search plus the clips it overlaps, whatever the number of clips.
 */
export class SpanMap {
  private readonly spans: Span[];
  private readonly longest: number;

  constructor(spans: readonly Span[]) {
    this.spans = [...spans].sort((a, b) => a.srcStart - b.srcStart);
    this.longest = this.spans.reduce((m, s) => Math.max(m, s.srcEnd - s.srcStart), 0);
  }

  /** The first span that could overlap a source time ≥ t. */
  private firstFrom(t: number): number {
    let lo = 0;
    let hi = this.spans.length;
    const key = t - this.longest;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.spans[mid].srcStart < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Output intervals that show source [s, e): one per clip it overlaps (clipped to the clip,
   * scaled by its speed), in output order, joined where they touch, so a cue that runs across a
   * cut or a speed change stays one cue.
   */
  map(s: number, e: number): Array<[number, number]> {
    if (!(e > s)) return [];
    const pieces: Array<[number, number]> = [];
    for (let i = this.firstFrom(s); i < this.spans.length && this.spans[i].srcStart < e; i++) {
      const sp = this.spans[i];
      const a = Math.max(s, sp.srcStart);
      const b = Math.min(e, sp.srcEnd);
      if (b - a <= EPS) continue;
      pieces.push([sp.outStart + (a - sp.srcStart) / sp.speed, sp.outStart + (b - sp.srcStart) / sp.speed]);
    }
    pieces.sort((x, y) => x[0] - y[0]);
    const joined: Array<[number, number]> = [];
    for (const p of pieces) {
      const last = joined[joined.length - 1];
      if (last && p[0] <= last[1] + EPS) last[1] = Math.max(last[1], p[1]);
      else joined.push([p[0], p[1]]);
    }
    return joined;
  }

  /**
   * Output start times of a picture shown over source [s, e) (e = s for an instant), for each clip
   * at normal speed that holds it whole. A bitmap cannot be cut or stretched, so nothing else fits.
   */
  placeWhole(s: number, e: number): number[] {
    const out: number[] = [];
    for (let i = this.firstFrom(s); i < this.spans.length && this.spans[i].srcStart <= s + EPS; i++) {
      const sp = this.spans[i];
      if (sp.speed !== 1) continue;
      const inside = e > s ? s >= sp.srcStart - EPS && e <= sp.srcEnd + EPS : s >= sp.srcStart - EPS && s < sp.srcEnd - EPS;
      if (inside) out.push(sp.outStart + Math.max(0, s - sp.srcStart));
    }
    return out.sort((a, b) => a - b);
  }

  /**
   * Output times of a source instant: where a clip shows it (any speed), else the cut point it
   * falls in (the end of the kept part before it, or the start of the first kept part). A picture
   * subtitle that shows until the next one (PGS) placed there still appears, or still clears, at
   * the right moment.
   */
  instant(s: number): number[] {
    const inside: number[] = [];
    let before: Span | null = null;
    let after: Span | null = null;
    for (const sp of this.spans) {
      if (s >= sp.srcStart && s < sp.srcEnd) inside.push(sp.outStart + (s - sp.srcStart) / sp.speed);
      else if (sp.srcEnd <= s && (!before || sp.srcEnd > before.srcEnd)) before = sp;
      else if (sp.srcStart > s && (!after || sp.srcStart < after.srcStart)) after = sp;
    }
    if (inside.length) return inside.sort((a, b) => a - b);
    if (before) return [before.outEnd];
    return after ? [after.outStart] : [];
  }

  /** Whether any of source [s, e) (or the instant s) is kept. */
  touches(s: number, e: number): boolean {
    const end = Math.max(e, s + EPS);
    for (let i = this.firstFrom(s); i < this.spans.length && this.spans[i].srcStart < end; i++) {
      if (this.spans[i].srcEnd > s) return true;
    }
    return false;
  }
}

/** The layer subtitles follow: the main video layer, or the first audio layer of an audio-only timeline. */
export function mainLayer(tl: Timeline): Clip[] {
  if (tl.v[0]?.length) return tl.v[0];
  return tl.a.find((layer) => layer.length > 0) ?? [];
}

// ---------------------------------------------------------------------------------------------
// Subtitle text in each codec's packet format

/** Text subtitle codecs (FFmpeg names) whose packets tacet can read and write. */
const TEXT_CODECS = new Set(['subrip', 'srt', 'text', 'webvtt', 'mov_text', 'ass', 'ssa']);
/** Picture subtitle codecs, copied only whole (see SpanMap.placeWhole). */
const BITMAP_CODECS = new Set(['dvd_subtitle', 'hdmv_pgs_subtitle', 'dvb_subtitle', 'xsub']);

/** One piece of cue text: literal text, or an italic/bold/underline switch. */
export type Token = { text: string } | { tag: 'i' | 'b' | 'u'; open: boolean };

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', nbsp: '\u00a0', lrm: '\u200e', rlm: '\u200f', quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) ? String.fromCodePoint(code) : m;
    }
    return ENTITIES[name.toLowerCase()] ?? m;
  });
}

/** HTML-like markup (SubRip, WebVTT) → tokens; only <i>, <b>, <u> survive, other tags are dropped. */
function markupTokens(s: string, entities: boolean): Token[] {
  const out: Token[] = [];
  const re = /<(\/?)([a-z0-9:.]+)[^>]*>|\{\\[^}]*\}/gi;
  let last = 0;
  const text = (t: string) => {
    if (t) out.push({ text: entities ? decodeEntities(t) : t });
  };
  for (let m = re.exec(s); m; m = re.exec(s)) {
    text(s.slice(last, m.index));
    last = re.lastIndex;
    const name = (m[2] ?? '').split('.')[0].toLowerCase();
    if (name === 'i' || name === 'b' || name === 'u') out.push({ tag: name, open: m[1] !== '/' });
  }
  text(s.slice(last));
  return out;
}

/** ASS event text → tokens: {\i1}/{\b1}/{\u1} switches kept, other overrides dropped, \N a line break. */
function assTokens(s: string): Token[] {
  const out: Token[] = [];
  const re = /\{([^}]*)\}/g;
  let last = 0;
  const text = (t: string) => {
    const v = t.replace(/\\[Nn]/g, '\n').replace(/\\h/g, '\u00a0');
    if (v) out.push({ text: v });
  };
  for (let m = re.exec(s); m; m = re.exec(s)) {
    text(s.slice(last, m.index));
    last = re.lastIndex;
    for (const o of m[1].matchAll(/\\([ibu])(\d+)/g)) out.push({ tag: o[1] as 'i' | 'b' | 'u', open: o[2] !== '0' });
  }
  text(s.slice(last));
  return out;
}

/** The cue text a packet of `codec` carries, as tokens. */
export function payloadTokens(codec: string, data: Buffer): Token[] {
  switch (codec) {
    case 'mov_text': {
      // 3GPP timed text: a 16-bit big-endian length, the UTF-8 text, then style boxes.
      if (data.length < 2) return [];
      const len = Math.min(data.readUInt16BE(0), data.length - 2);
      const t = data.subarray(2, 2 + len).toString('utf8');
      return t ? [{ text: t }] : [];
    }
    case 'ass':
    case 'ssa': {
      // Matroska keeps "ReadOrder,Layer,Style,Name,MarginL,MarginR,MarginV,Effect,Text".
      return assTokens(data.toString('utf8').split(',').slice(8).join(','));
    }
    case 'webvtt':
      return markupTokens(data.toString('utf8'), true);
    case 'text':
      return [{ text: data.toString('utf8') }];
    default: // subrip, srt
      return markupTokens(data.toString('utf8'), false);
  }
}

function plainText(tokens: Token[]): string {
  return tokens.map((t) => ('text' in t ? t.text : '')).join('').trim();
}

/**
 * A packet payload of `codec` showing `tokens`; null when there is no text (an empty cue is left
 * out: MP4 fills gaps itself, other containers need nothing there).
 */
export function encodePayload(codec: string, tokens: Token[]): Buffer | null {
  if (!plainText(tokens)) return null;
  switch (codec) {
    case 'mov_text': {
      // Styles would need style records; the text itself is exact.
      const text = Buffer.from(plainText(tokens), 'utf8');
      const len = Math.min(text.length, 0xffff);
      const out = Buffer.alloc(2 + len);
      out.writeUInt16BE(len, 0);
      text.copy(out, 2, 0, len);
      return out;
    }
    case 'webvtt': {
      const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      return Buffer.from(tokens.map((t) => ('text' in t ? esc(t.text) : `<${t.open ? '' : '/'}${t.tag}>`)).join('').trim(), 'utf8');
    }
    default: // subrip
      return Buffer.from(tokens.map((t) => ('text' in t ? t.text : `<${t.open ? '' : '/'}${t.tag}>`)).join('').trim(), 'utf8');
  }
}

/**
 * The mov_text sample description FFmpeg's mov_text encoder writes for its default style (Arial,
 * 16 px, white, bottom centre): needed when a text subtitle becomes mov_text.
 */
export const MOV_TEXT_EXTRADATA = Buffer.from(
  '00000000' + // display flags
    '01' + 'ff' + // horizontal / vertical justification
    '000000ff' + // background colour RGBA
    '0000000000000000' + // default text box
    '0000' + '0000' + '0001' + '00' + '10' + 'ffffffff' + // style record: chars 0-0, font 1, plain, 16 px, white
    '00000012' + '66746162' + '0001' + '0001' + '05' + '417269616c', // 'ftab': one font, id 1, "Arial"
  'hex',
);

/** What a container does with a subtitle codec: keep it, write it as another codec, or drop it. */
export type SubtitlePlan = { codec: string } | { drop: string };

/**
 * The subtitle codec an output container (FFmpeg muxer name) gets for a source codec: the same
 * where allowed, else a text conversion, else a reason to drop.
 */
export function subtitlePlan(muxer: string, codec: string, ext: string): SubtitlePlan {
  const text = TEXT_CODECS.has(codec);
  switch (muxer) {
    case 'mp4':
    case 'mov':
      if (text) return { codec: 'mov_text' };
      if (codec === 'dvd_subtitle' && muxer === 'mp4') return { codec };
      return { drop: `${ext} files cannot hold ${codec} subtitles` };
    case 'matroska':
      if (codec === 'subrip' || codec === 'ass' || codec === 'ssa' || codec === 'webvtt') return { codec };
      if (text) return { codec: 'subrip' };
      if (BITMAP_CODECS.has(codec) && codec !== 'xsub') return { codec };
      return { drop: `${ext} files cannot hold ${codec} subtitles` };
    case 'webm':
      if (text) return { codec: 'webvtt' };
      return { drop: `${ext} files cannot hold ${codec} subtitles (WebM takes only WebVTT)` };
    default:
      return { drop: `${ext || muxer} files cannot hold subtitles` };
  }
}

/** Whether a muxer stores cover art (attached pictures) as such. */
function coverArtKind(muxer: string, codec: string): 'picture' | 'attachment' | null {
  const image = codec === 'mjpeg' || codec === 'png' || codec === 'bmp';
  if (muxer === 'matroska') return 'attachment'; // Matroska's way: an image attachment (read back as cover art)
  if ((muxer === 'mp4' || muxer === 'mov' || muxer === 'ipod' || muxer === 'mp3' || muxer === 'flac') && image) return 'picture';
  return null;
}

/** Stream tags worth copying: size and duration statistics would describe the source, not the output. */
function copiedTags(st: Stream): Record<string, string> {
  const all = st.metadata?.getAll() ?? {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) {
    const key = k.toLowerCase();
    if (key === 'duration' || key === 'encoder' || key === 'number_of_frames' || key === 'number_of_bytes' || key === 'bps') continue;
    if (key.startsWith('_statistics') || key.startsWith('duration-') || key.startsWith('number_of_') || key.startsWith('bps-')) continue;
    out[k] = v;
  }
  return out;
}

function describeStream(kind: string, n: number, codec: string, st: Stream): string {
  const lang = st.metadata?.get('language');
  return `${kind} stream ${n} (${codec}${lang && lang !== 'und' ? `, ${lang}` : ''})`;
}

// ---------------------------------------------------------------------------------------------
// Writing subtitle packets

/** One cue (or picture) waiting to be written at output seconds [start, end). */
interface Piece {
  start: number;
  end: number;
  /** A reference to the source packet (same codec: payload and side data kept), or a new payload. */
  pkt: Packet | null;
  data: Buffer | null;
}

/** One output subtitle stream: cues arrive from the readers in any order and leave in time order. */
class SubtitleOutput {
  private readonly queue: Piece[] = [];
  private lastDts = -1n;
  private readOrder = 0;
  /** Pictures dropped because they cross a cut or a speed change. */
  droppedPictures = 0;
  /** Cues that came after later ones had been written (a badly interleaved source). */
  late = 0;

  constructor(
    private readonly out: OutputFile,
    readonly stream: Stream,
    readonly codec: string,
    readonly label: string,
    /** MP4 needs strictly increasing timestamps per track; Matroska allows equal ones. */
    private readonly strict: boolean,
  ) {}

  push(p: Piece): void {
    // Sorted insert after equal starts: cues stay in source order; the queue holds a few cues.
    let i = this.queue.length;
    while (i > 0 && this.queue[i - 1].start > p.start) i--;
    this.queue.splice(i, 0, p);
  }

  /** Writes every queued piece that starts before `seconds`. */
  emitUntil(seconds: number): void {
    while (this.queue.length && this.queue[0].start < seconds) this.write(this.queue.shift()!);
  }

  private write(p: Piece): void {
    const { lib, c } = av();
    const tb = this.stream.timeBase;
    const ts = (sec: number) => BigInt(Math.round((sec * tb.den) / tb.num));
    let pts = ts(p.start);
    const end = ts(p.end);
    if (pts < this.lastDts || (this.strict && pts === this.lastDts)) {
      if (this.lastDts - pts > 1n) {
        this.late++;
        p.pkt?.free();
        return;
      }
      pts = this.strict ? this.lastDts + 1n : this.lastDts;
    }
    const duration = end > pts ? end - pts : 0n;
    if (duration === 0n && p.end > p.start) {
      p.pkt?.free(); // shorter than one tick of the output time base
      return;
    }
    let pkt = p.pkt;
    let data = p.data;
    if (this.codec === 'ass' || this.codec === 'ssa') {
      // libass drops events whose ReadOrder it has seen: a cue split in two needs two numbers.
      const raw = data ?? pkt?.data ?? null;
      if (raw) {
        const s = Buffer.from(raw).toString('utf8');
        const comma = s.indexOf(',');
        data = Buffer.from(`${this.readOrder++},${comma >= 0 ? s.slice(comma + 1) : s}`, 'utf8');
        pkt?.free();
        pkt = null;
      }
    }
    if (!pkt) {
      pkt = new lib.Packet();
      pkt.alloc();
      // Assigning data resets the packet's fields: set it first.
      pkt.data = data ?? Buffer.alloc(0);
      pkt.flags = c.AV_PKT_FLAG_KEY;
    }
    try {
      pkt.streamIndex = this.stream.index;
      pkt.pts = pts;
      pkt.dts = pts;
      pkt.duration = duration;
      pkt.pos = -1n;
      this.out.writePacket(pkt);
      this.lastDts = pts;
    } finally {
      pkt.free();
    }
  }

  /** Frees what was never written (after an error). */
  close(): void {
    for (const p of this.queue) p.pkt?.free();
    this.queue.length = 0;
  }
}

/** How packets of one input subtitle stream reach an output stream. */
interface Route {
  out: SubtitleOutput;
  codec: string;
  bitmap: boolean;
}

/**
 * Reads one source's subtitle packets in file order, just far enough ahead of the render, and
 * queues their retimed pieces. Other packets are read and dropped, never decoded. (No stream is set
 * to discard: node-av 6.1.1's mov demuxer then stops early.)
 */
class SubtitleReader {
  private readonly pkt: Packet;
  private readonly lastTime = new Map<number, number>();
  /** Latest timestamp seen on any stream (seconds): once far past the horizon, nothing earlier is coming. */
  private maxSeen = Number.NEGATIVE_INFINITY;
  private eof = false;
  private ci = 0;
  private horizon = Number.NEGATIVE_INFINITY;
  private readonly byStart: Array<{ start: number; srcEnd: number }>;
  /** Time base of every input stream, read once (each `fmt.streams` access builds wrappers). */
  private readonly timeBases: Array<{ num: number; den: number }>;

  constructor(
    private readonly fmt: FormatContext,
    private readonly routes: Map<number, Route>,
    private readonly map: SpanMap,
    clips: Clip[],
    tb: Rational,
  ) {
    const { lib } = av();
    this.pkt = new lib.Packet();
    this.pkt.alloc();
    this.timeBases = fmt.streams.map((st) => ({ num: st.timeBase.num, den: st.timeBase.den }));
    this.byStart = clips
      .map((c) => ({ start: c.start, srcEnd: ((c.offset + c.dur) * c.speed * tb.den) / tb.num }))
      .sort((a, b) => a.start - b.start);
  }

  /**
   * Reads until every cue that starts before the source time shown up to timeline frame `frame`
   * has been queued: any cue shown before that frame starts before that source time.
   */
  async fill(frame: number, signal?: AbortSignal): Promise<void> {
    while (this.ci < this.byStart.length && this.byStart[this.ci].start < frame) {
      this.horizon = Math.max(this.horizon, this.byStart[this.ci].srcEnd);
      this.ci++;
    }
    let n = 0;
    while (!this.eof && !this.satisfied()) {
      this.readOne();
      if (++n % 2048 === 0) {
        await yieldToLoop();
        if (signal?.aborted) throw new CancelledError('cancelled');
      }
    }
  }

  private satisfied(): boolean {
    if (this.horizon === Number.NEGATIVE_INFINITY) return true;
    // Files interleave streams within a second or two; 30 s past the horizon nothing earlier follows.
    if (this.maxSeen >= this.horizon + READ_AHEAD_SECONDS) return true;
    for (const index of this.routes.keys()) if ((this.lastTime.get(index) ?? Number.NEGATIVE_INFINITY) < this.horizon) return false;
    return true;
  }

  private readOne(): void {
    const pkt = this.pkt;
    if (this.fmt.readFrameSync(pkt) < 0) {
      this.eof = true;
      return;
    }
    try {
      const route = this.routes.get(pkt.streamIndex);
      const ts = pkt.pts !== NOPTS ? pkt.pts : pkt.dts;
      if (ts === NOPTS) return;
      const tb = this.timeBases[pkt.streamIndex];
      if (!tb || !tb.den) return;
      const t = (Number(ts) * tb.num) / tb.den;
      this.maxSeen = Math.max(this.maxSeen, t);
      if (!route) return;
      this.lastTime.set(pkt.streamIndex, t);
      const end = t + (Number(pkt.duration) * tb.num) / tb.den;
      if (route.bitmap) this.placePicture(route, t, end);
      else this.placeCue(route, t, end);
    } finally {
      pkt.unref();
    }
  }

  private placeCue(route: Route, s: number, e: number): void {
    const pieces = this.map.map(s, e);
    if (pieces.length === 0) return;
    const raw = this.pkt.data;
    if (!raw) return;
    const tokens = payloadTokens(route.codec, Buffer.from(raw));
    if (!plainText(tokens)) return; // an empty cue (mov_text gap filler)
    const same = route.codec === route.out.codec || (route.codec === 'srt' && route.out.codec === 'subrip');
    const data = same ? null : encodePayload(route.out.codec, tokens);
    if (!same && !data) return;
    for (const [start, end] of pieces) {
      const pkt = same ? this.pkt.clone() : null;
      if (same && !pkt) continue;
      route.out.push({ start, end, pkt, data });
    }
  }

  private placePicture(route: Route, s: number, e: number): void {
    if (e <= s) {
      // No duration: the picture shows until the next packet replaces or clears it (PGS display
      // sets). Only its moment matters, and every packet must still come, in order.
      for (const t of this.map.instant(s)) {
        const pkt = this.pkt.clone();
        if (pkt) route.out.push({ start: t, end: t, pkt, data: null });
      }
      return;
    }
    const starts = this.map.placeWhole(s, e);
    if (starts.length === 0) {
      if (this.map.touches(s, e)) route.out.droppedPictures++;
      return;
    }
    for (const start of starts) {
      const pkt = this.pkt.clone();
      if (pkt) route.out.push({ start, end: start + (e - s), pkt, data: null });
    }
  }

  close(): void {
    this.pkt.free();
    this.fmt.closeInputSync();
  }
}

/**
 * The picture of an attached-picture stream. FFmpeg queues it ahead of every other packet when the
 * file is opened, so it is among the first packets read. (node-av 6.1.1's `Stream.attachedPic`
 * crashes the process, so it is read as a packet, from a demuxer of its own.)
 */
async function readAttachedPicture(path: string, index: number): Promise<Packet | null> {
  const { lib } = av();
  const input = await openInput(path);
  const pkt = new lib.Packet();
  pkt.alloc();
  try {
    for (let n = 0; n < 1000 && input.read(pkt, index) >= 0; n++) {
      if (pkt.streamIndex === index) return pkt.clone();
      pkt.unref();
    }
    return null;
  } finally {
    pkt.free();
    input.close();
  }
}

/** How far (seconds of source) a reader reads past the cues it needs before concluding none are left. */
const READ_AHEAD_SECONDS = 30;

/** Options for the extra streams of a render. */
export interface ExtraStreamOptions {
  /** The output's extension, for messages (".mp4"). */
  ext: string;
  /** Told about every stream that cannot be kept, and why. */
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
  /** false: leave subtitle streams out (`-sn`); default true. */
  subtitles?: boolean;
  /** false: leave cover art out (`-vn`: it is a video stream); default true. */
  coverArt?: boolean;
}

const CODEC_IDS: Record<string, () => number> = {
  mov_text: () => av().c.AV_CODEC_ID_MOV_TEXT,
  subrip: () => av().c.AV_CODEC_ID_SUBRIP,
  webvtt: () => av().c.AV_CODEC_ID_WEBVTT,
};

/**
 * The subtitle, attachment and cover-art streams of a render. Add them with `add` before the
 * header is written, call `begin` right after it (cover art goes first: MP3 and FLAC muxers hold
 * the audio until it arrives), `renderUntil` with each block of timeline, and `finish` before the
 * trailer.
 */
export class ExtraStreams {
  private readonly pictures: Array<{ stream: Stream; pkt: Packet }> = [];
  private readonly outputs: SubtitleOutput[] = [];
  private readonly readers: SubtitleReader[] = [];

  private constructor(
    private readonly out: OutputFile,
    private readonly tb: Rational,
    private readonly opts: ExtraStreamOptions,
  ) {}

  /** Adds to `out` the streams of the timeline's first source that the container can hold. */
  static async add(out: OutputFile, tl: Timeline, sources: Map<string, MediaInfo>, opts: ExtraStreamOptions): Promise<ExtraStreams> {
    const extras = new ExtraStreams(out, tl.tb, opts);
    const firstPath = sources.keys().next().value as string | undefined;
    if (!firstPath) return extras;
    try {
      await extras.plan(firstPath, tl, sources);
    } catch (e) {
      extras.close();
      throw e;
    }
    return extras;
  }

  private warn(message: string): void {
    this.opts.onWarning?.(message);
  }

  private async plan(firstPath: string, tl: Timeline, sources: Map<string, MediaInfo>): Promise<void> {
    const { c } = av();
    const muxer = this.out.formatName;
    const ext = this.opts.ext;
    // Stream facts only: a long MP4 is not indexed for them (openInput); readers open their own.
    const input = await openInput(firstPath);
    const fmt = input.fmt;
    try {
      const subs: Array<{ out: SubtitleOutput | null; codec: string }> = [];
      let nSub = 0;
      let nAtt = 0;
      for (const st of fmt.streams) {
        const par = st.codecpar;
        const codec = av().lib.avGetCodecName(par.codecId) ?? 'unknown';
        if (par.codecType === c.AVMEDIA_TYPE_SUBTITLE) {
          if (this.opts.subtitles === false) continue;
          const label = describeStream('subtitle', nSub++, codec, st);
          const plan = subtitlePlan(muxer, codec, ext);
          if ('drop' in plan) {
            this.warn(`${label} dropped: ${plan.drop}`);
            subs.push({ out: null, codec });
            continue;
          }
          if (!TEXT_CODECS.has(codec) && !BITMAP_CODECS.has(codec)) {
            this.warn(`${label} dropped: tacet cannot retime ${codec} subtitles`);
            subs.push({ out: null, codec });
            continue;
          }
          if (codec === 'ass' || codec === 'ssa') {
            if (plan.codec !== codec) this.warn(`${label} is written as ${plan.codec}: its ASS styles and positions are dropped, the text is kept`);
          }
          const same = plan.codec === codec || (codec === 'srt' && plan.codec === 'subrip');
          const stream = this.out.addCopiedStream({
            from: same ? par : null,
            mediaType: c.AVMEDIA_TYPE_SUBTITLE,
            codecId: same ? undefined : CODEC_IDS[plan.codec]?.(),
            extradata: same ? undefined : plan.codec === 'mov_text' ? MOV_TEXT_EXTRADATA : null,
            timeBase: { num: 1, den: 1000 },
            disposition: st.disposition,
            metadata: copiedTags(st),
          });
          const sub = new SubtitleOutput(this.out, stream, plan.codec, label, muxer !== 'matroska' && muxer !== 'webm');
          this.outputs.push(sub);
          subs.push({ out: sub, codec });
        } else if (par.codecType === c.AVMEDIA_TYPE_ATTACHMENT) {
          const name = st.metadata?.get('filename') ?? `attachment ${nAtt}`;
          nAtt++;
          if (muxer !== 'matroska') {
            this.warn(`attachment ${name} dropped: ${ext} files cannot hold attachments (Matroska can)`);
            continue;
          }
          this.out.addCopiedStream({ from: par, timeBase: st.timeBase, disposition: st.disposition, metadata: copiedTags(st) });
        } else if (par.codecType === c.AVMEDIA_TYPE_VIDEO && st.hasDisposition(c.AV_DISPOSITION_ATTACHED_PIC)) {
          if (this.opts.coverArt === false) continue;
          await this.addCoverArt(firstPath, st, codec, muxer, ext);
        }
      }
      if (this.outputs.length === 0) return;

      // One reader per source the main layer uses; each of its subtitle streams feeds the output
      // stream with the same number when its codec can be written as that stream's codec.
      const layer = mainLayer(tl);
      const bySource = new Map<string, Clip[]>();
      for (const clip of layer) {
        const list = bySource.get(clip.src);
        if (list) list.push(clip);
        else bySource.set(clip.src, [clip]);
      }
      for (const [path, clips] of bySource) {
        if (!sources.has(path)) continue;
        const srcFmt = await openFormat(path);
        const routes = new Map<number, Route>();
        let k = 0;
        // Another source's subtitle streams feed the output streams made from the first source's.
        for (const st of srcFmt.streams) {
          if (st.codecpar.codecType !== c.AVMEDIA_TYPE_SUBTITLE) continue;
          const target = subs[k++]?.out;
          if (!target) continue;
          const codec = av().lib.avGetCodecName(st.codecpar.codecId) ?? 'unknown';
          const bitmap = BITMAP_CODECS.has(codec);
          const fits = bitmap ? codec === target.codec : TEXT_CODECS.has(codec);
          if (!fits) {
            this.warn(`subtitles of ${path} left out of ${target.label}: ${codec} cannot be written as ${target.codec}`);
            continue;
          }
          routes.set(st.index, { out: target, codec, bitmap });
        }
        if (routes.size === 0) {
          srcFmt.closeInputSync();
          continue;
        }
        this.readers.push(new SubtitleReader(srcFmt, routes, new SpanMap(clipSpans(clips, tl.tb)), clips, tl.tb));
      }
    } finally {
      input.close();
    }
  }

  private async addCoverArt(path: string, st: Stream, codec: string, muxer: string, ext: string): Promise<void> {
    const { c } = av();
    const kind = coverArtKind(muxer, codec);
    if (!kind) {
      this.warn(`cover art (${codec}) dropped: ${ext} files cannot hold it`);
      return;
    }
    const pic = await readAttachedPicture(path, st.index);
    if (!pic || !pic.data) {
      pic?.free();
      this.warn(`cover art (${codec}) dropped: its picture could not be read`);
      return;
    }
    if (kind === 'attachment') {
      const mimetype = codec === 'png' ? 'image/png' : codec === 'bmp' ? 'image/bmp' : 'image/jpeg';
      const tags = copiedTags(st);
      const filename = tags.filename ?? `cover.${codec === 'png' ? 'png' : codec === 'bmp' ? 'bmp' : 'jpg'}`;
      this.out.addCopiedStream({
        from: st.codecpar,
        mediaType: c.AVMEDIA_TYPE_ATTACHMENT,
        extradata: Buffer.from(pic.data),
        timeBase: { num: 1, den: 1000 },
        disposition: 0,
        metadata: { ...tags, filename, mimetype },
      });
      pic.free();
      return;
    }
    const stream = this.out.addCopiedStream({
      from: st.codecpar,
      timeBase: st.timeBase,
      disposition: st.disposition,
      metadata: copiedTags(st),
    });
    this.pictures.push({ stream, pkt: pic });
  }

  /** Writes the cover art; call right after the header. */
  begin(): void {
    for (const { stream, pkt } of this.pictures) {
      pkt.streamIndex = stream.index;
      if (pkt.pts === NOPTS) pkt.pts = 0n;
      if (pkt.dts === NOPTS) pkt.dts = 0n;
      pkt.pos = -1n;
      this.out.writePacket(pkt);
      pkt.free();
    }
    this.pictures.length = 0;
  }

  /** Writes the subtitle packets that start before timeline frame `frame`. */
  async renderUntil(frame: number): Promise<void> {
    if (this.outputs.length === 0) return;
    for (const r of this.readers) await r.fill(frame, this.opts.signal);
    const seconds = (frame * this.tb.den) / this.tb.num;
    for (const o of this.outputs) o.emitUntil(seconds);
  }

  /** Writes whatever is left and reports what had to be dropped; call before the trailer. */
  finish(): void {
    for (const o of this.outputs) {
      o.emitUntil(Number.POSITIVE_INFINITY);
      if (o.droppedPictures) {
        this.warn(`${o.label}: ${o.droppedPictures} picture(s) dropped: they cross a cut or a speed change, and a subtitle picture cannot be cut or retimed`);
      }
      if (o.late) this.warn(`${o.label}: ${o.late} cue(s) dropped: they were stored far out of order in the source`);
    }
  }

  /** Releases the readers and any packet not written. */
  close(): void {
    for (const r of this.readers) r.close();
    this.readers.length = 0;
    for (const o of this.outputs) o.close();
    for (const p of this.pictures) p.pkt.free();
    this.pictures.length = 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Sidecar subtitle files

/** Sidecar subtitle extensions, in the order auto-editor looks for them. */
export const SIDECAR_EXTENSIONS = ['.srt', '.vtt', '.ass'] as const;

/** Sidecar subtitle files beside a media file: `<dir>/<stem>.srt`, `.vtt`, `.ass` that exist. */
export function findSidecars(media: string): string[] {
  const stem = join(dirname(media), basename(media, extname(media)));
  return SIDECAR_EXTENSIONS.map((ext) => `${stem}${ext}`).filter((p) => existsSync(p));
}

const TIME = String.raw`(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d+))?`;

function clock(h: string | undefined, m: string, s: string, frac: string | undefined): number {
  return Number(h ?? 0) * 3600 + Number(m) * 60 + Number(s) + (frac ? Number(`0.${frac}`) : 0);
}

function hms(totalUnits: number, unitsPerSecond: number): { h: number; m: number; s: number; f: number } {
  const f = totalUnits % unitsPerSecond;
  const secs = (totalUnits - f) / unitsPerSecond;
  return { h: Math.floor(secs / 3600), m: Math.floor(secs / 60) % 60, s: secs % 60, f };
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

function msTime(ms: number, sep: ',' | '.'): string {
  const t = hms(ms, 1000);
  return `${pad(t.h)}:${pad(t.m)}:${pad(t.s)}${sep}${pad(t.f, 3)}`;
}

function csTime(cs: number): string {
  const t = hms(cs, 100);
  return `${t.h}:${pad(t.m)}:${pad(t.s)}.${pad(t.f)}`;
}

interface TimedBlock {
  start: number;
  end: number;
  /** Order in the file, to keep equal starts in file order. */
  order: number;
}

function blocksOf(text: string): string[] {
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n').split(/\n[ \t]*\n/);
}

/** A SubRip file retimed: each cue mapped through the clips, renumbered, in output order. */
function retimeSrt(text: string, map: SpanMap): string {
  const arrow = new RegExp(`^\\s*${TIME}\\s*-->\\s*${TIME}(.*)$`);
  const cues: Array<TimedBlock & { rest: string; body: string }> = [];
  let order = 0;
  for (const block of blocksOf(text)) {
    const lines = block.split('\n');
    const at = lines.findIndex((l) => arrow.test(l));
    if (at < 0) continue;
    const m = arrow.exec(lines[at])!;
    const body = lines.slice(at + 1).join('\n').replace(/\n+$/, '');
    for (const [s, e] of map.map(clock(m[1], m[2], m[3], m[4]), clock(m[5], m[6], m[7], m[8]))) {
      const start = Math.round(s * 1000);
      const end = Math.round(e * 1000);
      if (end > start) cues.push({ start, end, order: order++, rest: m[9].trimEnd(), body });
    }
  }
  cues.sort((a, b) => a.start - b.start || a.order - b.order);
  return cues.map((c, i) => `${i + 1}\n${msTime(c.start, ',')} --> ${msTime(c.end, ',')}${c.rest}\n${c.body}\n`).join('\n');
}

/** A WebVTT file retimed: header, styles and regions kept; cues mapped, identifiers kept unique. */
function retimeVtt(text: string, map: SpanMap): string {
  const arrow = new RegExp(`^\\s*${TIME}\\s*-->\\s*${TIME}(.*)$`);
  const head: string[] = [];
  const cues: Array<TimedBlock & { id: string | null; rest: string; body: string }> = [];
  let order = 0;
  let seenCue = false;
  for (const raw of blocksOf(text)) {
    const block = raw.replace(/^\n+|\n+$/g, '');
    if (!block) continue;
    const lines = block.split('\n');
    const at = lines.findIndex((l) => arrow.test(l));
    if (at < 0) {
      // WEBVTT header, STYLE and REGION blocks must precede the cues; comments after them are dropped.
      if (!seenCue) head.push(block);
      continue;
    }
    seenCue = true;
    const m = arrow.exec(lines[at])!;
    const id = at > 0 ? lines.slice(0, at).join('\n') : null;
    const body = lines.slice(at + 1).join('\n');
    const pieces = map.map(clock(m[1], m[2], m[3], m[4]), clock(m[5], m[6], m[7], m[8]));
    pieces.forEach(([s, e], i) => {
      const start = Math.round(s * 1000);
      const end = Math.round(e * 1000);
      if (end > start) cues.push({ start, end, order: order++, id: id && i > 0 ? `${id}-${i + 1}` : id, rest: m[9].trimEnd(), body });
    });
  }
  cues.sort((a, b) => a.start - b.start || a.order - b.order);
  if (head.length === 0 || !/^WEBVTT/.test(head[0])) head.unshift('WEBVTT');
  const out = cues.map((c) => `${c.id !== null ? `${c.id}\n` : ''}${msTime(c.start, '.')} --> ${msTime(c.end, '.')}${c.rest}\n${c.body}`);
  return [...head, ...out].join('\n\n') + '\n';
}

/** An ASS/SSA file retimed: every line kept except events, which are mapped (one line per piece). */
function retimeAss(text: string, map: SpanMap): string {
  const time = new RegExp(`^\\s*${TIME}\\s*$`);
  let format = ['layer', 'start', 'end', 'style', 'name', 'marginl', 'marginr', 'marginv', 'effect', 'text'];
  let inEvents = false;
  const out: string[] = [];
  const eol = /\r\n/.test(text) ? '\r\n' : '\n';
  for (const line of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const t = line.trim();
    if (t.startsWith('[')) inEvents = t.toLowerCase() === '[events]';
    if (inEvents && /^format\s*:/i.test(t)) format = t.slice(t.indexOf(':') + 1).split(',').map((s) => s.trim().toLowerCase());
    const ev = inEvents ? /^(\s*(?:dialogue|comment)\s*:\s*)(.*)$/i.exec(line) : null;
    if (!ev) {
      out.push(line);
      continue;
    }
    const fields: string[] = [];
    let rest = ev[2];
    for (let i = 0; i < format.length - 1; i++) {
      const comma = rest.indexOf(',');
      if (comma < 0) break;
      fields.push(rest.slice(0, comma));
      rest = rest.slice(comma + 1);
    }
    fields.push(rest); // the text is last and may contain commas
    const si = format.indexOf('start');
    const ei = format.indexOf('end');
    const s = time.exec(fields[si] ?? '');
    const e = time.exec(fields[ei] ?? '');
    if (!s || !e) {
      out.push(line);
      continue;
    }
    for (const [a, b] of map.map(clock(s[1], s[2], s[3], s[4]), clock(e[1], e[2], e[3], e[4]))) {
      const start = Math.round(a * 100);
      const end = Math.round(b * 100);
      if (end <= start) continue;
      const f = [...fields];
      f[si] = csTime(start);
      f[ei] = csTime(end);
      out.push(ev[1] + f.join(','));
    }
  }
  return out.join(eol);
}

/** A subtitle file's text retimed through `map`, in the file's own format (by extension). */
export function retimeSubtitleText(text: string, ext: string, map: SpanMap): string {
  switch (ext.toLowerCase()) {
    case '.srt':
      return retimeSrt(text, map);
    case '.vtt':
      return retimeVtt(text, map);
    case '.ass':
    case '.ssa':
      return retimeAss(text, map);
    default:
      throw new Error(`not a subtitle file extension: ${ext}`);
  }
}
