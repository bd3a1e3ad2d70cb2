// A generated "talk" for render benchmarks: 720p30 H.264 with fixed 2-second GOPs (x264
// veryfast: CABAC, B-frames) showing FFmpeg's testsrc2 (moving, every frame differs), and a stereo
// AAC track whose speech (a tone) runs 20 s between 2-second pauses, so a default edit cuts every
// pause. Generated once into `dir` and reused.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generateMedia } from '../src/media/generate.js';

/** Seconds of speech, then of pause, repeating. */
export const TALK_SPEECH = 20;
export const TALK_PAUSE = 2;

/** Path of the `minutes`-long talk in `dir`, generating it first if missing. */
export async function ensureTalk(dir: string, minutes = 10): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `talk-${minutes}min-720p30-gop2s.mp4`);
  if (existsSync(path)) return path;
  process.stderr.write(`generating ${path} (${minutes} min of 720p30 H.264 + AAC; once)...\n`);
  const t0 = performance.now();
  const seconds = minutes * 60;
  const cycle = TALK_SPEECH + TALK_PAUSE;
  await generateMedia(path, {
    duration: seconds,
    video: { width: 1280, height: 720, rate: { num: 30, den: 1 }, source: 'testsrc2' },
    // The volume is evaluated per audio frame (1024 samples): pauses start within 21 ms of the cycle.
    audio: {
      sampleRate: 48000,
      layout: 'stereo',
      graph: `sine=f=220:r=48000:d=${seconds},volume=eval=frame:volume='0.5*lt(mod(t\\,${cycle})\\,${TALK_SPEECH})+0.001'`,
    },
    videoOptions: { preset: 'veryfast', g: '60', 'x264-params': 'scenecut=0' },
  });
  process.stderr.write(`generated in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  return path;
}
