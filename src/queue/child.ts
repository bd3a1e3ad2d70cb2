/**
 * The edit process of a queue worker: runs exactly one job and exits.
 *
 * Why a child process per job: the core does long stretches of synchronous media work, which in
 * the worker's own process would starve BullMQ's lock renewal and make healthy jobs look stalled;
 * node-av can also crash while Node tears down N-API, which must not take a worker down; and a
 * fresh process per job returns all native memory to the system.
 *
 * Protocol (Node IPC, JSON messages; see ChildRequest and ChildMessage in runner.ts):
 *   parent → child  {type:'run', payload, outputDir}   once, right after the fork
 *                   {type:'cancel', reason}            stop: remove the partial output and report
 *   child → parent  {type:'progress', stage, done, total}   a few times a second at most
 *                   {type:'warning', message}
 *                   {type:'result', result}            the output is in place under its final name
 *                   {type:'error', kind, message}      kind: user | media | cancelled | other
 * then the child calls process.exit. If the parent disappears (its IPC channel closes), the child
 * removes its partial output and exits at once: the job will be run again by another worker.
 */
import { renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { CancelledError, MediaError, UserError } from '../errors.js';
import { checkPayload } from './payload.js';
import { planOutput, sweepPartials, type OutputPlan } from './paths.js';
import type { ChildMessage, ChildRequest, ChildResult } from './runner.js';

const controller = new AbortController();
let plan: OutputPlan | null = null;
let key: string | null = null;

/** Sends a message and, when it has been handed to the parent, exits: see the module comment. */
function sendAndExit(message: ChildMessage, code: number): void {
  if (!process.connected) process.exit(code);
  process.send!(message, undefined, {}, () => process.exit(code));
}

function send(message: ChildMessage): void {
  if (process.connected) process.send!(message);
}

function removePartial(): void {
  if (plan?.temp && key) sweepPartials(dirname(plan.temp), key);
}

function errorKind(e: unknown): 'user' | 'media' | 'cancelled' | 'other' {
  if (e instanceof UserError) return 'user';
  if (e instanceof MediaError) return 'media';
  if (e instanceof CancelledError || (e instanceof Error && e.name === 'AbortError') || controller.signal.aborted) return 'cancelled';
  return 'other';
}

async function run(request: Extract<ChildRequest, { type: 'run' }>): Promise<void> {
  const payload = checkPayload(request.payload);
  key = payload.key;
  plan = planOutput(payload, request.outputDir);
  // Whatever an earlier, killed attempt of this job left is removed before anything is written.
  removePartial();
  const { runEdit } = await import('../core/edit.js');
  let lastProgress = 0;
  const result = await runEdit({
    ...payload.options,
    inputs: [payload.input],
    output: plan.coreOutput,
    signal: controller.signal,
    onWarning: (message) => send({ type: 'warning', message }),
    onProgress: (stage, done, total) => {
      // The core may report every frame; a few messages a second are plenty for a queue.
      const now = Date.now();
      if (now - lastProgress < 250 && done < total) return;
      lastProgress = now;
      send({ type: 'progress', stage, done, total });
    },
  });
  if (plan.temp && plan.final) renameSync(plan.temp, plan.final);
  const out: ChildResult = {
    output: plan.temp ? plan.final : result.output,
    stdout: result.stdout,
    outputFrames: result.outputFrames,
    inputFrames: result.inputFrames,
  };
  sendAndExit({ type: 'result', result: out }, 0);
}

process.on('message', (request: ChildRequest) => {
  if (request.type === 'cancel') {
    controller.abort(new CancelledError(request.reason));
    return;
  }
  run(request).catch((e: unknown) => {
    try {
      removePartial();
    } catch {
      // The report below matters more than a leftover the next attempt removes anyway.
    }
    const message = e instanceof Error ? e.message : String(e);
    const kind = errorKind(e);
    sendAndExit({ type: 'error', kind, message, stack: kind === 'other' && e instanceof Error ? e.stack : undefined }, 1);
  });
});

// The worker is gone (killed, or its machine lost): nobody will use what this edit produces, and
// the job is handed to another worker, so stop now and leave nothing half-written.
process.on('disconnect', () => {
  try {
    removePartial();
  } finally {
    process.exit(1);
  }
});

// Ctrl-C in a terminal reaches the whole process group, this child included: stop cleanly and let
// the worker decide what happens to the job.
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => controller.abort(new CancelledError(`received ${sig}`)));
}
