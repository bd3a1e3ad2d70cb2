/**
 * `tacet submit FILE|GLOB... --queue redis://HOST:PORT [EDIT OPTIONS] [--wait]`: queues one edit
 * per input on a Redis/BullMQ queue, for `tacet worker`s on any machine to run.
 *
 * Prints `ID<TAB>INPUT` per job on stdout (so scripts can `cut -f1`). With `--wait` it then draws
 * one progress line for all the jobs until every one has ended, prints a line per job and a
 * summary, and exits 1 if any failed. Ctrl-C stops waiting; the jobs stay queued.
 */
import { UserError } from '../../errors.js';
import { formatOptionHelp } from '../help.js';
import { resolveProgressStyle } from '../options.js';
import { parseCli } from '../parse.js';
import { Progress, formatFinished } from '../progress.js';
import type { CommandContext } from '../commands.js';
import { QUEUE_ENV, queueTarget } from '../../queue/connection.js';
import { formatFlagHelp, parseFlags, type FlagDef } from '../../queue/flags.js';
import { expandInputs } from '../../queue/glob.js';
import { buildPayloads } from '../../queue/payload.js';
import type { FollowedJob } from '../../queue/client.js';

/** The options of `submit` itself; every other option is an edit option of `tacet FILE`. */
export const SUBMIT_FLAGS: readonly FlagDef[] = [
  { names: ['--queue'], metavar: 'URL', help: `Redis holding the queue: redis://[:PASSWORD@]HOST:PORT[/DB] or rediss:// (default: $${QUEUE_ENV}).` },
  { names: ['--queue-name'], metavar: 'NAME', help: 'Name of the queue in Redis (default: tacet); workers must use the same.' },
  { names: ['--wait'], help: 'Show the progress of all the jobs until they end, then a summary; exit 1 if any failed.' },
];

const HELP = formatFlagHelp(
  'tacet submit FILE|GLOB... --queue URL [--wait] [EDIT OPTIONS]',
  'Queue one edit per input for the `tacet worker`s of a fleet. Inputs must be on storage that every worker mounts at the same path; outputs are written beside them (or in the workers\' --output-dir). Quote a GLOB (\'talks/**/*.mp4\') to let tacet expand it. Every edit and export option of `tacet FILE` is accepted and checked now, so a typo fails here, not on a worker.',
  SUBMIT_FLAGS,
  'Examples:\n  tacet submit talks/*.mp4 --queue redis://queue.lan:6379 -m 0.3s\n  tacet submit \'talks/**/*.mp4\' --queue redis://queue.lan:6379 --export premiere --wait',
);

function summaryLine(j: FollowedJob): string {
  if (j.state === 'completed') {
    const r = j.result;
    const kept = r && r.inputFrames !== null ? ` (kept ${r.outputFrames} of ${r.inputFrames} frames)` : '';
    return r?.output ? `job ${j.id} completed: ${j.input} -> ${r.output}${kept}` : `job ${j.id} completed: ${j.input}`;
  }
  return `job ${j.id} failed: ${j.input}: ${j.failedReason ?? 'unknown error'}`;
}

/** Runs `tacet submit`. */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const flags = parseFlags(argv, SUBMIT_FLAGS, true);
  const cmd = parseCli(flags.rest);
  if (cmd.kind === 'help') {
    ctx.stdout.write(cmd.topic ? formatOptionHelp(cmd.topic) : HELP);
    return 0;
  }
  if (cmd.kind === 'version') throw new UserError('--version is not an option of submit; run tacet --version');
  const o = cmd.options;
  const target = queueTarget((flags.values.get('--queue') as string | undefined) ?? process.env[QUEUE_ENV], flags.values.get('--queue-name') as string | undefined);
  const wait = flags.values.has('--wait');
  const cwd = process.cwd();
  const payloads = buildPayloads(expandInputs(cmd.inputs, cwd), o, cwd);

  const started = Date.now();
  const { addJobs, followJobs, openQueue } = await import('../../queue/client.js');
  const client = await openQueue(target);
  try {
    const ids = await addJobs(client.queue, payloads);
    ids.forEach((id, i) => ctx.stdout.write(`${id}\t${payloads[i].input}\n`));
    if (!o.quiet) ctx.stderr.write(`queued ${ids.length} job(s) on ${target.display} queue ${target.name}\n`);
    if (!wait) return 0;

    const progress = new Progress(o.quiet ? 'none' : resolveProgressStyle(o.progress, Boolean(ctx.stderr.isTTY)), ctx.stderr);
    progress.start(`Waiting for ${ids.length} job(s)`, ids.length);
    const jobs = await followJobs(
      client.queue,
      ids,
      payloads.map((p) => p.input),
      {
        signal: ctx.signal,
        onUpdate: (js) => progress.tick(js.reduce((sum, j) => sum + j.fraction, 0)),
      },
    );
    progress.end();
    if (ctx.signal.aborted) {
      ctx.stderr.write('tacet: stopped waiting; the jobs stay queued (see tacet jobs)\n');
      return 130;
    }
    const failed = jobs.filter((j) => j.state !== 'completed');
    for (const j of jobs) {
      ctx.stdout.write(`${summaryLine(j)}\n`);
      if (j.state === 'completed' && j.result?.stdout) ctx.stdout.write(j.result.stdout.endsWith('\n') ? j.result.stdout : `${j.result.stdout}\n`);
    }
    ctx.stdout.write(`${jobs.length - failed.length} completed, ${failed.length} failed\n`);
    if (!o.quiet) ctx.stdout.write(`${formatFinished((Date.now() - started) / 1000)}\n`);
    return failed.length > 0 ? 1 : 0;
  } finally {
    await client.close();
  }
}
