// FCPXML writers (final-cut-pro, resolve): DTD validity, structure, speed, multiple audio streams,
// golden files. Validity is checked against Apple's DTDs in ../shared/formats by libxml2
// (xmllint-wasm); that build has no DTD validation, so the DTD is translated rule for rule into
// RelaxNG (element content models, attribute types, enumerations, #REQUIRED/#FIXED) and libxml2
// validates against that. When Java is installed, its DTD-validating parser (Xerces) checks every
// document against the DTD itself as well.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { XMLParser } from 'fast-xml-parser';
import { validateXML } from 'xmllint-wasm';
import { UserError } from '../../src/errors.js';
import { fcpxmlSeconds, writeFinalCutPro, writeResolve } from '../../src/export/fcpxml.js';
import { baseName, fileUrl, isWindowsPath } from '../../src/export/paths.js';
import type { ExportInput } from '../../src/export/types.js';
import type { MediaInfo } from '../../src/media/types.js';
import { type Clip, type Timeline, timelineLength } from '../../src/timeline/model.js';
import { type Rational, rational } from '../../src/timeline/rational.js';
import { fakeInfo, layClips, type SyntheticCase, syntheticCases } from '../helpers/timelines.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const FORMATS = join(ROOT, '..', 'shared', 'formats');
const GOLDEN = join(ROOT, 'test', 'golden', 'fcpxml');
const haveDtds = existsSync(join(FORMATS, 'FCPXMLv1_11.dtd')) && existsSync(join(FORMATS, 'FCPXMLv1_10.dtd'));
const noDtds = haveDtds ? false : 'needs ../shared/formats/FCPXMLv1_1{0,1}.dtd';

// ---------------------------------------------------------------------------------------------
// DTD → RelaxNG, so that libxml2's RelaxNG validator applies the DTD's rules.

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
}

/**
 * Translates a DTD into an equivalent RelaxNG grammar: parameter entities expanded, each ELEMENT's
 * content model as ordered groups/choices/repetitions, each ATTLIST as required or optional
 * attributes (enumerations and #FIXED values as value choices; the first declaration of an
 * attribute binds, as in XML). ID/IDREF uniqueness and resolution are checked separately.
 */
function dtdToRelaxNg(dtd: string, root: string): string {
  let text = dtd.replace(/<!--[\s\S]*?-->/g, ' ');
  const entities = new Map<string, string>();
  const entityRe = /<!ENTITY\s+%\s+([\w.-]+)\s+(?:"([^"]*)"|'([^']*)')\s*>/g;
  for (const m of text.matchAll(entityRe)) if (!entities.has(m[1])) entities.set(m[1], m[2] ?? m[3]);
  text = text.replace(entityRe, ' ');
  for (let round = 0; /%[\w.-]+;/.test(text); round++) {
    if (round > 50) throw new Error('recursive parameter entities');
    text = text.replace(/%([\w.-]+);/g, (_, n: string) => {
      const v = entities.get(n);
      if (v === undefined) throw new Error(`undefined parameter entity ${n}`);
      return ` ${v} `;
    });
  }
  const elements = new Map<string, string>();
  const attlists = new Map<string, string[]>();
  const declRe = /<!(ELEMENT|ATTLIST)\s+([\w.:-]+)\s+((?:[^>"']|"[^"]*"|'[^']*')*)>/g;
  for (const m of text.matchAll(declRe)) {
    if (m[1] === 'ELEMENT') {
      if (elements.has(m[2])) throw new Error(`element ${m[2]} declared twice`);
      elements.set(m[2], m[3].replace(/\s+/g, ''));
    } else attlists.set(m[2], [...(attlists.get(m[2]) ?? []), m[3]]);
  }
  const rest = text.replace(declRe, ' ').trim();
  if (rest) throw new Error(`unparsed DTD text: ${rest.slice(0, 80)}`);
  for (const name of attlists.keys()) if (!elements.has(name)) throw new Error(`ATTLIST for undeclared element ${name}`);

  // A DTD may name an element it never declares (1.9 does); a document using it is invalid.
  const ref = (n: string): string => (elements.has(n) ? `<ref name="e.${n}"/>` : '<notAllowed/>');

  const contentModel = (model: string): string => {
    if (model === 'EMPTY') return '<empty/>';
    if (model === 'ANY') throw new Error('ANY content is not supported');
    if (model.startsWith('(#PCDATA')) {
      const names = model.replace(/^\(#PCDATA/, '').replace(/\)\*?$/, '').split('|').filter(Boolean);
      return names.length ? `<mixed><zeroOrMore><choice>${names.map(ref).join('')}</choice></zeroOrMore></mixed>` : '<text/>';
    }
    let pos = 0;
    const particle = (): string => {
      let r: string;
      if (model[pos] === '(') {
        pos++;
        const items = [particle()];
        let sep: string | null = null;
        while (model[pos] !== ')') {
          const s = model[pos++];
          if (s !== ',' && s !== '|') throw new Error(`bad content model ${model}`);
          if (sep && s !== sep) throw new Error(`mixed separators in ${model}`);
          sep = s;
          items.push(particle());
        }
        pos++;
        r = items.length === 1 ? items[0] : sep === '|' ? `<choice>${items.join('')}</choice>` : `<group>${items.join('')}</group>`;
      } else {
        const m = /^[\w.:-]+/.exec(model.slice(pos));
        if (!m) throw new Error(`bad content model at ${model.slice(pos)}`);
        pos += m[0].length;
        r = ref(m[0]);
      }
      const q = model[pos];
      if (q === '?' || q === '*' || q === '+') pos++;
      if (q === '?') return `<optional>${r}</optional>`;
      if (q === '*') return `<zeroOrMore>${r}</zeroOrMore>`;
      if (q === '+') return `<oneOrMore>${r}</oneOrMore>`;
      return r;
    };
    const r = particle();
    if (pos !== model.length) throw new Error(`trailing content model text ${model.slice(pos)}`);
    return r;
  };

  const attributes = (lists: string[]): string => {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const list of lists) {
      const tokens = [...list.trim().matchAll(/"[^"]*"|'[^']*'|\([^)]*\)|#?[^\s()"']+/g)].map((m) => m[0]);
      for (let i = 0; i < tokens.length; ) {
        const name = tokens[i++];
        let type = tokens[i++];
        if (type === 'NOTATION') type = tokens[i++];
        const dflt = tokens[i++];
        const fixed = dflt === '#FIXED' ? tokens[i++].slice(1, -1) : null;
        if (seen.has(name)) continue;
        seen.add(name);
        let value: string;
        if (fixed !== null) value = `<value>${escapeXml(fixed)}</value>`;
        else if (type.startsWith('(')) {
          value = `<choice>${type
            .slice(1, -1)
            .split('|')
            .map((v) => `<value>${escapeXml(v.trim())}</value>`)
            .join('')}</choice>`;
        } else if (type === 'CDATA') value = '<text/>';
        else if (['ID', 'IDREF', 'IDREFS', 'NMTOKEN', 'NMTOKENS'].includes(type)) value = `<data type="${type}"/>`;
        else throw new Error(`attribute type ${type}`);
        const attr = `<attribute name="${name}">${value}</attribute>`;
        out.push(dflt === '#REQUIRED' ? attr : `<optional>${attr}</optional>`);
      }
    }
    return out.join('');
  };

  const out = [
    '<grammar xmlns="http://relaxng.org/ns/structure/1.0" datatypeLibrary="http://www.w3.org/2001/XMLSchema-datatypes">',
    `<start>${ref(root)}</start>`,
  ];
  for (const [name, model] of elements) {
    out.push(`<define name="e.${name}"><element name="${name}">${attributes(attlists.get(name) ?? [])}${contentModel(model)}</element></define>`);
  }
  out.push('</grammar>');
  return out.join('\n');
}

const grammars = new Map<string, string>();
function grammar(version: '1.10' | '1.11' | '1.9'): string {
  let g = grammars.get(version);
  if (!g) {
    const file = `FCPXMLv${version.replace('.', '_')}.dtd`;
    g = dtdToRelaxNg(readFileSync(join(FORMATS, file), 'utf8'), 'fcpxml');
    grammars.set(version, g);
  }
  return g;
}

async function dtdErrors(xml: string, version: '1.10' | '1.11' | '1.9'): Promise<string[]> {
  const result = await validateXML({
    xml: { fileName: 'doc.fcpxml', contents: xml },
    schema: { fileName: 'fcpxml.rng', contents: grammar(version) },
    extension: 'relaxng',
  });
  return result.valid ? [] : result.errors.map((e) => e.message);
}

// ---------------------------------------------------------------------------------------------
// A small element tree over fast-xml-parser's ordered output.

interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
}

function parseXml(xml: string): El {
  const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', preserveOrder: true, parseAttributeValue: false, trimValues: true });
  const convert = (node: Record<string, unknown>): El | null => {
    const name = Object.keys(node).find((k) => k !== ':@');
    if (!name || name.startsWith('?') || name === '#text') return null;
    const kids = (node[name] as Array<Record<string, unknown>>).map(convert).filter((e): e is El => e !== null);
    return { name, attrs: (node[':@'] as Record<string, string>) ?? {}, children: kids };
  };
  const top = (parser.parse(xml) as Array<Record<string, unknown>>).map(convert).filter((e): e is El => e !== null);
  assert.equal(top.length, 1, 'one root element');
  return top[0];
}

function* walk(el: El): Generator<El> {
  yield el;
  for (const c of el.children) yield* walk(c);
}

function find(el: El, path: string[]): El {
  let cur = el;
  for (const name of path) {
    const next = cur.children.find((c) => c.name === name);
    assert.ok(next, `missing <${name}> under <${cur.name}>`);
    cur = next;
  }
  return cur;
}

/** An FCPXML time as an exact fraction of seconds. */
function seconds(t: string): [bigint, bigint] {
  const m = /^(0|[1-9]\d*)(?:\/([1-9]\d*))?s$/.exec(t);
  assert.ok(m, `"${t}" is not an FCPXML rational time`);
  return [BigInt(m[1]), BigInt(m[2] ?? '1')];
}

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a < 0n ? -a : a;
}

/** Frames at tb for an FCPXML time; fails unless it is reduced and on the frame grid. */
function framesOf(t: string, tb: Rational): number {
  const [n, d] = seconds(t);
  if (n !== 0n) assert.equal(gcd(n, d), 1n, `${t} is not reduced`);
  const num = n * BigInt(tb.num);
  const den = d * BigInt(tb.den);
  assert.equal(num % den, 0n, `${t} is not on the ${tb.num}/${tb.den} frame grid`);
  return Number(num / den);
}

// ---------------------------------------------------------------------------------------------
// Inputs.

/** Where a resolve run puts stream N of a source, as auto-editor names it: <stem>_tracks/<stem>_N.wav. */
function wavPath(src: string, stream: number): string {
  const sep = isWindowsPath(src) ? '\\' : '/';
  const name = baseName(src);
  const dir = src.slice(0, src.length - name.length);
  const st = name.replace(/\.[^.]*$/, '');
  return `${dir}${st}_tracks${sep}${st}_${stream}.wav`;
}

function inputOf(c: { timeline: Timeline; sources: Map<string, MediaInfo> }): ExportInput {
  const extractedAudio = new Map<string, string>();
  for (const [src, info] of c.sources) for (let i = 1; i < info.audio.length; i++) extractedAudio.set(`${src}#${i}`, wavPath(src, i));
  return { timeline: c.timeline, sources: c.sources, extractedAudio };
}

interface Flavour {
  label: string;
  write: typeof writeFinalCutPro;
  params: Record<string, string>;
  version: '1.10' | '1.11';
  resolve: boolean;
}

const FLAVOURS: Flavour[] = [
  { label: 'final-cut-pro', write: writeFinalCutPro, params: {}, version: '1.11', resolve: false },
  { label: 'final-cut-pro.v10', write: writeFinalCutPro, params: { version: '10' }, version: '1.10', resolve: false },
  { label: 'resolve', write: writeResolve, params: {}, version: '1.10', resolve: true },
  { label: 'resolve.v11', write: writeResolve, params: { version: '11' }, version: '1.11', resolve: true },
];

/** The speed as an exact fraction, as the tests know it (the synthetic speeds are short decimals). */
function speedFraction(speed: number): [bigint, bigint] {
  for (let q = 1; q <= 1000; q++) {
    const p = Math.round(speed * q);
    if (Math.abs(p / q - speed) < 1e-12) return [BigInt(p), BigInt(q)];
  }
  throw new Error(`speed ${speed}`);
}

/**
 * Everything structural about one document: ids and references, the spine, every time, the
 * mapping from timeline clips to spine and lanes, time maps and asset lengths.
 */
function checkStructure(xml: string, input: ExportInput, flavour: Flavour): El {
  const tl = input.timeline;
  const tb = tl.tb;
  const root = parseXml(xml);
  assert.equal(root.name, 'fcpxml');
  assert.equal(root.attrs.version, flavour.version);
  assert.match(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<!DOCTYPE fcpxml>\n/);

  // Ids are unique; `ref` names an asset, `format` names a format.
  const byId = new Map<string, El>();
  for (const el of walk(root)) {
    if (el.attrs.id === undefined) continue;
    assert.ok(!byId.has(el.attrs.id), `duplicate id ${el.attrs.id}`);
    byId.set(el.attrs.id, el);
  }
  for (const el of walk(root)) {
    if (el.name === 'asset-clip') assert.equal(byId.get(el.attrs.ref)?.name, 'asset', `ref ${el.attrs.ref}`);
    if (el.attrs.format !== undefined) assert.equal(byId.get(el.attrs.format)?.name, 'format', `format ${el.attrs.format}`);
  }

  // Every time is a reduced rational on the frame grid (time-map times are rational but may not be).
  for (const el of walk(root)) {
    for (const key of ['offset', 'start', 'duration', 'tcStart', 'value']) if (el.attrs[key] !== undefined) framesOf(el.attrs[key], tb);
    if (el.attrs.time !== undefined) seconds(el.attrs.time);
    for (const [k, v] of Object.entries(el.attrs)) {
      if (['offset', 'start', 'duration', 'tcStart', 'frameDuration', 'time', 'value'].includes(k)) assert.doesNotMatch(v, /\./, `${k}="${v}" is a decimal`);
    }
  }

  const library = find(root, ['library']);
  assert.deepEqual(
    library.children.map((c) => c.name),
    ['event'],
  );
  const project = find(library, ['event', 'project']);
  const sequence = find(project, ['sequence']);
  const seqFormat = byId.get(sequence.attrs.format);
  assert.ok(seqFormat);
  assert.equal(seqFormat.attrs.frameDuration, fcpxmlSeconds(BigInt(tb.den), BigInt(tb.num)));
  assert.equal(seqFormat.attrs.width, String(tl.resolution[0]));
  assert.equal(seqFormat.attrs.height, String(tl.resolution[1]));
  const total = timelineLength(tl);
  assert.equal(framesOf(sequence.attrs.duration, tb), total);
  const spine = find(sequence, ['spine']);

  // The spine is contiguous from 0 to the timeline's end.
  let at = 0;
  for (const item of spine.children) {
    assert.ok(item.name === 'asset-clip' || item.name === 'gap', `unexpected <${item.name}> in the spine`);
    assert.equal(framesOf(item.attrs.offset, tb), at, `spine item at ${item.attrs.offset} does not follow the previous one`);
    at += framesOf(item.attrs.duration, tb);
  }
  assert.equal(at, total, 'spine ends at the timeline end');

  // The primary layer's clips are the spine's asset-clips, in order, with their exact ranges.
  const primary = tl.v.find((l) => l.length > 0) ?? tl.a.find((l) => l.length > 0) ?? [];
  const spineClips = spine.children.filter((c) => c.name === 'asset-clip');
  assert.equal(spineClips.length, primary.length);
  const assetOf = (el: El): El => byId.get(el.attrs.ref) as El;
  const checkClip = (el: El, clip: Clip, file: string, absoluteStart: number): void => {
    assert.equal(absoluteStart, clip.start, 'timeline position');
    assert.equal(framesOf(el.attrs.start, tb), clip.offset, 'source start (retimed)');
    assert.equal(framesOf(el.attrs.duration, tb), clip.dur, 'duration');
    const asset = assetOf(el);
    const rep = asset.children.find((c) => c.name === 'media-rep');
    assert.equal(rep?.attrs.src, fileUrl(file));
    assert.equal(rep?.attrs.kind, 'original-media');
    const assetFrames = framesOf(asset.attrs.duration, tb);
    const timeMap = el.children.find((c) => c.name === 'timeMap');
    if (clip.speed === 1) {
      assert.equal(timeMap, undefined, 'no timeMap at normal speed');
      assert.ok(clip.offset + clip.dur <= assetFrames, 'clip inside its asset');
    } else {
      assert.ok(timeMap, `timeMap for the ${clip.speed}x clip`);
      assert.equal(el.children[0], timeMap, 'timeMap comes first (DTD timing-params)');
      const [p0, p1] = timeMap.children;
      assert.equal(timeMap.children.length, 2);
      assert.deepEqual([p0.attrs.time, p0.attrs.value], ['0s', '0s']);
      assert.equal(framesOf(p1.attrs.value, tb), assetFrames, 'time map runs to the end of the asset');
      const [tn, td] = seconds(p1.attrs.time);
      const [vn, vd] = seconds(p1.attrs.value);
      const [sp, sq] = speedFraction(clip.speed);
      // value / time == speed, exactly: vn/vd / (tn/td) == sp/sq.
      assert.equal(vn * td * sq, sp * vd * tn, 'time map slope is the speed');
      // The retimed start maps to the source frame the clip starts at.
      assert.ok((clip.offset + clip.dur) * clip.speed <= assetFrames + 1e-9, 'retimed clip inside its asset');
    }
  };
  spineClips.forEach((el, i) => checkClip(el, primary[i], primary[i].src, framesOf(el.attrs.offset, tb)));

  // Lanes: each lane clip sits at its layer clip's timeline position, computed from its parent.
  const lanes = new Map<number, Array<{ el: El; start: number }>>();
  for (const parent of spine.children) {
    const parentOffset = framesOf(parent.attrs.offset, tb);
    const parentStart = parent.attrs.start ? framesOf(parent.attrs.start, tb) : 0;
    for (const child of parent.children.filter((c) => c.name === 'asset-clip')) {
      const lane = Number(child.attrs.lane);
      assert.ok(Number.isInteger(lane) && lane !== 0, 'anchored clips have a lane');
      const local = framesOf(child.attrs.offset, tb);
      assert.ok(local >= parentStart && local < parentStart + framesOf(parent.attrs.duration, tb), 'anchored inside its parent');
      lanes.set(lane, [...(lanes.get(lane) ?? []), { el: child, start: parentOffset + (local - parentStart) }]);
    }
  }
  const mirrored = tl.a.every((l) => l.length === primary.length && l.every((c, i) => c.start === primary[i].start && c.dur === primary[i].dur && c.offset === primary[i].offset));
  const audioLanes = [...lanes.keys()].filter((l) => l < 0);
  if (mirrored && flavour.resolve) {
    // Every audio stream after the first is a lane of its extracted WAV, clip for clip.
    const later = tl.a.filter((l) => l.some((c) => c.stream > 0));
    assert.equal(audioLanes.length, later.length);
    later.forEach((layer, k) => {
      const lane = lanes.get(-(k + 1)) ?? [];
      assert.equal(lane.length, layer.length);
      lane.forEach(({ el, start }, i) => {
        const wav = input.extractedAudio?.get(`${layer[i].src}#${layer[i].stream}`) as string;
        checkClip(el, layer[i], wav, start);
        assert.equal(assetOf(el).attrs.hasVideo, undefined, 'a WAV has no video');
      });
    });
  } else if (mirrored) {
    assert.equal(audioLanes.length, 0, 'mirrored audio needs no lanes in Final Cut Pro');
  }
  return root;
}

// ---------------------------------------------------------------------------------------------
// Golden files: the writer's output, compared as canonical XML (attributes sorted, whitespace
// between elements dropped) so that formatting alone never fails a test.

function canonical(xml: string): string {
  const out: string[] = [];
  const emit = (el: El, depth: number): void => {
    const attrs = Object.keys(el.attrs)
      .sort()
      .map((k) => ` ${k}="${el.attrs[k]}"`)
      .join('');
    out.push(`${'  '.repeat(depth)}<${el.name}${attrs}>`);
    for (const c of el.children) emit(c, depth + 1);
  };
  emit(parseXml(xml), 0);
  return out.join('\n');
}

function checkGolden(file: string, actual: string): void {
  const path = join(GOLDEN, file);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `golden file ${path} is missing (run the tests with UPDATE_GOLDEN=1 to write it)`);
  const want = canonical(readFileSync(path, 'utf8')).split('\n');
  const got = canonical(actual).split('\n');
  const line = want.findIndex((l, i) => l !== got[i]);
  if (line >= 0 || want.length !== got.length) {
    const at = line >= 0 ? line : Math.min(want.length, got.length);
    assert.fail(`${file} differs from its golden file at canonical line ${at + 1}:\n  golden: ${want[at]}\n  output: ${got[at]}`);
  }
}

// ---------------------------------------------------------------------------------------------

describe('DTD translation (the validator itself)', { skip: noDtds }, () => {
  const samples = join(FORMATS, 'samples');
  it('accepts what Final Cut Pro and Resolve wrote', async () => {
    for (const [file, version] of [
      ['fcp-fcpxml1.11-29.97-speed-stereo.fcpxml', '1.11'],
      ['fcp-fcpxml1.11-24fps-mixed-rate-conform.fcpxml', '1.11'],
      ['resolve-fcpxml1.9-25fps.fcpxml', '1.9'],
    ] as const) {
      if (!existsSync(join(samples, file))) continue;
      assert.deepEqual(await dtdErrors(readFileSync(join(samples, file), 'utf8'), version), [], file);
    }
  });

  it('rejects what the DTD forbids', async () => {
    const ok = writeFinalCutPro(inputOf(syntheticCases()[3]), {});
    assert.deepEqual(await dtdErrors(ok, '1.11'), []);
    const broken: Array<[string, string]> = [
      // timeMap must come before adjust-volume/anchored items, and asset-clip needs a ref.
      ['child order', ok.replace(/(<asset-clip [^>]*>)(\s*)(<timeMap>[\s\S]*?<\/timeMap>)/, '$1$2<adjust-volume amount="-6dB"/>$3')],
      ['enumeration', ok.replace('tcFormat="NDF"', 'tcFormat="XDF"')],
      ['undeclared attribute', ok.replace('<spine>', '<spine bogus="1">')],
      ['missing required attribute', ok.replace(/<asset-clip ref="r\d+"/, '<asset-clip')],
      ['undeclared element', ok.replace('<spine>', '<spine><bogus/>')],
      ['fixed version', ok.replace('version="1.11"', 'version="1.10"')],
      ['asset without media-rep', ok.replace(/<media-rep [^>]*\/>/, '')],
    ];
    for (const [what, xml] of broken) {
      assert.notEqual(xml, ok, `mutation "${what}" applied`);
      assert.notDeepEqual(await dtdErrors(xml, '1.11'), [], `${what} must be invalid`);
    }
    // 1.11 has adjust-colorConform, 1.10 does not.
    const sample = readFileSync(join(samples, 'fcp-fcpxml1.11-29.97-speed-stereo.fcpxml'), 'utf8').replace('version="1.11"', 'version="1.10"');
    assert.notDeepEqual(await dtdErrors(sample, '1.10'), []);
  });
});

describe('final-cut-pro and resolve: every synthetic timeline', () => {
  for (const c of syntheticCases()) {
    for (const flavour of FLAVOURS) {
      it(`${c.name} (${flavour.label})`, { skip: noDtds }, async () => {
        const input = inputOf(c);
        const xml = flavour.write(input, flavour.params);
        assert.deepEqual(await dtdErrors(xml, flavour.version), [], `${c.name} ${flavour.label} must be valid FCPXML ${flavour.version}`);
        checkStructure(xml, input, flavour);
        checkGolden(`${c.name}.${flavour.label}.fcpxml`, xml);
      });
    }
  }
});

describe('final-cut-pro details', () => {
  const cases = syntheticCases();
  const byName = (n: string): SyntheticCase => cases.find((c) => c.name === n) as SyntheticCase;

  it('writes times as reduced rationals on the frame grid (NTSC)', () => {
    const xml = writeFinalCutPro(inputOf(byName('ntsc-mono')), {});
    assert.match(xml, /frameDuration="1001\/30000s"/);
    // Clip 2 starts at timeline frame 100 and source frame 150.
    assert.match(xml, /offset="1001\/300s" name="lecture" start="1001\/200s" duration="1001\/120s"/);
    assert.doesNotMatch(xml, /="\d+\.\d+s"/);
  });

  it('speed: timeMap with the exact slope, start in retimed time', () => {
    const c = byName('ntsc60-speed-1.5');
    const xml = writeFinalCutPro(inputOf(c), {});
    const spine = find(parseXml(xml), ['library', 'event', 'project', 'sequence', 'spine']);
    const speedClip = spine.children[1];
    // Source frames 120..600 at 1.5x: 320 timeline frames from retimed frame 80.
    assert.equal(speedClip.attrs.start, fcpxmlSeconds(80n * 1001n, 60000n));
    assert.equal(speedClip.attrs.duration, fcpxmlSeconds(320n * 1001n, 60000n));
    const [, p1] = find(speedClip, ['timeMap']).children;
    // Asset: 30 s at 59.94 = 1798 frames; the retimed end is 1798 / 1.5 frames.
    assert.equal(p1.attrs.value, fcpxmlSeconds(1798n * 1001n, 60000n));
    assert.equal(p1.attrs.time, fcpxmlSeconds(1798n * 1001n * 2n, 60000n * 3n));
    assert.equal(p1.attrs.interp, 'smooth2');
    assert.equal(spine.children[0].children.length, 0, 'no timeMap on normal-speed clips');
  });

  it('assets: source length, every audio stream, file URLs for awkward names', () => {
    const root = parseXml(writeFinalCutPro(inputOf(byName('pal-two-audio-streams')), {}));
    const asset = find(root, ['resources', 'asset']);
    assert.equal(asset.attrs.duration, '40s');
    assert.equal(asset.attrs.audioSources, '2');
    assert.equal(asset.attrs.audioChannels, '3');
    assert.equal(asset.attrs.audioRate, '48000');
    assert.equal(asset.attrs.hasVideo, '1');
    const awkward = parseXml(writeFinalCutPro(inputOf(byName('many-clips-30fps-stereo-awkward-name')), {}));
    assert.equal(find(awkward, ['resources', 'asset', 'media-rep']).attrs.src, 'file:///media/My%20Talk%20%231%20100%25%20%E2%80%94%20%C3%A9t%C3%A9.mp4');
    assert.equal(find(awkward, ['resources', 'asset']).attrs.name, 'My Talk #1 100% — été');
    const win = parseXml(writeFinalCutPro(inputOf(byName('windows-path')), {}));
    assert.equal(find(win, ['resources', 'asset', 'media-rep']).attrs.src, 'file:///C:/Users/Zo%C3%AB/Videos/take%20%232.mp4');
    const audioOnly = parseXml(writeFinalCutPro(inputOf(byName('audio-only-stereo')), {}));
    const a = find(audioOnly, ['resources', 'asset']);
    assert.equal(a.attrs.hasVideo, undefined);
    assert.equal(a.attrs.format, undefined);
    assert.equal(find(audioOnly, ['library', 'event', 'project', 'sequence']).attrs.audioRate, '44.1k');
  });

  it('project name, event, versions, parameters', () => {
    const input = inputOf(byName('ntsc-mono'));
    const root = parseXml(writeFinalCutPro(input, {}));
    assert.equal(find(root, ['library', 'event', 'project']).attrs.name, 'lecture');
    assert.equal(find(root, ['library', 'event']).attrs.name, 'tacet Media Group');
    const named = parseXml(writeFinalCutPro(input, { name: 'My "cut" & <more>' }));
    assert.equal(find(named, ['library', 'event', 'project']).attrs.name, 'My "cut" & <more>');
    assert.equal(find(parseXml(writeFinalCutPro({ ...input, name: 'From input' }, {})), ['library', 'event', 'project']).attrs.name, 'From input');
    assert.equal(parseXml(writeFinalCutPro(input, { version: '10' })).attrs.version, '1.10');
    assert.equal(parseXml(writeFinalCutPro(input, { version: '1.11' })).attrs.version, '1.11');
    assert.equal(parseXml(writeResolve(input, {})).attrs.version, '1.10');
    assert.throws(() => writeFinalCutPro(input, { version: '9' }), UserError);
    assert.throws(() => writeFinalCutPro(input, { colour: 'red' }), UserError);
  });

  it('resolve: later audio streams come from the extracted WAVs, or it refuses', () => {
    const c = byName('pal-two-audio-streams');
    const input = inputOf(c);
    const root = parseXml(writeResolve(input, {}));
    const assets = find(root, ['resources']).children.filter((e) => e.name === 'asset');
    assert.deepEqual(
      assets.map((a) => find(a, ['media-rep']).attrs.src),
      [fileUrl('/media/podcast two mics.mkv'), fileUrl('/media/podcast two mics_tracks/podcast two mics_1.wav')],
    );
    assert.equal(assets[0].attrs.name, 'podcast two mics.mkv', 'Resolve names media by file name');
    assert.deepEqual([assets[0].attrs.audioSources, assets[0].attrs.audioChannels], ['1', '2'], 'the stream Resolve plays');
    assert.equal(assets[1].attrs.audioChannels, '1');
    const spine = find(root, ['library', 'event', 'project', 'sequence', 'spine']);
    for (const clip of spine.children) {
      const lanes = clip.children.filter((e) => e.name === 'asset-clip');
      assert.equal(lanes.length, 1);
      assert.equal(lanes[0].attrs.lane, '-1');
      assert.equal(lanes[0].attrs.offset, clip.attrs.start, 'anchored at the parent clip’s first frame');
    }
    assert.throws(() => writeResolve({ ...input, extractedAudio: undefined }, {}), /extracted WAV/);
    // Final Cut Pro plays both streams from the one asset-clip.
    const fcp = parseXml(writeFinalCutPro({ ...input, extractedAudio: undefined }, {}));
    assert.equal(find(fcp, ['resources']).children.filter((e) => e.name === 'asset').length, 1);
  });
});

describe('timelines the synthetic set does not cover', () => {
  const tb = rational(30, 1);
  const src = '/media/talk.mp4';
  const info = fakeInfo(src, { fps: tb, seconds: 60, audio: [{ channels: 2, sampleRate: 48000 }] });
  const base = (v: Clip[][], a: Clip[][]): Timeline => ({
    tb,
    background: '#000000',
    resolution: [1280, 720],
    sampleRate: 48000,
    layout: 'stereo',
    langs: ['eng'],
    v,
    a,
  });

  it('audio that does not mirror the video goes on a lane, the spine plays video only', { skip: noDtds }, async () => {
    // A J-cut: the audio starts 10 frames before the picture changes.
    const v = layClips(src, [
      [0, 100],
      [200, 300],
    ]);
    const a: Clip[] = [
      { src, start: 0, dur: 90, offset: 0, speed: 1, stream: 0, volume: 1 },
      { src, start: 90, dur: 110, offset: 190, speed: 1, stream: 0, volume: 0.5 },
    ];
    const input: ExportInput = { timeline: base([v], [a]), sources: new Map([[src, info]]) };
    for (const flavour of FLAVOURS) {
      const xml = flavour.write(input, flavour.params);
      assert.deepEqual(await dtdErrors(xml, flavour.version), [], flavour.label);
      const root = checkStructure(xml, input, flavour);
      const spine = find(root, ['library', 'event', 'project', 'sequence', 'spine']);
      assert.ok(spine.children.every((c) => c.attrs.srcEnable === 'video'));
      const anchored = spine.children.flatMap((p) => p.children.filter((c) => c.name === 'asset-clip').map((c) => ({ p, c })));
      assert.equal(anchored.length, 2);
      for (const [i, { p, c }] of anchored.entries()) {
        assert.equal(c.attrs.lane, '-1');
        assert.equal(c.attrs.srcEnable, 'audio');
        const at = framesOf(p.attrs.offset, tb) + framesOf(c.attrs.offset, tb) - framesOf(p.attrs.start, tb);
        assert.equal(at, a[i].start);
        assert.equal(framesOf(c.attrs.start, tb), a[i].offset);
      }
      assert.match(xml, /<adjust-volume amount="-6\.021dB"\/>/);
    }
  });

  it('holes become gaps; a second video layer and several sources are lanes and assets', { skip: noDtds }, async () => {
    const src2 = 'D:\\clips\\b-roll 2.mov';
    const info2 = fakeInfo(src2, { fps: rational(60, 1), width: 1920, height: 1080, seconds: 10, audio: [] });
    const v0: Clip[] = [
      { src, start: 30, dur: 60, offset: 0, speed: 1, stream: 0, volume: 1 },
      { src, start: 120, dur: 30, offset: 300, speed: 2, stream: 0, volume: 1 },
    ];
    const v1: Clip[] = [{ src: src2, start: 40, dur: 20, offset: 5, speed: 1, stream: 0, volume: 1 }];
    const input: ExportInput = {
      timeline: base([v0, v1], [v0.map((c) => ({ ...c }))]),
      sources: new Map([
        [src, info],
        [src2, info2],
      ]),
    };
    for (const flavour of FLAVOURS) {
      const xml = flavour.write(input, flavour.params);
      assert.deepEqual(await dtdErrors(xml, flavour.version), [], flavour.label);
      const root = checkStructure(xml, input, flavour);
      const spine = find(root, ['library', 'event', 'project', 'sequence', 'spine']);
      assert.deepEqual(
        spine.children.map((c) => c.name),
        ['gap', 'asset-clip', 'gap', 'asset-clip'],
      );
      const lane = spine.children[1].children.find((c) => c.name === 'asset-clip');
      assert.equal(lane?.attrs.lane, '1');
      // The 60 fps source gets its own format; the timeline's stays 30 fps.
      const formats = find(root, ['resources']).children.filter((e) => e.name === 'format');
      assert.deepEqual(
        formats.map((f) => f.attrs.frameDuration),
        ['1/30s', '1/60s'],
      );
      assert.equal(formats[1].attrs.name, 'FFVideoFormat1080p60');
    }
  });
});

// A real DTD validator, when one is installed: Java's parser (Xerces) with validation on.
const javaAvailable = spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0;
test('Java DTD validation of every synthetic export', { skip: !haveDtds ? noDtds : !javaAvailable && 'java is not installed' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tacet-fcpxml-'));
  try {
    writeFileSync(
      join(dir, 'Validate.java'),
      `import javax.xml.parsers.*; import org.xml.sax.*; import java.io.*;
public class Validate {
  public static void main(String[] args) throws Exception {
    int bad = 0;
    for (int i = 0; i < args.length; i++) {
      final String file = args[i];
      SAXParserFactory f = SAXParserFactory.newInstance();
      f.setValidating(true);
      final StringBuilder errs = new StringBuilder();
      org.xml.sax.helpers.DefaultHandler h = new org.xml.sax.helpers.DefaultHandler() {
        public void error(SAXParseException e) { errs.append(file + ":" + e.getLineNumber() + ": " + e.getMessage() + "\\n"); }
        public void fatalError(SAXParseException e) { errs.append(file + ":" + e.getLineNumber() + ": " + e.getMessage() + "\\n"); }
      };
      try { f.newSAXParser().parse(new File(file), h); } catch (SAXException e) { errs.append(file + ": " + e.getMessage() + "\\n"); }
      if (errs.length() > 0) { bad++; System.out.print(errs); }
    }
    System.exit(bad == 0 ? 0 : 1);
  }
}
`,
    );
    const files: string[] = [];
    for (const c of syntheticCases()) {
      for (const flavour of FLAVOURS) {
        const dtd = join(FORMATS, `FCPXMLv${flavour.version.replace('.', '_')}.dtd`);
        // Point the DOCTYPE at the DTD so that the parser validates against it.
        const xml = flavour.write(inputOf(c), flavour.params).replace('<!DOCTYPE fcpxml>', `<!DOCTYPE fcpxml SYSTEM "${fileUrl(dtd)}">`);
        const file = join(dir, `${c.name}.${flavour.label}.fcpxml`);
        writeFileSync(file, xml);
        files.push(file);
      }
    }
    let output = '';
    try {
      output = execFileSync('java', [join(dir, 'Validate.java'), ...files], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      assert.fail(`DTD validation failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    }
    assert.equal(output, '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
