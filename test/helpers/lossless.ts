// Helpers for the partial-lossless tests: the packets of a file's video stream by frame, and its
// decoded frames (painted frame number and a hash of the picture).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { AudioReader } from '../../src/media/audio-reader.js';
import { av } from '../../src/media/av.js';
import { StreamDecoder } from '../../src/media/decoder.js';
import { frameIndexOf } from '../../src/media/packets.js';
import { openFormat } from '../../src/media/probe.js';
import type { Clip, Timeline } from '../../src/timeline/model.js';
import type { Rational } from '../../src/timeline/rational.js';
import { frameNumberOf } from './media.js';

/** The video packets of a file by frame index (from pts), how often dts did not increase, and the stream's sample entry. */
export interface VideoPackets {
  byFrame: Map<number, { data: Buffer; key: boolean }>;
  dtsBackwards: number;
  codecTag: string | null;
  extradata: Buffer | null;
}

/** Reads every packet of the first video stream of `path`. */
export async function videoPackets(path: string, rate: Rational): Promise<VideoPackets> {
  const fmt = await openFormat(path);
  const { lib, c } = av();
  const pkt = new lib.Packet();
  pkt.alloc();
  const byFrame = new Map<number, { data: Buffer; key: boolean }>();
  let dtsBackwards = 0;
  let lastDts = -Infinity;
  try {
    const stream = fmt.streams.find((s) => s.codecpar.codecType === c.AVMEDIA_TYPE_VIDEO)!;
    const tb = { num: stream.timeBase.num, den: stream.timeBase.den };
    while (fmt.readFrameSync(pkt) >= 0) {
      if (pkt.streamIndex === stream.index) {
        const { index } = frameIndexOf(pkt.pts, tb, rate);
        byFrame.set(index, { data: Buffer.from(pkt.data!), key: pkt.isKeyframe });
        const dts = (Number(pkt.dts) * tb.num) / tb.den;
        if (dts <= lastDts) dtsBackwards++;
        lastDts = dts;
      }
      pkt.unref();
    }
    const extradata = stream.codecpar.extradata;
    return { byFrame, dtsBackwards, codecTag: stream.codecpar.codecTagString, extradata: extradata ? Buffer.from(extradata) : null };
  } finally {
    pkt.free();
    fmt.closeInputSync();
  }
}

/** A decoded frame: the number painted by FRAME_NUMBER_FILTER (mod 64) and a hash of all its planes. */
export interface DecodedFrame {
  number: number;
  hash: string;
}

/** Decodes the first video stream of `path` completely; fails on any decoder error. Also returns where the video ends. */
export async function decodeFrames(path: string, rate: Rational): Promise<{ frames: DecodedFrame[]; end: number }> {
  const dec = await StreamDecoder.open(path, 'video', 0);
  const frames: DecodedFrame[] = [];
  let end = 0;
  try {
    for (let f = dec.next(); f; f = dec.next()) {
      const planes = f.data!;
      const stride = f.linesize[0];
      let sum = 0;
      for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) sum += planes[0][y * stride + x];
      const hash = createHash('sha1');
      for (let p = 0; p < 3; p++) {
        const h = p === 0 ? f.height : f.height >> 1;
        const w = p === 0 ? f.width : f.width >> 1;
        for (let y = 0; y < h; y++) hash.update(planes[p].subarray(y * f.linesize[p], y * f.linesize[p] + w));
      }
      frames.push({ number: frameNumberOf(sum / 256), hash: hash.digest('hex') });
      end = Math.max(end, dec.frameSeconds(f)! + rate.den / rate.num);
    }
    assert.equal(dec.skipped, 0, 'decoder errors');
  } finally {
    dec.close();
  }
  return { frames, end };
}

/** Seconds of audio in the first audio stream of `path`. */
export async function audioSeconds(path: string): Promise<number> {
  const reader = await AudioReader.open(path, 0, { format: 'flt', chunkSamples: 65536 });
  let samples = 0;
  try {
    for (let c = reader.read(); c; c = reader.read()) samples += c.samples;
  } finally {
    reader.close();
  }
  return samples / reader.sampleRate;
}

/** A one-layer timeline (video and audio from the same clips) at `rate`, stereo 48 kHz. */
export function layerTimeline(clips: Clip[], rate: Rational, resolution: [number, number] = [320, 240]): Timeline {
  return { tb: rate, background: '#000000', resolution, sampleRate: 48000, layout: 'stereo', langs: ['und'], v: [clips], a: [clips] };
}

/** Clips of `src` laid end to end: [srcStart, srcEnd, speed]. */
export function clipsOf(src: string, ranges: Array<[number, number, number?]>): Clip[] {
  const clips: Clip[] = [];
  let start = 0;
  for (const [a, b, speed = 1] of ranges) {
    const dur = Math.round((b - a) / speed);
    clips.push({ src, start, dur, offset: a / speed, speed, stream: 0, volume: 1 });
    start += dur;
  }
  return clips;
}
