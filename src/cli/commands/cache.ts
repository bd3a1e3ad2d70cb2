/**
 * `tacet cache [clean]`: where the analysis cache is, what it holds and how big it is; `clean`
 * (or auto-editor's `clear`) deletes every entry. Entries are named by a hash of the file's path,
 * size, modification time and the analysis settings, so they cannot be mapped back to files.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../../errors.js';
import { cacheDir, cleanCache } from '../../analyze/cache.js';
import type { CommandContext } from '../commands.js';
import { formatSubHelp, parseSubArgs, specOf } from '../subargs.js';

/** Bytes as auto-editor shows them: `512 B`, then KiB/MiB/GiB/TiB with two decimals. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  let size = bytes / 1024;
  for (const unit of ['KiB', 'MiB', 'GiB', 'TiB']) {
    if (size < 1024) return `${size.toFixed(2)} ${unit}`;
    size /= 1024;
  }
  return `${size.toFixed(2)} PiB`;
}

/** Runs `tacet cache`. */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const spec = specOf('cache');
  const args = parseSubArgs(spec, argv);
  if (args.help) {
    ctx.stdout.write(formatSubHelp(spec));
    return 0;
  }
  const dir = cacheDir();
  const action = args.positionals[0];
  if (action !== undefined && action !== 'clean' && action !== 'clear') {
    throw new UserError(`tacet cache takes only "clean", not "${action}" (usage: tacet cache [clean])`);
  }
  if (action !== undefined) {
    const removed = cleanCache();
    ctx.stdout.write(`removed ${removed} cache entr${removed === 1 ? 'y' : 'ies'} from ${dir}\n`);
    return 0;
  }
  ctx.stdout.write(`cache folder: ${dir}\n`);
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((f) => f.endsWith('.levels')).sort();
  } catch {
    // A cache that was never written is simply empty.
  }
  let total = 0;
  for (const name of names) {
    let size: number;
    try {
      size = statSync(join(dir, name)).size;
    } catch {
      continue; // removed meanwhile by another run
    }
    total += size;
    ctx.stdout.write(`entry: ${name.replace(/\.levels$/, '')}  size: ${formatBytes(size)}\n`);
  }
  if (total === 0) {
    ctx.stdout.write('Empty cache\n');
    return 0;
  }
  ctx.stdout.write(`\ntotal cache size: ${formatBytes(total)} (${names.length} entr${names.length === 1 ? 'y' : 'ies'})\n`);
  return 0;
}
