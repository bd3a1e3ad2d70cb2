#!/usr/bin/env node
// Takes the README's screenshot of `tacet view`: node web/screenshot.mjs FILE OUT.png [view options]
// (e.g. node web/screenshot.mjs ../shared/media/example.mp4 docs/view.png). Needs a build
// (npm run build) and Debian's chromium (or CHROMIUM_PATH).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const [file, out, ...viewArgs] = process.argv.slice(2);
if (!file || !out) {
  console.error('usage: node web/screenshot.mjs FILE OUT.png [view options]');
  process.exit(2);
}
const cli = fileURLToPath(new URL('../dist/src/cli/main.js', import.meta.url));
const view = spawn(process.execPath, [cli, 'view', file, '--no-open', ...viewArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  let text = '';
  view.stdout.on('data', (d) => {
    text += d;
    const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(text);
    if (m) resolve(m[1]);
  });
  view.on('close', (code) => reject(new Error(`tacet view exited with ${code}`)));
});
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1360, height: 780 }, deviceScaleFactor: 1 });
  await page.goto(url);
  await page.waitForSelector('#timeline[data-ready]');
  await page.waitForFunction(() => globalThis.document.querySelector('#video').readyState >= 2);
  // A moment into the recording, so the picture and the playhead show something.
  await page.evaluate(() => (globalThis.document.querySelector('#video').currentTime = 14.2));
  await page.waitForFunction(() => {
    const v = globalThis.document.querySelector('#video');
    return !v.seeking && v.readyState >= 3;
  });
  await page.mouse.move(0, 0); // away from the player, whose controls would cover the picture
  await page.waitForTimeout(1000);
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  view.kill('SIGINT');
}
