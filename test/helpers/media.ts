import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AudioReader } from '../../src/media/audio-reader.js';
import { StreamDecoder } from '../../src/media/decoder.js';
import { probe } from '../../src/media/probe.js';

/** The repository root (tests run from dist/test/...). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** The shared test recordings, when present beside the repository. */
export const SHARED_MEDIA = join(ROOT, '..', 'shared', 'media');
export const hasSharedMedia = existsSync(join(SHARED_MEDIA, 'example.mp4'));

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = 'tacet-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What a file really contains, measured by decoding it (not by trusting headers). */
export interface Measured {
  videoFrames: number;
  /** End of the last video frame in seconds (pts + duration). */
  videoEnd: number;
  audioSamples: number;
  sampleRate: number;
  channels: number;
  audioSeconds: number;
  videoCodec: string | null;
  audioCodec: string | null;
}

/** Decodes every stream of `path` and counts frames and samples. */
export async function measure(path: string): Promise<Measured> {
  const info = await probe(path);
  let videoFrames = 0;
  let videoEnd = 0;
  if (info.video.length) {
    const dec = await StreamDecoder.open(path, 'video', 0);
    const fps = info.video[0].avgFrameRate;
    const frameDur = fps ? fps.den / fps.num : 0;
    try {
      for (let f = dec.next(); f; f = dec.next()) {
        videoFrames++;
        const t = dec.frameSeconds(f);
        if (t !== null) videoEnd = Math.max(videoEnd, t + frameDur);
      }
    } finally {
      dec.close();
    }
  }
  let audioSamples = 0;
  let sampleRate = 0;
  let channels = 0;
  if (info.audio.length) {
    const reader = await AudioReader.open(path, 0, { format: 'flt', chunkSamples: 65536 });
    sampleRate = reader.sampleRate;
    channels = reader.channels;
    try {
      for (let c = reader.read(); c; c = reader.read()) audioSamples += c.samples;
    } finally {
      reader.close();
    }
  }
  return {
    videoFrames,
    videoEnd,
    audioSamples,
    sampleRate,
    channels,
    audioSeconds: sampleRate ? audioSamples / sampleRate : 0,
    videoCodec: info.video[0]?.codec ?? null,
    audioCodec: info.audio[0]?.codec ?? null,
  };
}

/** Peak absolute sample value of the first audio stream inside [from, to) seconds. */
export async function peakBetween(path: string, from: number, to: number): Promise<number> {
  const reader = await AudioReader.open(path, 0, { format: 'flt', chunkSamples: 8192 });
  let peak = 0;
  try {
    const a = Math.floor(from * reader.sampleRate);
    const b = Math.floor(to * reader.sampleRate);
    for (let c = reader.read(); c; c = reader.read()) {
      const ch = c.channels;
      for (let i = 0; i < c.samples; i++) {
        const p = c.position + i;
        if (p < a || p >= b) continue;
        for (let k = 0; k < ch; k++) peak = Math.max(peak, Math.abs(c.data[i * ch + k]));
      }
    }
  } finally {
    reader.close();
  }
  return peak;
}

/**
 * Mean luma (plane 0) and start time in seconds of every decoded frame of the first video stream.
 * Frame properties are N-API calls: read once per frame, never per pixel (20× faster).
 */
export async function frameLumas(path: string): Promise<Array<{ luma: number; seconds: number | null }>> {
  const dec = await StreamDecoder.open(path, 'video', 0);
  const out: Array<{ luma: number; seconds: number | null }> = [];
  try {
    for (let f = dec.next(); f; f = dec.next()) {
      const plane = f.data?.[0];
      if (!plane) throw new Error('frame without data');
      const [w, h, stride] = [f.width, f.height, f.linesize[0]];
      let sum = 0;
      for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) sum += plane[y * stride + x];
      out.push({ luma: sum / (w * h), seconds: dec.frameSeconds(f) });
    }
  } finally {
    dec.close();
  }
  return out;
}

/** Mean luma (plane 0) of every decoded frame of the first video stream. */
export async function meanLumas(path: string): Promise<number[]> {
  return (await frameLumas(path)).map((f) => f.luma);
}

/** A generated video whose frame n has luma 16 + 3·(n mod 64): the frame number can be read back. */
export const FRAME_NUMBER_FILTER = "geq=lum='16+3*mod(N\\,64)':cb=128:cr=128";

/** Reads back the frame number (mod 64) painted by FRAME_NUMBER_FILTER. */
export function frameNumberOf(luma: number): number {
  return Math.round((luma - 16) / 3);
}
