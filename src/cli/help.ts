/**
 * Help text, generated from the option table.
 *
 * The layout follows auto-editor's `--help` (groups in its order, names then wrapped text), but it
 * is honest about what tacet does: only implemented options get a description; each group ends with
 * the names tacet recognises but refuses for now.
 */
import { UserError } from '../errors.js';
import { allSpellings, findOption, OPTION_GROUPS, OPTIONS, type OptionDef } from './options.js';
import { didYouMean } from './suggest.js';

/** A subcommand line for the help screen (the lead's main.ts owns the subcommands). */
export interface HelpCommand {
  readonly name: string;
  readonly help?: string;
}

/** Layout knobs for formatHelp. */
export interface HelpLayout {
  /** Subcommands to list before the options. */
  readonly commands?: readonly HelpCommand[];
  /** Total width in columns (default 80). */
  readonly width?: number;
}

const USAGE = 'Usage: tacet [FILE...] [OPTIONS]';
const NAME_INDENT = 4;
const DEFAULT_WIDTH = 80;

/** Greedy word wrap; the first line gets `firstWidth` columns, the others `restWidth`. */
function wrapWords(text: string, firstWidth: number, restWidth: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    const limit = lines.length === 0 ? firstWidth : restWidth;
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= limit) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** `-m, --margin`: short aliases first, then the canonical name, then long aliases. */
export function displayNames(def: OptionDef): string {
  const short = def.aliases.filter((a) => !a.startsWith('--'));
  const long = def.aliases.filter((a) => a.startsWith('--'));
  return [...short, def.name, ...long].join(', ');
}

function defaultText(def: OptionDef): string | null {
  return def.defaultNote ?? def.default ?? null;
}

function optionLines(def: OptionDef, width: number): string[] {
  const helpColumn = Math.min(30, Math.floor(width / 3) + 4);
  const head = ' '.repeat(NAME_INDENT) + displayNames(def) + (def.metavar === '' ? '' : ` ${def.metavar}`);
  const defaults = defaultText(def);
  const text = defaults === null ? def.help : `${def.help} (default: ${defaults})`;
  const textWidth = Math.max(20, width - helpColumn);
  const wrapped = wrapWords(text, textWidth, textWidth);
  const pad = ' '.repeat(helpColumn);
  // A long name list gets a line to itself, as in auto-editor, instead of squeezing the text.
  if (head.length + 2 > helpColumn) return [head, ...wrapped.map((l) => pad + l)];
  return [head.padEnd(helpColumn) + wrapped[0], ...wrapped.slice(1).map((l) => pad + l)];
}

function notYetLines(defs: readonly OptionDef[], width: number): string[] {
  if (defs.length === 0) return [];
  const label = `${' '.repeat(NAME_INDENT)}Not yet supported: `;
  const names = defs.map((d) => d.name).join(', ');
  const continuation = ' '.repeat(NAME_INDENT + 2);
  const wrapped = wrapWords(names, width - label.length, width - continuation.length);
  return [label + wrapped[0], ...wrapped.slice(1).map((l) => continuation + l)];
}

/** The full help screen: usage, optional subcommands, then the options by group. */
export function formatHelp(layout: HelpLayout = {}): string {
  const width = layout.width ?? DEFAULT_WIDTH;
  const out: string[] = [USAGE, ''];
  if (layout.commands !== undefined && layout.commands.length > 0) {
    out.push('Commands:');
    const nameWidth = Math.max(...layout.commands.map((c) => c.name.length)) + 2;
    for (const command of layout.commands) {
      const text = command.help ?? '';
      const wrapped = wrapWords(text, width - 2 - nameWidth, width - 2 - nameWidth);
      out.push(`  ${command.name.padEnd(nameWidth)}${wrapped[0] ?? ''}`.trimEnd());
      for (const l of wrapped.slice(1)) out.push(' '.repeat(2 + nameWidth) + l);
    }
    out.push('', ...wrapWords("Run `tacet COMMAND --help` for a command's own options.", width, width));
    out.push('');
  }
  out.push('Options:');
  for (const group of OPTION_GROUPS) {
    const visible = OPTIONS.filter((d) => d.group === group && !d.hidden);
    out.push(`  ${group}:`);
    for (const def of visible.filter((d) => d.implemented)) out.push(...optionLines(def, width));
    out.push(...notYetLines(visible.filter((d) => !d.implemented), width));
    out.push('');
  }
  out.push(
    ...wrapWords(
      'Options marked "not yet supported" are auto-editor options that tacet recognises but refuses with an error. ' +
        'Run `tacet --OPTION --help` for details on one option.',
      width,
      width,
    ),
  );
  return out.join('\n') + '\n';
}

/** Help for one option, given any of its spellings (`--margin`, `-m`, `-c:v`). */
export function formatOptionHelp(name: string, width: number = DEFAULT_WIDTH): string {
  const def = findOption(name);
  if (def === undefined) {
    const suggestion = didYouMean(name, allSpellings());
    throw new UserError(`Unknown option ${name}${suggestion === null ? '.' : `; did you mean ${suggestion}?`}`);
  }
  const out: string[] = [def.name + (def.metavar === '' ? '' : ` ${def.metavar}`)];
  if (def.aliases.length > 0) out.push(`  Aliases: ${def.aliases.join(', ')}`);
  out.push(`  Group:   ${def.group}`);
  const defaults = defaultText(def);
  if (defaults !== null) out.push(`  Default: ${defaults}`);
  if (def.value.kind === 'choice') out.push(`  Choices: ${def.value.choices.join(', ')}`);
  if (def.value.kind === 'integer') {
    out.push(`  Range:   ${def.value.min}${def.value.max === undefined ? ' or more' : ` to ${def.value.max}`}`);
  }
  out.push('');
  out.push(...wrapWords(def.help, width - 2, width - 2).map((l) => `  ${l}`));
  if (!def.implemented) {
    out.push('');
    out.push(
      ...wrapWords(
        'Not supported by tacet yet: the name is recognised (it is an auto-editor option), but tacet refuses it with an error.',
        width - 2,
        width - 2,
      ).map((l) => `  ${l}`),
    );
  }
  return out.join('\n') + '\n';
}
