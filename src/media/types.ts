import type { Rational } from '../timeline/rational.js';

/** What probe reports about one video stream. */
export interface VideoStreamInfo {
  /** Index of the stream in the container. */
  index: number;
  codec: string;
  width: number;
  height: number;
  /** Average frame rate as the container reports it; null when unknown (0/0). */
  avgFrameRate: Rational | null;
  timeBase: Rational;
  sampleAspectRatio: Rational;
  pixelFormat: string;
  /** Seconds, or null when the container does not say. */
  duration: number | null;
  startTime: number;
  bitrate: number;
  lang: string | null;
}

/** What probe reports about one audio stream. */
export interface AudioStreamInfo {
  index: number;
  codec: string;
  sampleRate: number;
  channels: number;
  /** FFmpeg's layout name, e.g. "stereo", "mono", "5.1". */
  layout: string;
  timeBase: Rational;
  duration: number | null;
  startTime: number;
  bitrate: number;
  lang: string | null;
}

/** What probe reports about one subtitle stream. */
export interface SubtitleStreamInfo {
  index: number;
  codec: string;
  lang: string | null;
}

/** Everything tacet needs to know about an input before analysing it. */
export interface MediaInfo {
  path: string;
  /** Container short name(s) as FFmpeg reports, e.g. "mov,mp4,m4a,3gp,3g2,mj2". */
  format: string;
  /** Container duration in seconds (0 when unknown). */
  duration: number;
  bitrate: number;
  video: VideoStreamInfo[];
  audio: AudioStreamInfo[];
  subtitle: SubtitleStreamInfo[];
}
