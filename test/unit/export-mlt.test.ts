// Shotcut and Kdenlive writers: structure checks on every shared synthetic timeline (producers
// defined before use, inclusive outs, entry lengths equal clip durations, timewarp for speed
// changes, one audio track per stream with the right audio_index), golden files compared after
// canonicalisation (UPDATE_GOLDEN=1 rewrites them), and edge cases. Rendering in melt is in
// test/e2e/export-melt.test.ts.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { UserError } from '../../src/errors.js';
import { mltResource, writeKdenlive, writeShotcut } from '../../src/export/mlt.js';
import type { ExportInput, Exporter } from '../../src/export/types.js';
import { type Clip, type Timeline, timelineLength } from '../../src/timeline/model.js';
import { rational } from '../../src/timeline/rational.js';
import { fakeInfo, layClips, type SyntheticCase, syntheticCases } from '../helpers/timelines.js';

// Tests run from dist/test/unit; golden files live in the source tree.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const GOLDEN = join(ROOT, 'test', 'golden', 'mlt');

// ---------------------------------------------------------------------------------------------
// A small XML tree, in document order.

interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  /** Concatenated text content (property values). */
  text: string;
}

type Raw = Record<string, unknown>;

function parse(xml: string): El {
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseTagValue: false,
    parseAttributeValue: false,
    trimValues: false,
  });
  const convert = (raw: Raw): El | null => {
    const name = Object.keys(raw).find((k) => k !== ':@');
    if (!name || name === '#text' || name.startsWith('?')) return null;
    const el: El = { name, attrs: (raw[':@'] as Record<string, string>) ?? {}, children: [], text: '' };
    for (const child of raw[name] as Raw[]) {
      if ('#text' in child) el.text += String(child['#text']);
      else {
        const c = convert(child);
        if (c) el.children.push(c);
      }
    }
    return el;
  };
  const top = (parser.parse(xml) as Raw[]).map(convert).filter((e): e is El => e !== null);
  assert.equal(top.length, 1, 'one root element');
  return top[0];
}

/** Property values of an MLT element (`<property name=…>`), in order. */
function propsOf(el: El): Map<string, string> {
  const m = new Map<string, string>();
  for (const c of el.children) if (c.name === 'property') m.set(c.attrs.name, c.text);
  return m;
}

function prop(el: El, name: string): string | undefined {
  return propsOf(el).get(name);
}

/** Every element in document order. */
function walk(el: El, out: El[] = []): El[] {
  out.push(el);
  for (const c of el.children) walk(c, out);
  return out;
}

/**
 * Canonical text of a document: one line per element with sorted attributes, text of leaf
 * elements verbatim (JSON escaped), whitespace between elements ignored. Differences in
 * indentation, attribute order or quoting do not count; anything MLT reads does.
 */
function canonical(xml: string): string {
  const lines: string[] = [];
  const visit = (el: El, depth: number): void => {
    const attrs = Object.keys(el.attrs)
      .sort()
      .map((k) => `${k}=${JSON.stringify(el.attrs[k])}`)
      .join(' ');
    const text = el.children.length === 0 && el.text.trim() !== '' ? ` = ${JSON.stringify(el.text)}` : '';
    lines.push(`${'  '.repeat(depth)}<${el.name}${attrs ? ' ' + attrs : ''}>${text}`);
    for (const c of el.children) visit(c, depth + 1);
  };
  visit(parse(xml), 0);
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Structure checks shared by both writers.

const MEDIA_ELEMENTS = new Set(['producer', 'chain', 'playlist', 'tractor']);

/** Producers, chains, playlists and tractors by id, and a check that each is defined before use. */
function checkDefinedBeforeUse(root: El): Map<string, El> {
  const defined = new Map<string, El>();
  for (const el of walk(root)) {
    if (MEDIA_ELEMENTS.has(el.name) && el.attrs.id !== undefined) {
      assert.ok(!defined.has(el.attrs.id), `id ${el.attrs.id} is unique`);
      defined.set(el.attrs.id, el);
    }
    if ((el.name === 'entry' || el.name === 'track') && el.attrs.producer !== undefined) {
      assert.ok(defined.has(el.attrs.producer), `${el.name} uses ${el.attrs.producer} after it is defined`);
    }
  }
  assert.ok(defined.has(root.attrs.producer ?? ''), 'the root names a defined producer (main_bin)');
  return defined;
}

/** Every in/out/length in the file is an integer frame count (no clock strings, no decimals). */
function checkIntegerFrames(root: El): void {
  for (const el of walk(root)) {
    for (const a of ['in', 'out', 'length']) {
      if (el.attrs[a] !== undefined) assert.match(el.attrs[a], /^\d+$/, `${el.name} ${a}="${el.attrs[a]}" is whole frames`);
    }
    if (el.attrs.in !== undefined && el.attrs.out !== undefined) assert.ok(+el.attrs.out >= +el.attrs.in, `${el.name} out ≥ in`);
    if (el.name === 'property' && el.attrs.name === 'length') assert.match(el.text, /^\d+$/, 'length property is whole frames');
  }
}

/** A timeline track as the file describes it. */
interface FileTrack {
  kind: 'video' | 'audio';
  playlist: El;
}

/** The entries of a playlist with their timeline positions. */
function entriesOf(playlist: El): Array<{ position: number; entry: El }> {
  const out: Array<{ position: number; entry: El }> = [];
  let position = 0;
  for (const c of playlist.children) {
    if (c.name === 'blank') position += +c.attrs.length;
    else if (c.name === 'entry') {
      out.push({ position, entry: c });
      position += +c.attrs.out - +c.attrs.in + 1;
    }
  }
  return out;
}

/**
 * Checks each track of the file against the timeline layer it plays: every clip at its timeline
 * position, `in` = offset, inclusive `out` (out − in + 1 = dur), a timewarp producer exactly for
 * speed ≠ 1, producers long enough for their entries, and the stream selection of the kind.
 */
function checkTracks(c: SyntheticCase, tracks: FileTrack[], byId: Map<string, El>, writer: 'shotcut' | 'kdenlive'): void {
  const tl = c.timeline;
  const info = [...c.sources.values()][0];
  assert.equal(tracks.filter((t) => t.kind === 'video').length, tl.v.length, 'one video track per video layer');
  assert.equal(tracks.filter((t) => t.kind === 'audio').length, tl.a.length, 'one audio track per audio layer');
  const seenAudioLayers = new Set<number>();
  let videoLayer = 0;
  for (const track of tracks) {
    const entries = entriesOf(track.playlist);
    assert.ok(entries.length > 0, 'track has clips');
    let layer: Clip[];
    if (track.kind === 'audio') {
      // Which stream the track plays, from its producers' audio_index (a container index).
      const indexes = new Set(entries.map((e) => prop(byId.get(e.entry.attrs.producer)!, 'audio_index')));
      assert.equal(indexes.size, 1, 'all clips of an audio track play the same stream');
      const stream = info.audio.findIndex((s) => String(s.index) === [...indexes][0]);
      assert.ok(stream >= 0, `audio_index ${[...indexes][0]} is an audio stream of the source`);
      assert.ok(!seenAudioLayers.has(stream), 'each stream has its own track');
      seenAudioLayers.add(stream);
      layer = tl.a[stream];
    } else {
      layer = tl.v[videoLayer++];
    }
    assert.equal(entries.length, layer.length, 'one entry per clip');
    entries.forEach(({ position, entry }, i) => {
      const clip = layer[i];
      const inF = +entry.attrs.in;
      const outF = +entry.attrs.out;
      assert.equal(position, clip.start, `clip ${i} starts at its timeline frame`);
      assert.equal(inF, clip.offset, `clip ${i} in = offset`);
      assert.equal(outF - inF + 1, clip.dur, `clip ${i}: inclusive out gives the clip's duration`);
      const producer = byId.get(entry.attrs.producer)!;
      const p = propsOf(producer);
      assert.ok(+p.get('length')! > outF, `producer ${producer.attrs.id} is long enough for out=${outF}`);
      assert.equal(+producer.attrs.out, +p.get('length')! - 1, 'producer out = length − 1');
      if (clip.speed === 1) {
        assert.equal(producer.name, 'chain');
        assert.equal(p.get('mlt_service'), 'avformat-novalidate');
        assert.equal(p.get('resource'), mltResource(clip.src));
      } else {
        assert.equal(producer.name, 'producer');
        assert.equal(p.get('mlt_service'), 'timewarp', 'speed change is a timewarp producer');
        assert.equal(p.get('resource'), `${clip.speed}:${mltResource(clip.src)}`);
        assert.equal(+p.get('warp_speed')!, clip.speed);
        assert.equal(p.get('warp_resource'), mltResource(clip.src));
        assert.equal(p.get('warp_pitch'), '1', 'speed keeps pitch, like tacet renders it');
      }
      const resource = p.get('warp_resource') ?? p.get('resource')!;
      assert.match(resource, /^(\/|[A-Za-z]:\/|\/\/)/, 'absolute path');
      if (track.kind === 'audio') {
        assert.equal(p.get('astream'), String(clip.stream), 'astream is the rank among audio streams');
        if (writer === 'shotcut') assert.equal(p.get('video_index'), '-1', 'audio clip has its video off');
        else assert.equal(p.get('set.test_image'), '1', 'Kdenlive audio producer has its image off');
      } else {
        if (writer === 'shotcut') assert.equal(p.get('audio_index'), '-1', 'video clip has its audio off');
        else assert.equal(p.get('set.test_audio'), '1', 'Kdenlive video producer has its audio off');
        assert.equal(p.get('video_index'), String(info.video[0].index));
      }
    });
    const end = entries.length ? entries[entries.length - 1].position + layer[layer.length - 1].dur : 0;
    assert.equal(end, timelineLength(tl), 'track ends with the timeline');
  }
}

function checkProfile(root: El, tl: Timeline): void {
  assert.equal(root.name, 'mlt');
  assert.equal(root.attrs.LC_NUMERIC, 'C');
  const profile = root.children.find((c) => c.name === 'profile')!;
  assert.ok(profile, 'has a profile');
  assert.equal(root.children[0], profile, 'profile comes first');
  assert.equal(profile.attrs.frame_rate_num, String(tl.tb.num));
  assert.equal(profile.attrs.frame_rate_den, String(tl.tb.den));
  assert.equal(profile.attrs.width, String(tl.resolution[0]));
  assert.equal(profile.attrs.height, String(tl.resolution[1]));
  assert.equal(+profile.attrs.display_aspect_num / +profile.attrs.display_aspect_den, tl.resolution[0] / tl.resolution[1]);
}

/** Mix transitions from each of `tracks` (tractor track indexes) to the bottom one, so every audio track is heard. */
function checkMixes(tractor: El, tracks: number[]): void {
  const mixed = new Set(
    tractor.children
      .filter((c) => c.name === 'transition' && prop(c, 'mlt_service') === 'mix')
      .map((c) => {
        assert.equal(prop(c, 'a_track'), '0');
        assert.equal(prop(c, 'always_active'), '1');
        assert.equal(prop(c, 'sum'), '1');
        return +prop(c, 'b_track')!;
      }),
  );
  for (const b of tracks) assert.ok(mixed.has(b), `track ${b} is mixed`);
}

function inputOf(c: SyntheticCase): ExportInput {
  return { timeline: c.timeline, sources: c.sources };
}

function checkShotcut(c: SyntheticCase, xml: string): void {
  const root = parse(xml);
  const tl = c.timeline;
  const length = timelineLength(tl);
  checkProfile(root, tl);
  checkIntegerFrames(root);
  const byId = checkDefinedBeforeUse(root);
  assert.equal(root.attrs.producer, 'main_bin');
  assert.equal(prop(byId.get('main_bin')!, 'xml_retain'), '1', 'main_bin is retained (Shotcut playlist)');
  const tractor = root.children[root.children.length - 1];
  assert.equal(tractor.name, 'tractor', 'the timeline tractor is last (what melt plays)');
  assert.equal(prop(tractor, 'shotcut'), '1');
  assert.equal(tractor.attrs.in, '0');
  assert.equal(tractor.attrs.out, String(length - 1), 'tractor out is inclusive');
  const tracks = tractor.children.filter((t) => t.name === 'track');
  assert.equal(tracks[0].attrs.producer, 'background', 'background track at the bottom');
  const bg = byId.get('background')!;
  assert.equal(bg.children.find((e) => e.name === 'entry')!.attrs.out, String(length - 1));
  const fileTracks: FileTrack[] = tracks.slice(1).map((t) => {
    const playlist = byId.get(t.attrs.producer)!;
    const audio = prop(playlist, 'shotcut:audio') === '1';
    assert.ok(audio || prop(playlist, 'shotcut:video') === '1', 'each track is marked video or audio');
    assert.equal(t.attrs.hide, audio ? 'video' : undefined, 'audio tracks hide video');
    assert.match(prop(playlist, 'shotcut:name')!, audio ? /^A\d+$/ : /^V\d+$/);
    return { kind: audio ? 'audio' : 'video', playlist };
  });
  checkTracks(c, fileTracks, byId, 'shotcut');
  // Shotcut mixes every track (a video track may carry a clip's audio).
  checkMixes(
    tractor,
    tracks.map((_, i) => i).slice(1),
  );
}

function checkKdenlive(c: SyntheticCase, xml: string): void {
  const root = parse(xml);
  const tl = c.timeline;
  const length = timelineLength(tl);
  checkProfile(root, tl);
  checkIntegerFrames(root);
  const byId = checkDefinedBeforeUse(root);
  assert.equal(root.attrs.producer, 'main_bin');
  const bin = byId.get('main_bin')!;
  const docProps = propsOf(bin);
  assert.equal(docProps.get('kdenlive:docproperties.version'), '1.1');
  assert.equal(docProps.get('xml_retain'), '1');
  const uuid = docProps.get('kdenlive:docproperties.uuid')!;
  assert.match(uuid, /^\{[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}$/);
  assert.equal(docProps.get('kdenlive:docproperties.activetimeline'), uuid);

  // Last: the project tractor playing the sequence over the timeline's length.
  const project = root.children[root.children.length - 1];
  assert.equal(project.name, 'tractor');
  assert.equal(prop(project, 'kdenlive:projectTractor'), '1');
  const projectTrack = project.children.find((e) => e.name === 'track')!;
  assert.deepEqual([projectTrack.attrs.producer, projectTrack.attrs.in, projectTrack.attrs.out], [uuid, '0', String(length - 1)]);
  assert.equal(project.attrs.out, String(length - 1));

  const sequence = byId.get(uuid)!;
  assert.equal(prop(sequence, 'kdenlive:uuid'), uuid);
  assert.equal(prop(sequence, 'kdenlive:producer_type'), '17', 'the sequence is a Timeline clip');
  assert.equal(sequence.attrs.out, String(length - 1));
  assert.ok(
    bin.children.some((e) => e.name === 'entry' && e.attrs.producer === uuid),
    'the sequence is in the bin',
  );
  const seqTracks = sequence.children.filter((t) => t.name === 'track');
  const black = byId.get(seqTracks[0].attrs.producer)!;
  assert.equal(prop(black, 'kdenlive:playlistid'), 'black_track', 'black track at the bottom');
  const fileTracks: FileTrack[] = seqTracks.slice(1).map((t) => {
    const trackTractor = byId.get(t.attrs.producer)!;
    assert.equal(trackTractor.name, 'tractor', 'each Kdenlive track is a tractor');
    const inner = trackTractor.children.filter((e) => e.name === 'track');
    assert.equal(inner.length, 2, 'two playlists per track, as Kdenlive writes');
    const audio = prop(trackTractor, 'kdenlive:audio_track') === '1';
    for (const i of inner) assert.equal(i.attrs.hide, audio ? 'video' : 'audio');
    return { kind: audio ? 'audio' : 'video', playlist: byId.get(inner[0].attrs.producer)! };
  });
  // Kdenlive stacks audio tracks bottom up: the first stream's track (A1) is the topmost audio one.
  const kinds = fileTracks.map((t) => t.kind);
  assert.deepEqual(kinds, [...kinds].sort(), 'audio tracks below video tracks');
  checkTracks(c, fileTracks, byId, 'kdenlive');
  const audioTracks = fileTracks.filter((t) => t.kind === 'audio');
  audioTracks.forEach((t, i) => {
    const producer = byId.get(entriesOf(t.playlist)[0].entry.attrs.producer)!;
    assert.equal(prop(producer, 'astream'), String(audioTracks.length - 1 - i), 'last stream lowest');
  });
  // Kdenlive mixes its audio tracks; video tracks have their audio off.
  checkMixes(
    sequence,
    fileTracks.flatMap((t, i) => (t.kind === 'audio' ? [i + 1] : [])),
  );

  // Every entry names the bin clip it comes from.
  const binIds = new Set(bin.children.filter((e) => e.name === 'entry').map((e) => prop(byId.get(e.attrs.producer)!, 'kdenlive:id')));
  for (const t of fileTracks) for (const { entry } of entriesOf(t.playlist)) assert.ok(binIds.has(prop(entry, 'kdenlive:id')), 'entry kdenlive:id is a bin clip');

  // Groups point at clips that exist (track index counted above the black track).
  const groups = JSON.parse(prop(sequence, 'kdenlive:sequenceproperties.groups')!) as Array<{ type: string; children: Array<{ data: string }> }>;
  const starts = fileTracks.map((t) => new Set(entriesOf(t.playlist).map((e) => e.position)));
  for (const g of groups) {
    assert.ok(g.children.length > 1);
    for (const leaf of g.children) {
      const [track, pos] = leaf.data.split(':').map(Number);
      assert.ok(starts[track]?.has(pos), `group leaf ${leaf.data} is a clip`);
    }
  }
  if (tl.v.length && tl.a.length) assert.equal(groups.length, tl.v[0].length, 'each clip groups its video and audio parts');
}

// ---------------------------------------------------------------------------------------------

const WRITERS: Array<{ name: 'shotcut' | 'kdenlive'; ext: string; write: Exporter; check: (c: SyntheticCase, xml: string) => void }> = [
  { name: 'shotcut', ext: 'mlt', write: writeShotcut, check: checkShotcut },
  { name: 'kdenlive', ext: 'kdenlive', write: writeKdenlive, check: checkKdenlive },
];

for (const w of WRITERS) {
  describe(`${w.name} writer on synthetic timelines`, () => {
    for (const c of syntheticCases()) {
      it(`${c.name}: structure`, () => {
        const xml = w.write(inputOf(c), {});
        assert.ok(xml.startsWith('<?xml version="1.0" encoding="utf-8"?>\n'));
        w.check(c, xml);
      });

      it(`${c.name}: golden file`, () => {
        const xml = w.write(inputOf(c), {});
        const file = join(GOLDEN, `${c.name}.${w.ext}`);
        if (process.env.UPDATE_GOLDEN) {
          mkdirSync(GOLDEN, { recursive: true });
          writeFileSync(file, xml);
        }
        assert.ok(existsSync(file), `missing golden file ${file}: run the tests with UPDATE_GOLDEN=1 and review it`);
        assert.equal(canonical(xml), canonical(readFileSync(file, 'utf8')), `${file} differs (UPDATE_GOLDEN=1 rewrites it)`);
      });
    }
  });
}

describe('MLT writers: details', () => {
  const speedCase = () => syntheticCases().find((c) => c.name === 'ntsc60-speed-1.5')!;

  it('is deterministic (same timeline, same bytes, same Kdenlive uuid)', () => {
    for (const w of WRITERS) assert.equal(w.write(inputOf(speedCase()), {}), w.write(inputOf(speedCase()), {}));
  });

  it('writes the 1.5x clip as timewarp frames: in = offset, source frame = in × speed', () => {
    const c = speedCase();
    const clip = c.timeline.v[0][1];
    assert.equal(clip.speed, 1.5);
    for (const w of WRITERS) {
      const root = parse(w.write(inputOf(c), {}));
      const byId = checkDefinedBeforeUse(root);
      const warped = walk(root).filter((e) => e.name === 'entry' && byId.get(e.attrs.producer)?.name === 'producer' && prop(byId.get(e.attrs.producer)!, 'mlt_service') === 'timewarp');
      assert.equal(warped.length, 1 + c.timeline.a.length, `${w.name}: the speed clip on every track`);
      for (const e of warped) {
        assert.equal(+e.attrs.in, clip.offset);
        assert.equal(+e.attrs.in * 1.5, 120, 'starts at source frame 120');
        assert.equal(+e.attrs.out - +e.attrs.in + 1, clip.dur);
      }
    }
  });

  it('lets the pitch follow (warp_pitch=0) only for a varispeed clip', () => {
    const c = speedCase();
    // `varispeed` is an optional part of a clip's speed whose pitch follows it; set structurally so
    // this test does not depend on the field being declared.
    for (const layer of [...c.timeline.v, ...c.timeline.a]) Object.assign(layer[1], { varispeed: 1.5 });
    for (const w of WRITERS) {
      const root = parse(w.write(inputOf(c), {}));
      const warps = walk(root).filter((e) => e.name === 'producer' && prop(e, 'mlt_service') === 'timewarp');
      assert.ok(warps.length > 0);
      for (const p of warps) assert.equal(prop(p, 'warp_pitch'), '0', w.name);
    }
  });

  it('keeps awkward and Windows paths exact (forward slashes on Windows, as Qt stores them)', () => {
    for (const c of syntheticCases().filter((x) => x.name === 'windows-path' || x.name.includes('awkward'))) {
      const src = [...c.sources.keys()][0];
      for (const w of WRITERS) {
        const root = parse(w.write(inputOf(c), {}));
        const resources = walk(root)
          .filter((e) => e.name === 'property' && e.attrs.name === 'resource' && e.text !== 'black' && !e.text.startsWith('#'))
          .map((e) => e.text.replace(/^1\.5:/, ''));
        assert.ok(resources.length > 0);
        for (const r of resources) assert.equal(r, mltResource(src));
      }
    }
    assert.equal(mltResource('C:\\Users\\Zoë\\Videos\\take #2.mp4'), 'C:/Users/Zoë/Videos/take #2.mp4');
    assert.equal(mltResource('\\\\server\\share\\a b.mp4'), '//server/share/a b.mp4');
    assert.equal(mltResource('/media/My Talk #1 100% — été.mp4'), '/media/My Talk #1 100% — été.mp4');
    const win = syntheticCases().find((x) => x.name === 'windows-path')!;
    assert.equal(parse(writeKdenlive(inputOf(win), {})).attrs.root, 'C:/Users/Zoë/Videos');
  });

  it('escapes XML in paths and names', () => {
    const path = '/media/a & b <c> "d" \'e\'.mp4';
    const info = fakeInfo(path, { seconds: 10, audio: [{ channels: 2, sampleRate: 48000 }] });
    const tl: Timeline = {
      tb: rational(30),
      background: '#000000',
      resolution: [1280, 720],
      sampleRate: 48000,
      layout: 'stereo',
      langs: ['eng'],
      v: [layClips(path, [[0, 30]])],
      a: [layClips(path, [[0, 30]])],
    };
    for (const w of WRITERS) {
      const root = parse(w.write({ timeline: tl, sources: new Map([[path, info]]), name: 'x & "y"' }, {}));
      assert.ok(walk(root).some((e) => e.name === 'property' && e.attrs.name === 'resource' && e.text === path));
    }
  });

  it('puts a volume filter on clips whose gain is not 1', () => {
    const c = syntheticCases().find((x) => x.name === 'ntsc-mono')!;
    c.timeline.a[0][1].volume = 0.5;
    c.timeline.v[0][1].volume = 0.5;
    for (const w of WRITERS) {
      const root = parse(w.write(inputOf(c), {}));
      const filters = walk(root).filter((e) => e.name === 'filter' && prop(e, 'mlt_service') === 'volume' && prop(e, 'level') !== undefined);
      assert.equal(filters.length, 2, `${w.name}: one per part of the clip`);
      for (const f of filters) assert.ok(Math.abs(+prop(f, 'level')! - 20 * Math.log10(0.5)) < 1e-9);
    }
  });

  it('writes gaps as blanks and keeps later clips at their frames', () => {
    const c = syntheticCases().find((x) => x.name === 'ntsc-mono')!;
    for (const layer of [...c.timeline.v, ...c.timeline.a]) layer.forEach((clip, i) => (clip.start += 10 * (i + 1)));
    for (const w of WRITERS) {
      const root = parse(w.write(inputOf(c), {}));
      const byId = checkDefinedBeforeUse(root);
      const blanks = walk(root).filter((e) => e.name === 'blank');
      assert.equal(blanks.length, 3 * 2, `${w.name}: one blank before each clip on each track`);
      assert.ok(blanks.every((b) => b.attrs.length === '10'));
      const tractor = w.name === 'shotcut' ? root.children[root.children.length - 1] : byId.get(prop(byId.get('main_bin')!, 'kdenlive:docproperties.uuid')!)!;
      assert.equal(tractor.attrs.out, String(timelineLength(c.timeline) - 1));
    }
  });

  it('audio-only timelines have no video track and still render over the background', () => {
    const c = syntheticCases().find((x) => x.name === 'audio-only-stereo')!;
    assert.equal(c.timeline.v.length, 0);
    const shot = parse(writeShotcut(inputOf(c), {}));
    const tractor = shot.children[shot.children.length - 1];
    assert.equal(tractor.children.filter((t) => t.name === 'track').length, 2, 'background + A1');
  });

  it('rejects what MLT cannot express', () => {
    const base = () => syntheticCases().find((x) => x.name === 'ntsc-mono')!;
    const empty = base();
    empty.timeline.v = [[]];
    empty.timeline.a = [[]];
    const overlap = base();
    overlap.timeline.v[0][1].start -= 5;
    const missing = base();
    missing.sources = new Map();
    const noStream = base();
    noStream.timeline.a[0][0].stream = 3;
    for (const w of WRITERS) {
      assert.throws(() => w.write(inputOf(empty), {}), UserError);
      assert.throws(() => w.write(inputOf(overlap), {}), /overlap/);
      assert.throws(() => w.write(inputOf(missing), {}), /no media information/);
      assert.throws(() => w.write(inputOf(noStream), {}), /no audio stream 3/);
    }
  });

  it('names the project after the first source unless a name is given', () => {
    const c = speedCase();
    assert.equal(parse(writeShotcut(inputOf(c), {})).attrs.title, 'game');
    const k = parse(writeKdenlive({ ...inputOf(c), name: 'My cut' }, {}));
    const seq = walk(k).find((e) => e.name === 'tractor' && prop(e, 'kdenlive:producer_type') === '17')!;
    assert.equal(prop(seq, 'kdenlive:clipname'), 'My cut');
  });
});
