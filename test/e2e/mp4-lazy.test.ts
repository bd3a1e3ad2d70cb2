// Long MP4/MOV/M4A inputs are read without FFmpeg's in-memory sample index (src/media/mp4-input.ts):
// the packets, stream facts and seeks must be exactly what FFmpeg's own demuxer gives, on real
// recordings and on generated files (moov at the end, several audio tracks, cover art, B-frames).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, openSync, readFileSync, writeFileSync, closeSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { readCues } from '../../src/analyze/subtitle.js';
import { av, loadAv } from '../../src/media/av.js';
import { generateMedia } from '../../src/media/generate.js';
import { readMp4Layout } from '../../src/media/mp4-tables.js';
import { LazyInput, type MediaInput } from '../../src/media/mp4-input.js';
import { describe, openFormat, openInput, probe } from '../../src/media/probe.js';
import { encodePayload, MOV_TEXT_EXTRADATA, payloadTokens } from '../../src/render/streams.js';
import { rational } from '../../src/timeline/rational.js';
import { hasSharedMedia, SHARED_MEDIA, tempDir } from '../helpers/media.js';
import { pngCover, withExtras } from '../helpers/streams.js';

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

type Pkt = { pts: bigint; dts: bigint; duration: bigint; size: number; flags: number; pos: bigint; hash: string };

/** Every packet of `stream`, in the order the input gives them. */
function packetsOf(read: (pkt: InstanceType<ReturnType<typeof av>['lib']['Packet']>) => number, stream: number, limit = Infinity): Pkt[] {
  const { lib } = av();
  const pkt = new lib.Packet();
  pkt.alloc();
  const out: Pkt[] = [];
  try {
    while (out.length < limit && read(pkt) >= 0) {
      if (pkt.streamIndex === stream) {
        const hash = createHash('sha1').update(pkt.data ?? Buffer.alloc(0)).digest('hex');
        out.push({ pts: pkt.pts, dts: pkt.dts, duration: pkt.duration, size: pkt.size, flags: pkt.flags, pos: pkt.pos, hash });
      }
      pkt.unref();
    }
  } finally {
    pkt.free();
  }
  return out;
}

/** FFmpeg's own demuxer: every packet of each stream. */
async function ffmpegPackets(path: string): Promise<Pkt[][]> {
  const fmt = await openFormat(path);
  try {
    const { lib } = av();
    const pkt = new lib.Packet();
    pkt.alloc();
    const out: Pkt[][] = fmt.streams.map(() => []);
    while (fmt.readFrameSync(pkt) >= 0) {
      const hash = createHash('sha1').update(pkt.data ?? Buffer.alloc(0)).digest('hex');
      out[pkt.streamIndex].push({ pts: pkt.pts, dts: pkt.dts, duration: pkt.duration, size: pkt.size, flags: pkt.flags, pos: pkt.pos, hash });
      pkt.unref();
    }
    pkt.free();
    return out;
  } finally {
    fmt.closeInputSync();
  }
}

/** Asserts that `path` is read lazily and gives FFmpeg's packets and stream facts. */
async function assertSameAsFfmpeg(path: string): Promise<void> {
  await loadAv();
  const expected = await ffmpegPackets(path);
  for (let s = 0; s < expected.length; s++) {
    const input = await openInput(path);
    try {
      assert.ok(input instanceof LazyInput, `${path} is read lazily`);
      const got = packetsOf((p) => input.read(p, s), s);
      assert.equal(got.length, expected[s].length, `stream ${s}: packet count`);
      // A cover picture lies in the moov, which FFmpeg reads cut down: only its offset differs.
      const picture = input.fmt.streams[s].hasDisposition(av().c.AV_DISPOSITION_ATTACHED_PIC);
      for (let i = 0; i < got.length; i++) {
        if (picture) assert.deepEqual({ ...got[i], pos: 0n }, { ...expected[s][i], pos: 0n }, `stream ${s} picture`);
        else assert.deepEqual(got[i], expected[s][i], `stream ${s} packet ${i}`);
      }
    } finally {
      input.close();
    }
  }
  const fmt = await openFormat(path);
  try {
    assert.deepEqual(await probe(path), describe(path, fmt), 'probe gives the facts of a full open');
  } finally {
    fmt.closeInputSync();
  }
}

/**
 * After a seek to each target, the stream's packets start at the last keyframe shown at or before
 * the target (FFmpeg's packet list decides which that is) and go on exactly as FFmpeg's do.
 */
async function assertSeeks(path: string, stream: number, targets: number[]): Promise<void> {
  const all = (await ffmpegPackets(path))[stream];
  const input: MediaInput = await openInput(path);
  try {
    assert.ok(input instanceof LazyInput);
    const tb = input.fmt.streams[stream].timeBase;
    for (const seconds of targets) {
      const ts = BigInt(Math.floor((seconds * tb.den) / tb.num));
      assert.ok(input.seek(stream, ts) >= 0, `seek to ${seconds} s`);
      const got = packetsOf((p) => input.read(p, stream), stream, 40);
      const { c } = av();
      // The latest keyframe shown at or before the target, in decode order.
      let want = 0;
      for (let i = 0; i < all.length; i++) if (all[i].flags & c.AV_PKT_FLAG_KEY && all[i].pts <= ts) want = i;
      assert.deepEqual(got, all.slice(want, want + got.length), `packets after a seek to ${seconds} s`);
      assert.ok(got.length > 0);
    }
  } finally {
    input.close();
  }
}

test('example.mp4 (H.264 with B-frames + AAC whose edit ends before its last packets): same packets and facts as FFmpeg', { skip: !hasSharedMedia && 'needs ../shared/media' }, async () => {
  await assertSameAsFfmpeg(join(SHARED_MEDIA, 'example.mp4'));
  await assertSeeks(join(SHARED_MEDIA, 'example.mp4'), 0, [0, 0.5, 3.3, 10, 25.02, 41.9]);
  await assertSeeks(join(SHARED_MEDIA, 'example.mp4'), 1, [0, 0.01, 5, 12.345, 42.3]);
});

test('man-on-green-screen.mp4: same packets and facts as FFmpeg', { skip: !hasSharedMedia && 'needs ../shared/media' }, async () => {
  await assertSameAsFfmpeg(join(SHARED_MEDIA, 'man-on-green-screen.mp4'));
});

test('generated: moov at the end, two AAC tracks at different rates, 30000/1001 video', async () => {
  const path = join(tmp.dir, 'two-tracks.mov');
  await generateMedia(path, {
    duration: 14,
    video: { width: 160, height: 90, rate: rational(30000, 1001) },
    audio: { sampleRate: 48000, layout: 'stereo' },
    moreAudio: [{ sampleRate: 44100, layout: 'mono' }],
    videoOptions: { preset: 'ultrafast', bf: '2', g: '48' },
  });
  const fd = openSync(path, 'r');
  const layout = readMp4Layout(fd, fstatSync(fd).size);
  closeSync(fd);
  assert.equal(layout?.tracks.length, 3);
  assert.ok(layout!.moov.start > 1000, 'the moov comes after the media data');
  await assertSameAsFfmpeg(path);
  await assertSeeks(path, 0, [0, 2, 7.7, 13.9]);
  await assertSeeks(path, 2, [0, 6.5, 13.99]);
});

test('generated .m4a with cover art: the picture stream is kept and the audio read lazily', async () => {
  const plain = join(tmp.dir, 'talk.m4a');
  const path = join(tmp.dir, 'talk-cover.m4a');
  await generateMedia(plain, { duration: 12, audio: { sampleRate: 48000, layout: 'stereo' } });
  await withExtras(plain, path, { cover: await pngCover() });
  const info = await probe(path);
  assert.equal(info.audio.length, 1);
  await assertSameAsFfmpeg(path);
});

test('generated .mp4 with a mov_text track: subtitle packets and cues as FFmpeg reads them', async () => {
  await loadAv();
  const { c } = av();
  const plain = join(tmp.dir, 'talk.mkv');
  const path = join(tmp.dir, 'talk-subs.mp4');
  await generateMedia(plain, { duration: 12, audio: { sampleRate: 48000, layout: 'stereo' } });
  const cue = (text: string) => encodePayload('mov_text', payloadTokens('subrip', Buffer.from(text)))!;
  const packets = Array.from({ length: 40 }, (_, i) => ({ start: i * 0.3, end: i * 0.3 + 0.2, data: cue(`line ${i}`) }));
  await withExtras(plain, path, { subtitles: [{ codecId: c.AV_CODEC_ID_MOV_TEXT, extradata: MOV_TEXT_EXTRADATA, packets }] });
  await assertSameAsFfmpeg(path);
  const cues = await readCues(path, 0);
  assert.equal(cues.length, 40);
  assert.equal(cues[39].text, 'line 39');
  assert.ok(Math.abs(cues[39].start - 11.7) < 0.002);
});

test('short files and broken tables are opened by FFmpeg as before', async () => {
  await loadAv();
  const short = join(tmp.dir, 'short.m4a');
  await generateMedia(short, { duration: 3, audio: { sampleRate: 48000, layout: 'mono' } });
  const a = await openInput(short);
  assert.ok(!(a instanceof LazyInput), 'a file whose tables fit in the head is not worth it');
  a.close();
  // Break the stsz box's type: FFmpeg then decides what the file is, the lazy reader stays out.
  const long = join(tmp.dir, 'long.m4a');
  await generateMedia(long, { duration: 12, audio: { sampleRate: 48000, layout: 'mono' } });
  const bytes = readFileSync(long);
  const at = bytes.indexOf(Buffer.from('stsz'));
  assert.ok(at > 0);
  bytes.write('stzz', at, 'latin1');
  const broken = join(tmp.dir, 'broken.m4a');
  writeFileSync(broken, bytes);
  const fd = openSync(broken, 'r');
  assert.equal(readMp4Layout(fd, fstatSync(fd).size), null);
  closeSync(fd);
  copyFileSync(long, join(tmp.dir, 'copy.m4a'));
  const b = await openInput(join(tmp.dir, 'copy.m4a'));
  assert.ok(b instanceof LazyInput);
  b.close();
});
