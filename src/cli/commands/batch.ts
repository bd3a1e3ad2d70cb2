/**
 * `tacet batch FILE|GLOB... [--jobs N] [EDIT OPTIONS]`: the same edit on many inputs.
 *
 * Each input is edited by its own `tacet` child process: node-av's work is synchronous, so
 * processes are what run edits side by side, and a crash or a leak in one edit cannot touch the
 * others. Children report progress in the machine style, which this command folds into one
 * overall line; their results become one line each and a closing summary. A failing input never
 * stops the batch; the exit code is 1 when any input failed, 130 when interrupted.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../errors.js';
import type { CommandContext } from '../commands.js';
import { expandGlob, hasGlob } from '../../glob.js';
import { formatOptionHelp } from '../help.js';
import { resolveProgressStyle, type ProgressStyle } from '../options.js';
import { parseCli } from '../parse.js';
import { Progress, formatFinished } from '../progress.js';
import { formatSubHelp, parseSubArgs, specOf } from '../subargs.js';

/** The CLI entry point the children run (this file is dist/src/cli/commands/batch.js). */
const MAIN = fileURLToPath(new URL('../main.js', import.meta.url));

/** Default parallelism: half the cores (each edit's decoders and encoders use threads too). */
export function defaultJobs(cores: number = availableParallelism()): number {
  return Math.max(1, Math.floor(cores / 2));
}

/** Earlier outputs that a glob should not feed back in: `name_ALTERED.ext` (or a folder of clips). */
function isEarlierOutput(path: string): boolean {
  return /_ALTERED(\.[^./]*)?$/.test(basename(path));
}

/** One input's place in the batch. */
export interface BatchItem {
  /** The file to edit, or null when a glob matched nothing. */
  input: string | null;
  /** The pattern or name the user gave. */
  given: string;
}

/**
 * Expands the user's inputs: globs in-process (sorted, hidden and `*_ALTERED.*` files left out),
 * literal names and URLs as given; duplicates (the same file reached twice) are dropped. A glob
 * that matches nothing becomes an item with `input: null`, reported as a failure.
 */
export function expandInputs(given: readonly string[], cwd: string = process.cwd()): BatchItem[] {
  const items: BatchItem[] = [];
  const seen = new Set<string>();
  const add = (input: string, pattern: string) => {
    const key = /^https?:\/\//i.test(input) ? input : resolve(cwd, input);
    if (seen.has(key)) return;
    seen.add(key);
    items.push({ input, given: pattern });
  };
  for (const g of given) {
    if (/^https?:\/\//i.test(g) || !hasGlob(g)) {
      add(g, g);
      continue;
    }
    const matches = expandGlob(g, cwd).filter((m) => !isEarlierOutput(m));
    if (matches.length === 0) items.push({ input: null, given: g });
    for (const m of matches) add(m, g);
  }
  return items;
}

/** What one child reported. */
interface Outcome {
  /** Position among the inputs, so that the summary lists failures in the order given. */
  index: number;
  item: BatchItem;
  ok: boolean;
  /** Result lines (success) or the error sentence (failure). */
  text: string;
}

/** A machine-style progress record: `title~index~total~eta`. */
const MACHINE = /^(.*)~(-?[\d.e+]+)~(-?[\d.e+]+)~(-?[\d.e+]+)$/;

/**
 * How far along a child is, in [0, 1), from its latest machine-style record: analysis fills the
 * first half and everything after (rendering, writing) the second, and it never goes backwards.
 */
function childFraction(previous: number, title: string, index: number, total: number): number {
  const stage = total > 0 ? Math.min(1, Math.max(0, index / total)) : 0;
  const value = /^Analyzing/.test(title) ? stage * 0.5 : 0.5 + stage * 0.5;
  return Math.max(previous, Math.min(0.99, value));
}

/** Runs `tacet batch`. */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const spec = specOf('batch');
  const own = parseSubArgs(spec, argv, true);
  if (own.help) {
    ctx.stdout.write(formatSubHelp(spec));
    return 0;
  }
  const parsed = parseCli(own.rest);
  if (parsed.kind !== 'edit') {
    // `tacet batch --margin --help` explains the edit option; anything else shows batch's help.
    ctx.stdout.write(parsed.kind === 'help' && parsed.topic ? formatOptionHelp(parsed.topic) : formatSubHelp(spec));
    return 0;
  }
  const jobsText = own.values.get('--jobs');
  let jobs = defaultJobs();
  if (typeof jobsText === 'string') {
    jobs = /^[0-9]+$/.test(jobsText) ? Number(jobsText) : NaN;
    if (!(jobs >= 1 && jobs <= 256)) throw new UserError(`--jobs needs a whole number from 1 to 256, got '${jobsText}'`);
  }
  if (parsed.inputs.length === 0) throw new UserError('tacet batch needs at least one FILE or GLOB (usage: tacet batch FILE|GLOB... [--jobs N] [OPTIONS])');

  // -o names a folder for all outputs; one file for many inputs would overwrite itself.
  const options = parsed.options;
  let outDir: string | null = null;
  if (options.output !== null) {
    let isDir = false;
    try {
      isDir = statSync(options.output).isDirectory();
    } catch {
      // checked below
    }
    if (options.output === '-' || !isDir) {
      throw new UserError(`in tacet batch, -o must name an existing folder (each input gets its own output), not '${options.output}'`);
    }
    outDir = options.output;
  }
  const childOptions = parsed.optionArgs.filter((a, i, all) => {
    // -o DIR is replaced per input below.
    const prev = all[i - 1];
    return !(outDir !== null && (a === '-o' || a === '--output' || /^(-o|--output)=/.test(a) || prev === '-o' || prev === '--output'));
  });

  // Loaded only when needed: the export table is not free to import.
  const outputs = outDir !== null ? await import('../../core/outputs.js') : null;
  const exportKind = outputs?.resolveExport(options.export, null).kind;
  const items = expandInputs(parsed.inputs);
  const style: ProgressStyle = options.quiet ? 'none' : resolveProgressStyle((own.values.get('--progress') as ProgressStyle | undefined) ?? null, Boolean(ctx.stderr.isTTY));
  const progress = new Progress(style, ctx.stderr, Date.now, true);
  const started = Date.now();
  const outcomes: Outcome[] = [];
  const partial = new Map<number, number>();
  const running = new Set<ChildProcess>();
  let done = 0;
  let next = 0;
  let interrupted = false;

  const report = (o: Outcome) => {
    outcomes.push(o);
    done++;
    progress.clearLine();
    if (o.ok) ctx.stdout.write(o.text.endsWith('\n') || o.text === '' ? o.text : `${o.text}\n`);
    else ctx.stdout.write(`failed: ${o.item.input ?? o.item.given}: ${o.text}\n`);
    tick();
  };
  const tick = () => {
    let sum = done;
    for (const f of partial.values()) sum += f;
    progress.tick(sum);
  };

  const runOne = (index: number): Promise<void> => {
    const item = items[index];
    if (item.input === null) {
      report({ index, item, ok: false, text: `no file matches ${item.given}` });
      return Promise.resolve();
    }
    const input = item.input;
    const args = [MAIN, ...childOptions];
    // The name the child would pick by itself, moved into the folder.
    if (outDir !== null && outputs !== null) args.push('-o', outputs.defaultOutputPath(join(outDir, basename(input)), exportKind!));
    // The machine style is what the children speak to us; `--` keeps odd names from being options.
    args.push('--progress', options.quiet ? 'none' : 'machine', '--', input);
    return new Promise((resolvePromise) => {
      // Each child leads its own process group, so a Ctrl-C in the terminal reaches only the
      // batch, which forwards exactly one SIGINT: a second one would kill a child before it has
      // removed its partial output.
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true, windowsHide: true });
      running.add(child);
      let stdout = '';
      let errorLine = '';
      let pending = '';
      child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      child.stderr!.on('data', (d: Buffer) => {
        pending += d.toString('utf8');
        const parts = pending.split(/[\r\n]/);
        pending = parts.pop() ?? '';
        for (const part of parts) {
          const m = MACHINE.exec(part);
          if (m) {
            partial.set(index, childFraction(partial.get(index) ?? 0, m[1], Number(m[2]), Number(m[3])));
            tick();
          } else if (part.startsWith('tacet: error: ')) {
            errorLine = part.slice('tacet: error: '.length);
          } else if (part.startsWith('tacet: warning: ') && !options.quiet) {
            progress.clearLine();
            ctx.stderr.write(`tacet: warning: ${input}: ${part.slice('tacet: warning: '.length)}\n`);
          }
        }
      });
      child.on('error', (e) => {
        running.delete(child);
        partial.delete(index);
        report({ index, item, ok: false, text: `could not start tacet: ${e.message}` });
        resolvePromise();
      });
      child.on('close', (code, signal) => {
        if (!running.delete(child)) return; // already reported by 'error'
        partial.delete(index);
        if (code === 0) {
          // The child's "Finished." line is for a single run; the batch prints its own.
          let text = stdout.split('\n').filter((l) => !l.startsWith('Finished. took')).join('\n');
          if (options.stats) text = `${input}:\n${text}`;
          report({ index, item, ok: true, text });
        } else if (code === 130 || interrupted) {
          report({ index, item, ok: false, text: 'interrupted; no output was written' });
        } else {
          const why = errorLine || (signal ? `tacet stopped by ${signal}` : `tacet exited with code ${code}`);
          report({ index, item, ok: false, text: why });
        }
        resolvePromise();
      });
    });
  };

  const onAbort = () => {
    interrupted = true;
    // Each child removes its partial output on SIGINT and exits 130.
    for (const child of running) child.kill('SIGINT');
  };
  ctx.signal.addEventListener('abort', onAbort, { once: true });

  progress.start(`Batch of ${items.length}`, items.length);
  const worker = async () => {
    while (!interrupted && next < items.length) await runOne(next++);
  };
  try {
    await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  } finally {
    progress.end();
    ctx.signal.removeEventListener('abort', onAbort);
  }

  // Result lines came in finishing order; the summary follows the order of the inputs.
  const failed = outcomes.filter((o) => !o.ok).sort((a, b) => a.index - b.index);
  const succeeded = outcomes.length - failed.length;
  const skipped = items.length - outcomes.length;
  if (interrupted) {
    ctx.stderr.write(
      `tacet: batch interrupted: ${succeeded} output(s) finished and kept, ${skipped} input(s) not started; no partial output was left\n`,
    );
    return 130;
  }
  const summary = failed.length === 0 ? `batch: all ${succeeded} input(s) succeeded` : `batch: ${succeeded} of ${items.length} input(s) succeeded, ${failed.length} failed:`;
  ctx.stdout.write(`\n${summary}\n`);
  for (const f of failed) ctx.stdout.write(`  ${f.item.input ?? f.item.given}: ${f.text}\n`);
  if (!options.quiet) ctx.stdout.write(`${formatFinished((Date.now() - started) / 1000)}\n`);
  return failed.length > 0 ? 1 : 0;
}
