import type { MediaInfo } from '../media/types.js';
import type { Timeline } from '../timeline/model.js';

/**
 * A MediaInfo made from the timeline alone, for a source that was not probed (a timeline file
 * rendered to a project while its media is elsewhere): one video stream at the timeline's size and
 * rate if a video layer uses it, and as many audio streams as its clips name, at the timeline's
 * sample rate and layout.
 */
export function standInInfo(path: string, tl: Timeline): MediaInfo {
  const hasVideo = tl.v.some((layer) => layer.some((c) => c.src === path));
  let streams = 0;
  for (const layer of tl.a) for (const c of layer) if (c.src === path) streams = Math.max(streams, c.stream + 1);
  return {
    path,
    format: '',
    duration: 0,
    bitrate: 0,
    video: hasVideo
      ? [
          {
            index: 0,
            codec: '',
            width: tl.resolution[0],
            height: tl.resolution[1],
            avgFrameRate: tl.tb,
            timeBase: tl.tb,
            sampleAspectRatio: { num: 1, den: 1 },
            pixelFormat: '',
            duration: null,
            startTime: 0,
            bitrate: 0,
            lang: null,
          },
        ]
      : [],
    audio: Array.from({ length: streams }, (_, i) => ({
      index: i + (hasVideo ? 1 : 0),
      codec: '',
      sampleRate: tl.sampleRate,
      channels: tl.layout === 'mono' ? 1 : 2,
      layout: tl.layout,
      timeBase: { num: 1, den: tl.sampleRate },
      duration: null,
      startTime: 0,
      bitrate: 0,
      lang: null,
    })),
    subtitle: [],
  };
}
