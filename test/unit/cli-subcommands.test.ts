// The pure parts of the subcommands: argument specs, help screens, printed formats.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';

import { UserError } from '../../src/errors.js';
import { toUnorm16 } from '../../src/analyze/unorm16.js';
import { SUBCOMMANDS } from '../../src/cli/commands.js';
import { SUBCOMMAND_SPECS, formatSubHelp, parseSubArgs, specOf } from '../../src/cli/subargs.js';
import { levelToText, writeLevels } from '../../src/cli/commands/levels.js';
import { aspectRatio, infoJson, infoText, rationalText } from '../../src/cli/commands/info.js';
import { formatBytes } from '../../src/cli/commands/cache.js';
import { defaultJobs } from '../../src/cli/commands/batch.js';
import { openerFor } from '../../src/cli/open.js';
import type { MediaDetails } from '../../src/media/probe.js';

function refuses(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof UserError && message.test(e.message), `expected ${message}`);
}

describe('subcommand table', () => {
  it('describes every implemented subcommand with a spec, and no summary says "not implemented"', () => {
    for (const name of ['info', 'levels', 'subdump', 'desc', 'cache', 'completion', 'batch']) {
      const entry = SUBCOMMANDS.find((c) => c.name === name);
      assert.ok(entry, name);
      assert.doesNotMatch(entry.summary, /not implemented/);
      assert.equal(specOf(name).name, name);
    }
  });

  it('gives every spec a --help and a help screen within 80 columns', () => {
    for (const spec of Object.values(SUBCOMMAND_SPECS)) {
      assert.ok(spec.options.some((o) => o.names.includes('--help')), spec.name);
      const help = formatSubHelp(spec);
      assert.match(help, new RegExp(`^Usage: tacet ${spec.name} `));
      for (const line of help.split('\n')) {
        // Example command lines may run long; everything else wraps.
        if (!line.startsWith('  tacet ')) assert.ok([...line].length <= 80, `${spec.name}: too long: ${line}`);
      }
    }
  });
});

describe('parseSubArgs', () => {
  const levels = specOf('levels');

  it('reads values by any spelling, --opt=value, flags and positionals', () => {
    const a = parseSubArgs(levels, ['in.wav', '-tb', '25', '--display=d16', '--no-cache', '-e', 'motion']);
    assert.equal(a.help, false);
    assert.deepEqual(a.positionals, ['in.wav']);
    assert.equal(a.values.get('--timebase'), '25');
    assert.equal(a.values.get('--display'), 'd16');
    assert.equal(a.values.get('--no-cache'), true);
    assert.equal(a.values.get('--edit'), 'motion');
  });

  it('shows help for -h anywhere, even after an option expecting a value', () => {
    assert.equal(parseSubArgs(levels, ['-h']).help, true);
    assert.equal(parseSubArgs(levels, ['x.wav', '--edit', '--help']).help, true);
  });

  it('refuses unknown options with a suggestion, bad choices, missing values and counts', () => {
    refuses(() => parseSubArgs(levels, ['x.wav', '--dispaly', 'd16']), /Unknown option --dispaly for tacet levels; did you mean --display\?/);
    refuses(() => parseSubArgs(levels, ['x.wav', '--display', 'int']), /'int' is not a choice for --display; choose one of float, d16/);
    refuses(() => parseSubArgs(levels, ['x.wav', '--edit']), /--edit needs a value \(METHOD\)/);
    refuses(() => parseSubArgs(levels, []), /tacet levels needs a FILE/);
    refuses(() => parseSubArgs(levels, ['a.wav', 'b.wav']), /at most 1 FILE, but got 'b.wav'/);
    refuses(() => parseSubArgs(specOf('info'), ['--json=yes', 'a.mp4']), /--json is a flag/);
    refuses(() => parseSubArgs(specOf('completion'), ['bash']), /takes no/);
  });

  it('passes unknown tokens through for batch, in order', () => {
    const a = parseSubArgs(specOf('batch'), ['*.mp4', '-j', '3', '-m', '0.3s', '--progress', 'none', '--no-cache'], true);
    assert.equal(a.values.get('--jobs'), '3');
    assert.equal(a.values.get('--progress'), 'none');
    assert.deepEqual(a.rest, ['*.mp4', '-m', '0.3s', '--no-cache']);
  });
});

describe('levels formats', () => {
  it('prints the shortest decimal that re-quantises to the same unorm16, for every level', () => {
    for (let u = 0; u < 65536; u++) {
      const text = levelToText(u);
      assert.equal(toUnorm16(Number(text)), u, `${u} → ${text}`);
      // Shortest: one decimal fewer would not map back (except the whole values 0.0 and 1.0).
      const places = text.split('.')[1].length;
      if (places > 1) {
        const shorter = (u / 65535).toFixed(places - 1);
        assert.notEqual(toUnorm16(Number(shorter)), u, `${u}: ${shorter} is shorter than ${text}`);
      }
    }
    assert.equal(levelToText(0), '0.0');
    assert.equal(levelToText(65535), '1.0');
    assert.equal(levelToText(32768), '0.5');
    assert.equal(levelToText(toUnorm16(0.04)), '0.04');
  });

  it('writes a blank line, @start, one value per line, a blank line', async () => {
    const sink = new PassThrough();
    let text = '';
    sink.on('data', (d) => (text += d));
    await writeLevels(sink, new Uint16Array([0, 32768, 65535]), levelToText);
    sink.end();
    assert.equal(text, '\n@start\n0.0\n0.5\n1.0\n\n');
  });

  it('respects back-pressure: a slow reader still gets every line', async () => {
    const sink = new PassThrough({ highWaterMark: 1024 });
    const values = new Uint16Array(100_000).map((_, i) => i % 65536);
    let lines = 0;
    let tail = '';
    sink.on('data', (d: Buffer) => {
      const s = tail + d.toString();
      const parts = s.split('\n');
      tail = parts.pop()!;
      lines += parts.length;
    });
    await writeLevels(sink, values, String);
    sink.end();
    await new Promise((r) => sink.on('end', r));
    assert.equal(lines, values.length + 3);
  });
});

describe('info formats', () => {
  const details: MediaDetails = {
    info: {
      path: 'talk.mp4',
      format: 'mov,mp4,m4a,3gp,3g2,mj2',
      duration: 4,
      bitrate: 123456,
      video: [
        {
          index: 0,
          codec: 'h264',
          width: 1920,
          height: 1080,
          avgFrameRate: { num: 30000, den: 1001 },
          timeBase: { num: 1, den: 30000 },
          sampleAspectRatio: { num: 1, den: 1 },
          pixelFormat: 'yuv420p',
          duration: 4,
          startTime: 0,
          bitrate: 100000,
          lang: 'eng',
        },
      ],
      audio: [
        {
          index: 1,
          codec: 'aac',
          sampleRate: 48000,
          channels: 2,
          layout: 'stereo',
          timeBase: { num: 1, den: 48000 },
          duration: 3.5,
          startTime: 0,
          bitrate: 0,
          lang: null,
        },
      ],
      subtitle: [{ index: 2, codec: 'mov_text', lang: 'fra' }],
    },
    colour: [{ range: 1, space: 1, primaries: 2, transfer: 6 }],
    data: [],
    description: null,
  };

  it('reduces aspect ratios and prints rationals as auto-editor does', () => {
    assert.deepEqual(aspectRatio(1920, 1080), [16, 9]);
    assert.deepEqual(aspectRatio(1280, 1024), [5, 4]);
    assert.deepEqual(aspectRatio(0, 0), [0, 0]);
    assert.equal(rationalText({ num: 30, den: 1 }), '30');
    assert.equal(rationalText({ num: 30000, den: 1001 }), '30000/1001');
    assert.equal(rationalText(null), '0/0');
  });

  it('lists a file in auto-editor text layout, leaving out unspecified colours and zero bitrates', () => {
    const text = infoText('talk.mp4', details);
    assert.equal(
      text,
      [
        'talk.mp4:',
        ' - recommendedTimebase: 30000/1001',
        ' - video:',
        '   - track 0:',
        '     - codec: h264',
        '     - fps: 30000/1001',
        '     - resolution: 1920x1080',
        '     - aspect ratio: 16:9',
        '     - pixel aspect ratio: 1:1',
        '     - duration: 4.0',
        '     - pix fmt: yuv420p',
        '     - color range: 1 (tv)',
        '     - color space: 1 (bt709)',
        '     - color transfer: 6',
        '     - timebase: 1/30000',
        '     - bitrate: 100000',
        '     - lang: eng',
        ' - audio:',
        '   - track 0:',
        '     - codec: aac',
        '     - layout: stereo',
        '     - samplerate: 48000',
        '     - duration: 3.5',
        ' - subtitle:',
        '   - track 0:',
        '     - codec: mov_text',
        '     - lang: fra',
        ' - container:',
        '   - duration: 4.0',
        '   - bitrate: 123456',
        '',
        '',
      ].join('\n'),
    );
  });

  it('gives JSON with auto-editor field names', () => {
    const json = infoJson(details) as Record<string, unknown> & { video: Array<Record<string, unknown>>; audio: Array<Record<string, unknown>> };
    assert.equal(json.type, 'media');
    assert.equal(json.recommendedTimebase, '30000/1001');
    assert.deepEqual(json.video[0].aspect_ratio, [16, 9]);
    assert.equal(json.video[0].pixel_aspect_ratio, '1:1');
    assert.equal(json.video[0].color_transfer, 6);
    assert.equal(json.video[0].timebase, '1/30000');
    assert.equal(json.audio[0].lang, 'und');
    assert.deepEqual(json.subtitle, [{ codec: 'mov_text', lang: 'fra' }]);
    assert.deepEqual(json.container, { duration: 4, bitrate: 123456 });
  });
});

describe('small helpers', () => {
  it('formats cache sizes as auto-editor does', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1024), '1.00 KiB');
    assert.equal(formatBytes(1536 * 1024), '1.50 MiB');
  });

  it('runs half the cores at once in a batch, at least one', () => {
    assert.equal(defaultJobs(1), 1);
    assert.equal(defaultJobs(2), 1);
    assert.equal(defaultJobs(8), 4);
    assert.equal(defaultJobs(7), 3);
  });

  it('picks the opener of each platform', () => {
    assert.deepEqual(openerFor('a b.mp4', 'linux'), { command: 'xdg-open', args: ['a b.mp4'] });
    assert.deepEqual(openerFor('x.mp4', 'darwin'), { command: 'open', args: ['x.mp4'] });
    assert.equal(openerFor('x.mp4', 'win32').command, 'cmd');
    assert.equal(openerFor('x.mp4', 'win32').args.at(-1), 'x.mp4');
  });
});
