/**
 * Entry point of an analysis pool worker (a worker thread). It lives as long as the process: node-av
 * can crash when a worker's environment is torn down, so the pool never stops one (see pool.ts).
 */
import { parentPort } from 'node:worker_threads';
import { loadAv } from '../media/av.js';
import { runJob, type PoolJob } from './pool.js';

// Installs the Promise.withResolvers polyfill in this thread too (Node 20 lacks it).
await loadAv();

parentPort!.on('message', async (msg: { id: number; job: PoolJob }) => {
  try {
    const r = await runJob(msg.job);
    parentPort!.postMessage({ id: msg.id, ok: true, result: r }, [r.levels.buffer as ArrayBuffer]);
  } catch (e) {
    const err = e as Error;
    parentPort!.postMessage({ id: msg.id, ok: false, name: err?.name, message: err?.message ?? String(e) });
  }
});
