import type { MediaInfo } from '../media/types.js';
import type { Timeline } from '../timeline/model.js';

/** Everything an editor-format writer needs. Writers are pure: no file or media access. */
export interface ExportInput {
  timeline: Timeline;
  /** Probe results of every source, keyed by Clip.src (an absolute path). */
  sources: Map<string, MediaInfo>;
  /**
   * For `resolve` and `resolve-fcp7`: audio streams after the first, extracted as WAV files,
   * keyed `${src}#${audioStreamIndex}` → absolute WAV path. Writers reference these instead of the
   * source for those streams.
   */
  extractedAudio?: Map<string, string>;
  /** Sequence/project name (`name="..."`); writers choose a default from the first source. */
  name?: string;
}

/** Writes one editor format. `params` are the `--export kind:key=value` attributes, already parsed. */
export type Exporter = (input: ExportInput, params: Record<string, string>) => string;
