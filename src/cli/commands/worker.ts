/**
 * `tacet worker --queue redis://HOST:PORT [--concurrency N] [--output-dir DIR]`: runs queued edits
 * until stopped. One line per event on stdout (started, done, failed, returned), so a service
 * manager's log shows what each machine did. SIGTERM or Ctrl-C puts the running jobs back in the
 * queue and exits 0; main.ts then ends the process with process.exit, as node-av requires.
 */
import { resolve } from 'node:path';
import type { CommandContext } from '../commands.js';
import { QUEUE_ENV, queueTarget } from '../../queue/connection.js';
import { formatFlagHelp, parseCount, parseDurationMs, parseFlags, type FlagDef } from '../../queue/flags.js';
import { UserError } from '../../errors.js';

/** The options of `tacet worker`. */
export const WORKER_FLAGS: readonly FlagDef[] = [
  { names: ['--queue'], metavar: 'URL', help: `Redis holding the queue: redis://[:PASSWORD@]HOST:PORT[/DB] or rediss:// (default: $${QUEUE_ENV}).` },
  { names: ['--queue-name'], metavar: 'NAME', help: 'Name of the queue in Redis (default: tacet).' },
  { names: ['--concurrency', '-j'], metavar: 'N', help: 'Jobs to run at once, each in its own process (default: 1). About one per 2 CPU cores for renders.' },
  { names: ['--output-dir'], metavar: 'DIR', help: 'Write outputs with default names here instead of beside their inputs (created if missing). A job submitted with -o keeps its own path.' },
  { names: ['--lock-duration'], metavar: 'TIME', help: 'How long a job stays locked without a sign of life from its worker (default: 30s). A killed worker\'s job is taken over after about this long.' },
  { names: ['--stalled-interval'], metavar: 'TIME', help: 'How often to look for jobs whose worker died (default: 30s).' },
];

const HELP = formatFlagHelp(
  'tacet worker --queue URL [--concurrency N] [--output-dir DIR]',
  'Take edits queued by `tacet submit` and run them, each in its own process, until stopped. Run one worker per machine (-j N for N jobs at once) against the same Redis. Inputs and outputs must be on storage shared by every machine at the same path. SIGTERM or Ctrl-C puts the running jobs back in the queue for another worker, leaving no partial output.',
  WORKER_FLAGS,
);

/** Runs `tacet worker` until ctx.signal is aborted. */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const flags = parseFlags(argv, WORKER_FLAGS, false);
  if (flags.help) {
    ctx.stdout.write(HELP);
    return 0;
  }
  if (flags.rest.length > 0) throw new UserError(`tacet worker takes no inputs (got ${flags.rest[0]}); inputs are queued with tacet submit`);
  const get = (name: string) => flags.values.get(name) as string | undefined;
  const target = queueTarget(get('--queue') ?? process.env[QUEUE_ENV], get('--queue-name'));
  const concurrency = get('--concurrency') === undefined ? 1 : parseCount(get('--concurrency')!, '--concurrency', 1);
  const outputDir = get('--output-dir') === undefined ? null : resolve(get('--output-dir')!);
  const lockDurationMs = get('--lock-duration') === undefined ? 30_000 : parseDurationMs(get('--lock-duration')!, '--lock-duration');
  const stalledIntervalMs = get('--stalled-interval') === undefined ? 30_000 : parseDurationMs(get('--stalled-interval')!, '--stalled-interval');

  const { runWorker } = await import('../../queue/worker.js');
  await runWorker({
    target,
    concurrency,
    outputDir,
    lockDurationMs,
    stalledIntervalMs,
    signal: ctx.signal,
    log: (line) => ctx.stdout.write(`${line}\n`),
  });
  return 0;
}
