#!/usr/bin/env node
/**
 * The tacet command. A thin layer: parse argv, call the core, draw progress, print one line per
 * error, exit. Only this file touches process.argv and process.exit.
 */
import { readFileSync } from 'node:fs';
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

async function runEditCommand(inputs: string[], o: EditCliOptions): Promise<number> {
  if (inputs.length > 1) throw new UserError('several inputs in one edit are not supported by tacet yet; give one file');
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
  const progress = new Progress(o.quiet ? 'none' : style, process.stderr);
  let stage = '';
  const controller = new AbortController();
  const onSigint = () => controller.abort(new CancelledError('interrupted'));
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  const { runEdit } = await import('../core/edit.js');
  try {
    const result = await runEdit({
      input: inputs[0] ?? null,
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
      signal: controller.signal,
      onWarning: (m) => {
        if (!o.quiet) process.stderr.write(`tacet: warning: ${m}\n`);
      },
      onProgress: (title, done, total) => {
        if (title !== stage) {
          if (stage) progress.end();
          stage = title;
          progress.start(title, total);
        }
        progress.tick(done);
      },
    });
    if (stage) progress.end();
    if (result.stdout !== null) process.stdout.write(result.stdout);
    const log = result.stdout !== null ? process.stderr : process.stdout;
    if (o.stats) return 0;
    if (!o.quiet) {
      if (result.output && result.inputFrames !== null) {
        log.write(`${inputs[0]}: kept ${result.outputFrames} of ${result.inputFrames} frames -> ${result.output}\n`);
      } else if (result.output) {
        log.write(`wrote ${result.output}\n`);
      }
      log.write(`${formatFinished((Date.now() - started) / 1000)}\n`);
    }
    return 0;
  } finally {
    if (stage) progress.end();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
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
        return await mod.run(argv.slice(1), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, signal: controller.signal });
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
    const known = e instanceof UserError || e instanceof MediaError;
    const message = e instanceof Error ? e.message : String(e);
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
