import { renameSync, rmSync } from 'node:fs';
import { MediaError } from '../errors.js';
import { tempOutputPath } from '../render/render.js';
import { averrorMessage, check, loadAv, yieldToLoop } from './av.js';
import { openFormat } from './probe.js';

/**
 * Copies the audio and video packets of `input` into a new container (no decoding), e.g. an MP4's
 * AAC into ADTS or Matroska. Written to a temporary name and renamed when complete.
 */
export async function remux(input: string, output: string): Promise<void> {
  const { lib, c } = await loadAv();
  const inFmt = await openFormat(input);
  const outFmt = new lib.FormatContext();
  const temp = tempOutputPath(output);
  let io: InstanceType<typeof lib.IOContext> | null = null;
  let ok = false;
  const pkt = new lib.Packet();
  pkt.alloc();
  try {
    check(outFmt.allocOutputContext2(null, null, output), `no muxer for ${output}`);
    const map = new Map<number, { index: number; inTb: { num: number; den: number } }>();
    for (const st of inFmt.streams) {
      const type = st.codecpar.codecType;
      if (type !== c.AVMEDIA_TYPE_AUDIO && type !== c.AVMEDIA_TYPE_VIDEO) continue;
      const os = outFmt.newStream(null);
      check(st.codecpar.copy(os.codecpar), 'copying stream parameters');
      os.codecpar.codecTag = 0;
      os.timeBase = st.timeBase;
      map.set(st.index, { index: os.index, inTb: st.timeBase });
    }
    outFmt.url = temp;
    io = new lib.IOContext();
    const r = io.open2Sync(temp, c.AVIO_FLAG_WRITE);
    if (r < 0) throw new MediaError(`could not write ${temp}: ${averrorMessage(r)}`);
    outFmt.pb = io;
    check(outFmt.writeHeaderSync(null), `writing header of ${output}`);
    let n = 0;
    while (inFmt.readFrameSync(pkt) >= 0) {
      const m = map.get(pkt.streamIndex);
      if (m) {
        const outTb = outFmt.streams[m.index].timeBase;
        pkt.rescaleTs(m.inTb, outTb);
        pkt.streamIndex = m.index;
        pkt.pos = -1n;
        check(outFmt.interleavedWriteFrameSync(pkt), `writing ${output}`);
      }
      pkt.unref();
      if (++n % 4096 === 0) await yieldToLoop();
    }
    check(outFmt.writeTrailerSync(), `finishing ${output}`);
    ok = true;
  } finally {
    pkt.free();
    inFmt.closeInputSync();
    if (io) {
      outFmt.pb = null;
      io.closepSync();
    }
    outFmt.freeContext();
    if (ok) renameSync(temp, output);
    else rmSync(temp, { force: true });
  }
}
