/**
 * `-anorm/--audio-normalize`: loudness (EBU R128) or peak normalisation of rendered audio tracks.
 *
 * It takes two passes over the timeline, and never holds the audio: pass 1 produces each output
 * track's samples exactly as the render will (the same layer writers, clips, speeds and fades) and
 * hands them to a `LevelMeter` instead of an encoder; pass 2 renders with one linear gain per
 * track, computed from pass 1 (`normalizationGain`). Each audio track is normalised on its own.
 *
 * - `peak[:t=-8]`: the gain that brings the largest |sample| to t dBFS.
 * - `ebu[:i=-24,lra=7,tp=-2,gain=0]`: like FFmpeg `loudnorm` in linear mode, one gain that moves
 *   the integrated loudness (BS.1770, measured by FFmpeg's `ebur128` filter) to `i` LUFS, plus
 *   `gain` dB, but never so much that the true peak exceeds `tp` dBTP. When the target cannot be
 *   reached that way (true peak in the way), tacet stays linear: it takes the largest gain the true
 *   peak allows and warns, rather than switching to loudnorm's dynamic compressor/limiter. `lra` is
 *   checked and accepted for compatibility; a linear gain does not change the loudness range.
 */
import { UserError } from '../errors.js';
import { av } from '../media/av.js';
import { FilterPipe, layoutArg } from '../media/filter.js';
import { layoutFromName } from '../media/layout.js';
import type { PcmSink } from './audio-source.js';

/** A parsed `--audio-normalize` value. */
export type AudioNormalization =
  | { kind: 'peak'; /** Target peak, dBFS. */ t: number }
  | {
      kind: 'ebu';
      /** Target integrated loudness, LUFS. */
      i: number;
      /** Target loudness range, LU (accepted; a linear gain leaves the range as it is). */
      lra: number;
      /** Highest true peak allowed, dBTP. */
      tp: number;
      /** Extra gain on top of the loudness target, dB. */
      gain: number;
    };

interface ParamSpec {
  name: string;
  def: number;
  min: number;
  max: number;
  unit: string;
}

// Ranges are FFmpeg loudnorm's (auto-editor hands these values to loudnorm).
const EBU_PARAMS: ParamSpec[] = [
  { name: 'i', def: -24, min: -70, max: -5, unit: 'LUFS' },
  { name: 'lra', def: 7, min: 1, max: 50, unit: 'LU' },
  { name: 'tp', def: -2, min: -9, max: 0, unit: 'dBTP' },
  { name: 'gain', def: 0, min: -99, max: 99, unit: 'dB' },
];
const PEAK_PARAMS: ParamSpec[] = [{ name: 't', def: -8, min: -99, max: 0, unit: 'dBFS' }];

const USAGE = 'use ebu[:i=-24,lra=7,tp=-2,gain=0] or peak[:t=-8]';

/** Parses `ebu[:i=,lra=,tp=,gain=]` or `peak[:t=]` (values by name or in that order); UserError when bad. */
export function parseAudioNormalize(text: string): AudioNormalization {
  const where = '--audio-normalize';
  const colon = text.indexOf(':');
  const kind = (colon < 0 ? text : text.slice(0, colon)).trim();
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  const specs = kind === 'ebu' ? EBU_PARAMS : kind === 'peak' ? PEAK_PARAMS : null;
  if (!specs) throw new UserError(`${where}: unknown kind "${kind}"; ${USAGE}`);
  const values = new Map<string, number>();
  const parts = rest.trim() === '' ? [] : rest.split(',');
  parts.forEach((raw, index) => {
    const part = raw.trim();
    const eq = part.indexOf('=');
    let spec: ParamSpec | undefined;
    if (eq >= 0) {
      const key = part.slice(0, eq).trim();
      spec = specs.find((s) => s.name === key);
      if (!spec) throw new UserError(`${where}: ${kind} has no parameter "${key}"; ${USAGE}`);
    } else {
      spec = specs[index];
      if (!spec) throw new UserError(`${where}: too many values for ${kind}; ${USAGE}`);
    }
    if (values.has(spec.name)) throw new UserError(`${where}: ${spec.name} is given twice`);
    const valueText = (eq >= 0 ? part.slice(eq + 1) : part).trim();
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(valueText)) {
      throw new UserError(`${where}: ${spec.name}=${valueText} is not a number`);
    }
    const value = Number(valueText);
    if (value < spec.min || value > spec.max) {
      throw new UserError(`${where}: ${spec.name}=${valueText} is out of range; give ${spec.min} to ${spec.max} ${spec.unit}`);
    }
    values.set(spec.name, value);
  });
  const get = (name: string): number => values.get(name) ?? specs.find((s) => s.name === name)!.def;
  return kind === 'peak' ? { kind, t: get('t') } : { kind: 'ebu', i: get('i'), lra: get('lra'), tp: get('tp'), gain: get('gain') };
}

/** What pass 1 measured on one track. Levels in dB; -Infinity for silence. */
export interface TrackLevels {
  /** Largest |sample|, dBFS (exact, over the float samples the encoder would get). */
  samplePeak: number;
  /** Integrated loudness, LUFS (ebu only; -Infinity when every block is below the gate). */
  integrated: number;
  /** Loudness range, LU (ebu only). */
  lra: number;
  /** True peak (4× oversampled), dBTP (ebu only; never below the sample peak). */
  truePeak: number;
}

function toDb(linear: number): number {
  return linear > 0 ? 20 * Math.log10(linear) : Number.NEGATIVE_INFINITY;
}

/** Reads a number from `ebur128` frame metadata ("-inf" and "inf" included). */
function metaNumber(value: string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  const n = Number.parseFloat(value);
  if (Number.isNaN(n)) return /-inf/i.test(value) ? Number.NEGATIVE_INFINITY : null;
  return n;
}

/**
 * Measures one track's samples as they stream past: the exact sample peak in JS, and for `ebu`
 * loudness and true peak through FFmpeg's `ebur128` filter (its gating keeps a fixed-size
 * histogram, so memory does not grow with duration).
 */
export class LevelMeter implements PcmSink {
  private peak = 0;
  private readonly pipe: FilterPipe | null;
  private written = 0;
  private integrated = Number.NEGATIVE_INFINITY;
  private lra = 0;
  private truePeak = 0;
  private readonly layout: { nbChannels: number; order: number; mask: bigint };

  constructor(
    kind: AudioNormalization['kind'],
    private readonly sampleRate: number,
    layout: string,
  ) {
    this.layout = layoutFromName(layout);
    if (kind !== 'ebu') {
      this.pipe = null;
      return;
    }
    const { lib } = av();
    this.pipe = FilterPipe.create(
      {
        kind: 'audio',
        sampleRate,
        sampleFormat: lib.avGetSampleFmtFromName('flt'),
        layout: layoutArg(this.layout),
        timeBase: { num: 1, den: sampleRate },
      },
      'ebur128=metadata=1:peak=true',
    );
  }

  /** Takes `samples` interleaved float samples (the same calls an AudioSink gets). */
  write(data: Float32Array, samples: number): void {
    if (samples <= 0) return;
    const n = samples * this.layout.nbChannels;
    let peak = this.peak;
    for (let k = 0; k < n; k++) {
      const v = data[k] < 0 ? -data[k] : data[k];
      if (v > peak) peak = v;
    }
    this.peak = peak;
    if (!this.pipe) return;
    this.pipe.pushSamples(data, samples, this.layout, this.sampleRate, this.written);
    this.written += samples;
    this.drain();
  }

  private drain(): void {
    if (!this.pipe) return;
    for (let f = this.pipe.pull(); f; f = this.pipe.pull()) {
      // Each 100 ms output frame carries the running values; the last one holds the totals.
      const meta = f.getMetadata();
      const i = metaNumber(meta.get('lavfi.r128.I'));
      const lra = metaNumber(meta.get('lavfi.r128.LRA'));
      const tp = metaNumber(meta.get('lavfi.r128.true_peak'));
      if (i !== null) this.integrated = i;
      if (lra !== null) this.lra = lra;
      if (tp !== null) this.truePeak = Math.max(this.truePeak, tp);
    }
  }

  /** Flushes the meter and returns the track's levels. */
  finish(): TrackLevels {
    if (this.pipe) {
      this.pipe.push(null);
      this.drain();
    }
    const samplePeak = toDb(this.peak);
    // ebur128 reports loudness at -70 LUFS (its floor) when nothing passes the gate.
    const integrated = this.integrated <= -70 ? Number.NEGATIVE_INFINITY : this.integrated;
    return { samplePeak, integrated, lra: this.lra, truePeak: Math.max(toDb(this.truePeak), samplePeak) };
  }

  close(): void {
    this.pipe?.close();
  }
}

/** The linear gain for one track, and a warning when the target could not be met. */
export interface TrackGain {
  gain: number;
  warning: string | null;
}

/** The gain that normalises a track with `levels` as `spec` asks (1 for silence). */
export function normalizationGain(spec: AudioNormalization, levels: TrackLevels): TrackGain {
  if (spec.kind === 'peak') {
    if (levels.samplePeak === Number.NEGATIVE_INFINITY) return { gain: 1, warning: 'audio normalisation: the track is silent; left as it is' };
    return { gain: 10 ** ((spec.t - levels.samplePeak) / 20), warning: null };
  }
  if (levels.integrated === Number.NEGATIVE_INFINITY) {
    return { gain: 1, warning: 'audio normalisation: the track is too quiet to measure its loudness (below -70 LUFS); left as it is' };
  }
  const wanted = spec.i - levels.integrated + spec.gain;
  const allowed = spec.tp - levels.truePeak;
  if (wanted <= allowed) return { gain: 10 ** (wanted / 20), warning: null };
  const reached = levels.integrated + allowed;
  return {
    gain: 10 ** (allowed / 20),
    warning:
      `audio normalisation: reaching ${fmt(spec.i + spec.gain)} LUFS would push the true peak above ${fmt(spec.tp)} dBTP; ` +
      `the track gets ${fmt(allowed)} dB instead and ends at about ${fmt(reached)} LUFS`,
  };
}

function fmt(x: number): string {
  return (Math.round(x * 10) / 10).toFixed(1);
}

/** Passes samples on to `inner` multiplied by a constant gain (pass 2 of normalisation). */
export class GainSink implements PcmSink {
  constructor(
    private readonly inner: PcmSink,
    private readonly gain: number,
    private readonly channels: number,
  ) {}

  write(data: Float32Array, samples: number): void {
    if (this.gain === 1) {
      this.inner.write(data, samples);
      return;
    }
    // A copy: `data` may be a view of a decoder's buffer that other reads still use.
    const n = samples * this.channels;
    const out = new Float32Array(n);
    for (let k = 0; k < n; k++) out[k] = data[k] * this.gain;
    this.inner.write(out, samples);
  }
}

/** Something that renders one audio track's samples up to a timeline frame (an AudioLayerWriter). */
export interface TrackRenderer {
  renderUntil(frame: number): Promise<void>;
}

/**
 * Pass 1: renders every track into a LevelMeter (never to an encoder) and returns each track's
 * gain. `makeWriter(i, sink)` builds the same writer the render uses for track i, aimed at `sink`.
 */
export async function measureTrackGains(
  spec: AudioNormalization,
  tracks: number,
  makeWriter: (track: number, sink: PcmSink) => Promise<TrackRenderer>,
  o: {
    sampleRate: number;
    layout: string;
    totalFrames: number;
    /** Timeline frames per step (about a second). */
    step: number;
    /** Called between steps; may throw to cancel (and report progress). */
    tick: (done: number, total: number) => Promise<void>;
  },
): Promise<Array<TrackGain & { levels: TrackLevels }>> {
  const meters: LevelMeter[] = [];
  try {
    const writers: TrackRenderer[] = [];
    for (let t = 0; t < tracks; t++) {
      const meter = new LevelMeter(spec.kind, o.sampleRate, o.layout);
      meters.push(meter);
      writers.push(await makeWriter(t, meter));
    }
    for (let b0 = 0; b0 < o.totalFrames; b0 += o.step) {
      const b1 = Math.min(o.totalFrames, b0 + o.step);
      for (const w of writers) await w.renderUntil(b1);
      await o.tick(b1, o.totalFrames);
    }
    return meters.map((m) => {
      const levels = m.finish();
      return { ...normalizationGain(spec, levels), levels };
    });
  } finally {
    for (const m of meters) m.close();
  }
}
