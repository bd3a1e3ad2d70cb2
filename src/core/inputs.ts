import { readFileSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { readXmeml } from '../import/xmeml.js';
import { assertInputFile, probe } from '../media/probe.js';
import type { MediaInfo } from '../media/types.js';
import { readTimelineJson, timelineFromRuns } from '../timeline/json.js';
import { isUrl } from './download.js';
import type { Timeline } from '../timeline/model.js';
import { parseFrameRate } from '../timeline/timebase.js';

/** Extensions read as timelines rather than media. */
export const TIMELINE_INPUT_EXTS = ['.v1', '.v2', '.v3', '.json', '.xml'];

/** True when `path` names a timeline file (or stdin, `null`); a URL is media to download, never a timeline. */
export function isTimelineInput(path: string | null): boolean {
  if (path !== null && isUrl(path)) return false;
  return path === null || TIMELINE_INPUT_EXTS.includes(extname(path).toLowerCase());
}

export { isUrl, downloadUrl, type DownloadOptions } from './download.js';

export interface LoadedTimeline {
  timeline: Timeline;
  sources: Map<string, MediaInfo>;
  warnings: string[];
}

/**
 * Reads a timeline (auto-editor v1/v2/v3 JSON or Premiere/FCP7 XML) from a file or from text given
 * on stdin, and probes every source it names.
 */
export async function loadTimeline(path: string | null, stdinText: string | undefined, frameRate: string | null): Promise<LoadedTimeline> {
  let text: string;
  let baseDir: string;
  if (path === null) {
    if (stdinText === undefined) throw new UserError('no input file given (try: tacet FILE)');
    text = stdinText;
    baseDir = process.cwd();
  } else {
    assertInputFile(path);
    text = readFileSync(path, 'utf8');
    baseDir = dirname(resolve(path));
  }
  const looksXml = path ? extname(path).toLowerCase() === '.xml' : text.trimStart().startsWith('<');
  if (looksXml) {
    const imported = readXmeml(text, baseDir);
    return { timeline: imported.timeline, sources: await probeAll(imported.sources), warnings: imported.warnings };
  }
  const parsed = readTimelineJson(text, baseDir);
  const sources = await probeAll(parsed.sources);
  if (parsed.kind === 'timeline') return { timeline: parsed.timeline, sources, warnings: [] };
  const info = sources.get(parsed.source)!;
  // A v1 file may omit its timebase; -r then decides, else the source's own rate.
  const file = parsed.tb === null && frameRate ? { ...parsed, tb: parseFrameRate(frameRate).rate } : parsed;
  return { timeline: timelineFromRuns(file, info), sources, warnings: [] };
}

async function probeAll(paths: string[]): Promise<Map<string, MediaInfo>> {
  const sources = new Map<string, MediaInfo>();
  for (const src of paths) {
    try {
      assertInputFile(src);
    } catch {
      throw new UserError(`the timeline refers to a missing source file: ${src}`);
    }
    sources.set(src, await probe(src));
  }
  return sources;
}
