/**
 * Where a job's output goes, and the temporary name it is written under first.
 *
 * The final name depends only on the job (its input, options and the worker's --output-dir), so a
 * job that runs twice (its first worker died, or lost its lock during a Redis outage) writes the
 * same file twice, never two files: "exactly once in effect".
 *
 * The temporary name is the final one with the job's key in it (`.talk_ALTERED.tacet-job-KEY.partial.mp4`);
 * the core writes that under its own temporary name and renames it on success, and the worker
 * renames it to the final name. A worker killed mid-render cannot clean up, so every attempt of a
 * job first removes whatever carries its key: those files can only come from an earlier, dead
 * attempt of the same job. (The core's own temporary names hold a process id, which is neither
 * unique across machines nor known after a crash.)
 */
import { readdirSync, rmSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { defaultOutputPath, resolveExport } from '../core/outputs.js';
import { isTimelineInput } from '../core/inputs.js';
import { EDITOR_FORMATS } from '../export/index.js';
import type { JobPayload } from './payload.js';

/** Where one job writes. */
export interface OutputPlan {
  /** The final output; null for --stats (nothing is written). */
  final: string | null;
  /** What the core is told to write (`EditOptions.output`): the temporary name, or the final one. */
  coreOutput: string | null;
  /** The temporary name renamed to `final` on success; null when the core writes `final` itself. */
  temp: string | null;
}

/** Marker that every temporary name of a job contains (see sweepPartials). */
function marker(key: string): string {
  return `.tacet-job-${key}.partial`;
}

/**
 * Plans a job's output. A job's own `-o` wins; else the default name (`<name>_ALTERED<ext>`), in
 * `outputDir` when the worker has one, beside the input otherwise.
 *
 * A single output file goes through the job-keyed temporary name. Outputs the core names after
 * their own path (a clip-sequence folder, Resolve's `<name>_tracks/` WAVs), timeline inputs and
 * `-o` without an extension are written by the core under the final name directly: each file is
 * still written atomically by the core, but a killed attempt may leave its temporary file there.
 */
export function planOutput(p: JobPayload, outputDir: string | null): OutputPlan {
  const o = p.options;
  if (o.stats) return { final: null, coreOutput: null, temp: null };
  const choice = resolveExport(o.export, o.output);
  let final = o.output;
  if (final === null) {
    const name = defaultOutputPath(p.input, choice.kind);
    final = outputDir === null ? name : join(outputDir, basename(name));
  }
  const ext = extname(final);
  const singleFile = choice.kind !== 'clip-sequence' && !(EDITOR_FORMATS[choice.kind]?.extractsAudio ?? false);
  const temp = join(dirname(final), `.${basename(final, ext)}${marker(p.key)}${ext}`);
  // The temporary name must make the core choose the same export as the final name would.
  const sameKind = resolveExport(o.export, temp).kind === choice.kind;
  if (!singleFile || ext === '' || isTimelineInput(p.input) || !sameKind) return { final, coreOutput: final, temp: null };
  return { final, coreOutput: temp, temp };
}

/**
 * Removes, in `dir`, every file or folder an attempt of the job with this key left behind (the
 * temporary output and the core's temporary file of it). Returns the names removed.
 */
export function sweepPartials(dir: string, key: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const m = marker(key);
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith('.') || !name.includes(m)) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
