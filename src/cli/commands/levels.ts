/**
 * `tacet levels FILE [--edit METHOD] [-tb RATE] [--display float|d16]`: the analysis levels, one
 * value per timeline frame, as DESIGN.md's "Printed outputs" describes: a blank line, `@start`, the
 * values, a blank line.
 *
 * The levels come from the same functions (and so the same cache entries) as an edit's analysis:
 * what this prints is exactly what a threshold is compared with. Output is written in chunks that
 * respect the pipe's back-pressure, so a 6-hour input (648,000 lines) arrives whole even through
 * `| tail -1`, without building one giant string.
 */
import { UserError } from '../../errors.js';
import { toUnorm16 } from '../../analyze/unorm16.js';
import { collectLevelRequests, parseEdit, type EditExpr } from '../../edit/expr.js';
import { parseFrameRate } from '../../timeline/timebase.js';
import type { Rational } from '../../timeline/rational.js';
import type { CommandContext } from '../commands.js';
import { resolveProgressStyle } from '../options.js';
import { Progress } from '../progress.js';
import { formatSubHelp, parseSubArgs, specOf } from '../subargs.js';

/** Values per write: large enough that the per-write cost vanishes, small enough to stay flat. */
const LINES_PER_WRITE = 8192;

const floatText: Array<string | undefined> = new Array(65536);

/**
 * A unorm16 level as the shortest decimal that re-quantises to the same integer (auto-editor's
 * printing): 1/65535 is not a round number, so a plain `%f` would show quantisation noise
 * (0.5 → 0.5000076); instead try 1 to 5 decimals and keep the first that maps back. Whole values
 * keep one decimal (`0.0`, `1.0`). Memoised: at most 65,536 distinct strings.
 */
export function levelToText(u: number): string {
  const cached = floatText[u];
  if (cached !== undefined) return cached;
  let text = '';
  for (let places = 1; places <= 5; places++) {
    text = (u / 65535).toFixed(places).replace(/0+$/, '');
    if (text.endsWith('.')) text += '0';
    if (toUnorm16(Number(text)) === u) break;
  }
  floatText[u] = text;
  return text;
}

/** Writes and waits when the stream asks the writer to (back-pressure), so memory stays flat. */
function writeChunk(stream: NodeJS.WritableStream, text: string): Promise<void> | null {
  if (stream.write(text)) return null;
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      stream.off('error', onError);
      resolve();
    };
    const onError = (e: Error) => {
      stream.off('drain', onDrain);
      reject(e);
    };
    stream.once('drain', onDrain);
    stream.once('error', onError);
  });
}

/** Streams `\n@start\n`, one line per value, then a blank line; stops when `signal` aborts. */
export async function writeLevels(
  stream: NodeJS.WritableStream,
  values: ArrayLike<number>,
  format: (v: number) => string,
  signal?: AbortSignal,
): Promise<void> {
  await writeChunk(stream, '\n@start\n');
  for (let i = 0; i < values.length; i += LINES_PER_WRITE) {
    if (signal?.aborted) throw signal.reason;
    const end = Math.min(values.length, i + LINES_PER_WRITE);
    let text = '';
    for (let k = i; k < end; k++) text += `${format(values[k])}\n`;
    await writeChunk(stream, text);
  }
  await writeChunk(stream, '\n');
}

/** The one method `levels` measures; combinations have no single level to print. */
function singleMethod(expr: EditExpr, text: string): Extract<EditExpr, { kind: 'audio' | 'motion' | 'blackdetect' | 'subtitle' }> {
  if (expr.kind === 'audio' || expr.kind === 'motion' || expr.kind === 'blackdetect' || expr.kind === 'subtitle') return expr;
  throw new UserError(`tacet levels measures one method (audio, motion, blackdetect or subtitle), not "${text}"`);
}

/** Runs `tacet levels`. */
export async function run(argv: string[], ctx: CommandContext): Promise<number> {
  const spec = specOf('levels');
  const args = parseSubArgs(spec, argv);
  if (args.help) {
    ctx.stdout.write(formatSubHelp(spec));
    return 0;
  }
  const path = args.positionals[0];
  const editText = (args.values.get('--edit') as string | undefined) ?? 'audio';
  const rateText = (args.values.get('--timebase') as string | undefined) ?? '30/1';
  const display = (args.values.get('--display') as string | undefined) ?? 'float';
  const noCache = args.values.has('--no-cache');

  // Everything that needs no media is checked before the file is opened.
  const parsedRate = parseFrameRate(rateText);
  if (parsedRate.warning) ctx.stderr.write(`tacet: warning: ${parsedRate.warning}\n`);
  const tb: Rational = parsedRate.rate;
  const method = singleMethod(parseEdit(editText), editText);

  const { assertInputFile, probe } = await import('../../media/probe.js');
  assertInputFile(path);
  const info = await probe(path);
  // Stream checks as an edit makes them; audio's default stream=all shows the first stream.
  const request = collectLevelRequests(method, { audio: info.audio.length, video: info.video.length, subtitle: info.subtitle.length })[0];

  const progress = new Progress(resolveProgressStyle(null, Boolean(ctx.stderr.isTTY)), ctx.stderr, Date.now, true);
  const title = `Analyzing ${request.method}`;
  let started = false;
  const opts = {
    noCache,
    signal: ctx.signal,
    onProgress: (done: number, total: number) => {
      if (!started) progress.start(title, total);
      started = true;
      progress.tick(done);
    },
    onSkipped: (n: number) => ctx.stderr.write(`tacet: warning: skipped ${n} corrupt packet(s) of ${path}\n`),
  };
  const analyze = await import('../../analyze/index.js');
  let values: ArrayLike<number>;
  try {
    if (request.method === 'audio') {
      values = (await analyze.audioLevels(path, request.stream, request.channel, tb, opts)).levels;
    } else if (request.method === 'motion') {
      const region = request.region ? ([...request.region] as [number, number, number, number]) : null;
      values = (await analyze.motionLevels(path, request.stream, tb, { width: request.width, blur: request.blur, region }, opts)).levels;
    } else if (request.method === 'blackdetect') {
      values = (await analyze.blackLevels(path, request.stream, tb, request.pixelBlack, opts)).levels;
    } else {
      const { readCues } = await import('../../analyze/subtitle.js');
      const { subtitleMask, subtitleRegExp } = await import('../../edit/expr.js');
      const sub = method as Extract<EditExpr, { kind: 'subtitle' }>;
      values = subtitleMask(await readCues(path, request.stream), subtitleRegExp(sub), tb);
    }
  } finally {
    progress.end();
  }
  // Subtitle masks are 0/1 already; the level formats apply to unorm16 levels.
  const format = request.method === 'subtitle' ? String : display === 'd16' ? String : levelToText;
  await writeLevels(ctx.stdout, values, format, ctx.signal);
  return 0;
}
