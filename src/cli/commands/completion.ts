/**
 * `tacet completion -s bash|zsh|fish`: a shell completion script, generated from the option table
 * (src/cli/options.ts), the subcommand table (src/cli/commands.ts) and the subcommands' argument
 * specs (src/cli/subargs.ts), so that a new option completes without anyone editing a script.
 *
 * Only options tacet implements are offered (refused ones would only lead to an error), hidden
 * spellings are left out as in `--help`, and options with a fixed set of values (progress styles,
 * export kinds, edit methods, named frame rates) complete those values.
 */
import { UserError } from '../../errors.js';
import { SUBCOMMANDS } from '../commands.js';
import { OPTIONS } from '../options.js';
import { SUBCOMMAND_SPECS, formatSubHelp, parseSubArgs, specOf, type SubOption } from '../subargs.js';
import type { CommandContext } from '../commands.js';
import type { FlagDef } from '../../queue/flags.js';

/** One completable option: every spelling, a one-line description, and what its value is. */
export interface CompletionOption {
  spellings: string[];
  description: string;
  /** null: a flag. Otherwise the metavar and the values to offer ([] = free text, 'files' = paths). */
  value: null | { metavar: string; values: readonly string[] | 'files' };
}

/** A context in which options complete: the main command, or one subcommand. */
export interface CompletionContext {
  name: string;
  summary: string;
  options: CompletionOption[];
  /** Words offered for positional arguments besides files (`clean` for `tacet cache`). */
  words: string[];
  /** Whether positional arguments are files. */
  files: boolean;
}

/** Values worth offering for main options whose value is free text in the table. */
function suggestedValues(name: string, exportKinds: readonly string[]): readonly string[] | 'files' {
  switch (name) {
    case '--edit':
      return ['audio', 'motion', 'blackdetect', 'subtitle', 'regex', 'word', 'none', 'all'];
    case '--export':
      return exportKinds;
    case '--frame-rate':
      return ['ntsc', 'ntsc_film', 'pal', 'film', '24', '25', '30', '60'];
    case '--when-active':
    case '--when-inactive':
      return ['nil', 'cut', 'speed:', 'varispeed:', 'volume:'];
    case '--output':
    case '--yt-dlp-location':
      return 'files';
    default:
      return [];
  }
}

/** The first sentence of a help text, short enough for a completion menu. */
function firstSentence(text: string): string {
  // A full stop followed by a space or the end, except in abbreviations like "e.g." and "i.e.".
  const stop = /(?<!\b(?:e\.g|i\.e|etc))\.(\s|$)/.exec(text);
  const sentence = stop === null ? text : text.slice(0, stop.index);
  return sentence.length > 90 ? `${sentence.slice(0, 87)}...` : sentence;
}

/** The main command's completable options, from the option table. */
export function mainOptions(exportKinds: readonly string[]): CompletionOption[] {
  return OPTIONS.filter((d) => d.implemented && !d.hidden).map((d) => ({
    // `-w:0`-style spellings are real; `--when:N` placeholders are hidden and never reach here.
    spellings: [d.name, ...d.aliases],
    description: firstSentence(d.help),
    value:
      d.value.kind === 'flag'
        ? null
        : { metavar: d.metavar, values: d.value.kind === 'choice' ? d.value.choices : suggestedValues(d.name, exportKinds) },
  }));
}

function fromSubOption(o: SubOption): CompletionOption {
  return {
    spellings: [...o.names],
    description: firstSentence(o.help),
    value: o.metavar === undefined ? null : { metavar: o.metavar, values: o.choices ?? (o.names[0] === '--edit' ? ['audio', 'motion', 'blackdetect', 'subtitle'] : []) },
  };
}

/** Options of a subcommand that parses its own flags (queue commands, view), for completion. */
export interface OwnFlags {
  flags: readonly FlagDef[];
  /** It accepts the main command's edit options too. */
  editOptions: boolean;
  /** Its positional arguments are files. */
  files: boolean;
}

/** `tacet view`'s own options (the rest of its arguments are edit options). */
const VIEW_FLAGS: readonly FlagDef[] = [
  { names: ['--no-open'], help: 'Print the address without opening a browser.' },
  { names: ['--port'], metavar: 'N', help: 'Listen on port N (default: a free port).' },
];

/** The queue commands' option lists; they live in their modules, which load ioredis, so only now. */
async function ownFlags(): Promise<Record<string, OwnFlags>> {
  const [{ SUBMIT_FLAGS }, { WORKER_FLAGS }, { JOBS_FLAGS }] = await Promise.all([import('./submit.js'), import('./worker.js'), import('./jobs.js')]);
  return {
    view: { flags: VIEW_FLAGS, editOptions: true, files: true },
    submit: { flags: SUBMIT_FLAGS, editOptions: true, files: true },
    worker: { flags: WORKER_FLAGS, editOptions: false, files: false },
    jobs: { flags: JOBS_FLAGS, editOptions: false, files: false },
  };
}

function fromFlag(f: FlagDef): CompletionOption {
  const values = f.metavar !== undefined && ['DIR', 'FILE', 'PATH'].includes(f.metavar) ? 'files' : [];
  return { spellings: [...f.names], description: firstSentence(f.help), value: f.metavar === undefined ? null : { metavar: f.metavar, values } };
}

const HELP_OPTION: CompletionOption = { spellings: ['--help', '-h'], description: 'Show help and exit', value: null };

/** Every context: the main command first, then each subcommand in table order. */
export function completionContexts(exportKinds: readonly string[], own: Record<string, OwnFlags> = {}): CompletionContext[] {
  const main = mainOptions(exportKinds);
  const contexts: CompletionContext[] = [{ name: '', summary: 'edit media files', options: main, words: [], files: true }];
  for (const sub of SUBCOMMANDS) {
    const spec = SUBCOMMAND_SPECS[sub.name];
    const flags = own[sub.name];
    // Subcommands described nowhere still complete --help and files.
    const options = spec ? spec.options.map(fromSubOption) : flags ? [...flags.flags.map(fromFlag), HELP_OPTION] : [HELP_OPTION];
    const withEdit = spec?.editOptions ?? flags?.editOptions ?? false;
    contexts.push({
      name: sub.name,
      summary: sub.summary,
      options: withEdit ? [...options, ...main.filter((m) => !m.spellings.some((s) => options.some((o) => o.spellings.includes(s))))] : options,
      words: sub.name === 'cache' ? ['clean'] : [],
      files: spec ? spec.positionals.max !== 0 && sub.name !== 'cache' : (flags?.files ?? true),
    });
  }
  return contexts;
}

/** A word list for a shell string: the words are plain option names and values, never quoted. */
function words(list: readonly string[]): string {
  return list.join(' ');
}

/** bash: one function; `complete -F` calls it with COMP_WORDS/COMP_CWORD set. */
export function bashScript(contexts: CompletionContext[]): string {
  const subNames = contexts.filter((c) => c.name).map((c) => c.name);
  const valueCases = (ctx: CompletionContext, indent: string): string[] => {
    const lines: string[] = [];
    for (const o of ctx.options) {
      if (!o.value) continue;
      const pattern = o.spellings.map((s) => s.replace(/:/g, '\\:')).join('|');
      const action =
        o.value.values === 'files'
          ? 'COMPREPLY=( $(compgen -f -- "$cur") )'
          : o.value.values.length
            ? `COMPREPLY=( $(compgen -W "${words(o.value.values)}" -- "$cur") )`
            : 'COMPREPLY=()';
      lines.push(`${indent}${pattern}) ${action}; return 0 ;;`);
    }
    return lines;
  };
  const out: string[] = [
    '# bash completion for tacet, generated by `tacet completion -s bash`.',
    '# Install: tacet completion -s bash > ~/.local/share/bash-completion/completions/tacet',
    '_tacet_complete() {',
    '  local cur prev sub opts words files',
    '  COMPREPLY=()',
    '  cur="${COMP_WORDS[COMP_CWORD]}"',
    '  prev=""',
    '  (( COMP_CWORD > 0 )) && prev="${COMP_WORDS[COMP_CWORD-1]}"',
    '  sub=""',
    '  (( COMP_CWORD > 1 )) && sub="${COMP_WORDS[1]}"',
    '  words=""',
    '  files=1',
    '  case "$sub" in',
  ];
  for (const ctx of contexts.filter((c) => c.name)) {
    out.push(`    ${ctx.name})`);
    out.push('      case "$prev" in');
    out.push(...valueCases(ctx, '        '));
    out.push('      esac');
    out.push(`      opts="${words(ctx.options.flatMap((o) => o.spellings))}"`);
    if (ctx.words.length) out.push(`      words="${words(ctx.words)}"`);
    if (!ctx.files) out.push('      files=0');
    out.push('      ;;');
  }
  const main = contexts[0];
  out.push('    *)');
  out.push('      sub=""');
  out.push('      case "$prev" in');
  out.push(...valueCases(main, '        '));
  out.push('      esac');
  out.push(`      opts="${words(main.options.flatMap((o) => o.spellings))}"`);
  out.push('      (( COMP_CWORD == 1 )) && words="' + words(subNames) + '"');
  out.push('      ;;');
  out.push('  esac');
  out.push('  if [[ "$cur" == -* ]]; then');
  out.push('    COMPREPLY=( $(compgen -W "$opts" -- "$cur") )');
  out.push('    return 0');
  out.push('  fi');
  out.push('  [[ -n "$words" ]] && COMPREPLY=( $(compgen -W "$words" -- "$cur") )');
  out.push('  (( files )) && COMPREPLY+=( $(compgen -f -- "$cur") )');
  out.push('  return 0');
  out.push('}');
  out.push('complete -o filenames -o bashdefault -F _tacet_complete tacet');
  return out.join('\n') + '\n';
}

/** Text inside a zsh single-quoted `_arguments` spec: no quote, brackets or bare colons. */
function zshText(text: string): string {
  return text.replace(/'/g, "'\\''").replace(/\[/g, '(').replace(/\]/g, ')').replace(/:/g, '\\:');
}

function zshSpecs(options: CompletionOption[]): string[] {
  const specs: string[] = [];
  for (const o of options) {
    for (const s of o.spellings) {
      const name = s.replace(/:/g, '\\:');
      const head = `${name}[${zshText(o.description)}]`;
      if (!o.value) {
        specs.push(`'${head}'`);
        continue;
      }
      // Values with a colon (`speed:`) would need quoting that zsh's word-list actions do not take.
      const plain = o.value.values === 'files' ? [] : o.value.values.filter((v) => !v.includes(':'));
      const action = o.value.values === 'files' ? '_files' : plain.length ? `(${plain.join(' ')})` : ' ';
      specs.push(`'${head}:${zshText(o.value.metavar)}:${action}'`);
    }
  }
  return specs;
}

/** zsh: a `#compdef` function using `_arguments`, with the subcommands described. */
export function zshScript(contexts: CompletionContext[]): string {
  const main = contexts[0];
  const out: string[] = [
    '#compdef tacet',
    '# zsh completion for tacet, generated by `tacet completion -s zsh`.',
    '# Install: tacet completion -s zsh > "${fpath[1]}/_tacet" (then restart zsh)',
    '_tacet() {',
    '  local -a subcommands main_args',
    '  subcommands=(',
    ...contexts.filter((c) => c.name).map((c) => `    '${c.name}:${zshText(firstSentence(c.summary))}'`),
    '  )',
    '  main_args=(',
    ...zshSpecs(main.options).map((s) => `    ${s}`),
    "    '*:file:_files'",
    '  )',
    '  if (( CURRENT > 2 )); then',
    '    case ${words[2]} in',
  ];
  for (const ctx of contexts.filter((c) => c.name)) {
    const own = zshSpecs(ctx.options);
    const positional = ctx.words.length ? `'1:action:(${ctx.words.join(' ')})'` : ctx.files ? "'*:file:_files'" : '';
    out.push(`      ${ctx.name})`);
    out.push('        shift words; (( CURRENT-- ))');
    out.push(`        _arguments ${[...own, positional].filter(Boolean).join(' ')}`);
    out.push('        return ;;');
  }
  out.push('    esac');
  out.push('  fi');
  out.push("  if (( CURRENT == 2 )) && [[ $PREFIX != -* ]]; then");
  out.push("    _describe -t commands 'tacet command' subcommands");
  out.push('  fi');
  out.push('  _arguments $main_args');
  out.push('}');
  out.push('_tacet "$@"');
  return out.join('\n') + '\n';
}

/** A fish single-quoted string. */
function fishQuote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function fishOption(o: CompletionOption, condition: string): string[] {
  const lines: string[] = [];
  for (const s of o.spellings) {
    let flag: string;
    if (s.startsWith('--')) flag = `-l ${fishQuote(s.slice(2))}`;
    else if (s.length === 2) flag = `-s ${fishQuote(s.slice(1))}`;
    else flag = `-o ${fishQuote(s.slice(1))}`; // old-style single-dash long names: -tb, -ex
    let value = '';
    if (o.value) {
      if (o.value.values === 'files') value = ' -r -F';
      else if (o.value.values.length) value = ` -x -a ${fishQuote(o.value.values.join(' '))}`;
      else value = ' -r';
    }
    lines.push(`complete -c tacet -n ${fishQuote(condition)} ${flag}${value} -d ${fishQuote(o.description)}`);
  }
  return lines;
}

/** fish: `complete` lines, each guarded by the subcommand it belongs to. */
export function fishScript(contexts: CompletionContext[]): string {
  const subs = contexts.filter((c) => c.name);
  const names = subs.map((c) => c.name).join(' ');
  const out: string[] = [
    '# fish completion for tacet, generated by `tacet completion -s fish`.',
    '# Install: tacet completion -s fish > ~/.config/fish/completions/tacet.fish',
    ...subs.map((c) => `complete -c tacet -n '__fish_use_subcommand' -a ${c.name} -d ${fishQuote(firstSentence(c.summary))}`),
    ...contexts[0].options.flatMap((o) => fishOption(o, `not __fish_seen_subcommand_from ${names}`)),
  ];
  for (const ctx of subs) {
    const condition = `__fish_seen_subcommand_from ${ctx.name}`;
    out.push(...ctx.options.flatMap((o) => fishOption(o, condition)));
    if (ctx.words.length) out.push(`complete -c tacet -n ${fishQuote(condition)} -f -a ${fishQuote(ctx.words.join(' '))}`);
    else if (!ctx.files) out.push(`complete -c tacet -n ${fishQuote(condition)} -f`);
  }
  return out.join('\n') + '\n';
}

/** The script for `shell`, from the current tables. */
export async function completionScript(shell: 'bash' | 'zsh' | 'fish'): Promise<string> {
  // The export list lives with the writers; loading them here costs nothing that matters.
  const { EDITOR_FORMATS } = await import('../../export/index.js');
  const kinds = ['default', ...Object.keys(EDITOR_FORMATS), 'clip-sequence', 'v1', 'v2', 'v3'];
  const contexts = completionContexts(kinds, await ownFlags());
  return shell === 'bash' ? bashScript(contexts) : shell === 'zsh' ? zshScript(contexts) : fishScript(contexts);
}

/** Runs `tacet completion`. */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const spec = specOf('completion');
  const args = parseSubArgs(spec, argv);
  if (args.help) {
    ctx.stdout.write(formatSubHelp(spec));
    return 0;
  }
  const shell = args.values.get('--shell');
  if (typeof shell !== 'string') throw new UserError('tacet completion needs -s SHELL (bash, zsh or fish), e.g. tacet completion -s bash');
  ctx.stdout.write(await completionScript(shell as 'bash' | 'zsh' | 'fish'));
  return 0;
}
