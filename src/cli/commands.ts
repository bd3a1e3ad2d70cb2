/**
 * tacet's subcommands (`tacet info FILE`, `tacet batch …`). Each lives in its own module under
 * commands/ and is loaded only when used, so `tacet --help` stays fast.
 */

/** What a subcommand gets besides its arguments: the streams it may use and a cancel signal. */
export interface CommandContext {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  signal: AbortSignal;
}

/** A subcommand module: parses its own arguments (with `--help`) and returns the exit code. */
export interface CommandModule {
  run(argv: string[], ctx: CommandContext): Promise<number>;
}

export interface Subcommand {
  name: string;
  summary: string;
  load: () => Promise<CommandModule>;
}

/** Every subcommand, in the order `tacet --help` lists them. */
export const SUBCOMMANDS: readonly Subcommand[] = [
  { name: 'info', summary: 'show what media files contain (--json for scripts)', load: () => import('./commands/info.js') },
  { name: 'levels', summary: 'print the analysis levels of a file, one value per frame', load: () => import('./commands/levels.js') },
  { name: 'subdump', summary: 'print the subtitle cues of a file', load: () => import('./commands/subdump.js') },
  { name: 'desc', summary: 'print the description stored in a media file', load: () => import('./commands/desc.js') },
  { name: 'cache', summary: 'show or clean the analysis cache', load: () => import('./commands/cache.js') },
  { name: 'completion', summary: 'print a shell completion script (-s bash|zsh|fish)', load: () => import('./commands/completion.js') },
  { name: 'batch', summary: 'edit many files with the same options, several at a time', load: () => import('./commands/batch.js') },
  { name: 'view', summary: 'see and tune the edit in a local web page', load: () => import('./commands/view.js') },
  { name: 'submit', summary: 'queue edits on a Redis/BullMQ queue for workers on any machine', load: () => import('./commands/submit.js') },
  { name: 'worker', summary: 'run queued edits from a Redis/BullMQ queue, each in its own process', load: () => import('./commands/worker.js') },
  { name: 'jobs', summary: 'show queued edits (counts, errors) or retry failed ones', load: () => import('./commands/jobs.js') },
];

/** The subcommand named by the first argument, if any. */
export function findSubcommand(name: string | undefined): Subcommand | undefined {
  return SUBCOMMANDS.find((c) => c.name === name);
}
