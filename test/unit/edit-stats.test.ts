import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatStats, assTimecode } from '../../src/edit/stats.js';
import type { Clip, Timeline } from '../../src/timeline/model.js';
import type { Rational } from '../../src/timeline/rational.js';

const clip = (start: number, dur: number, offset: number, speed = 1): Clip => ({ src: 'a.mp4', start, dur, offset, speed, stream: 0, volume: 1 });

function timeline(tb: Rational, clips: Clip[], layer: 'a' | 'v' = 'a'): Timeline {
  return {
    tb,
    background: '#000000',
    resolution: [1280, 720],
    sampleRate: 48000,
    layout: 'stereo',
    langs: [],
    v: layer === 'v' ? [clips] : [],
    a: layer === 'a' ? [clips, []] : [],
  };
}

test('formatStats matches auto-editor, trailing spaces included', () => {
  // 30 s at 30 fps with 2 s to 10 s cut: what `--edit none --cut 2sec,10sec --stats` shows.
  const text = formatStats(900, timeline({ num: 30, den: 1 }, [clip(0, 60, 0), clip(60, 600, 300)]));
  assert.equal(
    text,
    [
      '',
      'length:',
      ' - input:     0:00:30.00  (900)  100.0% ',
      ' - output:    0:00:22.00  (660)  73.33% ',
      ' - diff:     -0:00:08.00  (-240) -26.67%',
      'clips:',
      ' - amount:    2',
      ' - smallest:  0:00:02.00  (60)  ',
      ' - largest:   0:00:20.00  (600) ',
      ' - median:    0:00:11.00  (330.00)',
      ' - average:   0:00:11.00  (330.00)',
      'cuts:',
      ' - amount:    1',
      ' - smallest:  0:00:08.00  (240) ',
      ' - largest:   0:00:08.00  (240) ',
      '',
      '',
    ].join('\n'),
  );
});

test('formatStats rounds like C printf (ties to even) and counts leading, inner and trailing cuts', () => {
  // At 8 fps one frame is 0.125 s, an exact tie at two decimals: printf gives 0.12, toFixed 0.13.
  const durations = [1, 2, 2, 2, 1, 2, 2, 1];
  const clips: Clip[] = [];
  let position = 0;
  let source = 1; // the source opens with a 1-frame cut
  for (const d of durations) {
    clips.push(clip(position, d, source));
    position += d;
    source += d + 1;
  }
  const text = formatStats(22, timeline({ num: 8, den: 1 }, clips));
  assert.equal(
    text,
    [
      '',
      'length:',
      ' - input:     0:00:02.75  (22)   100.0% ',
      ' - output:    0:00:01.62  (13)   59.09% ',
      ' - diff:     -0:00:01.12  (-9)   -40.91%', // -1.125 s: a tie, to even
      'clips:',
      ' - amount:    8',
      ' - smallest:  0:00:00.12  (1)   ',
      ' - largest:   0:00:00.25  (2)   ',
      ' - median:    0:00:00.25  (2.00)',
      ' - average:   0:00:00.20  (1.62)', // 13 / 8 = 1.625
      'cuts:',
      ' - amount:    9', // one before the first clip, seven between, one after (21 of 22 frames)
      ' - smallest:  0:00:00.12  (1)   ',
      ' - largest:   0:00:00.12  (1)   ',
      ' - median:    0:00:00.12  (1.00)',
      ' - average:   0:00:00.12  (1.00)',
      '',
      '',
    ].join('\n'),
  );
});

test('formatStats turns speed-scaled offsets back into source frames for the cuts', () => {
  // Source [30, 90) at speed 2: offset 15, 30 frames on the timeline; cuts of 30 before and after.
  const text = formatStats(120, timeline({ num: 30000, den: 1001 }, [clip(0, 30, 15, 2)]));
  assert.match(text, /\ncuts:\n - amount: {4}2\n - smallest: {2}0:00:01\.00 {2}\(30\) {2}\n/);
  assert.match(text, / - output: {4}0:00:01\.00 {2}\(30\) {3}25\.0% {2}\n/);
});

test('formatStats with an empty input and no audio layer', () => {
  assert.equal(
    formatStats(0, timeline({ num: 30, den: 1 }, [], 'v')),
    '\nlength:\n - input:     0:00:00.00  (0)    100.0% \n - output:    0:00:00.00  (0)    0.0%   \n - diff:      0:00:00.00  (0)    0.0%   \nclips:\n - amount:    0\ncuts:\n - amount:    0\n\n',
  );
});

test('formatStats takes the video layer when there is no audio, and long runs need no padding', () => {
  const text = formatStats(325770, timeline({ num: 30, den: 1 }, [clip(0, 324000, 0)], 'v'));
  assert.match(text, / - input: {5}3:00:59\.00 {2}\(325770\) 100\.0% \n/);
  assert.match(text, / - diff: {5}-0:00:59\.00 {2}\(-1770\) -0\.54% \n/);
  assert.match(text, / - smallest: {2}3:00:00\.00 {2}\(324000\)\n/);
});

const timecodes: [number, string][] = [
  [0, '0:00:00.00'],
  [1.5, '0:00:01.50'],
  [59.994, '0:00:59.99'],
  [59.996, '0:00:60.00'], // auto-editor's seconds mod 60, then rounded: it prints 60.00 too
  [61, '0:01:01.00'],
  [3600 + 62.5, '1:01:02.50'],
  [-8, '-0:00:08.00'],
  [0.125, '0:00:00.12'],
  [0.375, '0:00:00.38'],
];
for (const [seconds, expected] of timecodes) {
  test(`assTimecode(${seconds}) = ${expected}`, () => assert.equal(assTimecode(seconds), expected));
}
