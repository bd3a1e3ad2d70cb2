/**
 * `tacet subdump FILE...`: the text of every subtitle stream, with formatting stripped.
 *
 * Layout after auto-editor: a `file: PATH (N:codec)` header per subtitle stream, one line per cue
 * (a cue's own line breaks are kept), and `------` after each file. auto-editor prints each event's
 * raw ASS line; tacet prints the text a viewer would read, which is what the command promises.
 * Picture subtitles (PGS, DVD) have no text and are named as such.
 */
import { UserError } from '../../errors.js';
import type { CommandContext } from '../commands.js';
import { formatSubHelp, parseSubArgs, specOf } from '../subargs.js';

/** Runs `tacet subdump`. */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const spec = specOf('subdump');
  const args = parseSubArgs(spec, argv);
  if (args.help) {
    ctx.stdout.write(formatSubHelp(spec));
    return 0;
  }
  const { probe } = await import('../../media/probe.js');
  const { readCues } = await import('../../analyze/subtitle.js');
  for (const path of args.positionals) {
    const info = await probe(path);
    for (let i = 0; i < info.subtitle.length; i++) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      ctx.stdout.write(`file: ${path} (${i}:${info.subtitle[i].codec})\n`);
      try {
        for (const cue of await readCues(path, i)) ctx.stdout.write(`${cue.text}\n`);
      } catch (e) {
        // A picture subtitle stream has no text; say so and go on with the other streams.
        if (!(e instanceof UserError)) throw e;
        ctx.stderr.write(`tacet: warning: ${e.message}\n`);
      }
    }
    ctx.stdout.write('------\n');
  }
  return 0;
}
