import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyMargin } from '../../src/edit/margin.js';

const bits = (s: string): Uint8Array => Uint8Array.from(s, (c) => (c === '0' ? 0 : Number(c)));
const str = (a: Uint8Array): string => Array.from(a).join('');

// DESIGN.md's truth table (the same cases as auto-editor's tests/unit.nim "margin"), plus
// cases worked out by hand from the algorithm.
const cases: [string, number, number, string][] = [
  ['00100', 0, 1, '00110'],
  ['00100', 1, 0, '01100'],
  ['00100', 1, 1, '01110'],
  ['00100', 2, 2, '11111'],
  ['01110', -1, -1, '00100'],
  ['011111110', 3, -4, '111100000'],
  ['111000', -1, 0, '111000'], // a run touching frame 0 has no start edge to shrink
  ['000111', 0, -1, '000111'], // nor a run touching the end an end edge
  ['1100000', 2, 2, '1111000'],
  ['0000011000000', 2, 3, '0001111111000'],
  ['0110', 5, 5, '1111'],
  ['0011111000', -2, -2, '0000100000'],
  ['0110', -5, 0, '0000'], // shrinking past the run's end clears it
  ['0101010', 1, 0, '1111110'],
  ['010', -1, 1, '001'], // edges come from the input: the end still grows after the run was cleared
  ['00100100', 0, 0, '00100100'],
  ['', 3, 3, ''],
  ['0', 3, 3, '0'],
  ['1', -3, -3, '1'],
];

for (const [input, before, after, expected] of cases) {
  test(`margin ${input} (${before},${after}) -> ${expected}`, () => {
    assert.equal(str(applyMargin(bits(input), before, after)), expected);
  });
}

test('margin treats every non-zero label as active and returns 0/1', () => {
  assert.equal(str(applyMargin(bits('0030020'), 1, 0)), '0110110');
});

test('margin does not modify its input', () => {
  const input = bits('00100');
  applyMargin(input, 2, 2);
  assert.equal(str(input), '00100');
});

/** auto-editor's mutMargin, transcribed as plainly as possible: the oracle for random masks. */
function referenceMargin(src: Uint8Array, startM: number, endM: number): Uint8Array {
  const arr = Array.from(src, (v) => v !== 0);
  const starts: number[] = [];
  const ends: number[] = [];
  for (let j = 1; j < arr.length; j++) {
    if (arr[j] !== arr[j - 1]) (arr[j] ? starts : ends).push(j);
  }
  const len = arr.length;
  if (startM > 0) for (const i of starts) for (let k = Math.max(i - startM, 0); k < i; k++) arr[k] = true;
  if (startM < 0) for (const i of starts) for (let k = i; k < Math.min(i - startM, len); k++) arr[k] = false;
  if (endM > 0) for (const i of ends) for (let k = i; k < Math.min(i + endM, len); k++) arr[k] = true;
  if (endM < 0) for (const i of ends) for (let k = Math.max(i + endM, 0); k < i; k++) arr[k] = false;
  return Uint8Array.from(arr, Number);
}

test('margin matches auto-editor mutMargin on random masks', () => {
  let seed = 12345;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let round = 0; round < 2000; round++) {
    const n = Math.floor(random() * 40);
    const density = random();
    const mask = Uint8Array.from({ length: n }, () => (random() < density ? 1 : 0));
    const before = Math.floor(random() * 13) - 6;
    const after = Math.floor(random() * 13) - 6;
    assert.equal(str(applyMargin(mask, before, after)), str(referenceMargin(mask, before, after)),
      `mask ${str(mask)} (${before},${after})`);
  }
});

test('margin on 648,000 frames with a huge margin stays fast', () => {
  const n = 648_000;
  const mask = Uint8Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 1 : 0));
  const t0 = performance.now();
  const out = applyMargin(mask, 9000, 9000);
  applyMargin(mask, -3, -3);
  const ms = performance.now() - t0;
  assert.equal(out.length, n);
  assert.ok(out.every((v) => v === 1));
  assert.ok(ms < 500, `took ${ms.toFixed(0)} ms`);
});
