#!/usr/bin/env node
/**
 * The tacet command. A thin layer: parse argv, call the core, draw progress, print one line per
 * error, exit. Only this file touches process.argv and process.exit.
 */
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { formatHelp, formatOptionHelp } from './help.js';
import { resolveProgressStyle } from './options.js';
import { parseCli, type EditCliOptions } from './parse.js';
import { Progress, formatFinished } from './progress.js';
import { CancelledError, MediaError, UserError } from '../errors.js';
import { SUBCOMMANDS, findSubcommand } from './commands.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

// A reader that stops early (`tacet levels f | head -1`) closes the pipe: that ends tacet quietly
// instead of surfacing EPIPE as an error with a stack trace.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

/** Writes everything still buffered, then exits: node-av can crash while Node tears down N-API. */
async function exit(code: number): Promise<never> {
  const drain = (s: NodeJS.WriteStream) => new Promise<void>((res) => (s.writableLength === 0 ? res() : s.write('', () => res())));
  await Promise.all([drain(process.stdout), drain(process.stderr)]);
  process.exit(code);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The checks auto-editor makes on an input before editing: a file that exists but has no
 * extension is refused, since the output's format (and a render's muxer) comes from it. Missing
 * files, folders and empty files are left to the core, which names them precisely.
 */
function checkInputName(input: string): void {
  let isFile = false;
  try {
    isFile = statSync(input).isFile();
  } catch {
    return;
  }
  if (isFile && extname(input) === '') {
    throw new UserError(`input file must have an extension (it decides the output format): ${input}; rename it, e.g. to ${input}.mp4`);
  }
}

async function runEditCommand(inputs: string[], o: EditCliOptions): Promise<number> {
  const started = Date.now();
  let stdinTimeline: string | undefined;
  if (inputs.length === 0) {
    if (process.stdin.isTTY) {
      process.stderr.write(formatHelp());
      return 1;
    }
    stdinTimeline = await readStdin();
    if (!stdinTimeline.trim()) throw new UserError('no input file given, and nothing on standard input');
  }
  const style = resolveProgressStyle(o.progress, Boolean(process.stderr.isTTY));
  const progress = new Progress(o.quiet ? 'none' : style, process.stderr, Date.now, true);
  const warn = (m: string) => {
    if (o.quiet) return;
    progress.clearLine();
    process.stderr.write(`tacet: warning: ${m}\n`);
  };
  const controller = new AbortController();
  const onSigint = () => controller.abort(new CancelledError('interrupted'));
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  try {
    const { isUrl, downloadUrl } = await import('../core/download.js');
    const files: string[] = [];
    for (const given of inputs) {
      let input = given;
      if (isUrl(input)) {
        if (!o.quiet) process.stderr.write(`Downloading ${input} with ${o.ytDlpLocation}...\n`);
        input = await downloadUrl(input, {
          ytDlp: o.ytDlpLocation,
          extras: o.ytDlpExtras,
          outputFormat: o.outputFormat,
          downloadFormat: o.downloadFormat,
          log: o.quiet ? null : process.stderr,
          signal: controller.signal,
        });
      }
      checkInputName(input);
      files.push(input);
    }
    const { runEdit } = await import('../core/edit.js');
    const result = await runEdit({
      inputs: files,
      stdinTimeline,
      edits: o.edits,
      whens: o.whens,
      ranges: o.ranges,
      stats: o.stats,
      margin: o.margin,
      smooth: o.smooth,
      frameRate: o.frameRate,
      export: o.export,
      output: o.output,
      noCache: o.noCache,
      render: o.render,
      signal: controller.signal,
      onWarning: warn,
      onDebug: o.debug
        ? (m) => {
            progress.clearLine();
            process.stderr.write(`tacet: debug: ${m}\n`);
          }
        : undefined,
      onProgress: (title, done, total) => progress.report(title, done, total),
    });
    progress.end();
    if (result.stdout !== null) process.stdout.write(result.stdout);
    const log = result.stdout !== null ? process.stderr : process.stdout;
    if (o.stats) return 0;
    if (!o.quiet) {
      if (result.output && result.inputFrames !== null) {
        log.write(`${files.join(' + ')}: kept ${result.outputFrames} of ${result.inputFrames} frames -> ${result.output}\n`);
      } else if (result.output) {
        log.write(`wrote ${result.output}\n`);
      }
    }
    if (o.open && result.output) {
      const { openOutput } = await import('./open.js');
      const problem = await openOutput(result.output);
      if (problem) warn(problem);
    }
    if (!o.quiet) log.write(`${formatFinished((Date.now() - started) / 1000)}\n`);
    return 0;
  } finally {
    progress.end();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}

/** File-system failures (a full disk, no permission) are the environment, not a bug in tacet. */
function isSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/** One sentence for a file-system failure; Node's own text ("ENOSPC: …, write") reads like a bug. */
function systemMessage(e: NodeJS.ErrnoException): string {
  const where = e.path ? `: ${e.path}` : '';
  switch (e.code) {
    case 'ENOSPC':
      return `no space left on device${where}; free some space, or write elsewhere with -o`;
    case 'EDQUOT':
      return `disk quota exceeded${where}`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied${where}`;
    case 'EROFS':
      return `read-only file system${where}`;
    default:
      return e.message;
  }
}

async function main(argv: string[]): Promise<number> {
  const debug = argv.includes('--debug');
  try {
    const sub = findSubcommand(argv[0]);
    if (sub) {
      const controller = new AbortController();
      const onSignal = () => controller.abort(new CancelledError('interrupted'));
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const mod = await sub.load();
        // --debug is global (stack traces on errors); subcommands never see it.
        return await mod.run(argv.slice(1).filter((a) => a !== '--debug'), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, signal: controller.signal });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    }
    const cmd = parseCli(argv);
    switch (cmd.kind) {
      case 'version':
        process.stdout.write(`${version()}\n`);
        return 0;
      case 'help':
        process.stdout.write(cmd.topic ? formatOptionHelp(cmd.topic) : formatHelp({ commands: SUBCOMMANDS.map((c) => ({ name: c.name, help: c.summary })) }));
        return 0;
      case 'edit':
        return await runEditCommand(cmd.inputs, cmd.options);
    }
  } catch (e) {
    if (e instanceof CancelledError || (e instanceof Error && e.name === 'AbortError')) {
      process.stderr.write('\ntacet: interrupted; no output was written\n');
      return 130;
    }
    const known = e instanceof UserError || e instanceof MediaError || isSystemError(e);
    const message = isSystemError(e) ? systemMessage(e) : e instanceof Error ? e.message : String(e);
    process.stderr.write(`tacet: error: ${message}\n`);
    if (debug && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
    else if (!known) process.stderr.write('tacet: this is a bug in tacet; run again with --debug for details\n');
    return 1;
  }
}

void main(process.argv.slice(2)).then(exit, async (e) => {
  process.stderr.write(`tacet: error: ${e instanceof Error ? e.message : String(e)}\n`);
  await exit(1);
});
