/**
 * The options of the queue subcommands (`submit`, `worker`, `jobs`): parsed from an argv array
 * that src/cli hands over (this module never reads process.argv). Pure; bad arguments throw
 * UserError naming the argument.
 *
 * `submit` also takes every edit option of `tacet FILE`: its own options are taken out here and
 * the rest is handed, untouched and in order, to the main parser (`parseCli`), so `submit`
 * accepts exactly what `tacet FILE` accepts and rejects it with the same messages.
 */
import { UserError } from '../errors.js';
import { didYouMean } from '../cli/suggest.js';

/** One option of a queue subcommand. */
export interface FlagDef {
  /** Spellings, canonical first. */
  names: readonly string[];
  /** Placeholder of the value; absent for a flag that takes none. */
  metavar?: string;
  help: string;
}

/** Parsed options by canonical name (`true` for a flag), and everything else in order. */
export interface ParsedFlags {
  values: Map<string, string | true>;
  /** Tokens that are not this command's options (inputs, or edit options for `submit`). */
  rest: string[];
  /** `-h`/`--help` was given (outside a value). */
  help: boolean;
}

function findFlag(defs: readonly FlagDef[], spelling: string): FlagDef | undefined {
  return defs.find((d) => d.names.includes(spelling));
}

/**
 * Takes this command's options out of `argv`.
 * @param passThrough true for `submit`: unknown options stay in `rest` for the edit parser
 *   (with `-h`/`--help`, so that `--margin --help` still explains --margin); false: an unknown
 *   option is an error with a suggestion.
 */
export function parseFlags(argv: readonly string[], defs: readonly FlagDef[], passThrough: boolean): ParsedFlags {
  const values = new Map<string, string | true>();
  const rest: string[] = [];
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--') {
      // Everything after `--` is an input, even a name that looks like one of our options.
      rest.push(...argv.slice(i));
      break;
    }
    const eq = token.startsWith('--') ? token.indexOf('=') : -1;
    const spelling = eq > 0 ? token.slice(0, eq) : token;
    const def = findFlag(defs, spelling);
    if (def === undefined) {
      if (!passThrough && (token === '-h' || token === '--help')) {
        help = true;
        continue;
      }
      if (!passThrough && token.length > 1 && token.startsWith('-')) {
        const suggestion = didYouMean(spelling, defs.flatMap((d) => d.names));
        throw new UserError(`Unknown option ${spelling}${suggestion === null ? '.' : `; did you mean ${suggestion}?`}`);
      }
      rest.push(token);
      continue;
    }
    const name = def.names[0];
    if (def.metavar === undefined) {
      if (eq > 0) throw new UserError(`${spelling} is a flag and takes no value.`);
      values.set(name, true);
      continue;
    }
    let value: string | undefined;
    if (eq > 0) value = token.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UserError(`${spelling} needs a value (${def.metavar}).`);
      i++;
    }
    if (value === '') throw new UserError(`${spelling} needs a non-empty value (${def.metavar}).`);
    values.set(name, value);
  }
  return { values, rest, help };
}

/** A whole number ≥ min from an option's text, or a UserError naming the option. */
export function parseCount(text: string, option: string, min: number): number {
  const n = /^[0-9]+$/.test(text) ? Number(text) : NaN;
  if (!(n >= min) || !Number.isSafeInteger(n)) throw new UserError(`${option} needs a whole number of at least ${min}, got '${text}'.`);
  return n;
}

/**
 * A duration in milliseconds: `30s`, `500ms`, `2min`, or a bare number of seconds. Used for the
 * worker's lock and stalled-check intervals, which are configured in time, not frames.
 */
export function parseDurationMs(text: string, option: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)\s*(ms|s|sec|secs|seconds?|min|mins|minutes?)?$/.exec(text.trim());
  if (!m) throw new UserError(`${option} needs a duration such as 30s, 500ms or 2min, got '${text}'.`);
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  const ms = unit === 'ms' ? n : unit.startsWith('min') ? n * 60_000 : n * 1000;
  if (!(ms >= 100)) throw new UserError(`${option} must be at least 100ms, got '${text}'.`);
  return Math.round(ms);
}

/** Words of `text` in lines of at most `width` columns (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** `--help` text for a queue subcommand: usage, description, then one entry per option (80 columns). */
export function formatFlagHelp(usage: string, description: string, defs: readonly FlagDef[], footer = ''): string {
  const width = 80;
  const indent = 30;
  const lines = [`Usage: ${usage}`, '', ...wrap(description, width), '', 'Options:'];
  const entry = (head: string, help: string) => {
    const body = wrap(help, width - indent);
    const first = head.length < indent ? `${head.padEnd(indent)}${body[0] ?? ''}` : `${head}\n${' '.repeat(indent)}${body[0] ?? ''}`;
    lines.push(first, ...body.slice(1).map((l) => ' '.repeat(indent) + l));
  };
  for (const d of defs) entry(`  ${d.names.join(', ')}${d.metavar ? ` ${d.metavar}` : ''}`, d.help);
  entry('  -h, --help', 'Show this help and exit.');
  if (footer) lines.push('', footer);
  return `${lines.join('\n')}\n`;
}
