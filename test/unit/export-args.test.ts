import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseExportArg } from '../../src/export/args.js';

test('export kinds and attributes', () => {
  const cases: Array<[string, string, Record<string, string>]> = [
    ['v3', 'v3', {}],
    ['premiere:name="Cut 1"', 'premiere', { name: 'Cut 1' }],
    ['premiere:name="a, \\"quoted\\" \\\\ name"', 'premiere', { name: 'a, "quoted" \\ name' }],
    ['final-cut-pro:version=10', 'final-cut-pro', { version: '10' }],
    ['final-cut-pro:name="x",version=10', 'final-cut-pro', { name: 'x', version: '10' }],
    ['final-cut-pro:version=10, name=bare', 'final-cut-pro', { version: '10', name: 'bare' }],
    ['resolve:name="été #1"', 'resolve', { name: 'été #1' }],
  ];
  for (const [text, kind, params] of cases) assert.deepEqual(parseExportArg(text), { kind, params }, text);
});

test('bad export attributes are clear errors', () => {
  for (const text of ['', ':name=x', 'premiere:name="open', 'premiere:name', 'premiere:name="a" b', 'premiere:1x=2']) {
    assert.throws(() => parseExportArg(text), { name: 'UserError' }, text);
  }
});
