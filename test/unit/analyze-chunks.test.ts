import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkSizer } from '../../src/analyze/chunks.js';
import { toUnorm16 } from '../../src/analyze/unorm16.js';
import { rational } from '../../src/timeline/rational.js';

function sizes(sr: number, num: number, den: number, n: number): number[] {
  const s = new ChunkSizer(sr, rational(num, den));
  return Array.from({ length: n }, () => s.next());
}

test('48 kHz at 30/1: every chunk is 1600 samples', () => {
  assert.deepEqual(sizes(48000, 30, 1, 5), [1600, 1600, 1600, 1600, 1600]);
});

test('48 kHz at 30000/1001 (1601.6 per frame): 1602,1601,1602,1601,1602 then repeats', () => {
  const s = sizes(48000, 30000, 1001, 10);
  assert.deepEqual(s, [1602, 1601, 1602, 1601, 1602, 1602, 1601, 1602, 1601, 1602]);
  // Five frames are exactly 8008 samples: no drift.
  assert.equal(s.slice(0, 5).reduce((a, b) => a + b), 8008);
});

test('44.1 kHz at 30000/1001 (1471.47 per frame): sizes alternate and never drift', () => {
  const s = sizes(44100, 30000, 1001, 100000);
  assert.deepEqual(s.slice(0, 4), [1471, 1472, 1471, 1472]);
  for (const x of s) assert.ok(x === 1471 || x === 1472);
  const total = s.reduce((a, b) => a + b, 0);
  const exact = (100000 * 44100 * 1001) / 30000;
  assert.ok(Math.abs(total - exact) < 1, `total ${total} vs ${exact}`);
});

test('44.1 kHz at 25/1 and 30/1: whole numbers', () => {
  assert.deepEqual(sizes(44100, 25, 1, 3), [1764, 1764, 1764]);
  assert.deepEqual(sizes(44100, 30, 1, 3), [1470, 1470, 1470]);
});

test('a size never exceeds ceil(exact), even at a .5 tie', () => {
  // 16000 Hz at 24000/1001 fps: exact = 667.333..; 8 kHz at 48/1: 166.666..
  for (const [sr, num, den] of [
    [16000, 24000, 1001],
    [8000, 48, 1],
    [44100, 60000, 1001],
    [22050, 100, 1],
  ]) {
    const exact = (sr * den) / num;
    for (const x of sizes(sr, num, den, 1000)) assert.ok(x <= Math.ceil(exact) && x >= Math.floor(exact) - 1, `${x} for ${exact}`);
  }
});

test('unorm16 quantisation is float32 like auto-editor', () => {
  assert.equal(toUnorm16(0), 0);
  assert.equal(toUnorm16(1), 65535);
  assert.equal(toUnorm16(0.04), 2621);
  assert.equal(toUnorm16(32767 / 32767), 65535);
  assert.equal(toUnorm16(-0.5), 0);
});
