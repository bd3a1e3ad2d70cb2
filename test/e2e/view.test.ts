// `tacet view` end to end: the real command serves a generated recording, Debian's chromium (driven
// by playwright-core) loads the page, and what the page draws is compared with what the CLI does
// for the command line the page shows. Runs whenever chromium is installed; in CI (CI set) a
// missing chromium fails the suite instead of skipping it (.ci/run installs it).
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { generateMedia } from '../../src/media/generate.js';
import { probe } from '../../src/media/probe.js';
import { CLI, runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/media.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The flags that work on this project's machines: no sandbox as root, and no background traffic
// (the network is closed, and each refused connection costs time).
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const skip = !existsSync(CHROMIUM) && !process.env.CI ? `chromium not found at ${CHROMIUM} (apt-get install chromium)` : false;

type Chunk = [number, number, number];

/**
 * The page's video element, for functions that Playwright runs inside the page (they are sent as
 * source text, so each one looks the element up itself; the Node build has no DOM types).
 */
interface PageVideo {
  currentTime: number;
  playbackRate: number;
  readyState: number;
  videoWidth: number;
  currentSrc: string;
}
type PageGlobals = { document: { querySelector(s: string): PageVideo; querySelectorAll(s: string): { length: number } }; samples: Array<[number, number]> };

interface View {
  child: ChildProcessWithoutNullStreams;
  url: string;
  stdout: () => string;
  exited: Promise<number | null>;
}

/** Starts `tacet view FILE --no-open` and waits for the address it prints. */
function startView(file: string, cwd: string, env: Record<string, string>, args: string[] = []): Promise<View> {
  const child = spawn(process.execPath, [CLI, 'view', file, '--no-open', ...args], { cwd, env: { ...process.env, ...env } });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`tacet view printed no address: ${out}${err}`)), 60_000);
    child.stderr.on('data', (d) => (err += d));
    child.stdout.on('data', (d) => {
      out += d;
      const url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, stdout: () => out, exited });
      }
    });
    void exited.then((code) => reject(new Error(`tacet view exited with ${code}: ${err}`)));
  });
}

async function stopView(view: View): Promise<number | null> {
  view.child.kill('SIGINT');
  return view.exited;
}

async function openPage(browser: Browser, url: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.waitForSelector('#timeline[data-ready]', { timeout: 20_000 });
  assert.deepEqual(errors, []);
  return page;
}

async function drawn(page: Page): Promise<{ chunks: Chunk[]; argv: string[] }> {
  const chunks = JSON.parse((await page.getAttribute('#timeline', 'data-chunks')) ?? 'null') as Chunk[];
  const argv = JSON.parse((await page.getAttribute('#cmdline', 'data-argv')) ?? 'null') as string[];
  return { chunks, argv };
}

describe('tacet view in chromium', { skip }, () => {
  let tmp: ReturnType<typeof tempDir>;
  let env: Record<string, string>;
  let view: View;
  let browser: Browser;
  const input = () => join(tmp.dir, 'talk.mp4');

  /** The v1 chunks the CLI writes for the command line the page shows. */
  async function cliChunks(argv: string[]): Promise<Chunk[]> {
    assert.equal(argv[0], 'tacet');
    const r = await runCli([...argv.slice(1), '--export', 'v1', '-o', '-'], { cwd: tmp.dir, env });
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { chunks: Chunk[] }).chunks;
  }

  before(async () => {
    tmp = tempDir();
    env = { TACET_CACHE_DIR: join(tmp.dir, 'cache') };
    // Bursts at 1–2 s and 3.5–4.5 s over near-silence: kept [0.8, 2.2) and [3.3, 4.7) by default.
    await generateMedia(input(), {
      duration: 6,
      video: { width: 160, height: 120, rate: { num: 30, den: 1 } },
      audio: { sampleRate: 48000, layout: 'stereo', bursts: [[1, 2], [3.5, 4.5]] },
    });
    [view, browser] = await Promise.all([startView('talk.mp4', tmp.dir, env), chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS })]);
  });
  after(async () => {
    await browser?.close();
    if (view) await stopView(view);
    tmp?.cleanup();
  });

  test('the regions drawn are the CLI --export v1 chunks, and follow threshold, margin and speed', async () => {
    const page = await openPage(browser, view.url);
    const first = await drawn(page);
    assert.deepEqual(first.argv, ['tacet', 'talk.mp4']);
    assert.deepEqual(first.chunks, [[0, 24, 99999], [24, 66, 1], [66, 99, 99999], [99, 141, 1], [141, 180, 99999]]);
    assert.deepEqual(first.chunks, await cliChunks(first.argv));

    // The slider all the way down: threshold 0, so every frame is loud.
    await page.fill('#threshold-0-range', '-60');
    const low = await drawn(page);
    assert.deepEqual(low.chunks, [[0, 180, 1]]);
    assert.deepEqual(low.argv, ['tacet', 'talk.mp4', '--edit', 'audio:threshold=0']);
    assert.deepEqual(low.chunks, await cliChunks(low.argv));
    assert.equal(await page.inputValue('#threshold-0'), '0');

    // Typed values: a threshold in dB, a longer margin, and speeding up instead of cutting.
    await page.fill('#threshold-0', '-20dB');
    await page.fill('#margin', '0.5s');
    await page.fill('#when-inactive', 'speed:4');
    const typed = await drawn(page);
    assert.deepEqual(typed.argv, ['tacet', 'talk.mp4', '--edit', 'audio:threshold=0.1', '--margin', '0.5s', '--when-inactive', 'speed:4']);
    assert.deepEqual(typed.chunks, await cliChunks(typed.argv));
    assert.ok(typed.chunks.some((c) => c[2] === 4) && typed.chunks.some((c) => c[2] === 1));
    assert.match((await page.textContent('#summary')) ?? '', /^kept \d+ of 180 frames/);

    // A value the CLI would refuse is marked and leaves the regions as they were.
    await page.fill('#margin', '0.5 parsecs');
    assert.equal(await page.getAttribute('#margin', 'aria-invalid'), 'true');
    assert.notEqual((await page.textContent('#edit-status')) ?? '', '');
    assert.deepEqual((await drawn(page)).chunks, typed.chunks);
    await page.close();
  });

  test('plays as edited: cuts are skipped, sped-up parts play faster, a click jumps to a region', async () => {
    const page = await openPage(browser, view.url);
    const after = (seconds: number) =>
      page.waitForFunction((s) => (globalThis as unknown as PageGlobals).document.querySelector('#video').currentTime > s, seconds, { timeout: 15_000 });
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).document.querySelector('#video').readyState >= 2, null, { timeout: 20_000 });
    // Sample the player from inside the page, every few milliseconds.
    await page.evaluate(() => {
      const g = globalThis as unknown as PageGlobals;
      const v = g.document.querySelector('#video');
      g.samples = [];
      setInterval(() => g.samples.push([v.currentTime, v.playbackRate]), 5);
    });
    const samples = () => page.evaluate(() => (globalThis as unknown as PageGlobals).samples.splice(0));
    const time = () => page.evaluate(() => (globalThis as unknown as PageGlobals).document.querySelector('#video').currentTime);

    await page.click('#play');
    await after(3.45);
    await page.click('#play'); // pause
    const played = (await samples()).map(([t]) => t).filter((t) => t > 0);
    assert.ok(played.length > 20, `only ${played.length} samples`);
    // Cut at the start ([0, 0.8) s) and between the bursts ([2.2, 3.3) s): never played.
    assert.ok(Math.min(...played) >= 0.79, `played from ${Math.min(...played)}`);
    // (The player checks on every animation frame: a loaded machine may show a few frames more.)
    const inCut = played.filter((t) => t > 2.35 && t < 3.25);
    assert.deepEqual(inCut, [], 'played inside the cut');
    assert.ok(played.some((t) => t >= 3.3 && t < 3.45));

    // Speed the quiet parts up 4×: the first second plays at 4×, the burst at 1×.
    await page.fill('#when-inactive', 'speed:4');
    await page.evaluate(() => ((globalThis as unknown as PageGlobals).document.querySelector('#video').currentTime = 0));
    await samples();
    await page.click('#play');
    await after(1.3);
    await page.click('#play');
    const rates = await samples();
    const early = rates.filter(([t]) => t > 0.2 && t < 0.75).map(([, r]) => r);
    const later = rates.filter(([t]) => t > 1.0).map(([, r]) => r);
    assert.ok(early.length > 0 && early.every((r) => r === 4), `rates before 0.8 s: ${early}`);
    assert.ok(later.length > 0 && later.every((r) => r === 1), `rates after 0.8 s: ${later}`);

    // A click on the plot inside the second kept region ([99, 141) frames) plays it from its start.
    const box = (await page.locator('#plot').boundingBox())!;
    await page.mouse.click(box.x + (120 / 180) * box.width, box.y + box.height / 2);
    const at = await time();
    assert.ok(at >= 3.29 && at < 3.6, `click jumped to ${at}`);
    await page.click('#play');
    await page.close();
  });

  test('exports through the page: a v1 timeline and a render, with progress', async () => {
    const page = await openPage(browser, view.url);
    const { chunks } = await drawn(page);
    const exportKind = async (kind: string): Promise<string> => {
      const before = await page.locator('#jobs li').count();
      await page.selectOption('#export-kind', kind);
      await page.click('#export');
      await page.waitForFunction((n) => (globalThis as unknown as PageGlobals).document.querySelectorAll('#jobs li').length > n, before);
      const item = page.locator('#jobs li').first();
      await page.waitForSelector('#jobs li:first-child:is([data-state=done], [data-state=failed])', { timeout: 60_000 });
      assert.equal(await item.getAttribute('data-state'), 'done', (await item.textContent()) ?? '');
      return (await item.getAttribute('data-output'))!;
    };

    const v1 = await exportKind('v1');
    assert.equal(v1, join(tmp.dir, 'talk_ALTERED.json'));
    assert.deepEqual((JSON.parse(readFileSync(v1, 'utf8')) as { chunks: Chunk[] }).chunks, chunks);

    const rendered = await exportKind('render');
    assert.equal(rendered, join(tmp.dir, 'talk_ALTERED.mp4'));
    // The render's progress reached the page (its last stage is kept with the finished job).
    assert.equal(await page.locator('#jobs li').first().getAttribute('data-title'), 'Rendering');
    const info = await probe(rendered);
    const keptSeconds = chunks.filter((c) => c[2] === 1).reduce((s, c) => s + (c[1] - c[0]) / 30, 0);
    assert.ok(Math.abs(info.duration - keptSeconds) < 0.1, `rendered ${info.duration} s, kept ${keptSeconds} s`);
    await page.close();
  });

  test('makes a preview the browser can play when the source codecs are not playable', async () => {
    // MPEG-4 Part 2 video in Matroska: no browser plays it.
    const file = join(tmp.dir, 'old.mkv');
    await generateMedia(file, {
      duration: 3,
      video: { width: 160, height: 120, rate: { num: 25, den: 1 } },
      audio: { sampleRate: 44100, layout: 'mono', bursts: [[1, 2]] },
      encoders: { video: 'mpeg4' },
      videoOptions: {},
    });
    const old = await startView('old.mkv', tmp.dir, env);
    try {
      const page = await openPage(browser, old.url);
      await page.waitForFunction(
        () => {
          const v = (globalThis as unknown as PageGlobals).document.querySelector('#video');
          return v.currentSrc.endsWith('/preview.mp4') && v.readyState >= 2 && v.videoWidth > 0;
        },
        null,
        { timeout: 30_000 },
      );
      const { chunks, argv } = await drawn(page);
      assert.deepEqual(chunks, await cliChunks(argv));
      assert.match((await page.textContent('#media-status')) ?? '', /preview/);
      await page.close();
    } finally {
      assert.equal(await stopView(old), 0);
    }
  });

  test('stops on Ctrl-C and closes the port', async () => {
    const other = await startView('talk.mp4', tmp.dir, env, ['--port', '0']);
    const res = await fetch(other.url);
    assert.equal(res.status, 200);
    assert.equal(await stopView(other), 0);
    assert.match(other.stdout(), /tacet view: stopped/);
    await assert.rejects(fetch(other.url));
  });
});
