/**
 * `tacet submit 'recordings/**\/*.mp4'`: glob patterns expanded by tacet itself (the pattern
 * language is src/glob.ts, shared with `tacet batch`). A quoted pattern avoids the shell's
 * argument-length limit with thousands of recordings, and works the same in shells that do not
 * expand (Windows).
 */
import { existsSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { expandGlob, hasGlob } from '../glob.js';

/**
 * The inputs of `submit`: a name that exists is taken as it is (a file may have `[` in its name);
 * a pattern is expanded (to absolute paths) and must match something; anything else is left for
 * the caller to report as a missing file. An output named explicitly is kept: only patterns skip
 * `*_ALTERED.*`.
 */
export function expandInputs(args: readonly string[], cwd: string): string[] {
  const out: string[] = [];
  for (const arg of args) {
    if (!hasGlob(arg) || existsSync(resolve(cwd, arg))) {
      out.push(arg);
      continue;
    }
    // Earlier outputs match `talks/*.mp4` too; editing them again is never what was meant.
    const matches = expandGlob(arg, cwd)
      .map((p) => resolve(cwd, p))
      .filter((p) => !/_ALTERED$/.test(basename(p, extname(p))));
    if (matches.length === 0) throw new UserError(`no file matches ${arg}`);
    out.push(...matches);
  }
  return out;
}
