import { renameSync, rmSync } from 'node:fs';
import { tempOutputPath } from '../render/render.js';
import { loadAv, yieldToLoop } from './av.js';
import { OutputFile } from './output.js';
import { openFormat } from './probe.js';

type CopiedStream = ReturnType<OutputFile['addCopiedStream']>;

/**
 * Copies the audio and video packets of `input` into a new container (no decoding), e.g. an MP4's
 * AAC into ADTS or Matroska. Written to a temporary name and renamed when complete.
 */
export async function remux(input: string, output: string): Promise<void> {
  const { lib, c } = await loadAv();
  const inFmt = await openFormat(input);
  const temp = tempOutputPath(output);
  const out = OutputFile.create(temp, output);
  const pkt = new lib.Packet();
  pkt.alloc();
  let ok = false;
  try {
    const map = new Map<number, { stream: CopiedStream; inTb: { num: number; den: number } }>();
    for (const st of inFmt.streams) {
      const type = st.codecpar.codecType;
      if (type !== c.AVMEDIA_TYPE_AUDIO && type !== c.AVMEDIA_TYPE_VIDEO) continue;
      map.set(st.index, { stream: out.addCopiedStream({ from: st.codecpar, timeBase: st.timeBase, disposition: 0, metadata: {} }), inTb: st.timeBase });
    }
    out.begin();
    let n = 0;
    while (inFmt.readFrameSync(pkt) >= 0) {
      const m = map.get(pkt.streamIndex);
      if (m) {
        // The muxer may have chosen another time base at begin().
        pkt.rescaleTs(m.inTb, m.stream.timeBase);
        pkt.streamIndex = m.stream.index;
        pkt.pos = -1n;
        out.writePacket(pkt);
      }
      pkt.unref();
      if (++n % 4096 === 0) await yieldToLoop();
    }
    out.finish();
    ok = true;
  } finally {
    pkt.free();
    inFmt.closeInputSync();
    out.close();
    if (ok) renameSync(temp, output);
    else rmSync(temp, { force: true });
  }
}
