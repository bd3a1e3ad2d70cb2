/**
 * The preview proxy: a small H.264/AAC MP4 of the source for browsers that cannot play its codecs
 * (HEVC, ProRes, ALAC, PCM in MP4, …). Made with the project's node-av wrapper, streaming: video and
 * audio are read in step by time, so the muxer never queues more than a moment of either, and
 * memory stays flat however long the source is. Timestamps stay the source's, so the page's frame
 * positions mean the same in the proxy as in the source.
 */
import { renameSync, rmSync } from 'node:fs';
import { CancelledError } from '../errors.js';
import { AudioReader } from '../media/audio-reader.js';
import { loadAv, yieldToLoop } from '../media/av.js';
import { StreamDecoder } from '../media/decoder.js';
import { OutputFile } from '../media/output.js';
import type { MediaInfo } from '../media/types.js';
import { tempOutputPath } from '../render/render.js';
import { defaultTimebase } from '../timeline/timebase.js';

// What browsers play everywhere (Chromium, Firefox, Safari), by FFmpeg codec name.
const PLAYABLE_VIDEO = new Set(['h264', 'vp8', 'vp9', 'av1']);
const PLAYABLE_AUDIO = new Set(['aac', 'mp3', 'opus', 'vorbis', 'flac']);
const PCM = new Set(['pcm_s16le', 'pcm_u8', 'pcm_f32le']);

/**
 * Whether a browser can be expected to play `info` directly: common codecs in a container browsers
 * read (MP4/MOV, WebM, Ogg, MP3, FLAC, WAV; Matroska only with WebM's codecs). A wrong "yes" is
 * caught by the page, which asks for the proxy when the video element fails.
 */
export function browserPlayable(info: MediaInfo): boolean {
  const format = info.format.split(',');
  const video = info.video[0]?.codec ?? null;
  const audio = info.audio[0]?.codec ?? null;
  if (video === null && audio === null) return false;
  if (format.includes('wav')) return video === null && audio !== null && PCM.has(audio);
  if (video !== null && !PLAYABLE_VIDEO.has(video)) return false;
  if (audio !== null && !PLAYABLE_AUDIO.has(audio)) return false;
  if (format.includes('matroska')) return (video === null || ['vp8', 'vp9', 'av1'].includes(video)) && (audio === null || ['opus', 'vorbis'].includes(audio));
  return ['mov', 'mp4', 'webm', 'ogg', 'mp3', 'flac'].some((f) => format.includes(f));
}

/** The proxy's video size: at most 640 pixels wide, even dimensions (yuv420p needs them). */
function proxySize(width: number, height: number): [number, number] {
  const even = (n: number) => Math.max(2, 2 * Math.round(n / 2));
  if (width <= 640) return [even(width), even(height)];
  return [640, even((height * 640) / width)];
}

/**
 * Writes the proxy of `info` (first video and first audio stream) to `output` through a temporary
 * file. Progress is in seconds of the source. Throws CancelledError when `signal` aborts.
 */
export async function makePreviewProxy(info: MediaInfo, output: string, opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {}): Promise<void> {
  await loadAv();
  const v = info.video[0];
  const a = info.audio[0];
  const fps = defaultTimebase(info);
  const rate = fps.num / fps.den;
  const total = info.duration || v?.duration || a?.duration || 0;
  const temp = tempOutputPath(output);
  const out = OutputFile.create(temp, output, { muxerOptions: { movflags: '+faststart' } });
  let video: StreamDecoder | null = null;
  let audio: AudioReader<Float32Array> | null = null;
  let ok = false;
  try {
    let videoSink = null;
    if (v) {
      const [width, height] = proxySize(v.width, v.height);
      videoSink = out.addVideo({
        encoder: 'libx264',
        width,
        height,
        frameRate: fps,
        sar: v.sampleAspectRatio.num > 0 ? v.sampleAspectRatio : { num: 1, den: 1 },
        pixelFormat: 'yuv420p',
        // A keyframe every second: the player seeks at every cut, and short GOPs make that quick.
        options: { preset: 'ultrafast', crf: '30', g: String(Math.max(1, Math.round(rate))) },
      });
      video = await StreamDecoder.open(info.path, 'video', 0, { threads: 0 });
    }
    let audioSink = null;
    if (a) {
      // AAC takes up to 96 kHz and the browser downmixes anyway: mono stays mono, the rest is stereo.
      const sampleRate = a.sampleRate <= 96000 ? a.sampleRate : 48000;
      const layout = a.channels === 1 ? 'mono' : 'stereo';
      audioSink = out.addAudio({ encoder: 'aac', sampleRate, layout, bitrate: 96000 });
      audio = await AudioReader.open(info.path, 0, { format: 'flt', sampleRate, layout, chunkSamples: 8192, absolute: true });
    }
    out.begin();

    let videoTime = v ? 0 : Infinity;
    let audioTime = a ? 0 : Infinity;
    let lastFrame = -1;
    let written = 0;
    let lastYield = Date.now();
    while (videoTime !== Infinity || audioTime !== Infinity) {
      if (opts.signal?.aborted) throw new CancelledError('cancelled');
      if (videoTime <= audioTime) {
        const f = video!.next();
        if (!f) {
          videoTime = Infinity;
          continue;
        }
        const sec = video!.frameSeconds(f);
        const n = sec === null ? lastFrame + 1 : Math.round(sec * rate);
        if (sec !== null) videoTime = sec;
        // Variable-rate sources can map two frames to one slot: the first one shows.
        if (n > lastFrame) {
          videoSink!.write(f, n);
          lastFrame = n;
        }
      } else {
        const c = audio!.read();
        if (!c) {
          audioTime = Infinity;
          continue;
        }
        let data = c.data;
        let samples = c.samples;
        // Keep the audio where its timestamps put it: pad a late start, drop an overlap.
        if (c.position > written) {
          audioSink!.write(new Float32Array((c.position - written) * c.channels), c.position - written);
          written = c.position;
        } else if (c.position < written) {
          const skip = Math.min(samples, written - c.position);
          data = data.subarray(skip * c.channels);
          samples -= skip;
        }
        audioSink!.write(data, samples);
        written += samples;
        audioTime = written / audio!.sampleRate;
      }
      if (Date.now() - lastYield > 50) {
        opts.onProgress?.(Math.min(videoTime, audioTime, total), total);
        // Let the server answer the page (and see a cancel) while the proxy is made.
        await yieldToLoop();
        lastYield = Date.now();
      }
    }
    out.finish();
    renameSync(temp, output);
    ok = true;
  } finally {
    video?.close();
    audio?.close();
    out.close();
    if (!ok) rmSync(temp, { force: true });
  }
}
