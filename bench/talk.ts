// The generated "talk" the render benchmarks run on (issues 5 and 7): what a screen recording of a
// talk looks like to a video editor, made once per length and cached by name.
//
//   video  1280x720, 30 fps, H.264 (x264 `veryfast`: CABAC, B-frames, as ordinary recordings have),
//          yuv420p, 2-second closed GOPs: keyint 60, min-keyint 60, no scene-cut keyframes, so a
//          keyframe lands exactly every 60 frames (0 s, 2 s, 4 s, …). The HEVC variant (`codec`
//          hevc, for `npm run bench:lossless -- --codec hevc`) is x265 `veryfast` with the same
//          keyframes but x265's default open GOPs: an IDR, then a CRA every 2 s whose leading
//          (RASL) pictures refer to the GOP before. The picture is FFmpeg's
//          `testsrc2` (a moving pattern and a running clock): every frame differs, so decoding and
//          re-encoding cost what they cost on real footage, not what a static slide costs.
//   audio  AAC (FFmpeg's encoder, its default bit rate), stereo, 48 kHz. "Speech" runs of 20 s
//          (a 220 Hz tone at -6 dBFS: far above tacet's default 4% threshold) between 2-second
//          pauses (the same tone at -66 dBFS: near-silence, far below it). Period 22 s: speech in
//          [22k, 22k + 20), pause in [22k + 20, 22k + 22).
//
// With the default edit (audio threshold, 0.2 s margin) every pause becomes a 1.6-second cut, so a
// 10-minute talk keeps about 93% of its frames and has 27 cuts, each inside one GOP or across a
// GOP boundary. Written with node-av (no ffmpeg CLI needed), video and audio interleaved a second
// at a time as a camera or a screen recorder writes them.
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { AudioReader } from '../src/media/audio-reader.js';
import { loadAv, yieldToLoop } from '../src/media/av.js';
import { StreamDecoder } from '../src/media/decoder.js';
import { generateMedia } from '../src/media/generate.js';
import { OutputFile } from '../src/media/output.js';
import { openFormat } from '../src/media/probe.js';
import { remux } from '../src/media/remux.js';
import { tempOutputPath } from '../src/render/render.js';

/** Seconds of speech, then of pause, in every period of the talk. */
export const TALK_SPEECH_SECONDS = 20;
export const TALK_PAUSE_SECONDS = 2;
/** Frames per second and keyframe interval (frames) of the talk's video. */
export const TALK_FPS = 30;
export const TALK_GOP = 60;

/** The talk's video codec. */
export type TalkCodec = 'h264' | 'hevc';

/** The talk's file name for a length in minutes (the cache key). */
export function talkName(minutes: number, codec: TalkCodec = 'h264'): string {
  return `talk-${minutes}min-720p30-gop${TALK_GOP}${codec === 'h264' ? '' : `-${codec}`}-aac.mp4`;
}

/** Generates the talk of `minutes` minutes into `dir` once; returns its path. */
export async function ensureTalk(dir: string, minutes = 10, codec: TalkCodec = 'h264'): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, talkName(minutes, codec));
  if (existsSync(path)) return path;
  process.stderr.write(`generating ${path} (${minutes} min talk, 720p30 ${codec === 'h264' ? 'H.264' : 'HEVC'} + AAC; once)...\n`);
  const t0 = performance.now();
  await writeTalk(path, minutes * 60, codec);
  process.stderr.write(`generated in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  return path;
}

async function writeTalk(path: string, seconds: number, codec: TalkCodec): Promise<void> {
  await loadAv();
  const period = TALK_SPEECH_SECONDS + TALK_PAUSE_SECONDS;
  const temp = tempOutputPath(path);
  const out = OutputFile.create(temp, path, { muxerOptions: { movflags: '+faststart' } });
  let video: StreamDecoder | null = null;
  let audio: AudioReader<Float32Array> | null = null;
  let ok = false;
  try {
    const keyframes = `keyint=${TALK_GOP}:min-keyint=${TALK_GOP}:scenecut=0`;
    const vSink = out.addVideo({
      encoder: codec === 'h264' ? 'libx264' : 'libx265',
      width: 1280,
      height: 720,
      frameRate: { num: TALK_FPS, den: 1 },
      sar: { num: 1, den: 1 },
      pixelFormat: 'yuv420p',
      options:
        codec === 'h264'
          ? { preset: 'veryfast', 'x264-params': `${keyframes}:open-gop=0` }
          : { preset: 'veryfast', 'x265-params': keyframes },
    });
    const aSink = out.addAudio({ encoder: 'aac', sampleRate: 48000, layout: 'stereo' });
    out.begin();
    video = await StreamDecoder.open(`testsrc2=size=1280x720:rate=${TALK_FPS}:duration=${seconds}`, 'video', 0, { inputFormat: 'lavfi' });
    // `volume` evaluated per 1024-sample frame: the gate switches within 21 ms of each boundary.
    const graph =
      `sine=frequency=220:sample_rate=48000:duration=${seconds},` +
      `volume='if(lt(mod(t,${period}),${TALK_SPEECH_SECONDS}),0.5,0.0005)':eval=frame,aformat=channel_layouts=stereo`;
    audio = await AudioReader.open(graph, 0, { format: 'flt', inputFormat: 'lavfi', chunkSamples: 4800, sampleRate: 48000, layout: 'stereo' });
    // One second of each stream in turn, so the muxer interleaves without holding either back.
    let frames = 0;
    let samples = 0;
    let videoDone = false;
    let audioDone = false;
    for (let second = 1; !videoDone || !audioDone; second++) {
      while (!videoDone && frames < second * TALK_FPS) {
        const f = video.next();
        if (!f) videoDone = true;
        else vSink.write(f, frames++);
      }
      while (!audioDone && samples < second * 48000) {
        const c = audio.read();
        if (!c) audioDone = true;
        else {
          aSink.write(c.data, c.samples);
          samples += c.samples;
        }
      }
      await yieldToLoop();
    }
    out.finish();
    renameSync(temp, path);
    ok = true;
  } finally {
    video?.close();
    audio?.close();
    out.close();
    if (!ok) rmSync(temp, { force: true });
  }
}

/**
 * A long speech-like stereo recording for the audio benchmarks (`npm run bench`, `npm run
 * bench:render-audio`): a 220 Hz tone switched off 4 s in every 10 s (speech 6 s at -6 dBFS, pause
 * 4 s at -60 dBFS), 48 kHz AAC (FFmpeg's encoder, its default bit rate), `hours` long, as `.m4a`;
 * other containers (`mka`) hold exactly the same AAC packets, remuxed. Generated once. A whole
 * number of hours above 1 is the 1-hour recording's packets repeated (no encoder: minutes instead
 * of an hour on a busy 2-core machine); the tone's 10-second period divides an hour, so only the
 * AAC priming frame at each join (21 ms, decoded as a short skip) tells the copies apart.
 */
export async function ensureSpeechAudio(dir: string, hours: number, ext: 'm4a' | 'mka' | string = 'm4a'): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const m4a = join(dir, `talk-${hours}h-stereo-aac.m4a`);
  if (!existsSync(m4a)) {
    process.stderr.write(`generating ${m4a} (${hours} h of stereo AAC; once)...\n`);
    if (hours > 1 && Number.isInteger(hours)) {
      await repeatPackets(await ensureSpeechAudio(dir, 1, 'm4a'), m4a, hours);
    } else {
      const seconds = hours * 3600;
      const graph =
        `sine=frequency=220:sample_rate=48000:duration=${seconds},` +
        `volume='if(lt(mod(t,10),6),0.5,0.001)':eval=frame,aformat=channel_layouts=stereo`;
      await generateMedia(m4a, { duration: seconds, audio: { sampleRate: 48000, layout: 'stereo', graph } });
    }
  }
  if (ext === 'm4a') return m4a;
  const path = join(dir, `talk-${hours}h-stereo-aac.${ext}`);
  if (!existsSync(path)) await remux(m4a, path);
  return path;
}

/** Writes the single audio stream of `input` `times` times in a row into `output` (packets copied). */
export async function repeatPackets(input: string, output: string, times: number): Promise<void> {
  const { lib, c } = await loadAv();
  const temp = tempOutputPath(output);
  const out = OutputFile.create(temp, output);
  let ok = false;
  const pkt = new lib.Packet();
  pkt.alloc();
  try {
    let stream: ReturnType<OutputFile['addCopiedStream']> | null = null;
    let span = 0n;
    let first: bigint | null = null;
    for (let k = 0; k < times; k++) {
      const inFmt = await openFormat(input);
      try {
        const st = inFmt.streams.find((s) => s.codecpar.codecType === c.AVMEDIA_TYPE_AUDIO);
        if (!st) throw new Error(`${input} has no audio stream`);
        if (!stream) {
          stream = out.addCopiedStream({ from: st.codecpar, timeBase: st.timeBase, disposition: 0, metadata: {} });
          out.begin();
        }
        // Each copy starts where the previous one ended (its first packet's pts = the last end).
        const shift = BigInt(k) * span;
        let n = 0;
        while (inFmt.readFrameSync(pkt) >= 0) {
          if (pkt.streamIndex === st.index) {
            if (k === 0) {
              first ??= pkt.pts;
              span = pkt.pts + pkt.duration - first;
            }
            pkt.pts += shift;
            pkt.dts += shift;
            pkt.rescaleTs(st.timeBase, stream.timeBase);
            pkt.streamIndex = stream.index;
            pkt.pos = -1n;
            out.writePacket(pkt);
          }
          pkt.unref();
          if (++n % 4096 === 0) await yieldToLoop();
        }
      } finally {
        inFmt.closeInputSync();
      }
    }
    out.finish();
    ok = true;
  } finally {
    pkt.free();
    out.close();
    if (ok) renameSync(temp, output);
    else rmSync(temp, { force: true });
  }
}
