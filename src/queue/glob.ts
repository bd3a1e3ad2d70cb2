/**
 * `tacet submit 'recordings/**\/*.mp4'`: glob patterns expanded by tacet itself. A shell expands
 * unquoted patterns anyway; a quoted one avoids the shell's argument-length limit with thousands
 * of recordings, and works the same in shells that do not expand (Windows). Node 20 has no glob.
 *
 * Supported: `*` and `?` within a path segment, `[abc]`/`[a-z]`/`[!a]` classes, `{a,b}`
 * alternatives, and `**` for any number of folders. Names starting with `.` match only a pattern
 * segment starting with `.`, as in shells. Matches are files only, sorted, without earlier outputs
 * (`*_ALTERED.*`), as `tacet batch` does.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, isAbsolute, join, resolve, sep } from 'node:path';
import { UserError } from '../errors.js';

/** Whether a pattern has glob syntax. */
export function hasMagic(text: string): boolean {
  return /[*?[]|\{[^{}]*,[^{}]*\}/.test(text);
}

/** `{a,b}` alternatives, as shells expand them (nested groups too): `x.{mp4,mkv}` → two patterns. */
export function expandBraces(pattern: string): string[] {
  for (let open = pattern.indexOf('{'); open !== -1; open = pattern.indexOf('{', open + 1)) {
    // The group's matching brace and its top-level commas (a nested group's commas are its own).
    let depth = 0;
    const commas: number[] = [];
    let close = -1;
    for (let i = open; i < pattern.length && close === -1; i++) {
      const ch = pattern[i];
      if (ch === '{') depth++;
      else if (ch === '}' && --depth === 0) close = i;
      else if (ch === ',' && depth === 1) commas.push(i);
    }
    if (close === -1) return [pattern];
    // `{x}` has no alternatives: a literal, as in shells.
    if (commas.length === 0) continue;
    const head = pattern.slice(0, open);
    const tail = pattern.slice(close + 1);
    const cuts = [open, ...commas, close];
    return cuts.slice(1).flatMap((end, k) => expandBraces(head + pattern.slice(cuts[k] + 1, end) + tail));
  }
  return [pattern];
}

/** One glob segment as a regular expression over a file name. */
export function segmentRegExp(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const ch = segment[i];
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close === -1) {
        re += '\\[';
        continue;
      }
      let body = segment.slice(i + 1, close);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = close;
    } else re += ch.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** Every file matching `pattern` (relative to `cwd` unless absolute), sorted. */
export function globFiles(pattern: string, cwd: string): string[] {
  const absolute = isAbsolute(pattern);
  const parts = pattern.split(/[\\/]+/).filter((p, i) => p !== '' || i === 0);
  let bases = [absolute ? (parts[0] === '' ? sep : parts[0] + sep) : cwd];
  const segments = absolute ? parts.slice(1) : parts;
  for (let s = 0; s < segments.length; s++) {
    const seg = segments[s];
    const last = s === segments.length - 1;
    const next: string[] = [];
    if (seg === '**') {
      // Zero or more folders: this base and every folder below it (hidden ones excepted).
      const stack = [...bases];
      while (stack.length) {
        const dir = stack.pop()!;
        next.push(dir);
        for (const name of listDir(dir)) {
          const p = join(dir, name);
          if (!name.startsWith('.') && isDir(p)) stack.push(p);
        }
      }
      if (last) {
        bases = next.flatMap((d) => listDir(d).filter((n) => !n.startsWith('.')).map((n) => join(d, n)));
        break;
      }
    } else if (!hasMagic(seg)) {
      for (const b of bases) next.push(join(b, seg));
    } else {
      const re = segmentRegExp(seg);
      for (const b of bases) {
        for (const name of listDir(b)) {
          if (name.startsWith('.') && !seg.startsWith('.')) continue;
          if (re.test(name)) next.push(join(b, name));
        }
      }
    }
    bases = last ? next : next.filter(isDir);
  }
  const files = [...new Set(bases)].filter((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
  return files.map((p) => (absolute ? p : resolve(cwd, p))).sort();
}

/**
 * The inputs of `submit`: a name that exists is taken as it is (a file may have `[` in its name);
 * a pattern is expanded and must match something; anything else is left for the caller to report
 * as a missing file. An output named explicitly is kept: only patterns skip `*_ALTERED.*`.
 */
export function expandInputs(args: readonly string[], cwd: string): string[] {
  const out: string[] = [];
  for (const arg of args) {
    if (!hasMagic(arg) || existsSync(resolve(cwd, arg))) {
      out.push(arg);
      continue;
    }
    // Earlier outputs match `talks/*.mp4` too; editing them again is never what was meant.
    const matches = [...new Set(expandBraces(arg).flatMap((p) => globFiles(p, cwd)))].filter((p) => !/_ALTERED$/.test(basename(p, extname(p))));
    if (matches.length === 0) throw new UserError(`no file matches ${arg}`);
    out.push(...matches.sort());
  }
  return out;
}
