import { AudioReader } from '../../src/media/audio-reader.js';

/**
 * Integrated loudness (ITU-R BS.1770-4, LUFS) of the first audio stream of `path`, written here
 * independently of the renderer (which measures with FFmpeg's ebur128): K-weighting biquads for
 * any rate (libebur128's formulas), 400 ms blocks every 100 ms, absolute gate -70 LUFS, relative
 * gate -10 LU. Channels weigh 1 (mono/stereo test files). Returns -Infinity when all is gated.
 */
export async function integratedLoudness(path: string): Promise<number> {
  const reader = await AudioReader.open(path, 0, { format: 'flt', chunkSamples: 16384 });
  const sr = reader.sampleRate;
  const ch = reader.channels;
  // Stage 1: high-shelf (head), stage 2: high-pass (RLB).
  let f0 = 1681.974450955533;
  const G = 3.999843853973347;
  let Q = 0.7071752369554196;
  let K = Math.tan((Math.PI * f0) / sr);
  const Vh = 10 ** (G / 20);
  const Vb = Vh ** 0.4996667741545416;
  const a0 = 1 + K / Q + K * K;
  const pb = [(Vh + (Vb * K) / Q + K * K) / a0, (2 * (K * K - Vh)) / a0, (Vh - (Vb * K) / Q + K * K) / a0];
  const pa = [1, (2 * (K * K - 1)) / a0, (1 - K / Q + K * K) / a0];
  f0 = 38.13547087602444;
  Q = 0.5003270373238773;
  K = Math.tan((Math.PI * f0) / sr);
  const ra = [1, (2 * (K * K - 1)) / (1 + K / Q + K * K), (1 - K / Q + K * K) / (1 + K / Q + K * K)];
  const rb = [1, -2, 1];
  const state = Array.from({ length: ch }, () => new Float64Array(4)); // stage-1 z1,z2; stage-2 z1,z2
  const step = Math.round(sr / 10);
  const quarter = new Float64Array(ch); // summed squares of the current 100 ms step
  let inStep = 0;
  const steps: number[] = []; // per-step channel-summed energy (sum of squares)
  try {
    for (let c = reader.read(); c; c = reader.read()) {
      for (let i = 0; i < c.samples; i++) {
        for (let k = 0; k < ch; k++) {
          const s = state[k];
          const x = c.data[i * ch + k];
          // Transposed direct form II, two stages.
          const y1 = pb[0] * x + s[0];
          s[0] = pb[1] * x - pa[1] * y1 + s[1];
          s[1] = pb[2] * x - pa[2] * y1;
          const y2 = rb[0] * y1 + s[2];
          s[2] = rb[1] * y1 - ra[1] * y2 + s[3];
          s[3] = rb[2] * y1 - ra[2] * y2;
          quarter[k] += y2 * y2;
        }
        if (++inStep === step) {
          let sum = 0;
          for (let k = 0; k < ch; k++) sum += quarter[k];
          steps.push(sum);
          quarter.fill(0);
          inStep = 0;
        }
      }
    }
  } finally {
    reader.close();
  }
  const blocks: number[] = []; // mean-square power of each 400 ms block (channels summed)
  for (let b = 0; b + 4 <= steps.length; b++) blocks.push((steps[b] + steps[b + 1] + steps[b + 2] + steps[b + 3]) / (4 * step));
  const loud = (z: number): number => -0.691 + 10 * Math.log10(z);
  const absGated = blocks.filter((z) => loud(z) > -70);
  if (absGated.length === 0) return Number.NEGATIVE_INFINITY;
  const relThreshold = loud(absGated.reduce((a, b) => a + b, 0) / absGated.length) - 10;
  const gated = absGated.filter((z) => loud(z) > relThreshold);
  return loud(gated.reduce((a, b) => a + b, 0) / gated.length);
}

/** Largest |sample| of audio stream `nth` of `path`, over all channels (linear). */
export async function samplePeak(path: string, nth = 0): Promise<number> {
  const reader = await AudioReader.open(path, nth, { format: 'flt', chunkSamples: 16384 });
  let peak = 0;
  try {
    for (let c = reader.read(); c; c = reader.read()) {
      for (let i = 0; i < c.samples * c.channels; i++) peak = Math.max(peak, Math.abs(c.data[i]));
    }
  } finally {
    reader.close();
  }
  return peak;
}
