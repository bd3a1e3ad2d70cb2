// FCP7 xmeml writers (premiere, resolve-fcp7) and the importer: structural checks for every synthetic
// timeline, element order against files written by Premiere and Resolve, golden files, and round
// trips. Golden files: UPDATE_GOLDEN=1 node --test dist/test/unit/export-xmeml.test.js
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { UserError } from '../../src/errors.js';
import { fileUrl } from '../../src/export/paths.js';
import type { ExportInput, Exporter } from '../../src/export/types.js';
import { writePremiere, writeResolveFcp7, xmemlRate } from '../../src/export/xmeml.js';
import { pathFromUrl, readXmeml } from '../../src/import/xmeml.js';
import type { Clip, Timeline } from '../../src/timeline/model.js';
import { rational, ratToString } from '../../src/timeline/rational.js';
import { type SyntheticCase, syntheticCases } from '../helpers/timelines.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const GOLDEN = join(ROOT, 'test', 'golden', 'xmeml');
const SAMPLES = join(ROOT, '..', 'shared', 'formats', 'samples');
const hasSamples = existsSync(SAMPLES);

// ---------------------------------------------------------------------------------------------
// A small ordered DOM over fast-xml-parser's preserveOrder output
// ---------------------------------------------------------------------------------------------

interface El {
  tag: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
  parent: El | null;
}

function parseDom(xml: string): El {
  const valid = XMLValidator.validate(xml);
  assert.equal(valid, true, `not well-formed: ${JSON.stringify(valid)}`);
  const raw = new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: '', parseTagValue: false, trimValues: true }).parse(xml) as unknown[];
  const build = (node: Record<string, unknown>, parent: El | null): El | null => {
    const tag = Object.keys(node).find((k) => k !== ':@');
    if (!tag || tag === '#text' || tag.startsWith('?') || tag.startsWith('!')) return null;
    const el: El = { tag, attrs: (node[':@'] as Record<string, string>) ?? {}, children: [], text: '', parent };
    for (const child of node[tag] as Record<string, unknown>[]) {
      if ('#text' in child) el.text += String(child['#text']);
      else {
        const c = build(child, el);
        if (c) el.children.push(c);
      }
    }
    return el;
  };
  const roots = raw.map((n) => build(n as Record<string, unknown>, null)).filter((e): e is El => e !== null);
  assert.equal(roots.length, 1);
  return roots[0];
}

function all(el: El, tag: string, out: El[] = []): El[] {
  for (const c of el.children) {
    if (c.tag === tag) out.push(c);
    all(c, tag, out);
  }
  return out;
}

const kids = (el: El, tag: string): El[] => el.children.filter((c) => c.tag === tag);
const kid = (el: El, tag: string): El | undefined => el.children.find((c) => c.tag === tag);
const val = (el: El, tag: string): string => {
  const c = kid(el, tag);
  assert.ok(c, `<${el.tag}> has no <${tag}>`);
  return c.text;
};
const int = (el: El, tag: string): number => {
  const t = val(el, tag);
  assert.match(t, /^-?\d+$/, `<${tag}> is "${t}"`);
  return Number(t);
};

function pathOf(el: El): string {
  const parts: string[] = [];
  for (let e: El | null = el; e; e = e.parent) parts.unshift(e.tag);
  return '/' + parts.join('/');
}

/** Canonical text: one element per line, attributes sorted, indentation and quoting normalised. */
function canonical(xml: string): string {
  const lines: string[] = [];
  const walk = (el: El, depth: number): void => {
    const attrs = Object.keys(el.attrs)
      .sort()
      .map((k) => ` ${k}=${JSON.stringify(el.attrs[k])}`)
      .join('');
    lines.push(`${'  '.repeat(depth)}<${el.tag}${attrs}>${el.text ? JSON.stringify(el.text) : ''}`);
    for (const c of el.children) walk(c, depth + 1);
  };
  walk(parseDom(xml), 0);
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// Cases
// ---------------------------------------------------------------------------------------------

const variants: Array<[string, Exporter]> = [
  ['premiere', writePremiere],
  ['resolve-fcp7', writeResolveFcp7],
];

/** Independent expectation for each synthetic timebase (not computed by the code under test). */
const EXPECTED_RATE: Record<string, [string, string]> = {
  '30/1': ['30', 'FALSE'],
  '25/1': ['25', 'FALSE'],
  '30000/1001': ['30', 'TRUE'],
  '60000/1001': ['60', 'TRUE'],
};

function inputOf(c: SyntheticCase, extracted = false): ExportInput {
  const input: ExportInput = { timeline: c.timeline, sources: c.sources };
  if (extracted) {
    input.extractedAudio = new Map();
    for (const [src, info] of c.sources) {
      for (let s = 1; s < info.audio.length; s++) input.extractedAudio.set(`${src}#${s}`, `/work/out/${src.split(/[\\/]/).pop()}_tracks/${s}.wav`);
    }
  }
  return input;
}

function source(c: SyntheticCase): string {
  return [...c.sources.keys()][0];
}

/** Checks every rule that holds for both dialects and returns the parsed document. */
function checkCommon(xml: string, c: SyntheticCase): El {
  assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<!DOCTYPE xmeml>\n<xmeml version="5">/);
  const root = parseDom(xml);
  assert.equal(root.tag, 'xmeml');
  const sequences = kids(root, 'sequence');
  assert.equal(sequences.length, 1);
  const seq = sequences[0];
  const tl = c.timeline;

  // Every <rate> is the sequence rate, with the NTSC flag found by exact rational comparison.
  const [timebase, ntsc] = EXPECTED_RATE[ratToString(tl.tb)];
  const rates = all(root, 'rate');
  assert.ok(rates.length > 3);
  for (const r of rates) assert.deepEqual([val(r, 'timebase'), val(r, 'ntsc')], [timebase, ntsc], pathOf(r));

  let length = 0;
  for (const layer of [...tl.v, ...tl.a]) for (const clip of layer) length = Math.max(length, clip.start + clip.dur);
  assert.equal(int(seq, 'duration'), length);

  // Clipitem ids are unique across all tracks.
  const items = all(root, 'clipitem');
  const ids = items.map((i) => i.attrs.id);
  assert.ok(ids.every((id) => typeof id === 'string' && id.length > 0));
  assert.equal(new Set(ids).size, ids.length, 'clipitem ids repeat');
  const byId = new Map(items.map((i) => [i.attrs.id, i]));

  // Every link resolves; link groups are symmetric and hold at most one video clip.
  for (const item of items) {
    const refs = kids(item, 'link').map((l) => val(l, 'linkclipref'));
    if (refs.length === 0) continue;
    assert.ok(refs.includes(item.attrs.id), `${item.attrs.id} does not list itself`);
    for (const ref of refs) {
      const other = byId.get(ref);
      assert.ok(other, `link to missing clipitem ${ref}`);
      assert.deepEqual(
        kids(other, 'link').map((l) => val(l, 'linkclipref')),
        refs,
        `links of ${ref} and ${item.attrs.id} differ`,
      );
      assert.equal(val(other, 'start'), val(item, 'start'), 'linked clips start together');
      assert.equal(val(other, 'end'), val(item, 'end'), 'linked clips end together');
    }
    const videoCount = refs.filter((r) => pathOf(byId.get(r)!).includes('/video/')).length;
    assert.ok(videoCount <= 1);
  }

  // end − start == out − in unless the clip has a speed effect (assertTrackClips checks the
  // speed clips against the timeline).
  for (const item of items) {
    if (all(item, 'effect').some((e) => val(e, 'effectid') === 'timeremap')) continue;
    assert.equal(int(item, 'end') - int(item, 'start'), int(item, 'out') - int(item, 'in'), item.attrs.id);
  }

  // Each <file> is defined in full exactly once, at its first use; later uses are references.
  const files = all(root, 'file');
  const seen = new Set<string>();
  for (const f of files) {
    const id = f.attrs.id;
    assert.ok(id, 'file without id');
    if (seen.has(id)) {
      assert.equal(f.children.length, 0, `file ${id} defined twice`);
      continue;
    }
    seen.add(id);
    assert.ok(f.children.length > 0, `file ${id} is referenced before it is defined`);
    for (const tag of ['name', 'pathurl', 'rate', 'duration', 'media']) assert.ok(kid(f, tag), `file ${id} lacks <${tag}>`);
    const path = pathFromUrl(val(f, 'pathurl'), '/');
    assert.equal(val(f, 'pathurl'), fileUrl(path));
    assert.equal(val(f, 'name'), path.split(/[\\/]/).pop());
  }
  assert.ok(seen.size >= 1);
  const src = source(c);
  const srcFile = files.find((f) => kid(f, 'pathurl')?.text === fileUrl(src));
  assert.ok(srcFile, 'source file element');
  // One <audio> per source stream, with its channel count.
  const info = c.sources.get(src)!;
  assert.deepEqual(
    kids(kid(srcFile, 'media')!, 'audio').map((a) => int(a, 'channelcount')),
    info.audio.map((a) => a.channels),
  );

  // Video: one track per video layer, the layer's clips in order.
  const media = kid(seq, 'media')!;
  const vtracks = kids(kid(media, 'video')!, 'track');
  assert.equal(vtracks.length, tl.v.length);
  tl.v.forEach((layer, i) => assertTrackClips(vtracks[i], layer));
  return root;
}

/** A track holds the layer's clips in order, with the speed filter exactly on the sped-up ones. */
function assertTrackClips(track: El, layer: Clip[]): void {
  const items = kids(track, 'clipitem');
  assert.equal(items.length, layer.length);
  items.forEach((item, j) => {
    const c = layer[j];
    assert.deepEqual(
      [int(item, 'start'), int(item, 'end'), int(item, 'in'), int(item, 'out')],
      [c.start, c.start + c.dur, c.offset, c.offset + c.dur],
    );
    const remaps = all(item, 'effect').filter((e) => val(e, 'effectid') === 'timeremap');
    assert.equal(remaps.length, c.speed === 1 ? 0 : 1);
    if (c.speed !== 1) {
      const speed = all(remaps[0], 'parameter').find((p) => val(p, 'parameterid') === 'speed')!;
      assert.equal(Number(val(speed, 'value')), c.speed * 100);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('xmemlRate', () => {
  it('detects NTSC rates by exact rational equality', () => {
    assert.deepEqual(xmemlRate(rational(30000, 1001)), { timebase: 30, ntsc: true });
    assert.deepEqual(xmemlRate(rational(60000, 1001)), { timebase: 60, ntsc: true });
    assert.deepEqual(xmemlRate(rational(24000, 1001)), { timebase: 24, ntsc: true });
    assert.deepEqual(xmemlRate(rational(120000, 1001)), { timebase: 120, ntsc: true });
    assert.deepEqual(xmemlRate(rational(30, 1)), { timebase: 30, ntsc: false });
    assert.deepEqual(xmemlRate(rational(25, 1)), { timebase: 25, ntsc: false });
    // auto-editor's extra rule: N × 0.999 for N other than 24, 30, 60.
    assert.deepEqual(xmemlRate(rational(47952, 1000)), { timebase: 48, ntsc: true });
  });
  it('refuses rates xmeml cannot describe', () => {
    for (const tb of [rational(2997, 100), rational(25, 2), rational(5994, 100), rational(23976, 1000)]) {
      assert.throws(() => xmemlRate(tb), UserError, ratToString(tb));
    }
  });
  it('a writer refuses such a timeline too', () => {
    const c = syntheticCases()[1];
    c.timeline.tb = rational(2997, 100);
    assert.throws(() => writePremiere(inputOf(c), {}), /NTSC/);
  });
});

for (const [variant, write] of variants) {
  describe(`${variant} export`, () => {
    for (const c of syntheticCases()) {
      it(`${c.name}: structure`, () => {
        const xml = write(inputOf(c, variant === 'resolve-fcp7'), {});
        const root = checkCommon(xml, c);
        const seq = kid(root, 'sequence')!;
        const atracks = kids(kid(kid(seq, 'media')!, 'audio')!, 'track');
        const info = c.sources.get(source(c))!;
        if (variant === 'premiere') {
          assert.equal(seq.attrs.explodedTracks, 'true');
          // Stereo: an exploded pair; mono: one Mono track; each stream its own tracks.
          const expected = info.audio.flatMap((a, s) =>
            a.channels >= 2
              ? [
                  { s, index: '0', count: '2', type: 'Stereo', ch: 'stereo' },
                  { s, index: '1', count: '2', type: 'Stereo', ch: 'stereo' },
                ]
              : [{ s, index: '0', count: '1', type: 'Mono', ch: 'mono' }],
          );
          assert.equal(atracks.length, expected.length);
          let channel = 0;
          atracks.forEach((t, k) => {
            const e = expected[k];
            assert.deepEqual(
              [t.attrs.currentExplodedTrackIndex, t.attrs.totalExplodedTrackCount, t.attrs.premiereTrackType],
              [e.index, e.count, e.type],
            );
            assertTrackClips(t, c.timeline.a[e.s]);
            channel++;
            for (const item of kids(t, 'clipitem')) {
              assert.equal(item.attrs.premiereChannelType, e.ch);
              // sourcetrack numbers the file's channels across streams.
              assert.equal(int(kid(item, 'sourcetrack')!, 'trackindex'), channel);
            }
            const out = kid(t, 'outputchannelindex');
            if (e.type === 'Stereo' && c.timeline.v.length > 0) assert.equal(out?.text, String(Number(e.index) + 1));
            else assert.equal(out, undefined);
          });
          // Premiere link details point at the clip they name.
          const items = all(root, 'clipitem');
          const trackOf = new Map<string, { type: string; track: number; clip: number }>();
          for (const type of ['video', 'audio']) {
            kids(kid(kid(seq, 'media')!, type)!, 'track').forEach((t, ti) =>
              kids(t, 'clipitem').forEach((ci, k) => trackOf.set(ci.attrs.id, { type, track: ti + 1, clip: k + 1 })),
            );
          }
          for (const item of items) {
            for (const link of kids(item, 'link')) {
              const where = trackOf.get(val(link, 'linkclipref'))!;
              assert.deepEqual([val(link, 'mediatype'), int(link, 'trackindex'), int(link, 'clipindex')], [where.type, where.track, where.clip]);
              assert.equal(kid(link, 'groupindex') !== undefined, where.type === 'audio');
            }
          }
          // With video, every clip is linked to one clip on every audio track.
          if (c.timeline.v.length > 0) {
            for (const item of items) assert.equal(kids(item, 'link').length, 1 + atracks.length);
          }
        } else {
          assert.equal(seq.attrs.explodedTracks, undefined);
          // One track per audio stream; streams after the first play the extracted WAVs.
          assert.equal(atracks.length, c.timeline.a.length);
          atracks.forEach((t, s) => {
            assertTrackClips(t, c.timeline.a[s]);
            for (const item of kids(t, 'clipitem')) assert.equal(int(kid(item, 'sourcetrack')!, 'trackindex'), 1);
            const fileIds = new Set(kids(t, 'clipitem').map((ci) => kid(ci, 'file')!.attrs.id));
            assert.equal(fileIds.size, 1);
            const def = all(root, 'file').find((f) => f.attrs.id === [...fileIds][0] && f.children.length > 0)!;
            const path = pathFromUrl(val(def, 'pathurl'), '/');
            if (s === 0) assert.equal(path, source(c));
            else assert.match(path, new RegExp(`_tracks/${s}\\.wav$`));
          });
          if (c.timeline.v.length > 0) {
            for (const item of all(root, 'clipitem')) assert.equal(kids(item, 'link').length, 1 + atracks.length);
          }
        }
      });

      it(`${c.name}: golden file`, () => {
        // The golden file is the export itself, so it can be opened in an editor; it is compared
        // after canonicalisation (indentation, attribute order and quoting do not matter).
        const xml = write(inputOf(c, variant === 'resolve-fcp7'), {});
        const file = join(GOLDEN, `${c.name}.${variant}.xml`);
        if (process.env.UPDATE_GOLDEN === '1') {
          mkdirSync(GOLDEN, { recursive: true });
          writeFileSync(file, xml);
        }
        assert.ok(existsSync(file), `missing golden file ${file} (run with UPDATE_GOLDEN=1 once)`);
        assert.equal(canonical(xml), canonical(readFileSync(file, 'utf8')));
      });
    }

    it('name= sets the sequence name; other attributes are errors', () => {
      const c = syntheticCases()[0];
      const seqName = (xml: string): string => val(kid(parseDom(xml), 'sequence')!, 'name');
      assert.equal(seqName(write(inputOf(c), { name: 'Cut <1> & "two"' })), 'Cut <1> & "two"');
      assert.equal(seqName(write({ ...inputOf(c), name: 'From input' }, {})), 'From input');
      assert.equal(seqName(write(inputOf(c), {})), 'My Talk #1 100% — été');
      assert.equal(seqName(write(inputOf(c), { version: '10' })), 'My Talk #1 100% — été');
      assert.throws(() => write(inputOf(c), { colour: 'red' }), UserError);
    });

    it('writes gain as an Audio Levels filter on audio clips only', () => {
      const c = syntheticCases()[1];
      for (const layer of [...c.timeline.v, ...c.timeline.a]) for (const clip of layer) clip.volume = 0.5;
      const root = parseDom(write(inputOf(c), {}));
      const levels = all(root, 'effect').filter((e) => val(e, 'effectid') === 'audiolevels');
      assert.equal(levels.length, c.timeline.a[0].length);
      for (const e of levels) {
        assert.ok(pathOf(e).includes('/audio/track/clipitem/filter'));
        assert.equal(val(kid(e, 'parameter')!, 'value'), '0.5');
      }
    });
  });
}

describe('sources beyond the simple case', () => {
  it('two sources on one timeline: each file defined once, links stay within a source', () => {
    const [a, b] = [syntheticCases()[0], syntheticCases()[5]];
    const tl = a.timeline;
    const end = tl.v[0][tl.v[0].length - 1].start + tl.v[0][tl.v[0].length - 1].dur;
    const extra = b.timeline.v[0].map((c) => ({ ...c, start: c.start + end }));
    tl.v[0].push(...extra);
    tl.a[0].push(...b.timeline.a[0].map((c) => ({ ...c, start: c.start + end })));
    const sources = new Map([...a.sources, ...b.sources]);
    for (const [, write] of variants) {
      const root = parseDom(write({ timeline: tl, sources }, {}));
      const defined = all(root, 'file').filter((f) => f.children.length > 0);
      assert.deepEqual(
        defined.map((f) => pathFromUrl(val(f, 'pathurl'), '/')),
        [source(a), source(b)],
      );
      const byId = new Map(all(root, 'clipitem').map((i) => [i.attrs.id, i]));
      for (const item of byId.values()) {
        for (const l of kids(item, 'link')) assert.equal(kid(byId.get(val(l, 'linkclipref'))!, 'name')!.text, kid(item, 'name')!.text);
      }
    }
    const back = readXmeml(writePremiere({ timeline: tl, sources }, {}), '/');
    assert.deepEqual(comparable(back.timeline), comparable(tl));
    assert.deepEqual(back.sources, [source(a), source(b)]);
  });

  it('a source without MediaInfo is described from the timeline (stereo assumed)', () => {
    const c = syntheticCases()[2];
    const root = parseDom(writePremiere({ timeline: c.timeline, sources: new Map() }, {}));
    const file = all(root, 'file').find((f) => f.children.length > 0)!;
    assert.deepEqual(kids(kid(file, 'media')!, 'audio').map((a) => int(a, 'channelcount')), [2, 2]);
    assert.ok(kid(kid(file, 'media')!, 'video'));
    const back = readXmeml(writePremiere({ timeline: c.timeline, sources: new Map() }, {}), '/');
    assert.deepEqual(comparable(back.timeline), comparable(c.timeline));
  });
});

describe('readXmeml details', () => {
  it('byte-order mark, character references, inline file, relative path', () => {
    const xml =
      '\uFEFF<?xml version="1.0"?><xmeml version="5"><sequence><rate><timebase>25</timebase></rate><media><video><track>' +
      '<clipitem id="a"><start>0</start><end>10</end><in>5</in><out>15</out><file><pathurl>file:///m/&#233;t&#xE9; &amp; co.mp4</pathurl></file></clipitem>' +
      '<clipitem id="b"><start>10</start><end>20</end><in>0</in><out>10</out><file id="f"><pathurl>clips/b.mov</pathurl></file></clipitem>' +
      '<clipitem id="c"><enabled>FALSE</enabled><start>20</start><end>30</end><in>0</in><out>10</out><file id="f"/></clipitem>' +
      '</track></video></media></sequence></xmeml>';
    const { timeline, sources, warnings } = readXmeml(xml, '/proj');
    assert.deepEqual(sources, ['/m/été & co.mp4', '/proj/clips/b.mov']);
    assert.deepEqual(timeline.v[0].map((c) => [c.start, c.dur, c.offset]), [
      [0, 10, 5],
      [10, 10, 0],
    ]);
    assert.deepEqual(warnings, []);
    assert.deepEqual([timeline.resolution, timeline.sampleRate, timeline.a], [[1920, 1080], 48000, []]);
  });

  it('NTSC sequence rates', () => {
    for (const [timebase, expected] of [
      ['24', '24000/1001'],
      ['30', '30000/1001'],
      ['60', '60000/1001'],
    ]) {
      const xml =
        `<xmeml version="5"><sequence><rate><timebase>${timebase}</timebase><ntsc>TRUE</ntsc></rate><media><audio><track>` +
        '<clipitem><start>0</start><end>5</end><in>0</in><out>5</out><file id="x"><pathurl>file:///a.wav</pathurl></file></clipitem>' +
        '</track></audio></media></sequence></xmeml>';
      assert.equal(ratToString(readXmeml(xml, '/').timeline.tb), expected);
    }
  });
});

describe('element structure follows editor-written samples', { skip: hasSamples ? false : 'shared/formats/samples is absent' }, () => {
  /** For each element path: the child tags seen there and which tag came before which. */
  interface Shape {
    tags: Set<string>;
    before: Set<string>;
  }
  const shapesOf = (prefix: string): Map<string, Shape> => {
    const shapes = new Map<string, Shape>();
    for (const name of readdirSync(SAMPLES).filter((n) => n.startsWith(prefix) && n.endsWith('.xml'))) {
      const visit = (el: El): void => {
        if (el.children.length === 0) return;
        const p = pathOf(el);
        let s = shapes.get(p);
        if (!s) shapes.set(p, (s = { tags: new Set(), before: new Set() }));
        el.children.forEach((a, i) => {
          s.tags.add(a.tag);
          for (const b of el.children.slice(i + 1)) if (a.tag !== b.tag) s.before.add(`${a.tag}>${b.tag}`);
        });
        el.children.forEach(visit);
      };
      visit(parseDom(readFileSync(join(SAMPLES, name), 'utf8')));
    }
    return shapes;
  };

  /**
   * What we write that the samples happen not to show, each with its reason: the Time Remap
   * parameter's min/max (auto-editor's form, which Premiere imports) and filters on audio clips
   * (FCP7 allows them; they sit between file and sourcetrack, like video clip filters).
   */
  const extras: Record<string, { tags: string[]; before: string[] }> = {
    'clipitem/filter/effect/parameter': { tags: ['valuemin', 'valuemax'], before: [] },
    'audio/track/clipitem': { tags: ['filter'], before: ['file>filter', 'filter>sourcetrack', 'filter>link'] },
  };
  // An audio clip's filter has the shape of a video clip's.
  const lookup = (p: string): string => p.replace('/media/audio/track/clipitem/filter', '/media/video/track/clipitem/filter');

  const check = (xml: string, shapes: Map<string, Shape>, label: string): void => {
    const visit = (el: El): void => {
      if (el.children.length === 0) return;
      const p = pathOf(el);
      const shape = shapes.get(lookup(p));
      assert.ok(shape, `${label}: samples have no element with children at ${p}`);
      const extra = Object.entries(extras).filter(([k]) => p.endsWith(k));
      const allowedTags = new Set([...shape.tags, ...extra.flatMap(([, e]) => e.tags)]);
      const allowedBefore = new Set([...shape.before, ...extra.flatMap(([, e]) => e.before)]);
      el.children.forEach((a, i) => {
        assert.ok(allowedTags.has(a.tag), `${label}: <${a.tag}> is not a child of ${p} in the samples`);
        for (const b of el.children.slice(i + 1)) {
          if (a.tag === b.tag) continue;
          const reversed = allowedBefore.has(`${b.tag}>${a.tag}`) && !allowedBefore.has(`${a.tag}>${b.tag}`);
          assert.ok(!reversed, `${label}: at ${p}, <${a.tag}> comes before <${b.tag}>, unlike the samples`);
        }
      });
      el.children.forEach(visit);
    };
    visit(parseDom(xml));
  };

  const premiereShapes = hasSamples ? shapesOf('premiere-') : new Map<string, Shape>();
  const resolveShapes = hasSamples ? shapesOf('resolve-') : new Map<string, Shape>();
  for (const c of syntheticCases()) {
    it(`${c.name}`, () => {
      for (const clip of c.timeline.a.flat()) clip.volume = 0.8; // exercise audio filters too
      check(writePremiere(inputOf(c), {}), premiereShapes, `premiere ${c.name}`);
      check(writeResolveFcp7(inputOf(c, true), {}), resolveShapes, `resolve-fcp7 ${c.name}`);
    });
  }

  it('the check itself rejects a wrong order', () => {
    const c = syntheticCases()[0];
    const bad = writePremiere(inputOf(c), {}).replace(/(<rate>[^/]*<\/timebase>[^/]*<\/ntsc>\s*<\/rate>)(\s*)(<start>\d+<\/start>)/, '$3$2$1');
    assert.notEqual(bad, writePremiere(inputOf(c), {}));
    assert.throws(() => check(bad, premiereShapes, 'mutated'), /comes before/);
  });
});

function comparable(tl: Timeline, withSampleRate = true): unknown {
  const clip = (c: Clip) => [c.src, c.start, c.dur, c.offset, c.speed, c.stream, c.volume];
  const sr = withSampleRate ? tl.sampleRate : null;
  return { tb: ratToString(tl.tb), v: tl.v.map((l) => l.map(clip)), a: tl.a.map((l) => l.map(clip)), res: tl.resolution, sr };
}

describe('round trip through readXmeml', () => {
  for (const c of syntheticCases()) {
    it(`${c.name}: premiere gives the same clips`, () => {
      for (const clip of c.timeline.a[0] ?? []) clip.volume = 0.25;
      const back = readXmeml(writePremiere(inputOf(c), {}), '/elsewhere');
      assert.deepEqual(comparable(back.timeline), comparable(c.timeline));
      assert.deepEqual(back.sources, [source(c)]);
      assert.deepEqual(back.warnings, []);
      assert.equal(back.timeline.langs.length, c.timeline.a.length);
    });
    it(`${c.name}: resolve-fcp7 gives the same clips (WAVs for later streams)`, () => {
      const plain = readXmeml(writeResolveFcp7(inputOf(c), {}), '/');
      // Resolve's dialect carries no sequence sample rate; everything else comes back.
      assert.deepEqual(comparable(plain.timeline, false), comparable(c.timeline, false));
      const split = readXmeml(writeResolveFcp7(inputOf(c, true), {}), '/');
      split.timeline.a.forEach((layer, s) =>
        layer.forEach((clip, j) => {
          const orig = c.timeline.a[s][j];
          assert.deepEqual([clip.start, clip.dur, clip.offset, clip.speed, clip.stream], [orig.start, orig.dur, orig.offset, orig.speed, 0]);
          assert.equal(clip.src, s === 0 ? orig.src : `/work/out/${orig.src.split(/[\\/]/).pop()}_tracks/${s}.wav`);
        }),
      );
    });
  }
});

describe('readXmeml on editor-written files', { skip: hasSamples ? false : 'shared/formats/samples is absent' }, () => {
  const read = (name: string) => readXmeml(readFileSync(join(SAMPLES, name), 'utf8'), '/proj');

  it('Resolve 60 fps', () => {
    const { timeline: tl, sources, warnings } = read('resolve-xmeml5-60fps.xml');
    assert.equal(ratToString(tl.tb), '60/1');
    assert.deepEqual(tl.resolution, [1920, 1080]);
    assert.equal(tl.v.length, 1);
    assert.equal(tl.a.length, 1);
    assert.equal(tl.v[0].length, tl.a[0].length);
    assert.deepEqual(tl.v[0][0], {
      src: '/Volumes/Mojave/videoschnitt-in-arbeit/AWS Security Fundamentals/2021-04-17_15-01-18.mp4',
      start: 306,
      dur: 122014 - 306,
      offset: 306,
      speed: 1,
      stream: 0,
      volume: 1,
    });
    assert.deepEqual([tl.a[0][1].start, tl.a[0][1].dur, tl.a[0][1].offset], [122014, 171309 - 122014, 181062]);
    assert.equal(sources.length, 1);
    assert.deepEqual(warnings, []);
  });

  it('Resolve 25 fps, several files and Windows paths', () => {
    const { timeline: tl, sources } = read('resolve-xmeml5-25fps-multitrack.xml');
    assert.equal(ratToString(tl.tb), '25/1');
    assert.deepEqual(tl.resolution, [3840, 2160]);
    assert.ok(sources.length > 2);
    assert.equal(tl.v[0][0].src, 'C:\\Users\\eryu\\Videos\\V1-0001_[orion origin] Spy x Family [10] [H265 AAC] [1080p+] [GB]-00.00.00.000-00.00.39.909.mp4');
    assert.ok(tl.a[0].every((c) => c.src === 'D:\\FFOUT\\[orion origin] Spy x Family [10] [H265 AAC] [1080p+] [GB]-00.00.00.000-00.00.39.909.mp4'));
  });

  it('Premiere 30 fps: transitions, clip rates, nested sequences', () => {
    const { timeline: tl, warnings } = read('premiere-xmeml4-30fps-transitions.xml');
    assert.equal(ratToString(tl.tb), '30/1');
    const all = tl.v.flat();
    // clipitem-1: in/out 0–50 at a 15 fps clip rate is 0–100 at the sequence's 30.
    const c1 = all.find((c) => c.start === 536)!;
    assert.deepEqual([c1.src, c1.dur, c1.offset], ['D:\\media\\sc01_sh010_anim.mov', 100, 0]);
    // clipitem-4 ends at a transition (<end>-1): its length comes from in/out.
    const c4 = all.find((c) => c.start === 322)!;
    assert.deepEqual([c4.dur, c4.offset], [235, 0]);
    assert.ok(warnings.some((w) => /nested sequence/.test(w)));
    // Stereo pairs are read once.
    for (const layer of tl.a) assert.ok(layer.every((c) => c.stream === 0));
  });

  it('Premiere 23.976: generated media only (slugs, bars, titles) is nothing to render', () => {
    assert.throws(() => read('premiere-xmeml4-23.976-with-29.97-media-generators.xml'), (e: unknown) => {
      return e instanceof UserError && /nothing to render \(\d+ skipped: .*generated media/.test(e.message);
    });
    // Its rate is read as NTSC 24 once a clip plays a file.
    const xml = readFileSync(join(SAMPLES, 'premiere-xmeml4-23.976-with-29.97-media-generators.xml'), 'utf8').replace(
      '<mediaSource>Slug</mediaSource>',
      '<pathurl>file://localhost/D%3a/slug.mov</pathurl>',
    );
    const { timeline: tl, sources } = readXmeml(xml, '/');
    assert.equal(ratToString(tl.tb), '24000/1001');
    assert.deepEqual(sources, ['D:\\slug.mov']);
  });
});

describe('pathFromUrl', () => {
  it('decodes file URLs from every editor', () => {
    const cases: Array<[string, string]> = [
      ['file:///C:/a%20b/c.mp4', 'C:\\a b\\c.mp4'],
      ['file://localhost/D%3a/media/x.mov', 'D:\\media\\x.mov'],
      ['file://localhost/C:/Users/x/[a]+b.mp4', 'C:\\Users\\x\\[a]+b.mp4'],
      ['file://localhost/Users/me/My%20Talk%20%231.mp4', '/Users/me/My Talk #1.mp4'],
      ['file:///tmp/%C3%A9t%C3%A9%20100%25.mp4', '/tmp/été 100%.mp4'],
      ['file://server/share/x%20y.mp4', '\\\\server\\share\\x y.mp4'],
      ['/abs/plain path.mp4', '/abs/plain path.mp4'],
      ['clips/a.mp4', '/proj/clips/a.mp4'],
    ];
    for (const [url, path] of cases) assert.equal(pathFromUrl(url, '/proj'), path, url);
  });
  it('round-trips fileUrl for awkward and Windows names', () => {
    for (const p of ['/media/My Talk #1 100% — été.mp4', 'C:\\Users\\Zoë\\Videos\\take #2.mp4', '/a/b?c.mp4', '\\\\nas\\share\\x y.mov']) {
      assert.equal(pathFromUrl(fileUrl(p), '/'), p);
    }
  });
  it('rejects broken percent-encoding', () => {
    assert.throws(() => pathFromUrl('file:///a%zz.mp4', '/'), UserError);
  });
});

describe('readXmeml errors', () => {
  const good = writePremiere(inputOf(syntheticCases()[1]), {});
  const cases: Array<[string, string, RegExp]> = [
    ['not XML', 'hello', /not well-formed|xmeml/],
    ['malformed XML', '<xmeml><sequence></xmeml>', /not well-formed.*line 1/],
    ['wrong root', '<?xml version="1.0"?><fcpxml version="1.11"/>', /root element is <fcpxml>/],
    ['no sequence', '<xmeml version="5"><project/></xmeml>', /no <sequence>/],
    ['no rate', good.replace(/<rate>\s*<timebase>30<\/timebase>\s*<ntsc>TRUE<\/ntsc>\s*<\/rate>\s*<name>/, '<name>'), /no <rate>/],
    ['bad timebase', good.replace('<timebase>30</timebase>', '<timebase>29.97</timebase>'), /positive whole number/],
    ['bad start', good.replace('<start>100</start>', '<start>1e2</start>'), /whole number of frames/],
    ['missing in', good.replace('<in>150</in>', ''), /has no <in>/],
    ['end before start', good.replace('<end>350</end>', '<end>50</end>'), /ends .* before it starts/],
    ['undefined file', good.replaceAll('<file id="file-1"/>', '<file id="file-9"/>'), /file "file-9", which the XML never defines/],
    ['broken pathurl', good.replace('file:///media/lecture.mp4', 'file:///media/lec%ture.mp4'), /percent-encoding/],
    ['no media', '<xmeml version="5"><sequence><rate><timebase>25</timebase></rate></sequence></xmeml>', /no <media>/],
    ['no clips', '<xmeml version="5"><sequence><rate><timebase>25</timebase></rate><media><video><track/></video></media></sequence></xmeml>', /no clips/],
  ];
  for (const [name, xml, message] of cases) {
    it(name, () => {
      assert.notEqual(xml, good);
      assert.throws(() => readXmeml(xml, '/'), (e: unknown) => e instanceof UserError && message.test(e.message));
    });
  }

  const speedDoc = writePremiere(inputOf(syntheticCases()[3]), {});
  it('variable speed', () => {
    const xml = speedDoc.replace(/(<parameterid>variablespeed<\/parameterid>[\s\S]*?<value>)0(<\/value>)/, '$11$2');
    assert.throws(() => readXmeml(xml, '/'), /variable speed/);
  });
  it('reverse or zero speed', () => {
    assert.throws(() => readXmeml(speedDoc.replace('<value>150</value>', '<value>-150</value>'), '/'), /positive constant speed/);
    assert.throws(() => readXmeml(speedDoc.replace('<value>150</value>', '<value>0</value>'), '/'), /positive constant speed/);
  });
  it('the speed document reads back as 1.5×', () => {
    assert.ok(readXmeml(speedDoc, '/').timeline.v[0].some((c) => c.speed === 1.5));
  });
});
