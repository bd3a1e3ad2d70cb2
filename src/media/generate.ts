import { renameSync, rmSync } from 'node:fs';
import { extname } from 'node:path';
import { tempOutputPath } from '../render/render.js';
import { AudioReader } from './audio-reader.js';
import { loadAv, yieldToLoop } from './av.js';
import { chooseEncoders } from './codecs.js';
import { StreamDecoder } from './decoder.js';
import { OutputFile } from './output.js';
import type { Rational } from '../timeline/rational.js';

/** One generated audio stream. */
export interface GeneratedAudio {
  sampleRate: number;
  layout: 'mono' | 'stereo';
  /** Intervals [start, end) in seconds with a loud tone; silence elsewhere (a -60 dB hiss floor). */
  bursts?: Array<[number, number]>;
  /** A raw aevalsrc expression instead of bursts. */
  expr?: string;
  /**
   * A whole lavfi audio graph instead (fast for long benchmark inputs, where aevalsrc's per-sample
   * expression would dominate).
   */
  graph?: string;
  /** Language tag of the stream (e.g. "eng"). */
  lang?: string;
}

/** A generated recording: FFmpeg lavfi sources encoded to a real file (for tests and benchmarks). */
export interface GenerateSpec {
  /** Seconds. */
  duration: number;
  /** `filters` are appended to the source (e.g. a geq that paints the frame number). */
  video?: { width: number; height: number; rate: Rational; source?: string; filters?: string };
  audio?: GeneratedAudio;
  /** Further audio streams after `audio` (stream 1, 2, …), each with its own content. */
  moreAudio?: GeneratedAudio[];
  encoders?: { video?: string; audio?: string };
  videoOptions?: Record<string, string>;
}

/** aevalsrc expression for tone bursts (0.5 amplitude, 440 Hz) over near-silence. */
export function burstExpr(bursts: Array<[number, number]>): string {
  const gate = bursts.length ? bursts.map(([a, b]) => `gte(t\\,${a})*lt(t\\,${b})`).join('+') : '0';
  return `0.5*sin(2*PI*440*t)*(${gate})+0.0005*sin(2*PI*97*t)`;
}

/** Writes a generated recording to `path` (format from its extension). */
export async function generateMedia(path: string, spec: GenerateSpec): Promise<void> {
  await loadAv();
  const ext = extname(path).toLowerCase();
  const codecs = chooseEncoders(ext, spec.video ? 'h264' : null, null);
  const temp = tempOutputPath(path);
  const out = OutputFile.create(temp, path);
  let ok = false;
  try {
    const vSpec = spec.video && codecs.video ? spec.video : null;
    const videoSink = vSpec
      ? out.addVideo({
          encoder: spec.encoders?.video ?? codecs.video!,
          width: vSpec.width,
          height: vSpec.height,
          frameRate: vSpec.rate,
          sar: { num: 1, den: 1 },
          pixelFormat: 'yuv420p',
          options: spec.videoOptions ?? { preset: 'ultrafast' },
        })
      : null;
    const audioSpecs = [...(spec.audio ? [spec.audio] : []), ...(spec.moreAudio ?? [])];
    const audioSinks = audioSpecs.map((a) =>
      out.addAudio({ encoder: spec.encoders?.audio ?? codecs.audio ?? 'aac', sampleRate: a.sampleRate, layout: a.layout, lang: a.lang ?? null }),
    );
    out.begin();
    if (vSpec && videoSink) {
      const src = vSpec.source ?? 'testsrc2';
      const graph =
        `${src}${src.includes('=') ? ':' : '='}size=${vSpec.width}x${vSpec.height}:rate=${vSpec.rate.num}/${vSpec.rate.den}:duration=${spec.duration}` +
        (vSpec.filters ? `,${vSpec.filters}` : '');
      const dec = await StreamDecoder.open(graph, 'video', 0, { inputFormat: 'lavfi' });
      try {
        let n = 0;
        for (let f = dec.next(); f; f = dec.next()) {
          videoSink.write(f, n++);
          if (n % 256 === 0) await yieldToLoop();
        }
      } finally {
        dec.close();
      }
    }
    for (let k = 0; k < audioSpecs.length; k++) {
      const aSpec = audioSpecs[k];
      const audioSink = audioSinks[k];
      const expr = aSpec.expr ?? burstExpr(aSpec.bursts ?? []);
      const channels = aSpec.layout === 'stereo' ? `${expr}|${expr}` : expr;
      const graph = aSpec.graph ?? `aevalsrc=exprs=${channels}:s=${aSpec.sampleRate}:d=${spec.duration}:c=${aSpec.layout}`;
      const reader = await AudioReader.open(graph, 0, {
        format: 'flt',
        inputFormat: 'lavfi',
        chunkSamples: 16384,
        sampleRate: aSpec.sampleRate,
        layout: aSpec.layout,
      });
      try {
        let i = 0;
        for (let c = reader.read(); c; c = reader.read()) {
          audioSink.write(c.data, c.samples);
          if (++i % 64 === 0) await yieldToLoop();
        }
      } finally {
        reader.close();
      }
    }
    out.finish();
    renameSync(temp, path);
    ok = true;
  } finally {
    out.close();
    if (!ok) rmSync(temp, { force: true });
  }
}
