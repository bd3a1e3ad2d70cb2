// MP4/MOV/M4A outputs are written by FFmpeg's fragmented muxer (memory bounded by one fragment)
// and converted at the end into the file FFmpeg's normal muxer writes (issue 5). Each render here
// runs while a twin receives the very same packets through the normal muxer (test/helpers/
// mp4-twin.ts); the converted file must demux to the same packets per stream (timestamps,
// durations, flags, sizes, bytes), start and last as long, decode to the same audio (edit lists:
// the AAC priming is cut the same way), hold its index where asked, and satisfy ffprobe. Fragments
// are made tiny so that every file crosses many fragment boundaries.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, openSync, closeSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runEdit, type EditOptions } from '../../src/core/edit.js';
import { AudioReader } from '../../src/media/audio-reader.js';
import { av, loadAv } from '../../src/media/av.js';
import { StreamDecoder } from '../../src/media/decoder.js';
import { FlatMp4Output } from '../../src/media/flat-mp4.js';
import { generateMedia } from '../../src/media/generate.js';
import { childBoxes, findPath } from '../../src/media/isobmff.js';
import { OutputFile } from '../../src/media/output.js';
import { openFormat } from '../../src/media/probe.js';
import { SHARED_MEDIA, hasSharedMedia, tempDir } from '../helpers/media.js';
import { withNormalTwin } from '../helpers/mp4-twin.js';
import { pngCover, withExtras } from '../helpers/streams.js';

let tmp: ReturnType<typeof tempDir>;
/** 2 s 320x240 25 fps with B-frames (x264 veryfast) + 48 kHz stereo AAC. */
let clip: string;
/** 1 s video + two mono audio streams (440 Hz, 1000 Hz). */
let twoTracks: string;
const savedLimit = { ...FlatMp4Output.fragmentLimit };

before(async () => {
  tmp = tempDir('tacet-mp4flat-');
  FlatMp4Output.fragmentLimit = { bytes: 64 << 10, packets: 17 };
  clip = join(tmp.dir, 'clip.mp4');
  twoTracks = join(tmp.dir, 'two.mkv');
  await generateMedia(clip, {
    duration: 2,
    video: { width: 320, height: 240, rate: { num: 25, den: 1 }, filters: 'noise=alls=8:allf=t' },
    videoOptions: { preset: 'veryfast', bf: '3' },
    audio: { sampleRate: 48000, layout: 'stereo', bursts: [[0.2, 1.6]] },
  });
  await generateMedia(twoTracks, {
    duration: 1,
    video: { width: 64, height: 48, rate: { num: 25, den: 1 } },
    audio: { sampleRate: 48000, layout: 'mono', expr: '0.5*sin(2*PI*440*t)' },
    moreAudio: [{ sampleRate: 44100, layout: 'mono', expr: '0.5*sin(2*PI*1000*t)' }],
  });
});
after(() => {
  FlatMp4Output.fragmentLimit = savedLimit;
  tmp.cleanup();
});

let n = 0;
/** Renders `input` in-process (every frame kept unless `edit` says otherwise) with its twin. */
async function render(input: string, ext: string, request: EditOptions['render'] = {}, edit = 'none'): Promise<{ out: string; twin: string; converted: boolean }> {
  const out = join(tmp.dir, `out-${++n}${ext}`);
  const { outputs } = await withNormalTwin(() =>
    runEdit({
      inputs: [input],
      frameRate: null,
      export: null,
      output: out,
      noCache: true,
      edits: [{ label: 1, expr: edit }],
      whens: [],
      ranges: [],
      margin: '0.2s',
      smooth: '0.2s,0.1s',
      render: request,
    }),
  );
  const o = outputs.get(out);
  assert.ok(o, `no twin for ${out}`);
  return { out, twin: o.twin, converted: o.converted };
}

interface StreamDump {
  type: number;
  codec: number;
  extradata: string;
  timeBase: string;
  start: bigint;
  duration: bigint;
  disposition: number;
  packets: string[];
}

/** Every stream of a file and every packet it demuxes to (timestamps, flags, size, data hash). */
async function dump(path: string): Promise<StreamDump[]> {
  const { lib } = av();
  const fmt = await openFormat(path);
  const pkt = new lib.Packet();
  pkt.alloc();
  try {
    const streams: StreamDump[] = fmt.streams.map((st) => ({
      type: st.codecpar.codecType,
      codec: st.codecpar.codecId,
      extradata: st.codecpar.extradata?.toString('hex') ?? '',
      timeBase: `${st.timeBase.num}/${st.timeBase.den}`,
      start: st.startTime,
      duration: st.duration,
      disposition: st.disposition,
      packets: [],
    }));
    while (fmt.readFrameSync(pkt) >= 0) {
      const hash = createHash('sha1').update(pkt.data ?? Buffer.alloc(0)).digest('hex').slice(0, 16);
      streams[pkt.streamIndex].packets.push(`${pkt.pts}/${pkt.dts}/${pkt.duration}/${pkt.flags}/${pkt.size}/${hash}`);
      pkt.unref();
    }
    return streams;
  } finally {
    pkt.free();
    fmt.closeInputSync();
  }
}

/** Decoded samples of every audio stream: count and a hash of the float samples. */
async function decodedAudio(path: string, streams: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < streams; i++) {
    const reader = await AudioReader.open(path, i, { format: 'flt', chunkSamples: 65536 });
    const hash = createHash('sha1');
    let samples = 0;
    try {
      for (let c = reader.read(); c; c = reader.read()) {
        samples += c.samples;
        hash.update(Buffer.from(c.data.buffer, c.data.byteOffset, c.samples * c.channels * 4));
      }
    } finally {
      reader.close();
    }
    out.push(`${samples} samples ${hash.digest('hex')}`);
  }
  return out;
}

/** Top-level box types of a file. */
function topBoxes(path: string): string[] {
  const fd = openSync(path, 'r');
  try {
    return [...childBoxes(fd, 0, statSync(path).size)].map((b) => b.type);
  } finally {
    closeSync(fd);
  }
}

/** Types of the boxes under moov/trak[i]/mdia/minf/stbl (or null when absent). */
function stblBoxes(path: string, track: number): string[] | null {
  const fd = openSync(path, 'r');
  try {
    const moov = [...childBoxes(fd, 0, statSync(path).size)].find((b) => b.type === 'moov');
    if (!moov) return null;
    const trak = [...childBoxes(fd, moov.body, moov.end)].filter((b) => b.type === 'trak')[track];
    if (!trak) return null;
    const stbl = findPath(fd, trak, ['mdia', 'minf', 'stbl']);
    return stbl ? [...childBoxes(fd, stbl.body, stbl.end)].map((b) => b.type) : null;
  } finally {
    closeSync(fd);
  }
}

const ffprobe = spawnSync('ffprobe', ['-version']).status === 0;

/**
 * The converted file equals its twin in everything a demuxer reads; `identical` also asks for the
 * same bytes.
 */
async function assertSame(r: { out: string; twin: string; converted: boolean }, opts: { faststart?: boolean; identical?: boolean } = {}): Promise<StreamDump[]> {
  assert.ok(r.converted, `${r.out} was written by FFmpeg's normal muxer, not converted`);
  assert.ok(!existsSync(`${r.out}.fragmented`), 'the fragmented file is left behind');
  const [a, b] = [await dump(r.out), await dump(r.twin)];
  assert.equal(a.length, b.length, 'stream count');
  for (let i = 0; i < a.length; i++) {
    const { packets: pa, ...fa } = a[i];
    const { packets: pb, ...fb } = b[i];
    assert.deepEqual(fa, fb, `stream ${i}`);
    assert.equal(pa.length, pb.length, `stream ${i} packet count`);
    assert.deepEqual(pa, pb, `stream ${i} packets`);
  }
  const audio = a.filter((s) => s.type === av().c.AVMEDIA_TYPE_AUDIO).length;
  assert.deepEqual(await decodedAudio(r.out, audio), await decodedAudio(r.twin, audio), 'decoded audio');
  const boxes = topBoxes(r.out);
  assert.deepEqual(boxes.filter((x) => x !== 'free' && x !== 'wide'), topBoxes(r.twin).filter((x) => x !== 'free' && x !== 'wide'), 'top-level boxes');
  if (opts.faststart !== false) assert.ok(boxes.indexOf('moov') < boxes.indexOf('mdat'), `moov first: ${boxes}`);
  else assert.ok(boxes.indexOf('moov') > boxes.indexOf('mdat'), `moov last: ${boxes}`);
  assert.ok(!boxes.includes('moof') && !boxes.includes('mfra'), `no fragments left: ${boxes}`);
  if (opts.identical) assert.ok(readFileSync(r.out).equals(readFileSync(r.twin)), `${r.out} differs from the normal muxer's bytes`);
  if (ffprobe) {
    const p = spawnSync('ffprobe', ['-v', 'error', r.out], { encoding: 'utf8' });
    assert.equal(p.status, 0);
    assert.equal(p.stderr.trim(), '', `ffprobe: ${p.stderr}`);
  }
  return a;
}

test('AAC .m4a: the priming edit list and roll groups are restored; faststart or not', async () => {
  const m4a = await render(clip, '.m4a');
  await assertSame(m4a, { identical: true });
  assert.deepEqual(stblBoxes(m4a.out, 0)?.slice(-2), ['sgpd', 'sbgp']);
  const edts = (() => {
    const fd = openSync(m4a.out, 'r');
    try {
      const moov = [...childBoxes(fd, 0, statSync(m4a.out).size)].find((b) => b.type === 'moov')!;
      return findPath(fd, moov, ['trak', 'edts', 'elst']);
    } finally {
      closeSync(fd);
    }
  })();
  assert.ok(edts, 'an edit list cuts the encoder priming');
  await assertSame(await render(clip, '.m4a', { faststart: false }), { faststart: false, identical: true });
});

test('H.264 with B-frames + AAC in .mp4 and .mov, faststart or not', async () => {
  const mp4 = await render(clip, '.mp4', { partialLossless: false });
  await assertSame(mp4, { identical: true });
  assert.ok(stblBoxes(mp4.out, 0)?.includes('ctts'), 'B-frames: composition offsets');
  assert.ok(stblBoxes(mp4.out, 0)?.includes('stss'), 'sync samples');
  await assertSame(await render(clip, '.mp4', { faststart: false, partialLossless: false }), { faststart: false, identical: true });
  await assertSame(await render(clip, '.mov', { partialLossless: false }), { identical: true });
  await assertSame(await render(clip, '.m4v', { partialLossless: false }), { identical: true });
  // Whole GOPs copied from the source (another code path feeding the muxer).
  await assertSame(await render(clip, '.mp4'), { identical: true });
});

test('two audio tracks (different rates), with and without video', async () => {
  const s = await assertSame(await render(twoTracks, '.mp4'), { identical: true });
  assert.deepEqual(
    s.map((x) => x.type),
    [av().c.AVMEDIA_TYPE_VIDEO, av().c.AVMEDIA_TYPE_AUDIO, av().c.AVMEDIA_TYPE_AUDIO],
  );
  await assertSame(await render(twoTracks, '.m4a'), { identical: true });
});

test('mov_text subtitles: cues back to back, after gaps, across fragments', async () => {
  await loadAv();
  const { c } = av();
  const src = join(tmp.dir, 'subs.mkv');
  // Adjacent cues, a gap, a short cue, and one running to the end.
  const cues: Array<[number, number, string]> = [[0.2, 0.5, 'one'], [0.5, 0.9, 'two'], [1.3, 1.4, 'three'], [1.52, 2, 'four']];
  await withExtras(clip, src, {
    subtitles: [{ codecId: c.AV_CODEC_ID_SUBRIP, packets: cues.map(([start, end, text]) => ({ start, end, data: Buffer.from(text) })) }],
  });
  const r = await render(src, '.mp4', { partialLossless: false });
  const s = await assertSame(r, { identical: true });
  const text = s.find((x) => x.type === c.AVMEDIA_TYPE_SUBTITLE);
  assert.ok(text && text.packets.length >= 4, 'the cues are there');
  await assertSame(await render(src, '.mov', { partialLossless: false }), { identical: true });
  if (hasSharedMedia) await assertSame(await render(join(SHARED_MEDIA, 'mov_text.mp4'), '.mp4'), { identical: true });
});

test('cover art becomes iTunes covr, as the normal muxer writes it', async () => {
  await loadAv();
  const { c } = av();
  const tone = join(tmp.dir, 'tone.mp3');
  await generateMedia(tone, { duration: 1, audio: { sampleRate: 44100, layout: 'stereo', bursts: [[0, 1]] } });
  const src = join(tmp.dir, 'cover.mp3');
  await withExtras(tone, src, { cover: await pngCover() });
  for (const ext of ['.m4a', '.mp4']) {
    const s = await assertSame(await render(src, ext), { identical: true });
    assert.ok(s.some((x) => x.disposition & c.AV_DISPOSITION_ATTACHED_PIC), `${ext}: cover art read back`);
  }
  // QuickTime files keep no cover art (FFmpeg writes no iTunes metadata there): the same in both.
  await assertSame(await render(src, '.mov'), { identical: true });
});

test('other codecs: Opus (roll groups), FLAC (final STREAMINFO), ALAC, MP3, HEVC, MPEG-4, VP9, AV1', async () => {
  await assertSame(await render(clip, '.mp4', { videoCodec: 'vp9', audioCodec: 'opus' }), { identical: true });
  await assertSame(await render(clip, '.mp4', { videoCodec: 'av1', preset: '12', noAudio: true }), { identical: true });
  await assertSame(await render(clip, '.mp4', { audioCodec: 'opus', noVideo: true }), { identical: true });
  await assertSame(await render(clip, '.mp4', { audioCodec: 'flac', noVideo: true }), { identical: true });
  await assertSame(await render(clip, '.m4a', { audioCodec: 'alac' }), { identical: true });
  await assertSame(await render(clip, '.mov', { audioCodec: 'mp3', videoCodec: 'mpeg4' }), { identical: true });
  await assertSame(await render(clip, '.mp4', { videoCodec: 'hevc', preset: 'ultrafast', audioCodec: 'mp3' }), { identical: true });
});

test('an audio track that starts late: the edit list delays it as the normal muxer does', async () => {
  await loadAv();
  const out = join(tmp.dir, 'late.mp4');
  const { outputs } = await withNormalTwin(async () => {
    const file = OutputFile.create(`${out}.partial.mp4`, out, { muxerOptions: { movflags: '+faststart' } });
    try {
      const v = file.addVideo({ encoder: 'libx264', width: 96, height: 64, frameRate: { num: 30, den: 1 }, sar: { num: 1, den: 1 }, pixelFormat: 'yuv420p', options: { preset: 'veryfast' } });
      const a = file.addAudio({ encoder: 'aac', sampleRate: 48000, layout: 'mono', startSample: 24000 });
      file.begin();
      const dec = await StreamDecoder.open('testsrc2=size=96x64:rate=30:duration=2', 'video', 0, { inputFormat: 'lavfi' });
      let k = 0;
      for (let f = dec.next(); f; f = dec.next()) v.write(f, k++);
      dec.close();
      const reader = await AudioReader.open('sine=f=440:r=48000:d=1.5', 0, { format: 'flt', inputFormat: 'lavfi', chunkSamples: 4096 });
      for (let c = reader.read(); c; c = reader.read()) a.write(c.data, c.samples);
      reader.close();
      file.finish();
    } finally {
      file.close();
    }
  });
  const o = outputs.get(out)!;
  const s = await assertSame({ out: `${out}.partial.mp4`, twin: o.twin, converted: o.converted }, { identical: true });
  assert.ok(s[1].start > 0n, `audio starts late: ${s[1].start}`);
});

test('disposable frames (sdtp), and packet durations that disagree with the timestamps', async () => {
  await loadAv();
  const { lib, c } = av();
  const out = join(tmp.dir, 'disposable.mp4');
  const { outputs } = await withNormalTwin(async () => {
    const inFmt = await openFormat(clip);
    const file = OutputFile.create(`${out}.partial.mp4`, out);
    const pkt = new lib.Packet();
    pkt.alloc();
    try {
      const map = inFmt.streams.map((st) => ({ st, os: file.addCopiedStream({ from: st.codecpar, timeBase: st.timeBase, disposition: st.disposition, metadata: {} }) }));
      file.begin();
      let k = 0;
      while (inFmt.readFrameSync(pkt) >= 0) {
        const m = map[pkt.streamIndex];
        pkt.rescaleTs(m.st.timeBase, m.os.timeBase);
        pkt.streamIndex = m.os.index;
        pkt.pos = -1n;
        if (m.st.codecpar.codecType === c.AVMEDIA_TYPE_VIDEO) {
          if (!(pkt.flags & c.AV_PKT_FLAG_KEY) && k % 3 === 2) pkt.flags = (pkt.flags | c.AV_PKT_FLAG_DISPOSABLE) as never;
          // The muxer times samples by their dts, the last of a fragment only by its duration.
          if (k++ % 2 === 1) pkt.duration = 1n;
        }
        file.writePacket(pkt);
      }
      file.finish();
    } finally {
      pkt.free();
      file.close();
      inFmt.closeInputSync();
    }
  });
  const o = outputs.get(out)!;
  const r = { out: `${out}.partial.mp4`, twin: o.twin, converted: o.converted };
  await assertSame(r, { faststart: false, identical: true });
  assert.ok(stblBoxes(r.out, 0)?.includes('sdtp'));
});

test('outputs the conversion does not reproduce keep FFmpeg muxer as is', async () => {
  // PCM in MOV (chunked samples), and --fragmented (the user asked for fragments).
  const pcm = await render(clip, '.mov', { audioCodec: 'pcm_s16le', noVideo: true });
  assert.equal(pcm.converted, false);
  const frag = await render(clip, '.mp4', { fragmented: true, preset: 'ultrafast' });
  assert.equal(frag.converted, false);
  assert.ok(topBoxes(frag.out).includes('moof'));
});
