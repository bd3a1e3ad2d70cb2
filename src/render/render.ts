import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { CancelledError, UserError } from '../errors.js';
import { loadAv, yieldToLoop } from '../media/av.js';
import { OutputFile, nearestSupportedRate, type AudioSink, type VideoSink } from '../media/output.js';
import type { MediaInfo } from '../media/types.js';
import { timelineLength, type Clip, type Timeline } from '../timeline/model.js';
import { toNumber } from '../timeline/rational.js';
import { AudioSource, shapeClipAudio, writeClipAudio, type AudioClipPlan, type PcmSink } from './audio-source.js';
import { layoutFromName } from '../media/layout.js';
import { ExtraStreams } from './streams.js';
import { StretchedClip } from './stretch.js';
import { VideoSource } from './video-source.js';
import { backgroundFrame } from './background.js';
import type { AvFrame } from '../media/decoder.js';
import { AudioMixer } from './mix.js';
import { encoderPixelFormatFor, parseEncodeSettings, sourceCodecs, type RenderRequest } from './settings.js';
import { AudioTransitions, parseTransition, VideoTransitions } from './transition.js';
import { GainSink, measureTrackGains, parseAudioNormalize, type TrackRenderer } from './normalize.js';
import { LosslessVideoWriter, type LosslessReport } from './lossless.js';
import { sourceFrameIndex } from '../timeline/clips.js';

/** Fade length at cut edges: long enough to remove clicks, too short to hear. */
const FADE_SECONDS = 0.003;

export interface RenderOptions {
  output: string;
  /** Render settings as given (`-c:v`, `-crf`, `-anorm`, …); default {}. */
  render?: RenderRequest;
  /**
   * Called with (doneFrames, totalFrames, stage) at most a few times per second; `stage` is
   * "Measuring loudness" during the first pass of `-anorm`, else undefined (rendering).
   */
  onProgress?: (done: number, total: number, stage?: string) => void;
  signal?: AbortSignal;
  /** Told about every source stream the output cannot keep (subtitles, attachments, cover art). */
  onWarning?: (message: string) => void;
}

export interface RenderReport {
  output: string;
  frames: number;
  /** Source frames decoded and seeks made, summed over sources (shows cuts were skipped). */
  decodedFrames: number;
  seeks: number;
  /** Corrupt packets skipped while decoding. */
  skippedPackets: number;
  /** Whether whole GOPs were copied instead of re-encoded (and which), or why not. */
  partialLossless?: LosslessReport;
}

/** Sample index of the start of timeline frame `frame` (exact integer maths; no drift). */
export function frameToSample(frame: number, sampleRate: number, tb: { num: number; den: number }): number {
  // frame × den × rate stays below 2^53 for any real input, so this is exact.
  return Math.floor((frame * tb.den * sampleRate) / tb.num);
}

/** Temporary name beside the output, so the final rename is atomic on the same filesystem. */
export function tempOutputPath(output: string): string {
  const ext = extname(output);
  return join(dirname(output), `.${basename(output, ext)}.tacet-${process.pid}.partial${ext}`);
}

/** Refuses outputs that would destroy an input or cannot be written. */
export function checkOutputPath(output: string, inputs: string[]): void {
  const out = resolve(output);
  for (const input of inputs) {
    if (resolve(input) === out) throw new UserError(`output ${output} is the same file as the input; choose another name with -o`);
  }
  if (existsSync(out) && statSync(out).isDirectory()) throw new UserError(`output ${output} is a directory`);
  const dir = dirname(out);
  if (!existsSync(dir)) throw new UserError(`output folder does not exist: ${dirname(output)}`);
}

/**
 * Renders a timeline to a media file, streaming: every source is decoded once, forward, skipping
 * (by seeking) the parts that are cut; nothing proportional to the duration is held in memory.
 */
export async function renderTimeline(tl: Timeline, sources: Map<string, MediaInfo>, opts: RenderOptions): Promise<RenderReport> {
  await loadAv();
  const output = opts.output;
  const ext = extname(output).toLowerCase();
  const first = sources.values().next().value as MediaInfo | undefined;
  if (!first) throw new UserError('the timeline has no source media');
  checkOutputPath(output, [...sources.keys()]);
  const normalization = opts.render?.audioNormalize ? parseAudioNormalize(opts.render.audioNormalize) : null;
  const transition = opts.render?.transition ? parseTransition(opts.render.transition, tl.tb) : null;

  const firstVideo = [...sources.values()].find((s) => s.video.length > 0);
  const settings = parseEncodeSettings(opts.render ?? {}, ext, sourceCodecs(...sources.values()));
  const videoLayer = settings.video && tl.v.length > 0 && firstVideo ? tl.v[0] : null;
  const audioLayers = settings.audio ? tl.a.filter((layer) => layer.length > 0) : [];
  if (!videoLayer && audioLayers.length === 0) throw new UserError('nothing to render: the timeline has no clips');

  const temp = tempOutputPath(output);
  const out = OutputFile.create(temp, output, { muxerOptions: settings.muxerOptions });
  const videoSources = new Map<string, VideoSource>();
  const audioSources: AudioSource[] = [];
  let extras: ExtraStreams | null = null;
  let videoWriter: VideoLayerWriter | null = null;
  let videoTransitions: VideoTransitions | null = null;
  const audioTransitions: AudioTransitions[] = [];
  let lossless: LosslessVideoWriter | null = null;
  let completed = false;
  try {
    let videoSink: VideoSink | null = null;
    let losslessReport: LosslessReport | undefined;
    if (videoLayer && settings.video) {
      // Copy the GOPs that survive unchanged when the output can hold them (else re-encode all).
      const choice = await LosslessVideoWriter.create(tl, videoLayer, sources, out, {
        ext,
        request: opts.render ?? {},
        encoder: settings.video.encoder,
        videoSources,
        signal: opts.signal,
      });
      if ('writer' in choice) lossless = choice.writer;
      else losslessReport = { used: false, reason: choice.reason };
    }
    if (videoLayer && settings.video && !lossless) {
      const v = firstVideo!.video[0];
      const video = settings.video;
      const pixelFormat = video.pixelFormat ?? encoderPixelFormatFor(video.encoder, v.pixelFormat);
      videoSink = out.addVideo({
        encoder: video.encoder,
        ...scaledSize(tl.resolution, video.scale, pixelFormat),
        frameRate: tl.tb,
        sar: v.sampleAspectRatio,
        pixelFormat,
        options: video.options,
        padColor: tl.background,
      });
    }
    const audio = settings.audio;
    // Some encoders take only certain rates (Opus: 48 kHz and divisors): resample to the nearest one.
    const sampleRate = audio ? nearestSupportedRate(audio.encoder, tl.sampleRate) : tl.sampleRate;
    const layout = audio?.layout ?? tl.layout;
    const audioTl: Timeline = sampleRate === tl.sampleRate && layout === tl.layout ? tl : { ...tl, sampleRate, layout };
    const trackCount = audio?.mix ? Math.min(1, audioLayers.length) : audioLayers.length;
    const audioSinks: AudioSink[] = [];
    for (let i = 0; i < trackCount; i++) {
      audioSinks.push(out.addAudio({ encoder: audio!.encoder, sampleRate, layout, bitrate: audio!.bitrate, lang: tl.langs[i] ?? null }));
    }
    extras = await ExtraStreams.add(out, tl, sources, {
      ext,
      onWarning: opts.onWarning,
      signal: opts.signal,
      subtitles: settings.subtitles,
      coverArt: settings.coverArt,
    });
    out.begin();
    extras.begin();

    const total = timelineLength(tl);
    const fadeSamples = Math.round(FADE_SECONDS * sampleRate);
    const step = Math.max(1, Math.round(toNumber(tl.tb)));
    let lastReport = 0;
    const tick = async (done: number, stage?: string): Promise<void> => {
      const now = performance.now();
      if (now - lastReport > 100) {
        lastReport = now;
        opts.onProgress?.(done, total, stage);
        await yieldToLoop();
        if (opts.signal?.aborted) throw new CancelledError('cancelled');
      }
    };
    const channels = layoutFromName(audioTl.layout).nbChannels;
    // --transition: dissolves and end fades sit between each layer writer and its sink.
    const audioWriter = async (i: number, sink: PcmSink, pool: AudioSource[]): Promise<AudioLayerWriter> => {
      if (!transition) return new AudioLayerWriter(audioLayers[i], sink, sources, pool, audioTl, fadeSamples, settings.noSeek);
      const t = new AudioTransitions(sink, audioLayers[i], transition, sources, audioTl, total, channels, (f) => frameToSample(f, sampleRate, tl.tb));
      audioTransitions.push(t);
      await t.open();
      return new AudioLayerWriter(audioLayers[i], t, sources, pool, audioTl, fadeSamples, settings.noSeek, t.joins);
    };
    // One renderer per output track: its layer's writer or, with --mix-audio-streams, every layer's
    // writer feeding one mixer.
    const trackRenderer = async (track: number, sink: PcmSink, pool: AudioSource[]): Promise<TrackRenderer & { finish(): void }> => {
      if (!audio?.mix) {
        const w = await audioWriter(track, sink, pool);
        return { renderUntil: (f) => w.renderUntil(f), finish: () => {} };
      }
      const mixer = new AudioMixer(sink, audioLayers.length, channels);
      const writers: AudioLayerWriter[] = [];
      for (let i = 0; i < audioLayers.length; i++) writers.push(await audioWriter(i, mixer.input(i), pool));
      return {
        renderUntil: async (f) => {
          for (const w of writers) await w.renderUntil(f);
        },
        finish: () => mixer.flush(),
      };
    };
    // -anorm pass 1: the same track renderers, aimed at level meters; pass 2 applies one gain per track.
    let trackSinks: PcmSink[] = audioSinks;
    if (normalization && audioSinks.length > 0) {
      const measureSources: AudioSource[] = [];
      try {
        const gains = await measureTrackGains(
          normalization,
          audioSinks.length,
          async (t, sink) => {
            const r = await trackRenderer(t, sink, measureSources);
            return { renderUntil: async (f) => { await r.renderUntil(f); if (f === total) r.finish(); } };
          },
          { sampleRate, layout: audioTl.layout, totalFrames: total, step, tick: (d) => tick(d, 'Measuring loudness') },
        );
        opts.onProgress?.(total, total, 'Measuring loudness');
        for (const g of gains) if (g.warning) opts.onWarning?.(g.warning);
        trackSinks = audioSinks.map((sink, i) => new GainSink(sink, gains[i].gain, channels));
      } finally {
        for (const s of measureSources) s.close();
        for (const t of audioTransitions.splice(0)) t.close();
      }
    }
    if (transition && videoLayer) videoTransitions = new VideoTransitions(videoLayer, transition, sources, tl, total);
    if (videoLayer && videoSink) videoWriter = new VideoLayerWriter(videoLayer, videoSink, sources, videoSources, tl, settings.noSeek, videoTransitions);
    const layerWriter = lossless ?? videoWriter;
    const tracks: Array<TrackRenderer & { finish(): void }> = [];
    for (let t = 0; t < audioSinks.length; t++) tracks.push(await trackRenderer(t, trackSinks[t], audioSources));
    // Advance all streams together, a second of timeline at a time, so the muxer can interleave
    // without buffering much.
    for (let b0 = 0; b0 < total; b0 += step) {
      const b1 = Math.min(total, b0 + step);
      if (layerWriter) await layerWriter.renderUntil(b1);
      for (const t of tracks) await t.renderUntil(b1);
      await extras.renderUntil(b1);
      await tick(b1);
    }
    for (const t of tracks) t.finish();
    opts.onProgress?.(total, total);
    lossless?.finish();
    extras.finish();
    out.finish();
    renameSync(temp, output);
    completed = true;
    let decodedFrames = 0;
    let seeks = 0;
    let skippedPackets = 0;
    for (const s of videoSources.values()) {
      decodedFrames += s.decoded;
      seeks += s.seeks;
      skippedPackets += s.skipped;
    }
    for (const s of audioSources) {
      seeks += s.seeks;
      skippedPackets += s.skipped;
    }
    return { output, frames: total, decodedFrames, seeks, skippedPackets, partialLossless: lossless?.report ?? losslessReport };
  } finally {
    lossless?.close();
    for (const s of videoSources.values()) s.close();
    videoWriter?.close();
    for (const s of audioSources) s.close();
    videoTransitions?.close();
    for (const t of audioTransitions) t.close();
    extras?.close();
    out.close();
    if (!completed) rmSync(temp, { force: true });
  }
}

/**
 * The output size for `--scale`: the timeline's resolution times `scale`, rounded to even numbers
 * where the pixel format halves the chroma (4:2:0 both ways, 4:2:2 across), as encoders require.
 */
export function scaledSize(resolution: [number, number], scale: number, pixelFormat: string): { width: number; height: number } {
  const halfWidth = /^(yuv|yuva|yuvj)4(20|22|11|10)|^nv(12|16|20|21)|^p0(10|12|16)|^y210/.test(pixelFormat);
  const halfHeight = /^(yuv|yuva|yuvj)4(20|10)|^nv(12|21)|^p0(10|12|16)/.test(pixelFormat);
  const round = (x: number, even: boolean) => (even ? Math.max(2, 2 * Math.round(x / 2)) : Math.max(1, Math.round(x)));
  if (scale === 1 && (!halfWidth || resolution[0] % 2 === 0) && (!halfHeight || resolution[1] % 2 === 0)) {
    return { width: resolution[0], height: resolution[1] };
  }
  return { width: round(resolution[0] * scale, halfWidth), height: round(resolution[1] * scale, halfHeight) };
}

function sortedClips(layer: Clip[]): Clip[] {
  return [...layer].sort((a, b) => a.start - b.start);
}

/** Writes one video layer frame by frame; clips choose source frames by nearest index. */
class VideoLayerWriter {
  private readonly clips: Clip[];
  private ci = 0;
  private n = 0;
  /** The background frame, made when the layer first has nothing to show. */
  private background: AvFrame | null = null;
  constructor(
    layer: Clip[],
    private readonly sink: VideoSink,
    private readonly infos: Map<string, MediaInfo>,
    private readonly open: Map<string, VideoSource>,
    private readonly tl: Timeline,
    private readonly noSeek = false,
    private readonly transitions: VideoTransitions | null = null,
  ) {
    this.clips = sortedClips(layer);
  }

  private async source(clip: Clip): Promise<{ src: VideoSource; fps: number }> {
    const info = this.infos.get(clip.src);
    const v = info?.video[clip.stream];
    if (!info || !v) throw new UserError(`video stream ${clip.stream} of ${clip.src} does not exist`);
    const fpsR = v.avgFrameRate ?? this.tl.tb;
    const key = `${clip.src}#${clip.stream}`;
    let src = this.open.get(key);
    if (!src) {
      src = await VideoSource.open(clip.src, clip.stream, fpsR, { noSeek: this.noSeek });
      this.open.set(key, src);
    }
    return { src, fps: toNumber(fpsR) };
  }

  async renderUntil(end: number): Promise<void> {
    const tb = toNumber(this.tl.tb);
    while (this.n < end) {
      while (this.ci < this.clips.length && this.clips[this.ci].start + this.clips[this.ci].dur <= this.n) this.ci++;
      const clip = this.clips[this.ci];
      if (!clip || clip.start > this.n) {
        // A gap in the layer (e.g. an audio-only input among video inputs): the background shows.
        await this.fillBackground(clip ? Math.min(end, clip.start) : end);
        continue;
      }
      const { src, fps } = await this.source(clip);
      const stop = Math.min(end, clip.start + clip.dur);
      for (; this.n < stop; this.n++) {
        const frame = src.frameAt(sourceFrameIndex(clip, this.n, fps, tb));
        if (frame) this.sink.write(this.transitions ? await this.transitions.frameAt(this.n, frame) : frame, this.n);
      }
    }
  }

  private async fillBackground(until: number): Promise<void> {
    this.background ??= await backgroundFrame(this.tl.resolution[0], this.tl.resolution[1], this.tl.background);
    for (; this.n < until; this.n++) this.sink.write(this.background, this.n);
  }

  close(): void {
    this.background?.free();
  }
}

/** Writes one audio layer: exact sample ranges per clip, silence in gaps, fades at cuts. */
class AudioLayerWriter {
  private readonly clips: Clip[];
  private readonly plans: Array<AudioClipPlan & { srcCount: number }>;
  private ci = 0;
  /** The speed-changed clip being written, kept across blocks. */
  private stretched: { index: number; clip: StretchedClip } | null = null;
  /** Output samples written so far. */
  private pos = 0;
  private readonly sourceByKey = new Map<string, AudioSource>();

  constructor(
    layer: Clip[],
    private readonly sink: PcmSink,
    private readonly infos: Map<string, MediaInfo>,
    private readonly all: AudioSource[],
    private readonly tl: Timeline,
    private readonly fade: number,
    private readonly noSeek = false,
    /** Timeline frames of joins cross-faded by a transition: no cut fades there. */
    smoothJoins: ReadonlySet<number> = new Set(),
  ) {
    this.clips = sortedClips(layer);
    const sr = tl.sampleRate;
    this.plans = this.clips.map((clip, i) => {
      const srcFrame = clip.offset * clip.speed;
      const prev = this.clips[i - 1];
      const next = this.clips[i + 1];
      const srcEnd = srcFrame + clip.dur * clip.speed;
      const joinsPrev = prev && prev.src === clip.src && prev.stream === clip.stream && prev.offset * prev.speed + prev.dur * prev.speed === srcFrame;
      const joinsNext = next && next.src === clip.src && next.stream === clip.stream && next.offset * next.speed === srcEnd;
      const srcStart = frameToSample(srcFrame, sr, tl.tb);
      return {
        srcStart,
        srcCount: frameToSample(srcEnd, sr, tl.tb) - srcStart,
        count: frameToSample(clip.start + clip.dur, sr, tl.tb) - frameToSample(clip.start, sr, tl.tb),
        fadeIn: srcFrame > 0 && !joinsPrev && !smoothJoins.has(clip.start),
        fadeOut: !joinsNext && !(next === undefined && this.isSourceEnd(clip, srcEnd)) && !smoothJoins.has(clip.start + clip.dur),
        gain: clip.volume,
      };
    });
  }

  private isSourceEnd(clip: Clip, srcEndFrame: number): boolean {
    const info = this.infos.get(clip.src);
    const a = info?.audio[clip.stream];
    const seconds = a?.duration ?? info?.duration ?? Number.POSITIVE_INFINITY;
    return srcEndFrame >= Math.floor(seconds * toNumber(this.tl.tb));
  }

  private async source(clip: Clip): Promise<AudioSource> {
    const info = this.infos.get(clip.src);
    if (!info || !info.audio[clip.stream]) throw new UserError(`audio stream ${clip.stream} of ${clip.src} does not exist`);
    const key = `${clip.src}#${clip.stream}`;
    let src = this.sourceByKey.get(key);
    if (!src) {
      src = await AudioSource.open(clip.src, clip.stream, this.tl.sampleRate, this.tl.layout, { noSeek: this.noSeek });
      this.sourceByKey.set(key, src);
      this.all.push(src);
    }
    return src;
  }

  async renderUntil(endFrame: number): Promise<void> {
    const sr = this.tl.sampleRate;
    const end = frameToSample(endFrame, sr, this.tl.tb);
    while (this.pos < end) {
      while (this.ci < this.clips.length && this.clipEnd(this.ci) <= this.pos) this.ci++;
      const clip = this.clips[this.ci];
      if (!clip) {
        this.silence(end - this.pos);
        return;
      }
      const clipStart = frameToSample(clip.start, sr, this.tl.tb);
      if (clipStart > this.pos) {
        this.silence(Math.min(end, clipStart) - this.pos);
        continue;
      }
      const plan = this.plans[this.ci];
      const from = this.pos - clipStart;
      const to = Math.min(plan.count, end - clipStart);
      const source = await this.source(clip);
      const varispeed = (clip as Clip & { varispeed?: number }).varispeed ?? 1;
      if (clip.speed === 1 && varispeed === 1) {
        writeClipAudio(source, this.sink, plan, from, to, this.fade);
      } else {
        if (this.stretched?.index !== this.ci) {
          this.stretched?.clip.close();
          const layout = layoutFromName(this.tl.layout);
          const sc = new StretchedClip(source, plan.srcStart, plan.srcCount, plan.count, this.tl.sampleRate, layout, clip.speed, varispeed);
          this.stretched = { index: this.ci, clip: sc };
        }
        const data = this.stretched.clip.read(to - from);
        this.sink.write(shapeClipAudio(data, to - from, from, plan, this.fade, source.channels), to - from);
        if (to === plan.count) {
          this.stretched.clip.close();
          this.stretched = null;
        }
      }
      this.pos += to - from;
    }
  }

  private clipEnd(i: number): number {
    const c = this.clips[i];
    return frameToSample(c.start + c.dur, this.tl.sampleRate, this.tl.tb);
  }

  private silence(samples: number): void {
    const ch = layoutFromName(this.tl.layout).nbChannels;
    for (let done = 0; done < samples; ) {
      const n = Math.min(4096, samples - done);
      this.sink.write(new Float32Array(n * ch), n);
      done += n;
      this.pos += n;
    }
  }
}
