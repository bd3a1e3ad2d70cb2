/**
 * A small file glob for `tacet batch` and `tacet submit`, so that `tacet batch 'talks/*.mp4'` works the same in every
 * shell (and in cmd.exe, which expands nothing). Node 20 has no fs.glob, and the pattern language
 * users need is small:
 *
 * - `*` any run of characters within one path segment, `?` one character, `[abc]`/`[a-z]`/`[!a]`
 *   a character class, `{a,b}` alternatives (nestable), `**` any number of folders;
 * - as in shells, wildcards do not match a leading `.` (hidden files), and `\` escapes a wildcard.
 *
 * Matches are files only, sorted, without duplicates, spelled relative to the pattern as typed.
 */
import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/** True when `pattern` has an unescaped wildcard or brace, i.e. needs expanding. */
export function hasGlob(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') i++;
    else if ('*?[{'.includes(ch)) return true;
  }
  return false;
}

/** `a{b,c{d,e}}f` → `abf`, `acdf`, `acef`; unbalanced braces are literal. */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let open = -1;
  const commas: number[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\') {
      i++;
      continue;
    }
    if (ch === '{') {
      if (depth === 0) open = i;
      depth++;
    } else if (ch === '}' && depth > 0) {
      depth--;
      if (depth === 0) {
        if (commas.length === 0) {
          // `{x}` has no alternatives: keep it literal and look further on.
          return expandBraces(pattern.slice(i + 1)).map((rest) => pattern.slice(0, i + 1) + rest);
        }
        const head = pattern.slice(0, open);
        const tail = pattern.slice(i + 1);
        const bounds = [open, ...commas, i];
        const out: string[] = [];
        for (let k = 0; k + 1 < bounds.length; k++) {
          const alternative = pattern.slice(bounds[k] + 1, bounds[k + 1]);
          out.push(...expandBraces(head + alternative + tail));
        }
        return out;
      }
    } else if (ch === ',' && depth === 1) {
      commas.push(i);
    }
  }
  return [pattern];
}

/** A RegExp for one path segment (no `/`, braces already expanded). */
export function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i];
    if (ch === '\\' && i + 1 < segment.length) {
      re += escapeChar(segment[++i]);
    } else if (ch === '*') {
      re += '[^/]*';
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ch === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = close;
    } else {
      re += escapeChar(ch);
    }
  }
  // Wildcards never match a leading dot; a pattern that starts with `.` itself may.
  const hidden = segment.startsWith('.') ? '' : '(?!\\.)';
  return new RegExp(`^${hidden}${re}$`);
}

function escapeChar(ch: string): string {
  return ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function unescape(segment: string): string {
  return segment.replace(/\\(.)/g, '$1');
}

function listDir(dir: string): Array<{ name: string; isDir: boolean }> {
  try {
    return readdirSync(dir, { withFileTypes: true }).map((d) => ({
      name: d.name,
      isDir: d.isDirectory() || (d.isSymbolicLink() && isDirectory(join(dir, d.name))),
    }));
  } catch {
    return []; // unreadable or missing folders simply match nothing
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Every folder under `dir` (itself included), not entering hidden ones; for `**`. */
function walkDirs(dir: string, prefix: string, out: Array<{ fs: string; shown: string }>): void {
  out.push({ fs: dir, shown: prefix });
  for (const entry of listDir(dir)) {
    if (entry.isDir && !entry.name.startsWith('.')) walkDirs(join(dir, entry.name), prefix ? `${prefix}/${entry.name}` : entry.name, out);
  }
}

/** The files `pattern` matches, relative to `cwd` unless the pattern is absolute. */
export function expandGlob(pattern: string, cwd: string = process.cwd()): string[] {
  const results = new Set<string>();
  for (const expanded of expandBraces(pattern)) {
    const absolute = isAbsolute(expanded);
    const segments = expanded.split('/').filter((s, i) => s !== '' || i === 0);
    // Each candidate: where it is on disk, and how to spell it back to the user.
    let current: Array<{ fs: string; shown: string }> = [{ fs: absolute ? '/' : cwd, shown: absolute ? '' : '' }];
    if (absolute) segments.shift();
    for (let s = 0; s < segments.length; s++) {
      const seg = segments[s];
      const last = s === segments.length - 1;
      const next: Array<{ fs: string; shown: string }> = [];
      const join2 = (shown: string, name: string) => (shown === '' ? (absolute ? `/${name}` : name) : shown.endsWith('/') ? shown + name : `${shown}/${name}`);
      if (seg === '**') {
        for (const c of current) walkDirs(c.fs, c.shown, next);
        if (last) {
          // A trailing `**` means every file below.
          for (const d of next) for (const e of listDir(d.fs)) if (!e.isDir && !e.name.startsWith('.')) results.add(join2(d.shown, e.name));
          next.length = 0;
        }
      } else if (hasGlob(seg)) {
        const re = segmentRegExp(seg);
        for (const c of current) {
          for (const e of listDir(c.fs)) {
            if (!re.test(e.name)) continue;
            if (last ? !e.isDir : e.isDir) next.push({ fs: join(c.fs, e.name), shown: join2(c.shown, e.name) });
          }
        }
      } else {
        const name = unescape(seg);
        for (const c of current) next.push({ fs: join(c.fs, name), shown: join2(c.shown, name) });
      }
      current = next;
    }
    for (const c of current) if (isFile(c.fs)) results.add(c.shown);
  }
  return [...results].sort();
}
