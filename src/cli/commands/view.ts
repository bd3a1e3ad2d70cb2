/**
 * `tacet view FILE [edit options] [--no-open] [--port N]`: analyses FILE, serves the page that shows
 * and tunes the edit on 127.0.0.1, opens it in the browser, and runs until Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { UserError } from '../../errors.js';
import type { CommandContext } from '../commands.js';
import { defaultEditOptions, resolveProgressStyle } from '../options.js';
import { parseCli } from '../parse.js';
import { Progress } from '../progress.js';

const USAGE = `Usage: tacet view FILE [EDIT OPTIONS] [--no-open] [--port N]

Analyses FILE (using the cache) and serves a page on 127.0.0.1 that plots the levels of each
edit method with the threshold and the kept, cut and sped-up regions; its controls change the
threshold, margin, smoothing and speeds and redraw the regions at once. The player can play the
source as edited, and the page shows the equivalent tacet command line and renders or exports
any format. Stop with Ctrl-C.

Edit options are tacet's own (--edit, --margin, --smooth, --when-inactive, --cut, -r, …; see
tacet --help); --export preselects the export kind in the page.

  --no-open     print the address without opening a browser
  --port N      listen on port N (default: a free port)
`;

/** Opens `url` with the desktop's handler; failure only means the user opens the printed address. */
function openBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]];
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true });
    child.on('error', () => {});
    child.unref();
  } catch {
    // No opener on this system: the address is printed anyway.
  }
}

/** Takes view's own options out of argv; the rest is parsed by the main edit parser. */
function splitViewOptions(argv: string[]): { rest: string[]; open: boolean; port: number } {
  const rest: string[] = [];
  let open = true;
  let port = 0;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--no-open') open = false;
    else if (a === '--port' || a.startsWith('--port=')) {
      const value = a === '--port' ? argv[++i] : a.slice('--port='.length);
      if (value === undefined || !/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new UserError('--port needs a port number from 0 to 65535');
      port = Number(value);
    } else rest.push(a);
  }
  return { rest, open, port };
}

/** Runs `tacet view`; resolves with 0 once the server has stopped after ctx.signal aborted. */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const { rest, open, port } = splitViewOptions(argv);
  const cmd = parseCli(rest);
  if (cmd.kind === 'help') {
    // `tacet view --margin --help` explains the option, as the main command does.
    const { formatOptionHelp } = await import('../help.js');
    ctx.stdout.write(cmd.topic ? formatOptionHelp(cmd.topic) : USAGE);
    return 0;
  }
  if (cmd.kind === 'version') throw new UserError('tacet view takes no --version; use tacet --version');
  const o = cmd.options;
  if (cmd.inputs.length !== 1) throw new UserError(cmd.inputs.length === 0 ? 'tacet view needs a media file: tacet view FILE' : 'tacet view takes one file');
  if (o.output !== null) throw new UserError('tacet view writes exports next to the input; -o/--output is not used here (export from the page)');
  if (o.stats) throw new UserError('tacet view shows the statistics in the page; --stats is not used here');

  const progress = new Progress(o.quiet ? 'none' : resolveProgressStyle(o.progress, Boolean(ctx.stderr.isTTY)), ctx.stderr);
  const { createViewApp } = await import('../../view/app.js');
  const { startViewServer } = await import('../../view/server.js');
  const { defaultAssetsDir, loadAssets } = await import('../../view/assets.js');
  const assets = loadAssets(defaultAssetsDir());
  const defaults = defaultEditOptions();
  let app;
  try {
    app = await createViewApp({
      input: cmd.inputs[0]!,
      request: { edits: o.edits, whens: o.whens, ranges: o.ranges, margin: o.margin, smooth: o.smooth },
      frameRate: o.frameRate,
      exportArg: o.export,
      noCache: o.noCache,
      render: o.render,
      defaults: { margin: defaults.margin, smooth: defaults.smooth },
      signal: ctx.signal,
      onWarning: (m) => {
        if (!o.quiet) ctx.stderr.write(`tacet: warning: ${m}\n`);
      },
      onProgress: (title, done, total) => progress.report(title, done, total),
    });
  } finally {
    progress.end();
  }
  try {
    if (ctx.signal.aborted) return 130;
    const server = await startViewServer(app, assets, { port });
    ctx.stdout.write(`tacet view: ${cmd.inputs[0]} at ${server.url} (Ctrl-C to stop)\n`);
    if (open) openBrowser(server.url);
    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    await server.close();
    ctx.stdout.write('tacet view: stopped\n');
    return 0;
  } finally {
    await app.dispose();
  }
}
