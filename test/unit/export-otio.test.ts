// OpenTimelineIO writer: schema names and fields as OTIO serializes them, rates as doubles, source
// ranges, track durations (OTIO's rule: the sum of its items' source_range durations) equal to the
// timeline's, LinearTimeWarp on speed clips, references, links; golden files.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UserError } from '../../src/errors.js';
import { writeOtio } from '../../src/export/otio.js';
import { fileUrl } from '../../src/export/paths.js';
import type { ExportInput } from '../../src/export/types.js';
import { type Clip, type Timeline, timelineLength } from '../../src/timeline/model.js';
import { rational } from '../../src/timeline/rational.js';
import { fakeInfo, type SyntheticCase, syntheticCases } from '../helpers/timelines.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const GOLDEN = join(ROOT, 'test', 'golden', 'otio');

type J = any;

/** Fields each schema carries, as OpenTimelineIO (0.15+) serializes it. */
const FIELDS: Record<string, string[]> = {
  'Timeline.1': ['OTIO_SCHEMA', 'metadata', 'name', 'global_start_time', 'tracks'],
  'Stack.1': ['OTIO_SCHEMA', 'metadata', 'name', 'source_range', 'effects', 'markers', 'enabled', 'children'],
  'Track.1': ['OTIO_SCHEMA', 'metadata', 'name', 'source_range', 'effects', 'markers', 'enabled', 'children', 'kind'],
  'Clip.2': ['OTIO_SCHEMA', 'metadata', 'name', 'source_range', 'effects', 'markers', 'enabled', 'media_references', 'active_media_reference_key'],
  'Gap.1': ['OTIO_SCHEMA', 'metadata', 'name', 'source_range', 'effects', 'markers', 'enabled'],
  'ExternalReference.1': ['OTIO_SCHEMA', 'metadata', 'name', 'available_range', 'available_image_bounds', 'target_url'],
  'LinearTimeWarp.1': ['OTIO_SCHEMA', 'metadata', 'name', 'effect_name', 'enabled', 'time_scalar'],
  'TimeRange.1': ['OTIO_SCHEMA', 'duration', 'start_time'],
  'RationalTime.1': ['OTIO_SCHEMA', 'rate', 'value'],
};

/** Every object with an OTIO_SCHEMA, depth first. */
function* schemaObjects(v: J): Generator<J> {
  if (Array.isArray(v)) for (const x of v) yield* schemaObjects(x);
  else if (v && typeof v === 'object') {
    if (typeof v.OTIO_SCHEMA === 'string') yield v;
    for (const x of Object.values(v)) yield* schemaObjects(x);
  }
}

const frames = (rt: J, rate: number): number => {
  assert.equal(rt.OTIO_SCHEMA, 'RationalTime.1');
  assert.equal(rt.rate, rate);
  assert.ok(Number.isInteger(rt.value), `${rt.value} is a whole frame`);
  return rt.value;
};

/** Checks one document against the timeline it came from; returns the parsed document. */
function check(text: string, input: ExportInput): J {
  const tl = input.timeline;
  const rate = tl.tb.num / tl.tb.den;
  const doc = JSON.parse(text) as J;

  // Schemas and their fields.
  for (const o of schemaObjects(doc)) {
    const fields = FIELDS[o.OTIO_SCHEMA];
    assert.ok(fields, `unexpected schema ${o.OTIO_SCHEMA}`);
    assert.deepEqual(Object.keys(o), fields, `${o.OTIO_SCHEMA} fields`);
  }
  // Doubles are written as doubles: every rate and frame value has a decimal point.
  for (const m of text.matchAll(/"(rate|value|time_scalar)": ([^,\n]+)/g)) assert.match(m[2], /^-?\d+\.\d+$|e/, `${m[1]} ${m[2]} is a double`);

  assert.equal(doc.OTIO_SCHEMA, 'Timeline.1');
  assert.equal(frames(doc.global_start_time, rate), 0);
  const stack = doc.tracks;
  assert.equal(stack.OTIO_SCHEMA, 'Stack.1');
  assert.equal(stack.children.length, tl.v.length + tl.a.length);
  assert.equal(stack.metadata.PremierePro_OTIO.VideoFrameRate, rate);

  const layers: Array<{ clips: Clip[]; kind: string }> = [
    ...tl.v.map((clips) => ({ clips, kind: 'Video' })),
    ...tl.a.map((clips) => ({ clips, kind: 'Audio' })),
  ];
  let stackDuration = 0;
  layers.forEach(({ clips, kind }, t) => {
    const track = stack.children[t];
    assert.equal(track.OTIO_SCHEMA, 'Track.1');
    assert.equal(track.kind, kind);
    const sorted = [...clips].sort((a, b) => a.start - b.start);
    let at = 0;
    let k = 0;
    for (const item of track.children) {
      const start = frames(item.source_range.start_time, rate);
      const dur = frames(item.source_range.duration, rate);
      assert.ok(dur > 0, 'items have length');
      if (item.OTIO_SCHEMA === 'Gap.1') {
        assert.equal(start, 0);
        assert.ok(k < sorted.length && sorted[k].start >= at + dur, 'a gap fills a hole before a clip');
      } else {
        const c = sorted[k++];
        assert.equal(item.OTIO_SCHEMA, 'Clip.2');
        assert.equal(at, c.start, 'clip position on its track');
        assert.equal(dur, c.dur, 'source_range.duration is the time the clip occupies');
        assert.equal(start, Math.round(c.offset * c.speed), 'source_range.start_time is the first source frame');
        assert.equal(item.active_media_reference_key, 'DEFAULT_MEDIA');
        const ref = item.media_references.DEFAULT_MEDIA;
        assert.equal(ref.OTIO_SCHEMA, 'ExternalReference.1');
        assert.equal(ref.target_url, fileUrl(c.src));
        assert.equal(frames(ref.available_range.start_time, rate), 0);
        assert.ok(frames(ref.available_range.duration, rate) >= start + dur * c.speed - 1e-9, 'reference covers what the clip reads');
        const warps = item.effects.filter((e: J) => e.OTIO_SCHEMA === 'LinearTimeWarp.1');
        if (c.speed === 1) assert.equal(warps.length, 0, 'no time warp at normal speed');
        else {
          assert.equal(warps.length, 1, `LinearTimeWarp on the ${c.speed}x clip`);
          assert.equal(warps[0].time_scalar, c.speed);
          assert.equal(warps[0].effect_name, 'LinearTimeWarp');
        }
      }
      at += dur;
    }
    assert.equal(k, sorted.length, 'every clip written');
    const end = sorted.length ? sorted[sorted.length - 1].start + sorted[sorted.length - 1].dur : 0;
    assert.equal(at, end, 'track duration is its last clip’s end');
    stackDuration = Math.max(stackDuration, at);
  });
  assert.equal(stackDuration, timelineLength(tl), 'total duration equals the timeline length');
  return doc;
}

/** Golden files compared as parsed JSON, so whitespace alone never fails a test. */
function checkGolden(file: string, actual: string): void {
  const path = join(GOLDEN, file);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `golden file ${path} is missing (run the tests with UPDATE_GOLDEN=1 to write it)`);
  assert.deepEqual(JSON.parse(actual), JSON.parse(readFileSync(path, 'utf8')), `${file} differs from its golden file`);
}

const inputOf = (c: SyntheticCase): ExportInput => ({ timeline: c.timeline, sources: c.sources });

describe('otio: every synthetic timeline', () => {
  for (const c of syntheticCases()) {
    it(c.name, () => {
      const text = writeOtio(inputOf(c), {});
      check(text, inputOf(c));
      checkGolden(`${c.name}.otio`, text);
    });
  }
});

describe('otio details', () => {
  const cases = syntheticCases();
  const byName = (n: string): SyntheticCase => cases.find((c) => c.name === n) as SyntheticCase;

  it('NTSC rates are doubles, frames are whole', () => {
    const text = writeOtio(inputOf(byName('ntsc-mono')), {});
    assert.match(text, /"rate": 29\.97002997002997,/);
    assert.match(text, /"value": 150\.0/);
    const doc = JSON.parse(text) as J;
    assert.equal(doc.tracks.children[1].metadata.PremierePro_OTIO.AudioChannels.ChannelType, 'Mono');
  });

  it('speed clip: source from frame 120, 320 frames on the track, read at 1.5x', () => {
    const doc = check(writeOtio(inputOf(byName('ntsc60-speed-1.5')), {}), inputOf(byName('ntsc60-speed-1.5')));
    const clip = doc.tracks.children[0].children[1];
    assert.equal(clip.source_range.start_time.value, 120);
    assert.equal(clip.source_range.duration.value, 320);
    assert.deepEqual(
      clip.effects.map((e: J) => [e.OTIO_SCHEMA, e.time_scalar]),
      [['LinearTimeWarp.1', 1.5]],
    );
    // The next clip starts where 320 frames end, not where 480 source frames would.
    assert.equal(doc.tracks.children[0].children[2].source_range.start_time.value, 900);
  });

  it('links video with its audio and names the stream each audio clip plays', () => {
    const doc = writeOtio(inputOf(byName('pal-two-audio-streams')), {});
    const d = JSON.parse(doc) as J;
    const [v, a1, a2] = d.tracks.children;
    for (let i = 0; i < v.children.length; i++) {
      const id = v.children[i].metadata.PremierePro_OTIO.LinkID;
      assert.ok(id);
      assert.equal(a1.children[i].metadata.PremierePro_OTIO.LinkID, id);
      assert.equal(a2.children[i].metadata.PremierePro_OTIO.LinkID, id);
    }
    assert.equal(a1.children[0].metadata.PremierePro_OTIO.OriginalChannelGroupIndex, 0);
    assert.equal(a2.children[0].metadata.PremierePro_OTIO.OriginalChannelGroupIndex, 1);
    assert.equal(a1.children[0].metadata.PremierePro_OTIO.AudioChannels.ChannelType, 'Stereo');
    assert.equal(a2.children[0].metadata.PremierePro_OTIO.AudioChannels.ChannelType, 'Mono');
  });

  it('awkward and Windows file names become file URLs', () => {
    const a = JSON.parse(writeOtio(inputOf(byName('many-clips-30fps-stereo-awkward-name')), {})) as J;
    assert.equal(a.tracks.children[0].children[0].media_references.DEFAULT_MEDIA.target_url, 'file:///media/My%20Talk%20%231%20100%25%20%E2%80%94%20%C3%A9t%C3%A9.mp4');
    assert.equal(a.name, 'My Talk #1 100% — été');
    const w = JSON.parse(writeOtio(inputOf(byName('windows-path')), {})) as J;
    assert.equal(w.tracks.children[0].children[0].media_references.DEFAULT_MEDIA.target_url, 'file:///C:/Users/Zo%C3%AB/Videos/take%20%232.mp4');
  });

  it('name and parameters', () => {
    const input = inputOf(byName('ntsc-mono'));
    assert.equal((JSON.parse(writeOtio(input, { name: 'Cut "A"' })) as J).name, 'Cut "A"');
    assert.equal((JSON.parse(writeOtio({ ...input, name: 'From input' }, {})) as J).tracks.name, 'From input');
    assert.throws(() => writeOtio(input, { speed: 'x' }), UserError);
  });

  it('holes become gaps; tracks of different lengths; overlapping clips are refused', () => {
    const tb = rational(25, 1);
    const src = '/media/a.mov';
    const info = fakeInfo(src, { fps: tb, seconds: 20, audio: [{ channels: 2, sampleRate: 48000 }] });
    const v: Clip[] = [
      { src, start: 10, dur: 20, offset: 0, speed: 1, stream: 0, volume: 1 },
      { src, start: 50, dur: 10, offset: 100, speed: 2, stream: 0, volume: 1 },
    ];
    const a: Clip[] = [{ src, start: 0, dur: 70, offset: 0, speed: 1, stream: 0, volume: 1 }];
    const timeline: Timeline = { tb, background: '#000000', resolution: [1920, 1080], sampleRate: 48000, layout: 'stereo', langs: [], v: [v], a: [a] };
    const input: ExportInput = { timeline, sources: new Map([[src, info]]) };
    const doc = check(writeOtio(input, {}), input);
    assert.deepEqual(
      doc.tracks.children[0].children.map((i: J) => [i.OTIO_SCHEMA, i.source_range.duration.value]),
      [
        ['Gap.1', 10],
        ['Clip.2', 20],
        ['Gap.1', 20],
        ['Clip.2', 10],
      ],
    );
    const overlapping = { ...input, timeline: { ...timeline, v: [[v[0], { ...v[1], start: 25 }]] } };
    assert.throws(() => writeOtio(overlapping, {}), UserError);
  });
});
