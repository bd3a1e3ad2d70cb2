/**
 * The view server's background work (the preview proxy, renders and exports), one job at a time:
 * two renders at once would only share two cores and could race for the same output name. Each
 * job reports its stage and progress for the page to poll, and can be cancelled; closing the
 * queue cancels everything (Ctrl-C), and the work's own abort handling removes partial files.
 */
import { CancelledError } from '../errors.js';
import type { JobStatus } from './model.js';

/** What a job's work gets: its cancel signal and a progress callback. */
export interface JobContext {
  signal: AbortSignal;
  progress(title: string, done: number, total: number): void;
}

interface Job {
  status: JobStatus;
  controller: AbortController;
  finished: Promise<void>;
}

/** A first-in, first-out queue of jobs with pollable status. */
export class JobQueue {
  private readonly list: Job[] = [];
  private tail: Promise<void> = Promise.resolve();
  private nextId = 1;

  /**
   * Queues `work`; it runs after every job queued before it. Its result (the written file, or
   * null) becomes `output`; a throw becomes `error` (or `cancelled` when it was cancelled).
   */
  add(what: JobStatus['what'], kind: string, title: string, work: (ctx: JobContext) => Promise<string | null>): JobStatus {
    const controller = new AbortController();
    const status: JobStatus = { id: this.nextId++, what, kind, state: 'queued', title, done: 0, total: 0, output: null, error: null };
    const run = async (): Promise<void> => {
      if (controller.signal.aborted) {
        status.state = 'cancelled';
        return;
      }
      status.state = 'running';
      try {
        status.output = await work({
          signal: controller.signal,
          progress: (t, done, total) => {
            status.title = t;
            status.done = done;
            status.total = total;
          },
        });
        status.state = 'done';
        status.done = status.total;
      } catch (e) {
        const cancelled = controller.signal.aborted || e instanceof CancelledError || (e instanceof Error && e.name === 'AbortError');
        status.state = cancelled ? 'cancelled' : 'failed';
        status.error = cancelled ? null : e instanceof Error ? e.message : String(e);
      }
    };
    const finished = this.tail.then(run);
    this.tail = finished;
    this.list.push({ status, controller, finished });
    return status;
  }

  /** Every job so far, oldest first (copies, so callers cannot change the queue's state). */
  all(): JobStatus[] {
    return this.list.map((j) => ({ ...j.status }));
  }

  /** The status of job `id`, or undefined. */
  get(id: number): JobStatus | undefined {
    return this.list.find((j) => j.status.id === id)?.status;
  }

  /** Cancels a queued or running job; false when there is no such job. */
  cancel(id: number): boolean {
    const job = this.list.find((j) => j.status.id === id);
    if (!job) return false;
    job.controller.abort(new CancelledError('cancelled'));
    return true;
  }

  /** Cancels every job and waits until none is running (so partial outputs are cleaned up). */
  async close(): Promise<void> {
    for (const j of this.list) j.controller.abort(new CancelledError('cancelled'));
    await Promise.all(this.list.map((j) => j.finished));
  }
}
