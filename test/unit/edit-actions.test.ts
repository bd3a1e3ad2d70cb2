import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseActions, parseSpeedValue, speedToActions, speedToActionText, type ActionGroup } from '../../src/edit/actions.js';
import { UserError } from '../../src/errors.js';

const f = Math.fround;
const group = (speed: number, volume = 1, varispeed = 1): ActionGroup => ({ speed, varispeed, volume });

// [actions, group]: values are float32 (as auto-editor stores them), products are float64.
const parses: [string, ActionGroup][] = [
  ['nil', group(1)],
  ['cut', 'cut'],
  ['speed:2', group(2)],
  ['speed:0.5', group(0.5)],
  ['speed:1.1', group(f(1.1))],
  ['speed:1e3', group(1000)],
  ['speed:1_000', group(1000)],
  ['speed:.5', group(0.5)],
  ['speed:99998', group(99998)],
  ['varispeed:1.5', group(1.5, 1, 1.5)],
  ['varispeed:0.2', group(f(0.2), 1, f(0.2))],
  ['varispeed:100', group(100, 1, 100)],
  ['volume:0.5', group(1, 0.5)],
  ['volume:0', group(1, 0)],
  ['volume:2.5', group(1, 2.5)],
  ['speed:2,volume:0.5', group(2, 0.5)],
  [' speed:2 , volume:0.5 ', group(2, 0.5)],
  ['speed:1.1,speed:1.1', group(f(1.1) * f(1.1))],
  ['speed:1.1,varispeed:1.3', group(f(1.1) * f(1.3), 1, f(1.3))],
  ['varispeed:2,varispeed:3,speed:0.5', group(3, 1, 6)],
  ['volume:0.3,volume:0.3', group(1, f(0.3) * f(0.3))],
  ['nil,speed:3,nil', group(3)],
  ['nil,nil', group(1)],
  ['speed:2,cut', 'cut'],
  // auto-editor stops at the first cut, so what follows it is never read.
  ['cut,zoom:2', 'cut'],
  ['cut,nonsense', 'cut'],
];

for (const [text, expected] of parses) {
  test(`parseActions ${JSON.stringify(text)}`, () => {
    assert.deepEqual(parseActions(text), expected);
  });
}

const errors: [string, RegExp][] = [
  ['zoom:2', /^action "zoom" is not supported by tacet yet/],
  ['invert', /^action "invert" is not supported by tacet yet/],
  ['speed:2,hflip', /^action "hflip" is not supported by tacet yet/],
  ['ease:inout,zoom:1..2', /^action "ease" is not supported by tacet yet/],
  ['deesser:0.5', /action "deesser"/],
  ['blur:3', /action "blur"/],
  ['opacity:0.5', /action "opacity"/],
  ['rotate:90', /action "rotate"/],
  ['drawbox:1:1:4:4:red', /action "drawbox"/],
  ['lens', /action "lens"/],
  ['contrast:1.2', /action "contrast"/],
  ['add:logo.png', /action "add"/],
  ['pitch:2', /unknown action "pitch:2"/],
  ['fast', /unknown action "fast"/],
  ['', /an empty action/],
  ['speed:2,', /an empty action/],
  ['speed', /"speed" needs one number/],
  ['speed:', /"speed:" needs one number/],
  ['speed:two', /"speed:two" needs one number/],
  ['speed:2:3', /"speed:2:3" needs one number/],
  ['speed:0', /speed must be more than 0 and less than 99999/],
  ['speed:-1', /speed must be more than 0/],
  ['speed:99999', /less than 99999/],
  ['speed:inf', /out of range/],
  ['speed:nan', /out of range/],
  ['varispeed:0.1', /varispeed must be from 0.2 to 100/],
  ['varispeed:100.5', /varispeed must be from 0.2 to 100/],
  ['volume:-0.5', /volume must be 0 or more/],
];

for (const [text, message] of errors) {
  test(`parseActions rejects ${JSON.stringify(text)}`, () => {
    assert.throws(() => parseActions(text, '-w:1'), (e: unknown) => e instanceof UserError && message.test(e.message));
  });
}

test('parseActions names the option in its errors', () => {
  assert.throws(() => parseActions('speed:0', '--when-inactive'), { message: /^--when-inactive: "speed:0"/ });
  assert.throws(() => parseActions('zoom:2', '--set-action'), { message: /in --set-action "zoom:2"/ });
});

// --silent-speed, --video-speed and --set-speed: N or N%; <= 0 or >= 99999 cut, 1 nil.
const speeds: [string, ActionGroup, string][] = [
  ['2', group(2), 'speed:2'],
  ['125%', group(1.25), 'speed:1.25'],
  ['100%', group(1), 'nil'],
  ['1', group(1), 'nil'],
  ['1.1', group(f(1.1)), 'speed:1.1'],
  ['0', 'cut', 'cut'],
  ['-2', 'cut', 'cut'],
  ['99999', 'cut', 'cut'],
  ['100000', 'cut', 'cut'],
  ['99998.999', 'cut', 'cut'], // 99999 once stored as a float32
  ['0.5', group(0.5), 'speed:0.5'],
  [' 3 ', group(3), 'speed:3'],
];

for (const [text, expected, actionText] of speeds) {
  test(`speed value ${JSON.stringify(text)}`, () => {
    assert.deepEqual(speedToActions(parseSpeedValue(text, '--set-speed')), expected);
    assert.equal(speedToActionText(text, '--video-speed'), actionText);
    // The text form reads back as the same group.
    assert.deepEqual(parseActions(actionText), expected);
  });
}

test('speed values refuse other units', () => {
  assert.throws(() => parseSpeedValue('2x', '--silent-speed'), /--silent-speed: unknown unit "x"/);
  assert.throws(() => parseSpeedValue('fast', '--silent-speed'), UserError);
});
