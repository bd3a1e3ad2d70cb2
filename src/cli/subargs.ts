/**
 * Arguments of the small subcommands (`tacet info`, `levels`, `cache`, …).
 *
 * Each subcommand declares its options once, as plain data (SubcommandSpec); the same declaration
 * parses its argv, prints its `--help`, suggests a spelling for a typo and feeds the shell
 * completion scripts. The declarations live here, with no heavy imports, so that `tacet completion`
 * can read them all without loading any subcommand (or node-av).
 */
import { UserError } from '../errors.js';
import { PROGRESS_STYLES } from './options.js';
import { didYouMean } from './suggest.js';

/** One option of a subcommand. */
export interface SubOption {
  /** Spellings, canonical first (`--timebase`, `-tb`). */
  readonly names: readonly string[];
  /** Placeholder of the value; absent for a flag. */
  readonly metavar?: string;
  /** The only values accepted, if the value is one of a fixed list. */
  readonly choices?: readonly string[];
  /** Default shown in help. */
  readonly default?: string;
  readonly help: string;
}

/** What a subcommand accepts. */
export interface SubcommandSpec {
  readonly name: string;
  /** `FILE...`: what follows `tacet NAME` in the usage line. */
  readonly usage: string;
  /** One paragraph shown under the usage line. */
  readonly description: string;
  readonly options: readonly SubOption[];
  /** How many positional arguments it takes (max undefined = any number). */
  readonly positionals: { readonly min: number; readonly max?: number; readonly name: string };
  /** Accept the edit options of the main command too (`tacet batch`). */
  readonly editOptions?: boolean;
  /** Example command lines for the help screen. */
  readonly examples?: readonly string[];
}

const HELP: SubOption = { names: ['--help', '-h'], help: 'Show this help and exit.' };

/** The options of every subcommand this module describes, `--help` included. */
export const SUBCOMMAND_SPECS: Readonly<Record<string, SubcommandSpec>> = {
  info: {
    name: 'info',
    usage: 'FILE...',
    description:
      "Show what media files contain: the timebase tacet would edit on, and each stream's codec, frame rate, resolution, aspect ratios, duration, bitrate, language, pixel format and colour fields. A file that cannot be read is reported as invalid, and the exit code is 1.",
    options: [{ names: ['--json'], help: 'Print JSON (one object per file, keyed by the path) for scripts.' }, HELP],
    positionals: { min: 1, name: 'FILE' },
    examples: ['tacet info talk.mp4', 'tacet info *.mp4 --json'],
  },
  levels: {
    name: 'levels',
    usage: 'FILE',
    description:
      'Print the analysis levels of a file, one value per timeline frame: a blank line, @start, the values, a blank line. They come from the same (cached) analysis as an edit, so tuning a threshold here matches what an edit keeps. subtitle prints 1 for frames a matching cue covers, else 0.',
    options: [
      {
        names: ['--edit', '-e'],
        metavar: 'METHOD',
        default: 'audio',
        help: 'One method with its settings: audio[:stream=N,channel=N] (stream 0 unless given), motion[:stream=N,width=N,blur=N], blackdetect[:stream=N,pixel-black=N] or subtitle[:pattern=RE]. Thresholds are ignored: levels are what thresholds are compared with.',
      },
      {
        names: ['--timebase', '-tb', '--time-base', '--frame-rate', '-r', '-fps'],
        metavar: 'NUM',
        default: '30/1',
        help: 'Frames per second of the level grid: ntsc, ntsc_film, pal, film, N, N/D or a decimal.',
      },
      {
        names: ['--display'],
        metavar: 'KIND',
        choices: ['float', 'd16'],
        default: 'float',
        help: 'float: the shortest decimal that stands for the stored 16-bit level; d16: the 16-bit integer itself (0 to 65535).',
      },
      { names: ['--no-cache'], help: 'Neither read nor write the analysis cache.' },
      HELP,
    ],
    positionals: { min: 1, max: 1, name: 'FILE' },
    examples: ['tacet levels talk.mp4', 'tacet levels talk.mp4 --edit motion -tb 25 --display d16 | less'],
  },
  subdump: {
    name: 'subdump',
    usage: 'FILE...',
    description:
      'Print the text of every subtitle stream of each file, one cue per line with its formatting stripped, under a "file: PATH (N:codec)" header; "------" ends each file.',
    options: [HELP],
    positionals: { min: 1, name: 'FILE' },
    examples: ['tacet subdump movie.mkv'],
  },
  desc: {
    name: 'desc',
    usage: 'FILE...',
    description: 'Print the description stored in the metadata of each media file, or "No description."',
    options: [HELP],
    positionals: { min: 1, name: 'FILE' },
    examples: ['tacet desc talk.mp4'],
  },
  cache: {
    name: 'cache',
    usage: '[clean]',
    description:
      'Show where the analysis cache is, its entries and its total size; `tacet cache clean` deletes every entry. The folder is $TACET_CACHE_DIR, else $XDG_CACHE_HOME/tacet, else ~/.cache/tacet.',
    options: [HELP],
    positionals: { min: 0, max: 1, name: 'clean' },
    examples: ['tacet cache', 'tacet cache clean'],
  },
  completion: {
    name: 'completion',
    usage: '-s SHELL',
    description:
      'Print a completion script for bash, zsh or fish, generated from the option table, so that Tab completes subcommands, options and their fixed values.',
    options: [{ names: ['--shell', '-s'], metavar: 'SHELL', choices: ['bash', 'zsh', 'fish'], help: 'The shell to write the script for.' }, HELP],
    positionals: { min: 0, max: 0, name: '' },
    examples: [
      'tacet completion -s bash > ~/.local/share/bash-completion/completions/tacet',
      'tacet completion -s zsh > "${fpath[1]}/_tacet"',
      'tacet completion -s fish > ~/.config/fish/completions/tacet.fish',
    ],
  },
  batch: {
    name: 'batch',
    usage: 'FILE|GLOB... [--jobs N] [EDIT OPTIONS]',
    description:
      'Edit many files with the same options: each input goes to its own output (<name>_ALTERED<ext>, or into the folder given with -o DIR), N at a time, each in its own process. One progress line covers the whole batch, and a summary lists what succeeded and what failed; a failing input never stops the others, and the exit code is 1 if any failed. Globs (*, ?, [abc], {a,b}, **) are expanded by tacet, so quote them; files named *_ALTERED.* (earlier outputs) are skipped when a glob matches them.',
    options: [
      { names: ['--jobs', '-j'], metavar: 'N', help: 'How many inputs to edit at once (default: half the CPU cores, at least 1).' },
      {
        names: ['--progress'],
        metavar: 'PROGRESS',
        choices: PROGRESS_STYLES,
        help: 'Style of the one overall progress line: modern, classic, ascii, machine or none.',
      },
      HELP,
    ],
    positionals: { min: 1, name: 'FILE|GLOB' },
    editOptions: true,
    examples: ["tacet batch 'lectures/*.mp4' --jobs 2 -m 0.3s", "tacet batch a.mp4 b.mp4 --export premiere -o timelines/"],
  },
};

/** The spec of a subcommand described here. */
export function specOf(name: string): SubcommandSpec {
  const spec = SUBCOMMAND_SPECS[name];
  if (!spec) throw new Error(`no argument spec for subcommand ${name}`);
  return spec;
}

/** Parsed subcommand arguments: values by canonical option name, and the positionals. */
export interface SubArgs {
  help: boolean;
  /** Canonical name → value (`true` for flags); the last occurrence wins. */
  values: Map<string, string | true>;
  positionals: string[];
}

function findSubOption(spec: SubcommandSpec, spelling: string): SubOption | undefined {
  return spec.options.find((o) => o.names.includes(spelling));
}

/**
 * Parses a subcommand's arguments. `--opt value`, `--opt=value` and `--` work as in the main
 * command; an unknown option is refused with a suggestion. With `passThrough`, unknown tokens that
 * look like options are returned in `rest` instead (batch hands them to the edit parser).
 */
export function parseSubArgs(spec: SubcommandSpec, argv: readonly string[], passThrough = false): SubArgs & { rest: string[] } {
  const values = new Map<string, string | true>();
  const positionals: string[] = [];
  const rest: string[] = [];
  let ended = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (ended || token === '-' || !token.startsWith('-') || /^-[0-9.]/.test(token)) {
      positionals.push(token);
      if (passThrough) rest.push(token);
      continue;
    }
    if (token === '--') {
      ended = true;
      if (passThrough) rest.push(token);
      continue;
    }
    const eq = token.indexOf('=');
    const spelling = eq > 0 ? token.slice(0, eq) : token;
    const option = findSubOption(spec, spelling);
    if (option === undefined) {
      if (passThrough) {
        rest.push(token);
        continue;
      }
      const all = spec.options.flatMap((o) => o.names);
      const suggestion = didYouMean(spelling, all);
      throw new UserError(
        `Unknown option ${spelling} for tacet ${spec.name}${suggestion === null ? '' : `; did you mean ${suggestion}?`} (see tacet ${spec.name} --help)`,
      );
    }
    const name = option.names[0];
    if (name === '--help') return { help: true, values, positionals, rest };
    if (option.metavar === undefined) {
      if (eq > 0) throw new UserError(`${spelling} is a flag and takes no value.`);
      values.set(name, true);
      continue;
    }
    let value: string;
    if (eq > 0) value = token.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === '--help' || next === '-h') return { help: true, values, positionals, rest };
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw new UserError(`${spelling} needs a value (${option.metavar}).`);
      }
      value = next;
      i++;
    }
    if (value === '') throw new UserError(`${spelling} needs a non-empty value (${option.metavar}).`);
    if (option.choices && !option.choices.includes(value)) {
      const suggestion = didYouMean(value, option.choices);
      throw new UserError(
        `'${value}' is not a choice for ${name}; choose one of ${option.choices.join(', ')}` +
          (suggestion === null ? '.' : ` (did you mean ${suggestion}?).`),
      );
    }
    values.set(name, value);
  }
  const { min, max, name } = spec.positionals;
  if (!passThrough) {
    if (positionals.length < min) throw new UserError(`tacet ${spec.name} needs ${min === 1 ? `a ${name}` : `${min} ${name}s`} (usage: tacet ${spec.name} ${spec.usage})`);
    if (max !== undefined && positionals.length > max) {
      const extra = positionals[max];
      throw new UserError(
        max === 0
          ? `tacet ${spec.name} takes no ${name || 'arguments'}, but got '${extra}' (usage: tacet ${spec.name} ${spec.usage})`
          : `tacet ${spec.name} takes at most ${max} ${name}${max === 1 ? '' : 's'}, but got '${extra}' too (usage: tacet ${spec.name} ${spec.usage})`,
      );
    }
  }
  return { help: false, values, positionals, rest };
}

/** Greedy word wrap to `width` columns. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line) lines.push(line);
  return lines;
}

/** The `tacet NAME --help` screen. */
export function formatSubHelp(spec: SubcommandSpec, width = 80): string {
  const out: string[] = [`Usage: tacet ${spec.name} ${spec.usage}`, ''];
  out.push(...wrap(spec.description, width));
  out.push('', 'Options:');
  const column = 28;
  for (const o of spec.options) {
    const head = `  ${o.names.join(', ')}${o.metavar ? ` ${o.metavar}` : ''}`;
    const text = o.help + (o.default !== undefined ? ` (default: ${o.default})` : '') + (o.choices && !o.help.includes(o.choices[0]) ? ` Choices: ${o.choices.join(', ')}.` : '');
    const body = wrap(text, width - column);
    if (head.length + 2 > column) {
      out.push(head, ...body.map((l) => ' '.repeat(column) + l));
    } else {
      out.push(head.padEnd(column) + (body[0] ?? ''), ...body.slice(1).map((l) => ' '.repeat(column) + l));
    }
  }
  if (spec.editOptions) {
    const body = wrap('Every option of the main command (see tacet --help), applied to each input.', width - column);
    out.push(`  ${'EDIT OPTIONS'.padEnd(column - 2)}${body[0]}`, ...body.slice(1).map((l) => ' '.repeat(column) + l));
  }
  if (spec.examples?.length) {
    out.push('', 'Examples:');
    for (const e of spec.examples) out.push(`  ${e}`);
  }
  return out.join('\n') + '\n';
}
