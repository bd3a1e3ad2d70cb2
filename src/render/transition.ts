/**
 * `--transition dissolve:DURATION[:MIN-CUT]`: cross-dissolves at cuts and fades at both ends.
 *
 * Definition (DURATION and MIN-CUT in tacet's time syntax: `1s`, `0.5sec`, or whole frames `15`):
 * - A *real cut* is a join between two clips that touch on the timeline but are not contiguous in
 *   the source (another source or stream, a backward jump, or a removed part in between).
 * - At every real cut whose removed part is at least MIN-CUT long (default 0; a join between
 *   different sources or a backward jump always counts), the outgoing and incoming clips overlap
 *   for DURATION, centred on the join, like an NLE's dissolve: the incoming clip starts early with
 *   the source material just before its in point, the outgoing clip runs on with the material just
 *   after its out point (the handles). The timeline's length does not change.
 * - Video: frame by frame linear opacity, the incoming clip's weight rising from 0 to 1 (frame k of
 *   a dissolve of n frames weighs (k + 0.5) / n), blended by FFmpeg's `blend` filter.
 * - Audio: an equal-power cross-fade (cos/sin gains) over the same span, which keeps the loudness
 *   of unrelated material steady; it replaces the 3 ms cut fades at those joins.
 * - A handle that does not exist (the incoming clip starts at source frame 0, the outgoing one ends
 *   at the source's end) shortens that half of the dissolve, so it is no longer centred; each half
 *   is also kept within half of its clip, so neighbouring dissolves never overlap. A dissolve that
 *   shrinks to nothing, or touches a speed-changed clip, is left a plain cut.
 * - The timeline fades in from the background colour over DURATION at the start (the first frame
 *   is the background) and out to it at the end (the last frame is the background); audio fades
 *   in and out linearly over the same spans.
 */
import { MediaError, UserError } from '../errors.js';
import { av, averrorMessage } from '../media/av.js';
import type { AvFrame } from '../media/decoder.js';
import { FilterPipe } from '../media/filter.js';
import type { MediaInfo } from '../media/types.js';
import { parseTime, parseTimeValue } from '../edit/time.js';
import type { Clip, Timeline } from '../timeline/model.js';
import { toNumber, type Rational } from '../timeline/rational.js';
import { AudioSource, type PcmSink } from './audio-source.js';
import { VideoSource } from './video-source.js';
import { sourceFrameIndex } from '../timeline/clips.js';

/** A parsed `--transition` value, in timeline frames. */
export interface TransitionSpec {
  kind: 'dissolve';
  duration: number;
  minCut: number;
}

/** Checks `dissolve:DURATION[:MIN-CUT]` before the timebase is known (a UserError when bad). */
export function checkTransition(text: string): void {
  const parts = splitTransition(text);
  const duration = prefixed(() => parseTimeValue(parts[1]));
  if (duration.value <= 0) throw new UserError(`--transition: the duration must be at least one frame, not "${parts[1].trim()}"`);
  if (parts.length === 3 && prefixed(() => parseTimeValue(parts[2])).value < 0) {
    throw new UserError(`--transition: MIN-CUT must not be negative, not "${parts[2].trim()}"`);
  }
}

/** Runs a time parser, naming the option in its error. */
function prefixed<T>(parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof UserError) throw new UserError(`--transition: ${e.message}`);
    throw e;
  }
}

function splitTransition(text: string): string[] {
  const parts = text.split(':');
  const kind = parts[0].trim();
  if (kind !== 'dissolve') throw new UserError(`--transition: unknown transition "${kind}"; use dissolve:DURATION[:MIN-CUT]`);
  if (parts.length < 2 || parts[1].trim() === '') throw new UserError('--transition: give a duration, e.g. dissolve:0.5s');
  if (parts.length > 3) throw new UserError(`--transition: too many values in "${text}"; use dissolve:DURATION[:MIN-CUT]`);
  return parts;
}

/** Parses `dissolve:DURATION[:MIN-CUT]` at timebase `tb`; UserError when bad. */
export function parseTransition(text: string, tb: Rational): TransitionSpec {
  const parts = splitTransition(text);
  const duration = prefixed(() => parseTime(parts[1], tb));
  if (duration <= 0) throw new UserError(`--transition: the duration must be at least one frame, not "${parts[1].trim()}"`);
  const minCut = parts.length === 3 ? prefixed(() => parseTime(parts[2], tb)) : 0;
  if (minCut < 0) throw new UserError(`--transition: MIN-CUT must not be negative, not "${parts[2].trim()}"`);
  return { kind: 'dissolve', duration, minCut };
}

/** One dissolve: timeline frames [start, end) around the join, between `out` and `in`. */
export interface Dissolve {
  start: number;
  join: number;
  end: number;
  out: Clip;
  in: Clip;
}

const isPlain = (c: Clip): boolean => c.speed === 1 && (c.varispeed ?? 1) === 1;

/** Source length of a clip's stream in timeline frames (Infinity when unknown). */
export function sourceFrames(infos: Map<string, MediaInfo>, tb: Rational): (clip: Clip) => number {
  return (clip) => {
    const info = infos.get(clip.src);
    const seconds = info?.duration ?? null;
    return seconds === null || !Number.isFinite(seconds) ? Number.POSITIVE_INFINITY : Math.floor(seconds * toNumber(tb));
  };
}

/** The dissolves of one layer (see the module comment for the rules); pure. */
export function planDissolves(layer: Clip[], spec: TransitionSpec, sourceLength: (clip: Clip) => number): Dissolve[] {
  const clips = [...layer].sort((a, b) => a.start - b.start);
  const out: Dissolve[] = [];
  for (let i = 1; i < clips.length; i++) {
    const a = clips[i - 1];
    const b = clips[i];
    if (a.start + a.dur !== b.start || !isPlain(a) || !isPlain(b)) continue;
    const aEnd = a.offset + a.dur;
    const sameSource = a.src === b.src && a.stream === b.stream;
    if (sameSource && b.offset === aEnd) continue; // contiguous: not a cut
    const removed = sameSource && b.offset > aEnd ? b.offset - aEnd : Number.POSITIVE_INFINITY;
    if (removed < spec.minCut) continue;
    const half = Math.floor(spec.duration / 2);
    const before = Math.max(0, Math.min(half, b.offset, Math.floor(a.dur / 2)));
    const after = Math.max(0, Math.min(spec.duration - half, sourceLength(a) - aEnd, Math.floor(b.dur / 2)));
    if (before + after === 0) continue;
    out.push({ start: b.start - before, join: b.start, end: b.start + after, out: a, in: b });
  }
  return out;
}

/** Lengths of the fade-in and fade-out at the ends of a timeline of `total` frames. */
function endFades(spec: TransitionSpec, total: number): { fadeIn: number; fadeOut: number } {
  const d = Math.min(spec.duration, Math.floor(total / 2));
  return { fadeIn: d, fadeOut: d };
}

/**
 * Timeline frames [start, end) whose picture a transition changes (dissolves on the main video
 * layer and the fades at both ends), merged and sorted: a packet-copy path must re-encode them.
 */
export function transitionFrames(tl: Timeline, spec: TransitionSpec, infos: Map<string, MediaInfo>, total: number): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  const { fadeIn, fadeOut } = endFades(spec, total);
  if (fadeIn > 0) spans.push([0, fadeIn]);
  for (const d of planDissolves(tl.v[0] ?? [], spec, sourceFrames(infos, tl.tb))) spans.push([d.start, d.end]);
  if (fadeOut > 0) spans.push([total - fadeOut, total]);
  spans.sort((x, y) => x[0] - y[0]);
  const merged: Array<[number, number]> = [];
  for (const s of spans) {
    const last = merged.at(-1);
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else merged.push([s[0], s[1]]);
  }
  return merged;
}

/** "#rrggbb" → FFmpeg's "0xrrggbb". */
function ffColor(hex: string): string {
  return /^#[0-9a-fA-F]{6}$/.test(hex) ? `0x${hex.slice(1)}` : 'black';
}

type Lib = ReturnType<typeof av>['lib'];
type FilterGraph = InstanceType<Lib['FilterGraph']>;
type FilterContext = InstanceType<Lib['FilterContext']>;

/** FFmpeg's `blend` on two frames: out = top × opacity + bottom × (1 − opacity), any formats. */
class Blender {
  private readonly out: AvFrame;
  private constructor(
    readonly key: string,
    private readonly graph: FilterGraph,
    private readonly top: FilterContext,
    private readonly bottom: FilterContext,
    private readonly sink: FilterContext,
  ) {
    this.out = new (av().lib.Frame)();
    this.out.alloc();
  }

  static keyOf(top: AvFrame, bottom: AvFrame): string {
    return `${top.width}x${top.height}/${top.format}|${bottom.width}x${bottom.height}/${bottom.format}`;
  }

  /** A graph for frames shaped like `top` and `bottom`; the result has `bottom`'s size and format. */
  static create(top: AvFrame, bottom: AvFrame): Blender {
    const { lib } = av();
    const graph = new lib.FilterGraph();
    graph.alloc();
    graph.nbThreads = 0;
    const sar = bottom.sampleAspectRatio;
    const pa = `${sar.num || 1}/${sar.den || 1}`;
    const src = (name: string, f: AvFrame): string =>
      `buffer@${name}=video_size=${f.width}x${f.height}:pix_fmt=${f.format}:time_base=1/1:pixel_aspect=${pa}`;
    const W = bottom.width;
    const H = bottom.height;
    const fit =
      top.width !== W || top.height !== H || top.format !== bottom.format
        ? `scale=${W}:${H}:force_original_aspect_ratio=decrease,pad=${W}:${H}:(ow-iw)/2:(oh-ih)/2,format=pix_fmts=${bottom.format},setsar=${pa}`
        : 'null';
    const desc = `${src('top', top)},${fit}[t];${src('bottom', bottom)}[b];[t][b]blend@mix=all_mode=normal:all_opacity=0,buffersink@out`;
    let r = graph.parse2(desc);
    if (r < 0) throw new MediaError(`invalid blend graph: ${averrorMessage(r)}`);
    r = graph.configSync();
    if (r < 0) throw new MediaError(`could not configure blend graph: ${averrorMessage(r)}`);
    const t = graph.getFilter('buffer@top');
    const b = graph.getFilter('buffer@bottom');
    const sink = graph.getFilter('buffersink@out');
    if (!t || !b || !sink) throw new MediaError('blend graph lost a source or its sink');
    return new Blender(Blender.keyOf(top, bottom), graph, t, b, sink);
  }

  private seq = 0n;

  /** The blend (owned by the Blender until the next call). */
  blend(top: AvFrame, bottom: AvFrame, opacity: number): AvFrame {
    const { c } = av();
    const r0 = this.graph.sendCommand('blend@mix', 'all_opacity', opacity.toFixed(6));
    if (typeof r0 === 'number' && r0 < 0) throw new MediaError(`blend rejected opacity ${opacity}: ${averrorMessage(r0)}`);
    const pts = this.seq++;
    for (const [ctx, f] of [
      [this.top, top],
      [this.bottom, bottom],
    ] as const) {
      const keep = f.pts;
      f.pts = pts;
      const r = ctx.buffersrcAddFrameSync(f, c.AV_BUFFERSRC_FLAG_KEEP_REF);
      f.pts = keep;
      if (r < 0) throw new MediaError(`blend graph rejected a frame: ${averrorMessage(r)}`);
    }
    this.out.unref();
    const r = this.sink.buffersinkGetFrameSync(this.out);
    if (r < 0) throw new MediaError(`blend graph gave no frame: ${averrorMessage(r)}`);
    return this.out;
  }

  close(): void {
    this.out.free();
    this.graph.free();
  }
}

/**
 * The video side: given the frame the layer writer would show at timeline frame n, returns the
 * frame to encode (blended inside dissolves and end fades). The handles come from decoders of
 * their own (one for incoming, one for outgoing handles, per source), so every decoder, the main
 * one included, keeps reading forward.
 */
export class VideoTransitions {
  private readonly dissolves: Dissolve[];
  private di = 0;
  private readonly fadeIn: number;
  private readonly fadeOut: number;
  private readonly handles = new Map<string, VideoSource>();
  private blender: Blender | null = null;
  private background: AvFrame | null = null;
  private backgroundKey = '';

  constructor(
    layer: Clip[],
    spec: TransitionSpec,
    private readonly infos: Map<string, MediaInfo>,
    private readonly tl: Timeline,
    private readonly total: number,
  ) {
    this.dissolves = planDissolves(layer, spec, sourceFrames(infos, tl.tb));
    ({ fadeIn: this.fadeIn, fadeOut: this.fadeOut } = endFades(spec, total));
  }

  /** Handle frame of `clip` at timeline frame n; one decoder per role and source, so each reads forward. */
  private async handleFrame(role: 'in' | 'out', clip: Clip, n: number): Promise<AvFrame | null> {
    const v = this.infos.get(clip.src)?.video[clip.stream];
    if (!v) return null;
    const fpsR = v.avgFrameRate ?? this.tl.tb;
    const key = `${role}:${clip.src}#${clip.stream}`;
    let src = this.handles.get(key);
    if (!src) {
      src = await VideoSource.open(clip.src, clip.stream, fpsR);
      this.handles.set(key, src);
    }
    return src.frameAt(Math.max(0, sourceFrameIndex(clip, n, toNumber(fpsR), toNumber(this.tl.tb))));
  }

  private blend(top: AvFrame, bottom: AvFrame, opacity: number): AvFrame {
    const key = Blender.keyOf(top, bottom);
    if (!this.blender || this.blender.key !== key) {
      this.blender?.close();
      this.blender = Blender.create(top, bottom);
    }
    return this.blender.blend(top, bottom, opacity);
  }

  private backgroundLike(frame: AvFrame): AvFrame {
    const key = `${frame.width}x${frame.height}/${frame.format}`;
    if (this.background && this.backgroundKey === key) return this.background;
    this.background?.free();
    const pipe = FilterPipe.create(
      { kind: 'video', width: frame.width, height: frame.height, pixelFormat: frame.format, timeBase: { num: 1, den: 1 }, sar: frame.sampleAspectRatio },
      `drawbox=x=0:y=0:w=iw:h=ih:color=${ffColor(this.tl.background)}:t=fill`,
    );
    // A copy goes in: the buffer source takes the references of the frame it is given.
    const copy = frame.clone();
    try {
      if (!copy) throw new MediaError('could not copy a frame');
      copy.pts = 0n;
      pipe.push(copy);
      const filled = pipe.pull();
      if (!filled) throw new MediaError('could not paint the background frame');
      this.background = filled.clone();
      this.backgroundKey = key;
    } finally {
      copy?.free();
      pipe.close();
    }
    if (!this.background) throw new MediaError('could not paint the background frame');
    return this.background;
  }

  /** The frame to show at timeline frame `n`, where the layer writer shows `frame`. */
  async frameAt(n: number, frame: AvFrame): Promise<AvFrame> {
    while (this.di < this.dissolves.length && this.dissolves[this.di].end <= n) this.di++;
    let shown = frame;
    const d = this.dissolves[this.di];
    if (d && d.start <= n) {
      const opacity = (n - d.start + 0.5) / (d.end - d.start); // weight of the incoming clip
      const other = n < d.join ? await this.handleFrame('in', d.in, n) : await this.handleFrame('out', d.out, n);
      if (other) {
        shown = n < d.join ? this.blend(other, frame, opacity) : this.blend(frame, other, opacity);
      }
    }
    let picture = 1;
    if (n < this.fadeIn) picture = n / this.fadeIn;
    if (n >= this.total - this.fadeOut) picture = Math.min(picture, (this.total - 1 - n) / this.fadeOut);
    if (picture < 1) shown = this.blend(shown, this.backgroundLike(shown), picture);
    return shown;
  }

  close(): void {
    for (const s of this.handles.values()) s.close();
    this.blender?.close();
    this.background?.free();
  }
}

/**
 * The audio side, between a layer writer and its sink: cross-fades (equal power) over each
 * dissolve, adding the handle audio read by a second decoder per source, and fades both ends of
 * the timeline. The writer must leave out its 3 ms fades at `joins` (timeline frames).
 */
export class AudioTransitions implements PcmSink {
  private readonly windows: Array<{ s: number; j: number; e: number; d: Dissolve }>;
  private wi = 0;
  private pos = 0;
  private readonly fadeIn: number;
  private readonly fadeOutStart: number;
  private readonly fadeOut: number;
  private readonly handles = new Map<string, AudioSource>();
  /** Timeline frames of the joins that get a cross-fade instead of cut fades. */
  readonly joins: Set<number>;

  constructor(
    private readonly inner: PcmSink,
    layer: Clip[],
    spec: TransitionSpec,
    infos: Map<string, MediaInfo>,
    /** The audio timeline (its sampleRate is the output rate). */
    private readonly tl: Timeline,
    total: number,
    private readonly channels: number,
    /** Timeline frame → output sample (the writer's own exact mapping). */
    private readonly toSample: (frame: number) => number,
  ) {
    const dissolves = planDissolves(layer, spec, sourceFrames(infos, tl.tb));
    this.windows = dissolves.map((d) => ({ s: toSample(d.start), j: toSample(d.join), e: toSample(d.end), d }));
    this.joins = new Set(dissolves.map((d) => d.join));
    const fades = endFades(spec, total);
    this.fadeIn = toSample(fades.fadeIn);
    this.fadeOutStart = toSample(total - fades.fadeOut);
    this.fadeOut = toSample(total) - this.fadeOutStart;
  }

  // One decoder for incoming handles and one for outgoing handles per source: each then reads
  // forward along the timeline and never seeks back (a seek may land a few samples off, and the
  // handle must continue the clip's own samples exactly at the join).
  private async handle(role: 'in' | 'out', clip: Clip): Promise<AudioSource> {
    const key = `${role}:${clip.src}#${clip.stream}`;
    let src = this.handles.get(key);
    if (!src) {
      src = await AudioSource.open(clip.src, clip.stream, this.tl.sampleRate, this.tl.layout);
      this.handles.set(key, src);
    }
    return src;
  }

  /** Opens the handle decoders this layer needs (before writing starts: write() is synchronous). */
  async open(): Promise<void> {
    for (const w of this.windows) {
      await this.handle('in', w.d.in);
      await this.handle('out', w.d.out);
    }
  }

  /** Adds `clip`'s source audio for output samples [from, to) × per-sample gain into `out` (block-relative at `base`). */
  private addHandle(role: 'in' | 'out', out: Float32Array, base: number, from: number, to: number, clip: Clip, gain: (t: number) => number): void {
    const src = this.handles.get(`${role}:${clip.src}#${clip.stream}`);
    if (!src || to <= from) return;
    const ch = this.channels;
    const srcStart = this.toSample(clip.offset) + from - this.toSample(clip.start);
    if (srcStart < 0) return;
    src.copyRange(srcStart, to - from, (data, samples, offset) => {
      for (let i = 0; i < samples; i++) {
        const t = from + offset + i;
        const g = gain(t) * clip.volume;
        const o = (t - base) * ch;
        for (let k = 0; k < ch; k++) out[o + k] += data[i * ch + k] * g;
      }
    });
  }

  private endGain(t: number): number {
    let g = 1;
    if (t < this.fadeIn) g = (t + 0.5) / this.fadeIn;
    if (t >= this.fadeOutStart && this.fadeOut > 0) g = Math.min(g, (this.fadeOutStart + this.fadeOut - t - 0.5) / this.fadeOut);
    return g;
  }

  write(data: Float32Array, samples: number): void {
    const p0 = this.pos;
    const p1 = p0 + samples;
    this.pos = p1;
    while (this.wi < this.windows.length && this.windows[this.wi].e <= p0) this.wi++;
    const touched = (this.wi < this.windows.length && this.windows[this.wi].s < p1) || p0 < this.fadeIn || p1 > this.fadeOutStart;
    if (!touched) {
      this.inner.write(data, samples);
      return;
    }
    const ch = this.channels;
    const out = data.slice(0, samples * ch);
    for (let w = this.wi; w < this.windows.length && this.windows[w].s < p1; w++) {
      const { s, j, e, d } = this.windows[w];
      const theta = (t: number): number => (Math.PI / 2) * ((t - s + 0.5) / (e - s));
      for (let t = Math.max(p0, s); t < Math.min(p1, e); t++) {
        const g = t < j ? Math.cos(theta(t)) : Math.sin(theta(t));
        const o = (t - p0) * ch;
        for (let k = 0; k < ch; k++) out[o + k] *= g;
      }
      this.addHandle('in', out, p0, Math.max(p0, s), Math.min(p1, j), d.in, (t) => Math.sin(theta(t)));
      this.addHandle('out', out, p0, Math.max(p0, j), Math.min(p1, e), d.out, (t) => Math.cos(theta(t)));
    }
    if (p0 < this.fadeIn || p1 > this.fadeOutStart) {
      for (let t = p0; t < p1; t++) {
        const g = this.endGain(t);
        if (g === 1) continue;
        const o = (t - p0) * ch;
        for (let k = 0; k < ch; k++) out[o + k] *= g;
      }
    }
    this.inner.write(out, samples);
  }

  close(): void {
    for (const s of this.handles.values()) s.close();
  }
}
