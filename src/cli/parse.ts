/**
 * argv → a typed command. Pure: it never reads process.argv, prints or exits; bad arguments throw
 * UserError with one sentence naming the argument.
 *
 * Grammar (auto-editor 31's, plus `--opt=value`):
 * - `--opt value`, `-o value`, and also `--opt=value` / `-o=value`.
 * - Inputs may come anywhere; `--` ends options (everything after it is an input).
 * - The token after an option that takes a value is its value, even when it starts with `-`
 *   (`-m -0.1s`, `-o -`), unless it is itself an option name or starts with `--`: then the value
 *   is missing and we say so, rather than swallowing the next option. A token with a space in it
 *   is always a value (`--yt-dlp-extras '--cookies c.txt'`): no option name has one.
 * - A token starting with `-` that is not a value is an option; unknown ones get a suggestion.
 *   `-` alone and `-<digit>…` are inputs.
 * - Given twice, the last occurrence wins (auto-editor overwrites its field); `--edit:N`, `--when:N`
 *   and the range options instead collect every occurrence in order, and the core resolves them
 *   (a later value for the same label wins; later ranges win where they overlap).
 * - One value per occurrence: `--cut 1s,2s 5s,6s` makes `5s,6s` an input, as in auto-editor.
 * - `-h`/`--help` anywhere shows help; right after an option (`--margin --help`) it shows that
 *   option's help. `--version` is acted on after the whole line parsed cleanly, as in auto-editor.
 * - `--edit:N`/`-e:N` and `--when:N`/`-w:N` carry a label 0–255 (`--edit:1` is plain `--edit`,
 *   `--edit:0` is refused, `--when:0`/`--when:1` are `--when-inactive`/`--when-active`).
 */
import { UserError } from '../errors.js';
import {
  allSpellings,
  defaultEditOptions,
  findOption,
  type EditCliOptions,
  type OptionDef,
  type ProgressStyle,
} from './options.js';
import { didYouMean } from './suggest.js';
import { speedToActionText } from '../edit/actions.js';

/** What the command line asks for. */
export type CliCommand =
  | { kind: 'help'; topic: string | null /* option name for `--margin --help`, else null */ }
  | { kind: 'version' }
  | {
      kind: 'edit';
      inputs: string[];
      options: EditCliOptions;
      /** The arguments minus the inputs (and minus `--`), in order: `tacet batch` passes them on. */
      optionArgs: string[];
    };

export type { EditCliOptions } from './options.js';

/** An option token resolved to its definition; `spelling` is what the user typed (before `=`). */
interface Resolved {
  def: OptionDef;
  spelling: string;
  /** The label class of a labelled spelling (`--edit:3`, `-w:0`); else the definition's own. */
  label?: number;
}

const LABELLED = /^(--edit|-e|--when|-w):(.*)$/;

function isHelpToken(token: string | undefined): boolean {
  return token === '-h' || token === '--help';
}

/** Whether a token in option position is an option (rather than an input). */
function looksLikeOption(token: string): boolean {
  // `-` is the conventional stdin/stdout name and `-5…` a number or odd file name: inputs.
  return token.length > 1 && token.startsWith('-') && !/^-[0-9.]/.test(token);
}

function splitInline(token: string): { spelling: string; inlineValue: string | undefined } {
  const eq = token.indexOf('=');
  // No option name contains `=`, so the first one separates name and value.
  if (eq <= 0) return { spelling: token, inlineValue: undefined };
  return { spelling: token.slice(0, eq), inlineValue: token.slice(eq + 1) };
}

/** Whether `token`, met where a value was expected, is really the next option. */
function isOptionName(token: string): boolean {
  // No option name contains a space: `--yt-dlp-extras '--cookies c.txt'` passes a value.
  if (/\s/.test(token)) return false;
  if (token.startsWith('--')) return true;
  const { spelling } = splitInline(token);
  return findOption(spelling) !== undefined || LABELLED.test(spelling);
}

function mustFind(name: string): OptionDef {
  const def = findOption(name);
  if (def === undefined) throw new Error(`option table lacks ${name}`);
  return def;
}

/** `--edit:N` / `--when:N`: auto-editor's label classes. */
function resolveLabelled(spelling: string): Resolved | undefined {
  const match = LABELLED.exec(spelling);
  if (match === null) return undefined;
  const [, base, labelText] = match;
  if (!/^[0-9]+$/.test(labelText) || Number(labelText) > 255) {
    throw new UserError(`Invalid label in ${spelling}: expected a whole number from 0 to 255 after ':'.`);
  }
  const label = Number(labelText);
  if (base === '--edit' || base === '-e') {
    if (label === 0) {
      throw new UserError(`${spelling} is invalid: label 0 means inactive; use --when:0 to act on inactive sections.`);
    }
    return { def: mustFind('--edit'), spelling, label };
  }
  // --when:0 and --when:1 are the named options; their table entries carry the same label.
  if (label === 0) return { def: mustFind('--when-inactive'), spelling, label };
  if (label === 1) return { def: mustFind('--when-active'), spelling, label };
  return { def: mustFind('--when:N'), spelling, label };
}

function resolve(spelling: string): Resolved {
  // Labelled spellings first: the table's `--when:N` placeholder is not itself a valid spelling.
  const labelled = resolveLabelled(spelling);
  if (labelled !== undefined) return labelled;
  const def = findOption(spelling);
  if (def !== undefined) return { def, spelling };
  const suggestion = didYouMean(spelling, allSpellings());
  throw new UserError(`Unknown option ${spelling}${suggestion === null ? '.' : `; did you mean ${suggestion}?`}`);
}

/** `-c:v (--video-codec)`: the user's spelling, and the canonical name when they differ. */
function describe(spelling: string, def: OptionDef): string {
  return spelling === def.name ? def.name : `${spelling} (${def.name})`;
}

function checkValue(resolved: Resolved, value: string): void {
  const { def, spelling } = resolved;
  if (value === '') throw new UserError(`${spelling} needs a non-empty value (${def.metavar}).`);
  const spec = def.value;
  if (spec.kind === 'choice' && !spec.choices.includes(value)) {
    const suggestion = didYouMean(value, spec.choices);
    throw new UserError(
      `'${value}' is not a choice for ${def.name}; choose one of ${spec.choices.join(', ')}` +
        (suggestion === null ? '.' : ` (did you mean ${suggestion}?).`),
    );
  }
  if (spec.kind === 'integer') {
    const n = /^[0-9]+$/.test(value) ? Number(value) : NaN;
    if (!(n >= spec.min && (spec.max === undefined || n <= spec.max))) {
      const range = spec.max === undefined ? `at least ${spec.min}` : `from ${spec.min} to ${spec.max}`;
      throw new UserError(`${spelling} needs a whole number ${range}, got '${value}'.`);
    }
  }
}

function assign(options: EditCliOptions, resolved: Resolved, value: string | true): void {
  const { def, spelling } = resolved;
  switch (def.target) {
    case 'export':
      options.export = value === true ? (def.exportValue ?? null) : value;
      return;
    case 'margin':
    case 'smooth':
    case 'output':
    case 'frameRate':
    case 'ytDlpLocation':
    case 'ytDlpExtras':
    case 'outputFormat':
    case 'downloadFormat':
      options[def.target] = value as string;
      return;
    case 'edits':
      options.edits.push({ label: resolved.label ?? def.label ?? 1, expr: value as string });
      return;
    case 'whens': {
      const label = resolved.label ?? def.label;
      if (label === undefined) throw new Error(`${def.name} has no label`);
      // The deprecated speed options are auto-editor's -w:0/-w:1 with a speed action.
      const actions = def.speedValue ? speedToActionText(value as string, spelling) : (value as string);
      options.whens.push({ label, actions });
      return;
    }
    case 'ranges':
      if (def.rangeKind === undefined) throw new Error(`${def.name} has no range kind`);
      options.ranges.push({ kind: def.rangeKind, text: value as string });
      return;
    case 'progress':
      // checkValue has already limited the value to the declared choices.
      options.progress = value as ProgressStyle;
      return;
    case 'noCache':
    case 'debug':
    case 'quiet':
    case 'stats':
      options[def.target] = true;
      return;
    case 'open':
      options.open = def.flagValue ?? true;
      return;
    case 'render': {
      if (def.renderKey === undefined) throw new Error(`${def.name} has no render key`);
      const fields = options.render as Record<string, string | boolean>;
      fields[def.renderKey] = value === true ? (def.flagValue ?? true) : value;
      return;
    }
    case 'help':
    case 'version':
    case undefined:
      throw new Error(`assign() called for ${def.name}, which sets no edit option`);
  }
}

/** Parses the arguments after the program name (`process.argv.slice(2)`) into a command. */
export function parseCli(argv: readonly string[]): CliCommand {
  const options = defaultEditOptions();
  const inputs: string[] = [];
  const optionArgs: string[] = [];
  let wantVersion = false;
  let optionsEnded = false;
  // Canonical name of a flag given just before, so that `--debug --help` explains --debug.
  let previousFlag: string | null = null;

  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (optionsEnded || !looksLikeOption(token)) {
      inputs.push(token);
      previousFlag = null;
      continue;
    }
    if (token === '--') {
      optionsEnded = true;
      previousFlag = null;
      continue;
    }
    optionArgs.push(token);

    const { spelling, inlineValue } = splitInline(token);
    const resolved = resolve(spelling);
    const { def } = resolved;

    if (def.target === 'help') {
      if (inlineValue !== undefined) throw new UserError(`${spelling} takes no value.`);
      return { kind: 'help', topic: previousFlag };
    }

    if (!def.implemented) {
      // `--video-codec --help` explains the option instead of refusing it.
      if (inlineValue === undefined && isHelpToken(argv[i + 1])) return { kind: 'help', topic: def.name };
      throw new UserError(`${describe(spelling, def)} is not supported by tacet yet.`);
    }

    if (def.value.kind === 'flag') {
      if (inlineValue !== undefined) throw new UserError(`${spelling} is a flag and takes no value.`);
      if (def.target === 'version') wantVersion = true;
      else assign(options, resolved, true);
      previousFlag = def.name;
      continue;
    }

    let value: string;
    if (inlineValue !== undefined) {
      value = inlineValue;
    } else {
      const next = argv[i + 1];
      if (next === undefined) throw new UserError(`${spelling} needs a value (${def.metavar}).`);
      if (isHelpToken(next)) return { kind: 'help', topic: def.name };
      if (isOptionName(next)) throw new UserError(`${spelling} needs a value (${def.metavar}), but got the option ${next}.`);
      value = next;
      optionArgs.push(next);
      i++;
    }
    checkValue(resolved, value);
    assign(options, resolved, value);
    previousFlag = null;
  }

  if (wantVersion) return { kind: 'version' };
  return { kind: 'edit', inputs, options, optionArgs };
}
