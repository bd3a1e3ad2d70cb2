import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applySmoothing } from '../../src/edit/smooth.js';

const bits = (s: string): Uint8Array => Uint8Array.from(s, (c) => (c === '0' ? 0 : Number(c)));
const str = (a: Uint8Array): string => Array.from(a).join('');

// [input, mincut, minclip, expected]
const cases: [string, number, number, string][] = [
  // DESIGN.md
  ['00100', 0, 2, '00000'],
  ['11011', 2, 0, '11111'],
  ['10001', 2, 0, '10001'],
  // runs at either end are judged by their length like any other run
  ['0011', 0, 2, '0011'],
  ['0001', 0, 2, '0000'],
  ['11110', 3, 2, '11111'],
  ['01111', 2, 0, '11111'],
  // worked out from auto-editor's smoothing loop
  ['11110011110000000000', 3, 2, '11111111110000000000'],
  ['000001000000', 1, 2, '000000000000'],
  // every run too short for both limits: the mask flips back and forth, and the loop stops
  // when a state repeats the one two passes back (here the input itself)
  ['0100', 10, 10, '0100'],
  ['1010101', 2, 2, '1010101'],
  // a merge in the first pass leaves a run that the second pass removes
  ['1101100000', 2, 5, '0000000000'],
  ['', 3, 3, ''],
  ['0110', 0, 0, '0110'],
];

for (const [input, mincut, minclip, expected] of cases) {
  test(`smoothing ${input} mincut ${mincut} minclip ${minclip} -> ${expected}`, () => {
    assert.equal(str(applySmoothing(bits(input), mincut, minclip)), expected);
  });
}

test('smoothing treats every non-zero label as active, returns 0/1 and leaves the input alone', () => {
  const input = bits('3302');
  assert.equal(str(applySmoothing(input, 2, 0)), '1111');
  assert.equal(str(input), '3302');
});

/** auto-editor's smoothing (src/lib/editutil.nim), transcribed plainly: the oracle. */
function referenceSmoothing(src: Uint8Array, mincut: number, minclip: number): Uint8Array {
  let val = Array.from(src, (v) => v !== 0);
  let prev: boolean[] = [];
  let prev2: boolean[] = [];
  const same = (a: boolean[], b: boolean[]): boolean => a.length === b.length && a.every((v, i) => v === b[i]);
  while (!same(prev, val) && !same(prev2, val)) {
    prev2 = prev;
    prev = val;
    const next = prev.slice();
    for (const [want, limit] of [[true, minclip], [false, mincut]] as const) {
      let startP = 0;
      let active = false;
      for (let j = 0; j < prev.length; j++) {
        if (prev[j] === want) {
          if (!active) {
            startP = j;
            active = true;
          }
          if (j === prev.length - 1 && j - startP + 1 < limit) for (let i = startP; i < prev.length; i++) next[i] = !want;
        } else if (active) {
          if (j - startP < limit) for (let i = startP; i < j; i++) next[i] = !want;
          active = false;
        }
      }
    }
    val = next;
  }
  return Uint8Array.from(val, Number);
}

test('smoothing matches auto-editor on random masks', () => {
  let seed = 777;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let round = 0; round < 3000; round++) {
    const n = Math.floor(random() * 30);
    const density = random();
    const mask = Uint8Array.from({ length: n }, () => (random() < density ? 1 : 0));
    const mincut = Math.floor(random() * 7);
    const minclip = Math.floor(random() * 7);
    assert.equal(str(applySmoothing(mask, mincut, minclip)), str(referenceSmoothing(mask, mincut, minclip)),
      `mask ${str(mask)} mincut ${mincut} minclip ${minclip}`);
  }
});

test('smoothing 648,000 frames stays fast', () => {
  const n = 648_000;
  let seed = 1;
  const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const mask = Uint8Array.from({ length: n }, () => (random() < 0.5 ? 1 : 0));
  const t0 = performance.now();
  const out = applySmoothing(mask, 6, 3);
  const ms = performance.now() - t0;
  assert.equal(out.length, n);
  assert.ok(ms < 500, `took ${ms.toFixed(0)} ms`);
});
