import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChunkSizer, frameStarts } from '../../src/analyze/chunks.js';
import { rational } from '../../src/timeline/rational.js';

test('frameStarts: samples and recurrence state match the serial loop; resuming continues it exactly', () => {
  const tb = rational(30000, 1001);
  const serial = new ChunkSizer(44100, tb);
  const sizes = Array.from({ length: 5000 }, () => serial.next());
  const [a, b] = frameStarts(44100, tb, [0, 3333]);
  assert.deepEqual(a, { frame: 0, sample: 0, err: 0 });
  assert.equal(b.sample, sizes.slice(0, 3333).reduce((x, y) => x + y, 0));
  const resumed = new ChunkSizer(44100, tb, b.err);
  assert.deepEqual(Array.from({ length: 1667 }, () => resumed.next()), sizes.slice(3333));
});
