/**
 * `tacet jobs --queue URL`: how many jobs are waiting, active, delayed (waiting to be retried),
 * completed and failed; which worker runs each active job; and the error of each failed job.
 * `tacet jobs retry ID...|--failed --queue URL` runs failed (or completed) jobs again.
 */
import type { CommandContext } from '../commands.js';
import { QUEUE_ENV, queueTarget } from '../../queue/connection.js';
import { formatFlagHelp, parseCount, parseFlags, type FlagDef } from '../../queue/flags.js';
import type { ListedJob, QueueStatus } from '../../queue/client.js';
import { UserError } from '../../errors.js';

/** The options of `tacet jobs`. */
export const JOBS_FLAGS: readonly FlagDef[] = [
  { names: ['--queue'], metavar: 'URL', help: `Redis holding the queue (default: $${QUEUE_ENV}).` },
  { names: ['--queue-name'], metavar: 'NAME', help: 'Name of the queue in Redis (default: tacet).' },
  { names: ['--json'], help: 'Print the counts and lists as JSON, for scripts.' },
  { names: ['--limit'], metavar: 'N', help: 'Failed jobs to list, newest first (default: 20).' },
  { names: ['--failed'], help: 'With retry: retry every failed job.' },
];

const HELP = formatFlagHelp(
  'tacet jobs --queue URL [--json]\n       tacet jobs retry ID...|--failed --queue URL',
  'Show the queue: waiting, active (with the worker and progress), delayed (to be retried), completed and failed jobs, and the error of each failed job. `retry` runs failed (or completed) jobs again.',
  JOBS_FLAGS,
);

function progressText(j: ListedJob): string {
  const p = j.progress;
  if (!p) return 'starting';
  const pct = p.total > 0 ? Math.round((Math.min(p.done, p.total) / p.total) * 100) : 0;
  return `${p.stage} ${pct}%`;
}

/** The text form of a queue's status. */
export function formatStatus(s: QueueStatus, queueLabel: string): string {
  const c = s.counts;
  const out = [`${queueLabel}`, `  waiting ${c.waiting}   active ${c.active}   delayed ${c.delayed}   completed ${c.completed}   failed ${c.failed}`];
  if (s.active.length) {
    out.push('active:');
    for (const j of s.active) out.push(`  job ${j.id}  ${j.input}  on ${j.worker ?? '?'}  ${progressText(j)}`);
  }
  if (s.failed.length) {
    out.push(c.failed > s.failed.length ? `failed (latest ${s.failed.length} of ${c.failed}):` : 'failed:');
    for (const j of s.failed) {
      const tries = j.attemptsMade === 1 ? '1 attempt' : `${j.attemptsMade} attempts`;
      out.push(`  job ${j.id}  ${j.input}: ${j.failedReason ?? 'unknown error'} (${tries})`);
    }
  }
  return `${out.join('\n')}\n`;
}

/** Runs `tacet jobs` and `tacet jobs retry`. */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const flags = parseFlags(argv, JOBS_FLAGS, false);
  if (flags.help) {
    ctx.stdout.write(HELP);
    return 0;
  }
  const [action, ...ids] = flags.rest;
  if (action !== undefined && action !== 'retry') throw new UserError(`unknown jobs action '${action}'; the only one is retry (tacet jobs retry ID...|--failed)`);
  const all = flags.values.has('--failed');
  if (action === 'retry' && ids.length === 0 && !all) throw new UserError('tacet jobs retry needs job ids or --failed');
  if (action === 'retry' && ids.length > 0 && all) throw new UserError('give either job ids or --failed, not both');
  if (action === undefined && (ids.length > 0 || all)) throw new UserError('--failed and job ids go with retry: tacet jobs retry ID...|--failed');
  const get = (name: string) => flags.values.get(name) as string | undefined;
  const target = queueTarget(get('--queue') ?? process.env[QUEUE_ENV], get('--queue-name'));
  const limit = get('--limit') === undefined ? 20 : parseCount(get('--limit')!, '--limit', 0);

  const { openQueue, queueStatus, retryAllFailed, retryJobs } = await import('../../queue/client.js');
  const client = await openQueue(target);
  try {
    if (action === 'retry') {
      if (all) {
        const n = await retryAllFailed(client.queue);
        ctx.stdout.write(n === 0 ? 'no failed jobs to retry\n' : `retrying ${n} failed job(s)\n`);
      } else {
        for (const id of await retryJobs(client.queue, ids)) ctx.stdout.write(`retrying job ${id}\n`);
      }
      return 0;
    }
    const status = await queueStatus(client.queue, limit);
    if (flags.values.has('--json')) ctx.stdout.write(`${JSON.stringify({ queue: target.name, ...status }, null, 2)}\n`);
    else ctx.stdout.write(formatStatus(status, `queue ${target.name} on ${target.display}`));
    return 0;
  } finally {
    await client.close();
  }
}
