/**
 * The worker's side of the edit process (child.ts): forks it, hands it one job, relays its
 * progress and warnings, and turns every way it can end into a result or a typed error.
 */
import { fork } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobPayload, JobResult } from './payload.js';
import { planOutput, sweepPartials } from './paths.js';

/** Messages from the worker to its edit process. */
export type ChildRequest =
  | { type: 'run'; payload: JobPayload; outputDir: string | null }
  | { type: 'cancel'; reason: string };

/** What the edit process reports on success (the worker adds timing and its name). */
export type ChildResult = Omit<JobResult, 'seconds' | 'worker'>;

/** Messages from the edit process to the worker. */
export type ChildMessage =
  | { type: 'progress'; stage: string; done: number; total: number }
  | { type: 'warning'; message: string }
  | { type: 'result'; result: ChildResult }
  | { type: 'error'; kind: EditErrorKind; message: string; stack?: string };

/**
 * Why an edit failed. `user` and `media` are the input's or the options' fault: running them
 * again gives the same answer. `cancelled`: the worker stopped it. `crashed`: the process died
 * without a word (killed, out of memory, a native crash). `other`: an unexpected error.
 */
export type EditErrorKind = 'user' | 'media' | 'cancelled' | 'crashed' | 'other';

/** A failed edit, with the CLI's one-line message. */
export class EditFailure extends Error {
  override name = 'EditFailure';
  constructor(
    readonly kind: EditErrorKind,
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

/** How long a cancelled edit may take to clean up before it is killed. */
const CANCEL_GRACE_MS = 10_000;
/** How long an edit process that has reported may take to exit before it is killed. */
const EXIT_GRACE_MS = 5_000;
/** The last bytes of the edit process's stderr kept for a crash report. */
const STDERR_TAIL = 2000;

/** Callbacks and limits of one edit. */
export interface RunOptions {
  outputDir: string | null;
  /** Aborting it cancels the edit (the promise then rejects with kind `cancelled`). */
  signal: AbortSignal;
  onProgress?: (stage: string, done: number, total: number) => void;
  onWarning?: (message: string) => void;
}

const CHILD = fileURLToPath(new URL('./child.js', import.meta.url));

/** Runs one job in a fresh edit process. Rejects with EditFailure. */
export function runInChild(payload: JobPayload, o: RunOptions): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], serialization: 'json' });
    let settled = false;
    let stderr = '';
    let killTimer: NodeJS.Timeout | null = null;
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString('utf8')).slice(-STDERR_TAIL);
    });
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      o.signal.removeEventListener('abort', onAbort);
      fn();
      // A reported edit exits by itself; one that lingers (a hung N-API teardown) is killed.
      if (child.exitCode === null && child.signalCode === null) {
        killTimer = setTimeout(() => child.kill('SIGKILL'), EXIT_GRACE_MS);
        killTimer.unref();
      }
    };
    const onAbort = () => {
      const reason = o.signal.reason instanceof Error ? o.signal.reason.message : 'cancelled';
      if (child.connected) child.send({ type: 'cancel', reason } satisfies ChildRequest);
      const t = setTimeout(() => child.kill('SIGKILL'), CANCEL_GRACE_MS);
      t.unref();
    };
    child.on('message', (m: ChildMessage) => {
      switch (m.type) {
        case 'progress':
          o.onProgress?.(m.stage, m.done, m.total);
          return;
        case 'warning':
          o.onWarning?.(m.message);
          return;
        case 'result':
          settle(() => resolve(m.result));
          return;
        case 'error':
          settle(() => reject(new EditFailure(m.kind, m.message, m.stack)));
          return;
      }
    });
    child.on('error', (e) => settle(() => reject(new EditFailure('crashed', `could not start the edit process: ${e.message}`))));
    child.on('exit', (code, signal) => {
      if (killTimer) clearTimeout(killTimer);
      if (settled) return;
      // Died without reporting: whatever it was writing is garbage; remove it now rather than
      // leave it to the next attempt.
      try {
        const plan = planOutput(payload, o.outputDir);
        if (plan.temp) sweepPartials(dirname(plan.temp), payload.key);
      } catch {
        // The next attempt sweeps again.
      }
      const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
      const tail = stderr.trim().split('\n').slice(-3).join(' | ');
      const kind: EditErrorKind = o.signal.aborted ? 'cancelled' : 'crashed';
      settle(() => reject(new EditFailure(kind, `the edit process ${how}${tail ? `: ${tail}` : ''}`)));
    });
    if (o.signal.aborted) {
      child.kill('SIGKILL');
      return;
    }
    o.signal.addEventListener('abort', onAbort, { once: true });
    child.send({ type: 'run', payload, outputDir: o.outputDir } satisfies ChildRequest);
  });
}
