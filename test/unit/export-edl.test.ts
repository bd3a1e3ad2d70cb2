// CMX 3600 EDL writer: timecode arithmetic (drop frame at 29.97 and 59.94 only), event numbering,
// exclusive outs, record times contiguous from 01:00:00:00, reel names, channels, M2 speed lines;
// every event line parsed back by the field layout OTIO's CMX reader uses; golden files.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../src/errors.js';
import { edlTimecode, timecodeRate, writeEdl } from '../../src/export/edl.js';
import { baseName } from '../../src/export/paths.js';
import type { ExportInput } from '../../src/export/types.js';
import { type Clip, type Timeline, timelineLength } from '../../src/timeline/model.js';
import { type Rational, rational } from '../../src/timeline/rational.js';
import { fakeInfo, type SyntheticCase, syntheticCases } from '../helpers/timelines.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const GOLDEN = join(ROOT, 'test', 'golden', 'edl');
const SAMPLES = join(ROOT, '..', 'shared', 'formats', 'samples');

/**
 * Timecode → frame count, written independently of the writer: count every label, then take
 * away the labels drop-frame skips (2 or 4 per minute, except minutes divisible by ten).
 */
function tcFrames(tc: string, rate: { fps: number; drop: boolean }): number {
  const m = /^(\d\d):(\d\d):(\d\d)([:;])(\d\d)$/.exec(tc);
  assert.ok(m, `"${tc}" is not a timecode`);
  const [hh, mm, ss, sep, ff] = [Number(m[1]), Number(m[2]), Number(m[3]), m[4], Number(m[5])];
  assert.equal(sep === ';', rate.drop, `separator of ${tc}`);
  assert.ok(mm < 60 && ss < 60 && ff < rate.fps, `${tc} fields in range`);
  const minutes = hh * 60 + mm;
  let n = (minutes * 60 + ss) * rate.fps + ff;
  if (rate.drop) {
    const d = rate.fps / 15;
    assert.ok(!(mm % 10 !== 0 && ss === 0 && ff < d), `${tc} is a label drop-frame skips`);
    n -= d * (minutes - Math.floor(minutes / 10));
  }
  return n;
}

interface Event {
  num: number;
  reel: string;
  channels: string;
  srcIn: number;
  srcOut: number;
  recIn: number;
  recOut: number;
  notes: string[];
}

/** Parses an EDL by whitespace-separated fields, as OTIO's cmx_3600 reader does. */
function parseEdl(text: string, rate: { fps: number; drop: boolean }): { title: string; fcm: string; events: Event[] } {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  assert.match(lines[0], /^TITLE: /);
  assert.match(lines[1], /^FCM: (DROP FRAME|NON-DROP FRAME)$/);
  const events: Event[] = [];
  for (const line of lines.slice(2)) {
    if (/^\d/.test(line)) {
      const f = line.trim().split(/\s+/);
      assert.equal(f.length, 8, `8 fields in "${line}"`);
      assert.equal(f[3], 'C');
      events.push({
        num: Number(f[0]),
        reel: f[1],
        channels: f[2],
        srcIn: tcFrames(f[4], rate),
        srcOut: tcFrames(f[5], rate),
        recIn: tcFrames(f[6], rate),
        recOut: tcFrames(f[7], rate),
        notes: [],
      });
    } else {
      assert.ok(events.length > 0, `"${line}" belongs to an event`);
      events[events.length - 1].notes.push(line);
    }
  }
  return { title: lines[0].slice(7), fcm: lines[1].slice(5), events };
}

/** Frames from 00:00:00:00 to 01:00:00:00 on that rate's timecode. */
const hour = (rate: { fps: number; drop: boolean }): number => tcFrames(rate.drop ? '01:00:00;00' : '01:00:00:00', rate);

function check(text: string, input: ExportInput): Event[] {
  const tl = input.timeline;
  const rate = timecodeRate(tl.tb);
  const { fcm, events } = parseEdl(text, rate);
  assert.equal(fcm, rate.drop ? 'DROP FRAME' : 'NON-DROP FRAME');
  const start = hour(rate);
  let rec = start;
  events.forEach((e, i) => {
    assert.equal(e.num, i + 1, 'events numbered from 001');
    assert.match(text, new RegExp(`^${String(i + 1).padStart(3, '0')}  `, 'm'));
    assert.ok(e.reel.length <= 8 && /^[A-Z0-9_]+$/.test(e.reel), `reel "${e.reel}"`);
    assert.equal(e.recIn, rec, 'record times are contiguous from 01:00:00:00');
    assert.ok(e.recOut > e.recIn && e.srcOut > e.srcIn, 'exclusive outs after ins');
    rec = e.recOut;
  });
  assert.equal(rec - start, timelineLength(tl), 'record length is the timeline length');

  // Each event is a clip of the primary layer (the synthetic layers mirror each other).
  const primary = tl.v.find((l) => l.length > 0) ?? tl.a.find((l) => l.length > 0) ?? [];
  assert.equal(events.length, primary.length);
  events.forEach((e, i) => {
    const c = primary[i];
    assert.equal(e.recIn - start, c.start);
    assert.equal(e.recOut - e.recIn, c.dur, 'record out is exclusive');
    assert.equal(e.srcIn, Math.round(c.offset * c.speed));
    assert.equal(e.srcOut, Math.round((c.offset + c.dur) * c.speed), 'source out is exclusive, at the speed');
    const m2 = e.notes.filter((n) => n.startsWith('M2'));
    if (c.speed === 1) assert.equal(m2.length, 0);
    else {
      assert.equal(m2.length, 1, `M2 for the ${c.speed}x clip`);
      const f = m2[0].split(/\s+/);
      assert.equal(f[1], e.reel);
      assert.equal(Number(f[2]), Number((rate.fps * c.speed).toFixed(1)), 'M2 speed in frames per second');
      assert.equal(tcFrames(f[3], rate), e.srcIn, 'M2 entry point is the source in');
      // Avid's column layout: speed field ends at column 25, timecode at column 42.
      assert.equal(m2[0].indexOf(f[3]), 41);
    }
    assert.ok(e.notes.includes(`* FROM CLIP NAME:  ${baseName(c.src)}`));
    assert.ok(e.notes.includes(`* SOURCE FILE: ${c.src}`));
  });
  return events;
}

function checkGolden(file: string, actual: string): void {
  const path = join(GOLDEN, file);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `golden file ${path} is missing (run the tests with UPDATE_GOLDEN=1 to write it)`);
  // Canonical form: LF line ends, no trailing spaces, no blank lines.
  const canon = (s: string): string[] =>
    s
      .replace(/\r\n?/g, '\n')
      .split('\n')
      .map((l) => l.trimEnd())
      .filter((l) => l !== '');
  assert.deepEqual(canon(actual), canon(readFileSync(path, 'utf8')), `${file} differs from its golden file`);
}

const inputOf = (c: SyntheticCase): ExportInput => ({ timeline: c.timeline, sources: c.sources });

describe('timecode', () => {
  const tc = (frames: number, tb: Rational): string => edlTimecode(frames, timecodeRate(tb));
  const ntsc = rational(30000, 1001);
  const ntsc60 = rational(60000, 1001);

  it('drop frame only at 29.97 and 59.94', () => {
    assert.deepEqual(timecodeRate(ntsc), { fps: 30, drop: true });
    assert.deepEqual(timecodeRate(ntsc60), { fps: 60, drop: true });
    assert.deepEqual(timecodeRate(rational(24000, 1001)), { fps: 24, drop: false });
    assert.deepEqual(timecodeRate(rational(30, 1)), { fps: 30, drop: false });
    assert.deepEqual(timecodeRate(rational(25, 1)), { fps: 25, drop: false });
    assert.deepEqual(timecodeRate(rational(2997, 100)), { fps: 30, drop: false }, '29.97 written as a decimal is not NTSC');
  });

  it('known 29.97 drop-frame timecodes', () => {
    assert.equal(tc(0, ntsc), '00:00:00;00');
    assert.equal(tc(1799, ntsc), '00:00:59;29');
    assert.equal(tc(1800, ntsc), '00:01:00;02');
    assert.equal(tc(3598, ntsc), '00:02:00;02');
    assert.equal(tc(17981, ntsc), '00:09:59;29');
    assert.equal(tc(17982, ntsc), '00:10:00;00');
    assert.equal(tc(17983, ntsc), '00:10:00;01');
    assert.equal(tc(19782, ntsc), '00:11:00;02');
    assert.equal(tc(107892, ntsc), '01:00:00;00');
    assert.equal(tc(107892 + 1800, ntsc), '01:01:00;02');
  });

  it('known 59.94 drop-frame timecodes', () => {
    assert.equal(tc(3599, ntsc60), '00:00:59;59');
    assert.equal(tc(3600, ntsc60), '00:01:00;04');
    assert.equal(tc(35964, ntsc60), '00:10:00;00');
    assert.equal(tc(215784, ntsc60), '01:00:00;00');
  });

  it('non-drop rates', () => {
    assert.equal(tc(1800, rational(30, 1)), '00:01:00:00');
    assert.equal(tc(90000, rational(25, 1)), '01:00:00:00');
    assert.equal(tc(86400 + 23, rational(24000, 1001)), '01:00:00:23');
  });

  it('round trip through the independent parser, every frame of the first 20 minutes', () => {
    for (const tb of [ntsc, ntsc60, rational(25, 1)]) {
      const rate = timecodeRate(tb);
      for (let f = 0; f < rate.fps * 60 * 20; f += 7) assert.equal(tcFrames(edlTimecode(f, rate), rate), f);
    }
  });

  it('agrees with the drop-frame EDL Avid wrote', { skip: !existsSync(join(SAMPLES, 'avid-cmx3600-29.97df-small.edl')) && 'no samples' }, () => {
    // Avid writes drop-frame timecode with colons under FCM: DROP FRAME. For its cut events
    // without a speed change, source and record lengths must agree under drop-frame counting,
    // record times must be contiguous, and our timecode must reproduce every label it wrote.
    const rate = timecodeRate(ntsc);
    const df = (s: string): number => tcFrames(s.replace(/:(\d\d)$/, ';$1'), rate);
    const lines = readFileSync(join(SAMPLES, 'avid-cmx3600-29.97df-small.edl'), 'utf8').split(/\r?\n/);
    let checked = 0;
    let lastOut: number | null = null;
    lines.forEach((line, i) => {
      if (!/^\d{3}\s/.test(line)) return;
      const f = line.trim().split(/\s+/);
      const [srcIn, srcOut, recIn, recOut] = f.slice(4, 8).map(df);
      for (const t of f.slice(4, 8)) assert.equal(edlTimecode(df(t), rate), t.replace(/:(\d\d)$/, ';$1'));
      if (lastOut !== null && recIn !== lastOut) return; // overlapping record (Avid trims), not a cut
      lastOut = recOut;
      if (!lines[i + 1]?.startsWith('M2')) {
        assert.equal(srcOut - srcIn, recOut - recIn, line);
        checked++;
      }
    });
    assert.ok(checked >= 5, `${checked} events checked`);
  });
});

describe('edl: every synthetic timeline', () => {
  for (const c of syntheticCases()) {
    it(c.name, () => {
      const text = writeEdl(inputOf(c), {});
      check(text, inputOf(c));
      checkGolden(`${c.name}.edl`, text);
    });
  }
});

describe('edl details', () => {
  const cases = syntheticCases();
  const byName = (n: string): SyntheticCase => cases.find((c) => c.name === n) as SyntheticCase;
  const events = (c: SyntheticCase): Event[] => parseEdl(writeEdl(inputOf(c), {}), timecodeRate(c.timeline.tb)).events;

  it('channels: stereo with video is AA/V, mono B, audio only AA, a third channel on AUD', () => {
    assert.equal(events(byName('many-clips-30fps-stereo-awkward-name'))[0].channels, 'AA/V');
    assert.equal(events(byName('ntsc-mono'))[0].channels, 'B');
    assert.equal(events(byName('audio-only-stereo'))[0].channels, 'AA');
    const two = events(byName('pal-two-audio-streams'));
    assert.equal(two[0].channels, 'AA/V');
    assert.equal(two[0].notes[0], 'AUD  3');
  });

  it('reel names: at most 8 characters, from the file name, unique per source', () => {
    assert.equal(events(byName('many-clips-30fps-stereo-awkward-name'))[0].reel, 'MY_TALK');
    assert.equal(events(byName('windows-path'))[0].reel, 'TAKE_2');
    assert.equal(events(byName('pal-two-audio-streams'))[0].reel, 'PODCAST');
    const tb = rational(25, 1);
    const a = '/x/interview camera.mp4';
    const b = '/y/interview camera.mp4';
    const clips: Clip[] = [
      { src: a, start: 0, dur: 25, offset: 0, speed: 1, stream: 0, volume: 1 },
      { src: b, start: 25, dur: 25, offset: 0, speed: 1, stream: 0, volume: 1 },
    ];
    const tl: Timeline = { tb, background: '#000000', resolution: [1920, 1080], sampleRate: 48000, layout: 'stereo', langs: [], v: [clips], a: [] };
    const info = (p: string) => fakeInfo(p, { fps: tb, seconds: 10, audio: [] });
    const ev = parseEdl(writeEdl({ timeline: tl, sources: new Map([a, b].map((p) => [p, info(p)])) }, {}), timecodeRate(tb)).events;
    assert.deepEqual(
      ev.map((e) => [e.reel, e.channels]),
      [
        ['INTERVIE', 'V'],
        ['INTERVI2', 'V'],
      ],
    );
  });

  it('speed: M2 line with the speed at the nominal rate and the source in', () => {
    const text = writeEdl(inputOf(byName('ntsc60-speed-1.5')), {});
    assert.match(text, /^002  GAME     AA\/V  C        00:00:02;00 00:00:10;00 01:00:02;00 01:00:07;20\nM2   GAME           090\.0                00:00:02;00$/m);
  });

  it('layers that differ become separate events on their channels', () => {
    const tb = rational(30, 1);
    const src = '/media/talk.mp4';
    const v: Clip[] = [{ src, start: 0, dur: 60, offset: 0, speed: 1, stream: 0, volume: 1 }];
    const a: Clip[] = [
      { src, start: 0, dur: 50, offset: 0, speed: 1, stream: 0, volume: 1 },
      { src, start: 50, dur: 10, offset: 80, speed: 1, stream: 0, volume: 1 },
    ];
    const tl: Timeline = { tb, background: '#000000', resolution: [1280, 720], sampleRate: 48000, layout: 'stereo', langs: [], v: [v], a: [a] };
    const info = fakeInfo(src, { fps: tb, seconds: 10, audio: [{ channels: 2, sampleRate: 48000 }] });
    const ev = parseEdl(writeEdl({ timeline: tl, sources: new Map([[src, info]]) }, {}), timecodeRate(tb)).events;
    assert.deepEqual(
      ev.map((e) => [e.channels, e.recIn - 108000, e.recOut - 108000, e.srcIn]),
      [
        ['V', 0, 60, 0],
        ['AA', 0, 50, 0],
        ['AA', 50, 60, 80],
      ],
    );
  });

  it('title and parameters', () => {
    const input = inputOf(byName('ntsc-mono'));
    assert.match(writeEdl(input, {}), /^TITLE: lecture\nFCM: DROP FRAME\n/);
    assert.match(writeEdl(input, { name: 'Line one\nline two' }), /^TITLE: Line one line two\n/);
    assert.equal(writeEdl(input, { name: 'x'.repeat(100) }).split('\n')[0].length, 'TITLE: '.length + 70);
    assert.throws(() => writeEdl(input, { reel: 'x' }), UserError);
  });

  it('more than 999 events keep counting', () => {
    const tb = rational(25, 1);
    const src = '/media/long.mp4';
    const clips: Clip[] = Array.from({ length: 1001 }, (_, i) => ({ src, start: i, dur: 1, offset: 2 * i, speed: 1, stream: 0, volume: 1 }));
    const tl: Timeline = { tb, background: '#000000', resolution: [1920, 1080], sampleRate: 48000, layout: 'stereo', langs: [], v: [clips], a: [] };
    const text = writeEdl({ timeline: tl, sources: new Map([[src, fakeInfo(src, { fps: tb, seconds: 100, audio: [] })]]) }, {});
    const ev = parseEdl(text, timecodeRate(tb)).events;
    assert.equal(ev.length, 1001);
    assert.equal(ev[1000].num, 1001);
  });
});
