/**
 * What a queued job carries, what it returns, and the retry policy it is queued with.
 *
 * A job is one input plus the edit/export options of `tacet FILE`, already checked by the
 * submitter (a typo fails at `tacet submit`, not minutes later on a worker). Paths are absolute:
 * the input and the outputs live on storage every machine mounts at the same path.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { UserError } from '../errors.js';
import type { RenderRequest } from '../render/settings.js';
import { parseTimelineSettings } from '../timeline/settings.js';
import { resolveExport } from '../core/outputs.js';
import { parseEditRequest, type EditRequest } from '../edit/plan.js';

/**
 * Version of JobPayload. A worker refuses (fails, without retries) a payload of another version
 * instead of guessing, so a fleet mid-upgrade never edits with half-understood options.
 */
export const PAYLOAD_VERSION = 2;

/** The edit and export options a job carries: the core's EditOptions that make sense remotely. */
export interface JobEditOptions extends EditRequest {
  frameRate: string | null;
  export: string | null;
  /** An absolute output path, or null for the default name (beside the input or in --output-dir). */
  output: string | null;
  noCache: boolean;
  /** `--stats`: write nothing; the statistics come back as the job's result. */
  stats: boolean;
  /** Render and timeline settings (`-c:v`, `-crf`, `-res`, `-anorm`, …) as given (since version 2). */
  render: RenderRequest;
}

/** The data of one job. */
export interface JobPayload {
  version: typeof PAYLOAD_VERSION;
  /** Absolute path of the input (a media file or a timeline file) on the shared storage. */
  input: string;
  options: JobEditOptions;
  /**
   * Random, fixed for the job's life: names its temporary output, so that a rerun of the job
   * (after a worker died) can find and remove what the dead attempt left, and nothing else.
   */
  key: string;
}

/** What a completed job returns (stored by BullMQ as the job's return value). */
export interface JobResult {
  /** The written file or folder; null for --stats. */
  output: string | null;
  /** --stats text (what `tacet FILE --stats` prints). */
  stdout: string | null;
  outputFrames: number;
  inputFrames: number | null;
  /** Wall-clock seconds of the edit on the worker. */
  seconds: number;
  /** `host:pid` of the worker that did it. */
  worker: string;
}

/** Progress a worker stores on an active job. */
export interface JobProgressInfo {
  /** The core's stage title: `Analyzing audio`, `Rendering`, … */
  stage: string;
  done: number;
  total: number;
  /** Rough fraction of the whole job, 0–1 (see jobFraction). */
  fraction: number;
}

/**
 * Rough fraction of a whole job from the current stage: analysis is counted as the first half and
 * writing (rendering, tracks, clips) as the second. The core does not announce its stages in
 * advance; for the usual silence cut this split is close, and it only drives a progress bar.
 */
export function jobFraction(stage: string, done: number, total: number): number {
  const f = total > 0 ? Math.min(1, Math.max(0, done / total)) : 0;
  return stage.startsWith('Analyzing') ? f / 2 : 0.5 + f / 2;
}

/**
 * Retry policy of every job. A bad input or option fails at once (the worker turns UserError and
 * MediaError into BullMQ's UnrecoverableError); anything else (a crashed edit process, a storage
 * hiccup) is retried twice with growing delays. Finished jobs are kept for a while so that
 * `tacet jobs` and `submit --wait` can report them, but not for ever.
 */
export const JOB_OPTIONS = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 10_000 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600, count: 10_000 },
} as const;

/** The parts of the CLI's edit options that a job needs (structurally: EditCliOptions fits). */
export interface SubmitEditOptions extends EditRequest {
  frameRate: string | null;
  export: string | null;
  output: string | null;
  noCache: boolean;
  stats: boolean;
  render?: RenderRequest;
}

/**
 * One payload per input, after checking everything that can be checked without a worker: the edit
 * expressions, actions, ranges, margin, smoothing and export (as `tacet FILE` checks them), that
 * each input exists, and that the options make sense for several remote edits.
 */
export function buildPayloads(inputs: readonly string[], o: SubmitEditOptions, cwd: string): JobPayload[] {
  if (inputs.length === 0) throw new UserError('give at least one FILE (or a quoted GLOB) to submit');
  if (o.output === '-') {
    throw new UserError('-o - (standard output) cannot be used with submit: a worker writes the result; give a file name or leave -o out');
  }
  if (o.output !== null && inputs.length > 1) {
    throw new UserError(
      `-o names one output, but ${inputs.length} inputs were given; leave -o out (each output is named after its input, beside it or in the worker's --output-dir)`,
    );
  }
  // `--open` opens the result on the machine that made it: a worker's, not yours. Read
  // structurally, as the CLI's option set grows independently of the queue.
  if ((o as { open?: unknown }).open === true) throw new UserError('--open cannot be used with submit: the result is written by a worker on another machine');
  parseEditRequest(o);
  resolveExport(o.export, o.output);
  // Encoder settings need the encoders (node-av) and each input's codecs: the worker checks those.
  parseTimelineSettings(o.render ?? {});
  // As `tacet FILE -o` would say, and before a worker finds out (it would retry: see worker.ts).
  if (o.output !== null && !existsSync(dirname(resolve(cwd, o.output)))) throw new UserError(`output folder does not exist: ${dirname(o.output)}`);
  const seen = new Set<string>();
  const payloads: JobPayload[] = [];
  for (const input of inputs) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input)) throw new UserError(`URL inputs cannot be queued yet: ${input}; download it to the shared storage first`);
    const path = isAbsolute(input) ? input : resolve(cwd, input);
    if (!existsSync(path)) throw new UserError(`input file not found: ${input}`);
    if (!statSync(path).isFile()) throw new UserError(`input is not a file: ${input}`);
    // As `tacet FILE` refuses it: the output's format (and a render's muxer) comes from it.
    if (extname(path) === '') throw new UserError(`input file must have an extension (it decides the output format): ${input}`);
    // The same file twice would be two jobs racing for one output.
    if (seen.has(path)) continue;
    seen.add(path);
    payloads.push({
      version: PAYLOAD_VERSION,
      input: path,
      options: {
        edits: o.edits,
        whens: o.whens,
        ranges: o.ranges,
        margin: o.margin,
        smooth: o.smooth,
        frameRate: o.frameRate,
        export: o.export,
        output: o.output === null ? null : resolve(cwd, o.output),
        noCache: o.noCache,
        stats: o.stats,
        render: o.render ?? {},
      },
      key: randomBytes(6).toString('hex'),
    });
  }
  return payloads;
}

/** The job name shown by `tacet jobs` and BullMQ dashboards: the input's file name. */
export function jobName(p: JobPayload): string {
  return basename(p.input);
}

/**
 * Checks a job's data before a worker acts on it: a payload from another tacet version, or
 * written by hand, fails with a message instead of an obscure crash in the edit.
 */
export function checkPayload(data: unknown): JobPayload {
  const p = data as Partial<JobPayload> | null;
  if (p === null || typeof p !== 'object') throw new UserError('the job carries no tacet payload');
  if (p.version !== PAYLOAD_VERSION) {
    throw new UserError(`the job's payload version ${String(p.version)} is not the one this worker understands (${PAYLOAD_VERSION}); run the same tacet version on submitters and workers`);
  }
  if (typeof p.input !== 'string' || !isAbsolute(p.input)) throw new UserError('the job has no absolute input path');
  if (typeof p.key !== 'string' || !/^[0-9a-f]{6,32}$/.test(p.key)) throw new UserError('the job has no valid key');
  const o = p.options;
  if (o === null || typeof o !== 'object' || !Array.isArray(o.edits) || !Array.isArray(o.whens) || !Array.isArray(o.ranges)) {
    throw new UserError('the job has no valid edit options');
  }
  if (o.output !== null && (typeof o.output !== 'string' || !isAbsolute(o.output))) throw new UserError('the job has an invalid output path');
  if (o.render === null || typeof o.render !== 'object') throw new UserError('the job has no valid render settings');
  return p as JobPayload;
}
