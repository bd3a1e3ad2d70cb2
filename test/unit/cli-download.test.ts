// URL inputs: the yt-dlp command line tacet builds, as auto-editor builds it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { UserError } from '../../src/errors.js';
import { defaultTemplate, isUrl, splitArgs, ytDlpArgs } from '../../src/core/download.js';
import { isTimelineInput } from '../../src/core/inputs.js';

describe('URL inputs', () => {
  it('recognises http and https only; a URL is never a timeline file', () => {
    assert.equal(isUrl('https://www.youtube.com/watch?v=abc'), true);
    assert.equal(isUrl('HTTP://example.com/a.mp4'), true);
    assert.equal(isUrl('ftp://example.com/a.mp4'), false);
    assert.equal(isUrl('talk.mp4'), false);
    assert.equal(isTimelineInput('https://example.com/cut.json'), false);
    assert.equal(isTimelineInput('cut.json'), true);
  });

  it('names the download after the URL, as auto-editor does', () => {
    assert.equal(defaultTemplate('https://www.youtube.com/watch?v=abc_1'), 'https-www-youtube-com-watch-v-abc_1.%(ext)s');
    assert.equal(defaultTemplate('https://example.com/media/talk.mp4'), 'https-example-com-media-talk.%(ext)s');
  });

  it('asks youtube.com for mp4+m4a unless a format is given, and appends the extras', () => {
    assert.deepEqual(ytDlpArgs('https://www.youtube.com/watch?v=x', { ytDlp: 'yt-dlp' }), [
      '-f',
      'bestvideo[ext=mp4]+bestaudio[ext=m4a]',
      '-o',
      'https-www-youtube-com-watch-v-x.%(ext)s',
      'https://www.youtube.com/watch?v=x',
    ]);
    assert.deepEqual(
      ytDlpArgs('https://vimeo.com/1', { ytDlp: 'yt-dlp', outputFormat: '%(title)s.%(ext)s', extras: '--cookies "my cookies.txt" -q' }),
      ['-o', '%(title)s.%(ext)s', 'https://vimeo.com/1', '--cookies', 'my cookies.txt', '-q'],
    );
    assert.deepEqual(ytDlpArgs('https://youtube.com/watch?v=y', { ytDlp: 'yt-dlp', downloadFormat: 'best' }).slice(0, 2), ['-f', 'best']);
  });

  it('splits extras like a shell', () => {
    assert.deepEqual(splitArgs(''), []);
    assert.deepEqual(splitArgs('  -a   b '), ['-a', 'b']);
    assert.deepEqual(splitArgs(`--x 'a b' "c \\"d\\"" e\\ f ''`), ['--x', 'a b', 'c "d"', 'e f', '']);
    assert.throws(() => splitArgs('--x "open'), (e: unknown) => e instanceof UserError && /unclosed " quote/.test(e.message));
  });
});
