import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.js';
import { normalizationGain, parseAudioNormalize, type TrackLevels } from '../../src/render/normalize.js';

function rejects(text: string, message: RegExp): void {
  assert.throws(
    () => parseAudioNormalize(text),
    (e: unknown) => e instanceof UserError && message.test(e.message) && !e.message.includes('\n'),
    `${text} should be refused with ${message}`,
  );
}

describe('parseAudioNormalize', () => {
  it("takes auto-editor's defaults", () => {
    assert.deepEqual(parseAudioNormalize('ebu'), { kind: 'ebu', i: -24, lra: 7, tp: -2, gain: 0 });
    assert.deepEqual(parseAudioNormalize('ebu:'), { kind: 'ebu', i: -24, lra: 7, tp: -2, gain: 0 });
    assert.deepEqual(parseAudioNormalize('peak'), { kind: 'peak', t: -8 });
  });

  it('takes values by name, in any order, or by position', () => {
    assert.deepEqual(parseAudioNormalize('ebu:i=-16'), { kind: 'ebu', i: -16, lra: 7, tp: -2, gain: 0 });
    assert.deepEqual(parseAudioNormalize('ebu:i=-5,lra=20,gain=5,tp=-1'), { kind: 'ebu', i: -5, lra: 20, tp: -1, gain: 5 });
    assert.deepEqual(parseAudioNormalize('ebu:tp=-1.5, i=-23'), { kind: 'ebu', i: -23, lra: 7, tp: -1.5, gain: 0 });
    assert.deepEqual(parseAudioNormalize('ebu:-18,10'), { kind: 'ebu', i: -18, lra: 10, tp: -2, gain: 0 });
    assert.deepEqual(parseAudioNormalize('peak:-3'), { kind: 'peak', t: -3 });
    assert.deepEqual(parseAudioNormalize('peak:t=-0.5'), { kind: 'peak', t: -0.5 });
    assert.deepEqual(parseAudioNormalize('peak:t=0'), { kind: 'peak', t: 0 });
  });

  it('refuses bad values in one line, naming the parameter', () => {
    rejects('ebu:i=5', /^--audio-normalize: i=5 is out of range; give -70 to -5 LUFS$/);
    rejects('ebu:i=-71', /i=-71 is out of range/);
    rejects('ebu:lra=0.5', /lra=0.5 is out of range; give 1 to 50 LU/);
    rejects('ebu:tp=1', /tp=1 is out of range; give -9 to 0 dBTP/);
    rejects('ebu:gain=100', /gain=100 is out of range/);
    rejects('peak:t=abc', /^--audio-normalize: t=abc is not a number$/);
    rejects('peak:t=', /t= is not a number/);
    rejects('peak:t=1', /t=1 is out of range; give -99 to 0 dBFS/);
    rejects('peak:-3dB', /-3dB is not a number/);
    rejects('loud', /^--audio-normalize: unknown kind "loud"; use ebu\[:i=-24,lra=7,tp=-2,gain=0\] or peak\[:t=-8\]$/);
    rejects('', /unknown kind ""/);
    rejects('ebu:x=1', /ebu has no parameter "x"/);
    rejects('peak:i=-3', /peak has no parameter "i"/);
    rejects('peak:-3,-4', /too many values for peak/);
    rejects('ebu:i=-20,i=-21', /i is given twice/);
  });
});

describe('normalizationGain', () => {
  const levels = (l: Partial<TrackLevels>): TrackLevels => ({ samplePeak: -20, integrated: -30, lra: 3, truePeak: -19.5, ...l });
  const dB = (g: number): number => 20 * Math.log10(g);

  it('peak: moves the sample peak to t, up or down', () => {
    assert.ok(Math.abs(dB(normalizationGain({ kind: 'peak', t: -3 }, levels({})).gain) - 17) < 1e-9);
    assert.ok(Math.abs(dB(normalizationGain({ kind: 'peak', t: -3 }, levels({ samplePeak: 0 })).gain) - -3) < 1e-9);
  });

  it('ebu: moves the integrated loudness to i plus gain when the true peak allows', () => {
    const g = normalizationGain({ kind: 'ebu', i: -24, lra: 7, tp: -2, gain: 1 }, levels({}));
    assert.ok(Math.abs(dB(g.gain) - 7) < 1e-9);
    assert.equal(g.warning, null);
  });

  it('ebu: stops at the true-peak ceiling and says what it reached', () => {
    const g = normalizationGain({ kind: 'ebu', i: -10, lra: 7, tp: -2, gain: 0 }, levels({}));
    assert.ok(Math.abs(dB(g.gain) - 17.5) < 1e-9);
    assert.match(g.warning ?? '', /reaching -10\.0 LUFS would push the true peak above -2\.0 dBTP; the track gets 17\.5 dB instead and ends at about -12\.5 LUFS/);
  });

  it('leaves silence alone, with a warning', () => {
    const silent = levels({ samplePeak: Number.NEGATIVE_INFINITY, integrated: Number.NEGATIVE_INFINITY, truePeak: Number.NEGATIVE_INFINITY });
    assert.equal(normalizationGain({ kind: 'peak', t: -3 }, silent).gain, 1);
    assert.equal(normalizationGain({ kind: 'ebu', i: -24, lra: 7, tp: -2, gain: 0 }, silent).gain, 1);
    assert.match(normalizationGain({ kind: 'ebu', i: -24, lra: 7, tp: -2, gain: 0 }, silent).warning ?? '', /too quiet/);
  });
});
