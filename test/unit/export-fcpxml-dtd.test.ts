// FCPXML checked by libxml2's own DTD validator (`xmllint --dtdvalid`, Debian package
// libxml2-utils, installed by .ci/run) against Apple's DTDs: the check outside our own code.
// Runs whenever xmllint is on PATH; in CI (CI=true) a missing xmllint is a failure.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeFinalCutPro, writeResolve } from '../../src/export/fcpxml.js';
import { ROOT, tempDir } from '../helpers/media.js';
import { syntheticCases } from '../helpers/timelines.js';

const FORMATS = join(ROOT, '..', 'shared', 'formats');
const hasXmllint = spawnSync('xmllint', ['--version']).status === 0;
const hasDtds = existsSync(join(FORMATS, 'FCPXMLv1_11.dtd'));
const skip = !hasDtds ? 'needs ../shared/formats' : hasXmllint || process.env.CI ? false : 'xmllint not on PATH (apt-get install libxml2-utils)';

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

test('every FCPXML export validates against Apple’s DTD with xmllint --dtdvalid', { skip }, () => {
  assert.ok(hasXmllint, 'xmllint is required in CI');
  let checked = 0;
  for (const c of syntheticCases()) {
    for (const [variant, write] of [
      ['final-cut-pro', writeFinalCutPro],
      ['resolve', writeResolve],
    ] as const) {
      for (const version of ['11', '10']) {
        const extractedAudio = new Map<string, string>();
        for (const layer of c.timeline.a) for (const clip of layer) if (clip.stream > 0) extractedAudio.set(`${clip.src}#${clip.stream}`, `/tmp/${c.name}-${clip.stream}.wav`);
        const xml = write({ timeline: c.timeline, sources: c.sources, extractedAudio }, { version });
        const file = join(tmp.dir, `${c.name}-${variant}-${version}.fcpxml`);
        writeFileSync(file, xml);
        const dtd = join(FORMATS, `FCPXMLv1_${version}.dtd`);
        const r = spawnSync('xmllint', ['--noout', '--dtdvalid', dtd, file], { encoding: 'utf8' });
        assert.equal(r.status, 0, `${c.name} ${variant} 1.${version}:\n${r.stderr}`);
        checked++;
      }
    }
  }
  assert.equal(checked, syntheticCases().length * 4);
});

test('xmllint --dtdvalid rejects an FCPXML with a child out of DTD order (the check can fail)', { skip }, () => {
  const c = syntheticCases()[0];
  const xml = writeFinalCutPro({ timeline: c.timeline, sources: c.sources }, {});
  // Move the first <resources> after <library>: the DTD requires resources first.
  const broken = xml.replace(/(<resources>[\s\S]*?<\/resources>)([\s\S]*?)(<\/fcpxml>)/, '$2$1$3');
  assert.notEqual(broken, xml);
  const file = join(tmp.dir, 'broken.fcpxml');
  writeFileSync(file, broken);
  const r = spawnSync('xmllint', ['--noout', '--dtdvalid', join(FORMATS, 'FCPXMLv1_11.dtd'), file], { encoding: 'utf8' });
  assert.notEqual(r.status, 0);
});
