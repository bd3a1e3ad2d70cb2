/**
 * `tacet desc FILE...`: the `description` metadata of each media file, as auto-editor prints it
 * (surrounded by blank lines), or "No description.".
 */
import type { CommandContext } from '../commands.js';
import { formatSubHelp, parseSubArgs, specOf } from '../subargs.js';

/** Runs `tacet desc`. */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const spec = specOf('desc');
  const args = parseSubArgs(spec, argv);
  if (args.help) {
    ctx.stdout.write(formatSubHelp(spec));
    return 0;
  }
  const { inspect } = await import('../../media/probe.js');
  for (const path of args.positionals) {
    const { description } = await inspect(path);
    ctx.stdout.write(description ? `\n${description}\n\n` : '\nNo description.\n\n');
  }
  return 0;
}
