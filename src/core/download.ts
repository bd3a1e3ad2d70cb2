/**
 * URL inputs: downloads with yt-dlp, as auto-editor does, and hands back the local file to edit.
 *
 * auto-editor's steps: ask yt-dlp where the file will go (`--get-filename`), download only when
 * that file is not there yet (so a second run reuses it), then check that it exists. The output
 * template defaults to the URL with every run of non-word characters turned into `-`, in the
 * current folder; youtube.com gets `bestvideo[ext=mp4]+bestaudio[ext=m4a]` unless a format is
 * given. yt-dlp is an optional, separate program: without it, one sentence says what to install.
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { MediaError, UserError } from '../errors.js';

/** How to download. */
export interface DownloadOptions {
  /** yt-dlp program: a name looked up on PATH, or a path (`--yt-dlp-location`). */
  ytDlp: string;
  /** Extra yt-dlp arguments as one string (`--yt-dlp-extras`), split like a shell would. */
  extras?: string | null;
  /** yt-dlp output template (`--output-format`). */
  outputFormat?: string | null;
  /** yt-dlp format selector (`--download-format`). */
  downloadFormat?: string | null;
  /** Folder the download goes to when the template is relative (default: the current folder). */
  cwd?: string;
  /** Where yt-dlp's own progress goes (stderr in the CLI; null = nowhere). */
  log?: NodeJS.WritableStream | null;
  signal?: AbortSignal;
}

/** True for the inputs tacet downloads: http:// and https:// URLs. */
export function isUrl(input: string): boolean {
  return /^https?:\/\//i.test(input);
}

/** Splits an argument string like a POSIX shell would: whitespace separates, quotes group. */
export function splitArgs(text: string): string[] {
  const args: string[] = [];
  let current = '';
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < text.length && '"\\$`'.includes(text[i + 1])) current += text[++i];
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      inWord = true;
    } else if (ch === '\\' && i + 1 < text.length) {
      current += text[++i];
      inWord = true;
    } else if (/\s/.test(ch)) {
      if (inWord) args.push(current);
      current = '';
      inWord = false;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (quote) throw new UserError(`--yt-dlp-extras has an unclosed ${quote} quote: ${text}`);
  if (inWord) args.push(current);
  return args;
}

/** auto-editor's default template: the URL (its extension dropped) with non-word runs as `-`. */
export function defaultTemplate(url: string): string {
  const ext = extname(new URL(url).pathname);
  const stem = ext && url.endsWith(ext) ? url.slice(0, -ext.length) : url;
  return `${stem.replace(/\W+/g, '-')}.%(ext)s`;
}

function domainOf(url: string): string {
  try {
    return new URL(url).hostname.replace(/^www\./, '');
  } catch {
    return '';
  }
}

/** The yt-dlp arguments shared by the filename query and the download. */
export function ytDlpArgs(url: string, o: DownloadOptions): string[] {
  const args: string[] = [];
  const format = o.downloadFormat || (domainOf(url) === 'youtube.com' ? 'bestvideo[ext=mp4]+bestaudio[ext=m4a]' : '');
  if (format) args.push('-f', format);
  args.push('-o', o.outputFormat || defaultTemplate(url), url);
  if (o.extras) args.push(...splitArgs(o.extras));
  return args;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function missing(program: string): UserError {
  const located = program.includes('/') || program.includes('\\');
  return new UserError(
    located
      ? `yt-dlp was not found at ${program} (--yt-dlp-location); URL inputs need yt-dlp`
      : `URL inputs need yt-dlp, which is not installed or not on PATH: install it (https://github.com/yt-dlp/yt-dlp, e.g. pip install yt-dlp) or give its path with --yt-dlp-location`,
  );
}

/** Runs yt-dlp; `capture` collects stdout, otherwise it goes to `log`. Rejects if it cannot start. */
function runYtDlp(args: string[], o: DownloadOptions, capture: boolean): Promise<Ran> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(o.ytDlp, args, { cwd: o.cwd, stdio: ['ignore', 'pipe', 'pipe'], signal: o.signal });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      if (capture) stdout += d.toString('utf8');
      else o.log?.write(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
      if (!capture) o.log?.write(d);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.name === 'AbortError') reject(o.signal?.reason ?? e);
      else if (e.code === 'ENOENT' || e.code === 'EACCES') reject(missing(o.ytDlp));
      else reject(new MediaError(`could not run ${o.ytDlp}: ${e.message}`));
    });
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

/** The last non-empty line of yt-dlp's error output, for a one-line message. */
function lastLine(text: string): string {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  return lines.at(-1) ?? 'no message';
}

/**
 * Downloads `url` with yt-dlp (unless the file it would write already exists) and returns the
 * local path. Throws UserError when yt-dlp is missing, MediaError when the download fails.
 */
export async function downloadUrl(url: string, o: DownloadOptions): Promise<string> {
  const args = ytDlpArgs(url, o);
  const query = await runYtDlp(['--get-filename', '--no-warnings', ...args], o, true);
  if (query.code !== 0) throw new MediaError(`yt-dlp could not download ${url}: ${lastLine(query.stderr)}`);
  const name = query.stdout.split(/\r?\n/).map((l) => l.trim()).filter(Boolean).at(-1);
  if (!name) throw new MediaError(`yt-dlp did not say where it would save ${url}`);
  const location = resolve(o.cwd ?? process.cwd(), name);
  if (!existsSync(location)) {
    const fetched = await runYtDlp(args, o, false);
    if (fetched.code !== 0) throw new MediaError(`yt-dlp could not download ${url}: ${lastLine(fetched.stderr)}`);
  }
  if (!existsSync(location) || !statSync(location).isFile()) throw new MediaError(`the download was not created: ${location}`);
  // Keep yt-dlp's own (usually relative) name, so the default output lands beside it as named.
  return o.cwd === undefined ? name : location;
}
