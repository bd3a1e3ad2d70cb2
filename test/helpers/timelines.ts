// Synthetic timelines shared by the export tests: many clips; 25, 30, 30000/1001 and 60000/1001
// fps; mono, stereo and two audio streams; a 1.5× speed clip; awkward file names. Sources are
// described by MediaInfo only (no file needed) so writers can be tested purely.
import type { MediaInfo } from '../../src/media/types.js';
import type { Clip, Timeline } from '../../src/timeline/model.js';
import { rational, type Rational } from '../../src/timeline/rational.js';

export interface SyntheticCase {
  name: string;
  timeline: Timeline;
  sources: Map<string, MediaInfo>;
}

/** MediaInfo for a made-up source. */
export function fakeInfo(
  path: string,
  opts: { fps?: Rational | null; width?: number; height?: number; seconds: number; audio: Array<{ channels: 1 | 2; sampleRate: number }> },
): MediaInfo {
  const fps = opts.fps === undefined ? rational(30, 1) : opts.fps;
  return {
    path,
    format: 'mov,mp4,m4a,3gp,3g2,mj2',
    duration: opts.seconds,
    bitrate: 1_000_000,
    video: fps
      ? [
          {
            index: 0,
            codec: 'h264',
            width: opts.width ?? 1280,
            height: opts.height ?? 720,
            avgFrameRate: fps,
            timeBase: rational(1, 90000),
            sampleAspectRatio: rational(1, 1),
            pixelFormat: 'yuv420p',
            duration: opts.seconds,
            startTime: 0,
            bitrate: 800_000,
            lang: 'und',
          },
        ]
      : [],
    audio: opts.audio.map((a, i) => ({
      index: (fps ? 1 : 0) + i,
      codec: 'aac',
      sampleRate: a.sampleRate,
      channels: a.channels,
      layout: a.channels === 1 ? 'mono' : 'stereo',
      timeBase: rational(1, a.sampleRate),
      duration: opts.seconds,
      startTime: 0,
      bitrate: 128_000,
      lang: i === 0 ? 'eng' : 'und',
    })),
    subtitle: [],
  };
}

/** Clips laid end to end from source ranges [start, end) with speeds. */
export function layClips(src: string, ranges: Array<[number, number, number?]>, stream = 0): Clip[] {
  const clips: Clip[] = [];
  let start = 0;
  for (const [a, b, speed = 1] of ranges) {
    // Same rules as clipBounds: offset in speed-scaled units.
    const offset = Math.ceil(a / speed);
    const dur = Math.ceil(b / speed) - offset;
    clips.push({ src, start, dur, offset, speed, stream, volume: 1 });
    start += dur;
  }
  return clips;
}

function build(name: string, info: MediaInfo, tb: Rational, ranges: Array<[number, number, number?]>): SyntheticCase {
  const v = info.video.length ? [layClips(info.path, ranges)] : [];
  const a = info.audio.map((_, i) => layClips(info.path, ranges, i));
  const first = info.audio[0];
  return {
    name,
    timeline: {
      tb,
      background: '#000000',
      resolution: info.video[0] ? [info.video[0].width, info.video[0].height] : [1920, 1080],
      sampleRate: first?.sampleRate ?? 48000,
      layout: first?.layout ?? 'stereo',
      langs: info.audio.map((s) => s.lang ?? 'und'),
      v,
      a,
    },
    sources: new Map([[info.path, info]]),
  };
}

/** 40 clips: every other second of a 90 s source. */
function manyRanges(fps: number): Array<[number, number]> {
  return Array.from({ length: 40 }, (_, i) => [Math.round(i * 2 * fps), Math.round((i * 2 + 1) * fps)] as [number, number]);
}

/** Every synthetic case, built fresh each call. */
export function syntheticCases(): SyntheticCase[] {
  return [
    build(
      'many-clips-30fps-stereo-awkward-name',
      fakeInfo('/media/My Talk #1 100% — été.mp4', { fps: rational(30, 1), seconds: 90, audio: [{ channels: 2, sampleRate: 48000 }] }),
      rational(30, 1),
      manyRanges(30),
    ),
    build(
      'ntsc-mono',
      fakeInfo('/media/lecture.mp4', { fps: rational(30000, 1001), seconds: 60, audio: [{ channels: 1, sampleRate: 44100 }] }),
      rational(30000, 1001),
      [
        [0, 100],
        [150, 400],
        [700, 1200],
      ],
    ),
    build(
      'pal-two-audio-streams',
      fakeInfo('/media/podcast two mics.mkv', {
        fps: rational(25, 1),
        width: 1920,
        height: 1080,
        seconds: 40,
        audio: [
          { channels: 2, sampleRate: 48000 },
          { channels: 1, sampleRate: 48000 },
        ],
      }),
      rational(25, 1),
      [
        [25, 250],
        [300, 900],
      ],
    ),
    build(
      'ntsc60-speed-1.5',
      fakeInfo('/media/game.mp4', { fps: rational(60000, 1001), width: 1920, height: 1080, seconds: 30, audio: [{ channels: 2, sampleRate: 48000 }] }),
      rational(60000, 1001),
      [
        [0, 120],
        [120, 600, 1.5],
        [900, 1200],
      ],
    ),
    build(
      'audio-only-stereo',
      fakeInfo('/media/episode 12.m4a', { fps: null, seconds: 120, audio: [{ channels: 2, sampleRate: 44100 }] }),
      rational(30, 1),
      [
        [0, 300],
        [450, 2000],
      ],
    ),
    build(
      'windows-path',
      fakeInfo('C:\\Users\\Zoë\\Videos\\take #2.mp4', { fps: rational(30, 1), seconds: 20, audio: [{ channels: 2, sampleRate: 48000 }] }),
      rational(30, 1),
      [
        [0, 90],
        [120, 500],
      ],
    ),
  ];
}
