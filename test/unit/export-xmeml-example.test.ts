// The xmeml exports of a real recording (../shared/media/example.mp4, probed with node-av): a cut
// timeline with a sped-up part, written for Premiere and Resolve and read back.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { XMLValidator } from 'fast-xml-parser';
import { fileUrl } from '../../src/export/paths.js';
import { writePremiere, writeResolveFcp7, xmemlRate } from '../../src/export/xmeml.js';
import { readXmeml } from '../../src/import/xmeml.js';
import { probe } from '../../src/media/probe.js';
import { type Clip, runsToTimeline } from '../../src/timeline/index.js';
import { defaultTimebase } from '../../src/timeline/timebase.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const EXAMPLE = join(ROOT, '..', 'shared', 'media', 'example.mp4');

test('example.mp4 exports to premiere and resolve-fcp7 and reads back', { skip: existsSync(EXAMPLE) ? false : 'shared/media/example.mp4 is absent' }, async () => {
  const info = await probe(EXAMPLE);
  const tb = defaultTimebase(info);
  const len = Math.floor(info.duration * (tb.num / tb.den));
  assert.ok(len > 100, 'example.mp4 is long enough to cut');
  const third = Math.floor(len / 3);
  const runs = [
    { start: 0, end: 30, speed: 1, volume: 1 },
    { start: 45, end: third, speed: 1.5, volume: 1 },
    { start: third + 10, end: len, speed: 1, volume: 1 },
  ];
  const timeline = runsToTimeline(runs, info, tb);
  const sources = new Map([[EXAMPLE, info]]);
  const rate = xmemlRate(tb);

  for (const write of [writePremiere, writeResolveFcp7]) {
    const xml = write({ timeline, sources }, { name: 'example' });
    assert.equal(XMLValidator.validate(xml), true);
    assert.ok(xml.includes(`<timebase>${rate.timebase}</timebase>`));
    assert.ok(xml.includes(`<pathurl>${fileUrl(EXAMPLE)}</pathurl>`));
    assert.equal(xml.split('<pathurl>').length - 1, 1, 'the source is defined once');
    const ids = [...xml.matchAll(/<clipitem id="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(ids).size, ids.length);
    for (const m of xml.matchAll(/<linkclipref>([^<]+)<\/linkclipref>/g)) assert.ok(ids.includes(m[1]), `link to ${m[1]}`);

    const back = readXmeml(xml, '/');
    const clip = (c: Clip) => [c.src, c.start, c.dur, c.offset, c.speed, c.stream];
    assert.deepEqual(back.timeline.tb, tb);
    assert.deepEqual(back.timeline.v.map((l) => l.map(clip)), timeline.v.map((l) => l.map(clip)));
    assert.deepEqual(back.timeline.a.map((l) => l.map(clip)), timeline.a.map((l) => l.map(clip)));
  }
});
