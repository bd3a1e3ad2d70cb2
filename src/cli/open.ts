/**
 * `--open`: hands the finished output to the system's opener (xdg-open on Linux and BSD, open on
 * macOS, start on Windows), as auto-editor does. Opening is a convenience: an opener that is
 * missing or fails to start is a warning, never a failed run, and tacet does not wait for the
 * application that opens.
 */
import { spawn } from 'node:child_process';

/** The opener program and its arguments for `path` on `platform`. */
export function openerFor(path: string, platform: NodeJS.Platform = process.platform): { command: string; args: string[] } {
  if (platform === 'darwin') return { command: 'open', args: [path] };
  // `start` is a cmd built-in; the empty title argument keeps a quoted path from becoming the title.
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""', path] };
  return { command: 'xdg-open', args: [path] };
}

/**
 * Starts the opener, detached, and resolves once it has started (null) or failed to (a warning
 * sentence for the user).
 */
export function openOutput(path: string, platform: NodeJS.Platform = process.platform): Promise<string | null> {
  const { command, args } = openerFor(path, platform);
  return new Promise((resolve) => {
    let child;
    try {
      child = spawn(command, args, { detached: true, stdio: 'ignore', windowsHide: true });
    } catch (e) {
      resolve(`could not open ${path}: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    child.once('spawn', () => {
      child.unref();
      resolve(null);
    });
    child.once('error', (e: NodeJS.ErrnoException) => {
      resolve(
        e.code === 'ENOENT'
          ? `could not open ${path}: ${command} was not found (open the file yourself)`
          : `could not open ${path} with ${command}: ${e.message}`,
      );
    });
  });
}
