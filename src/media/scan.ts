import { yieldToLoop } from './av.js';
import { openInput } from './probe.js';
import type { MediaInfo } from './types.js';
import { av } from './av.js';

/**
 * auto-editor's media length in seconds: the largest pts + duration among the first audio
 * stream's packets, else the first video stream's duration. Demuxes only, never decodes.
 */
export async function scanMediaSeconds(info: MediaInfo): Promise<number> {
  const audio = info.audio[0];
  if (!audio) return info.video[0]?.duration ?? info.duration;
  const input = await openInput(info.path);
  const { lib } = av();
  const pkt = new lib.Packet();
  pkt.alloc();
  try {
    const tb = audio.timeBase;
    let end = 0n;
    let n = 0;
    while (input.read(pkt, audio.index) >= 0) {
      if (pkt.streamIndex === audio.index && pkt.pts !== -0x8000000000000000n) {
        const e = pkt.pts + pkt.duration;
        if (e > end) end = e;
      }
      pkt.unref();
      if (++n % 4096 === 0) await yieldToLoop();
    }
    return (Number(end) * tb.num) / tb.den;
  } finally {
    pkt.free();
    input.close();
  }
}
