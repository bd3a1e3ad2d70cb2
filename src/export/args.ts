import { UserError } from '../errors.js';

/** `--export KIND[:key=value,...]` split into the kind and its attributes. */
export interface ExportArg {
  kind: string;
  params: Record<string, string>;
}

/**
 * Parses auto-editor's export syntax: `premiere:name="My cut, v2"`. Values may be bare (up to the
 * next comma) or double-quoted with backslash escapes (`\"`, `\\`, `\n`, `\t`).
 */
export function parseExportArg(text: string): ExportArg {
  const colon = text.indexOf(':');
  const kind = (colon < 0 ? text : text.slice(0, colon)).trim();
  if (!kind) throw new UserError(`--export needs a kind, e.g. premiere or v3 (got "${text}")`);
  const params: Record<string, string> = {};
  if (colon < 0) return { kind, params };
  const s = text.slice(colon + 1);
  let i = 0;
  const fail = (why: string): never => {
    throw new UserError(`invalid --export attributes "${s}": ${why}`);
  };
  while (i < s.length) {
    while (s[i] === ' ') i++;
    const eq = s.indexOf('=', i);
    if (eq < 0) fail(`expected key=value at "${s.slice(i)}"`);
    const key = s.slice(i, eq).trim();
    if (!/^[a-z][a-z0-9_-]*$/i.test(key)) fail(`bad attribute name "${key}"`);
    i = eq + 1;
    let value = '';
    if (s[i] === '"') {
      i++;
      for (;;) {
        if (i >= s.length) fail('unterminated string');
        const ch = s[i++];
        if (ch === '"') break;
        if (ch === '\\') {
          const esc = s[i++];
          if (esc === undefined) fail('unterminated string');
          value += esc === 'n' ? '\n' : esc === 't' ? '\t' : esc;
        } else value += ch;
      }
      while (s[i] === ' ') i++;
      if (i < s.length && s[i] !== ',') fail(`expected "," after the quoted value of ${key}`);
    } else {
      const comma = s.indexOf(',', i);
      const end = comma < 0 ? s.length : comma;
      value = s.slice(i, end).trim();
      i = end;
    }
    params[key] = value;
    if (s[i] === ',') i++;
  }
  return { kind, params };
}
