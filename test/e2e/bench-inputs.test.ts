// The benchmarks' generated inputs are what BENCHMARKS.md says they are: the talk has 2-second
// closed GOPs, 720p30 H.264 and stereo 48 kHz AAC whose pause tacet's default edit cuts; a long
// recording made by repeating packets lasts the sum of its copies.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ensureTalk, repeatPackets, TALK_GOP } from '../../bench/talk.js';
import { runEdit } from '../../src/core/edit.js';
import { loadAv } from '../../src/media/av.js';
import { generateMedia } from '../../src/media/generate.js';
import { openFormat, probe } from '../../src/media/probe.js';
import { tempDir } from '../helpers/media.js';

let tmp: ReturnType<typeof tempDir>;
before(() => (tmp = tempDir()));
after(() => tmp.cleanup());

/** Presentation times (s) of the key packets, and the packet count, of the first stream of `kind`. */
async function packets(path: string, kind: 'audio' | 'video'): Promise<{ keys: number[]; count: number }> {
  const { lib, c } = await loadAv();
  const fmt = await openFormat(path);
  const type = kind === 'audio' ? c.AVMEDIA_TYPE_AUDIO : c.AVMEDIA_TYPE_VIDEO;
  const st = fmt.streams.find((s) => s.codecpar.codecType === type)!;
  const pkt = new lib.Packet();
  pkt.alloc();
  const keys: number[] = [];
  let count = 0;
  try {
    while (fmt.readFrameSync(pkt) >= 0) {
      if (pkt.streamIndex === st.index) {
        count++;
        if (pkt.flags & c.AV_PKT_FLAG_KEY) keys.push((Number(pkt.pts) * st.timeBase.num) / st.timeBase.den);
      }
      pkt.unref();
    }
  } finally {
    pkt.free();
    fmt.closeInputSync();
  }
  return { keys, count };
}

test('the talk: 720p30 H.264 with a keyframe every 2 s, stereo AAC, and its pause is cut', async () => {
  const path = await ensureTalk(tmp.dir, 0.4); // 24 s: speech 0–20 s, pause 20–22 s, speech 22–24 s
  const info = await probe(path);
  assert.equal(info.video[0].codec, 'h264');
  assert.deepEqual([info.video[0].width, info.video[0].height], [1280, 720]);
  assert.deepEqual(info.video[0].avgFrameRate, { num: 30, den: 1 });
  assert.equal(info.audio[0].codec, 'aac');
  assert.equal(info.audio[0].sampleRate, 48000);
  assert.equal(info.audio[0].channels, 2);
  const { keys, count } = await packets(path, 'video');
  assert.equal(count, 720);
  assert.deepEqual(keys, Array.from({ length: 12 }, (_, i) => (i * TALK_GOP) / 30));

  const r = await runEdit({
    inputs: [path],
    edits: [{ label: 1, expr: 'audio' }],
    whens: [],
    ranges: [],
    margin: '0.2s',
    smooth: '0.2s,0.1s',
    frameRate: null,
    export: 'v3',
    output: '-',
    noCache: true,
  });
  const v3 = JSON.parse(r.stdout!) as { v: Array<Array<{ offset: number; dur: number }>> };
  const clips = v3.v[0];
  assert.equal(clips.length, 2, 'one cut, in the pause');
  // The pause 20–22 s minus the 0.2 s margin on each side: frames 606..654 give or take a frame.
  const cutStart = clips[0].offset + clips[0].dur;
  assert.ok(Math.abs(cutStart - 606) <= 2, `cut starts at frame ${cutStart}`);
  assert.ok(Math.abs(clips[1].offset - 654) <= 2, `cut ends at frame ${clips[1].offset}`);
  assert.equal(clips[1].offset + clips[1].dur, 720);
});

test('repeatPackets: n copies of a recording last n times as long, in order', async () => {
  const one = join(tmp.dir, 'one.m4a');
  await generateMedia(one, { duration: 3, audio: { sampleRate: 48000, layout: 'stereo', bursts: [[1, 2]] } });
  const three = join(tmp.dir, 'three.m4a');
  await repeatPackets(one, three, 3);
  const a = await packets(one, 'audio');
  const b = await packets(three, 'audio');
  assert.equal(b.count, 3 * a.count);
  const info = await probe(three);
  assert.ok(Math.abs(info.duration - 3 * (await probe(one)).duration) < 0.05, `duration ${info.duration}`);
});
