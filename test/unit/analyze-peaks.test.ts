// PeakReducer (the per-sample core of audio analysis, vectorised with WebAssembly SIMD for large
// spans) against a plain reference of DESIGN.md's audio level: chunk sizes from the recurrence,
// the largest |s| over the chunk's channels saturating at 32767, quantised as unorm16.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PeakReducer } from '../../src/analyze/audio.js';
import { ChunkSizer } from '../../src/analyze/chunks.js';
import { simdMinMax } from '../../src/analyze/simd.js';
import { toUnorm16 } from '../../src/analyze/unorm16.js';
import { rational, type Rational } from '../../src/timeline/rational.js';

/** A deterministic pseudo-random generator (tests must not depend on luck). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function reference(data: Int16Array, channels: number, channel: number | null, sr: number, tb: Rational): number[] {
  const sizer = new ChunkSizer(sr, tb);
  const frames = data.length / channels;
  const out: number[] = [];
  for (let at = 0; at < frames; ) {
    const n = Math.min(sizer.next(), frames - at);
    let m = 0;
    for (let f = at; f < at + n; f++) {
      for (let c = 0; c < channels; c++) {
        if (channel !== null && c !== channel) continue;
        m = Math.max(m, Math.abs(data[f * channels + c]));
      }
    }
    out.push(toUnorm16(Math.min(m, 32767) / 32767));
    at += n;
  }
  return out;
}

/** Feeds `data` in pieces of random length, as decoded chunks arrive. */
function reduce(data: Int16Array, channels: number, channel: number | null, sr: number, tb: Rational, rnd: () => number, maxPiece: number): number[] {
  const r = new PeakReducer(new ChunkSizer(sr, tb), channels, channel, 16);
  const frames = data.length / channels;
  for (let at = 0; at < frames; ) {
    const n = Math.min(frames - at, 1 + Math.floor(rnd() * maxPiece));
    // The piece sits inside a larger buffer, as a decoded chunk's samples do.
    assert.equal(r.feed(data, at, n), n);
    at += n;
  }
  return [...r.finish()];
}

const cases: Array<{ channels: number; channel: number | null; sr: number; tb: Rational }> = [
  { channels: 2, channel: null, sr: 48000, tb: rational(30, 1) },
  { channels: 2, channel: null, sr: 44100, tb: rational(30000, 1001) },
  { channels: 2, channel: 1, sr: 48000, tb: rational(30000, 1001) },
  { channels: 1, channel: null, sr: 16000, tb: rational(30, 1) },
  { channels: 6, channel: null, sr: 48000, tb: rational(24000, 1001) },
  { channels: 6, channel: 4, sr: 44100, tb: rational(25, 1) },
];

for (const c of cases) {
  test(`${c.channels} channel(s), channel ${c.channel}, ${c.sr} Hz at ${c.tb.num}/${c.tb.den}: levels equal the reference`, () => {
    const rnd = lcg(c.channels * 1000 + c.sr);
    const frames = 3 * c.sr + 777; // a partial chunk at the end
    const data = new Int16Array(frames * c.channels);
    for (let i = 0; i < data.length; i++) {
      // Quiet and loud stretches, and the extremes, which saturate differently.
      const loud = Math.floor(i / (c.channels * 5000)) % 2 === 0;
      const x = rnd();
      data[i] = x < 0.0005 ? -32768 : x < 0.001 ? 32767 : Math.round((rnd() * 2 - 1) * (loud ? 20000 : 300));
    }
    const want = reference(data, c.channels, c.channel, c.sr, c.tb);
    // Large pieces take the SIMD path, small ones the JavaScript loop.
    assert.deepEqual(reduce(data, c.channels, c.channel, c.sr, c.tb, rnd, 40000), want);
    assert.deepEqual(reduce(data, c.channels, c.channel, c.sr, c.tb, rnd, 100), want);
  });
}

test('WebAssembly SIMD is available on this Node (else analysis runs the slower loop)', () => {
  assert.ok(simdMinMax());
});
