// Test media with extra streams: cover art and subtitle streams added to a file the tests made.
import assert from 'node:assert/strict';
import { av, loadAv } from '../../src/media/av.js';
import { StreamDecoder } from '../../src/media/decoder.js';
import { OutputFile } from '../../src/media/output.js';
import { openFormat } from '../../src/media/probe.js';

/** A 32×32 red PNG, encoded by FFmpeg: the cover art. */
export async function pngCover(): Promise<{ data: Buffer; par: InstanceType<ReturnType<typeof av>['lib']['CodecParameters']> }> {
  await loadAv();
  const { lib } = av();
  const dec = await StreamDecoder.open('color=c=red:s=32x32:d=0.1,format=rgb24', 'video', 0, { inputFormat: 'lavfi' });
  const codec = lib.Codec.findEncoderByName('png' as never)!;
  const ctx = new lib.CodecContext();
  ctx.allocContext3(codec);
  ctx.width = 32;
  ctx.height = 32;
  ctx.pixelFormat = lib.avGetPixFmtFromName('rgb24');
  ctx.timeBase = new lib.Rational(1, 25);
  assert.ok(ctx.open2Sync(codec, null) >= 0);
  const pkt = new lib.Packet();
  pkt.alloc();
  try {
    ctx.sendFrameSync(dec.next());
    ctx.sendFrameSync(null);
    assert.ok(ctx.receivePacketSync(pkt) >= 0);
    const par = new lib.CodecParameters();
    par.alloc();
    par.fromContext(ctx);
    return { data: Buffer.from(pkt.data!), par };
  } finally {
    pkt.free();
    ctx.freeContext();
    dec.close();
  }
}

export interface ExtraSubtitle {
  codecId: number;
  extradata?: Buffer;
  packets: Array<{ start: number; end: number; data: Buffer }>;
}

/**
 * Copies every stream of `input` into `output` and adds cover art and subtitle streams, written with
 * the same OutputFile the renderer uses.
 */
export async function withExtras(input: string, output: string, extras: { cover?: Awaited<ReturnType<typeof pngCover>>; subtitles?: ExtraSubtitle[] }): Promise<void> {
  await loadAv();
  const { lib, c } = av();
  const inFmt = await openFormat(input);
  const out = OutputFile.create(output, output);
  const pkt = new lib.Packet();
  pkt.alloc();
  try {
    const map = new Map<number, { index: number; tb: { num: number; den: number } }>();
    for (const st of inFmt.streams) {
      const os = out.addCopiedStream({ from: st.codecpar, timeBase: st.timeBase, disposition: st.disposition, metadata: {} });
      map.set(st.index, { index: os.index, tb: st.timeBase });
    }
    const cover = extras.cover
      ? out.addCopiedStream({ from: extras.cover.par, timeBase: { num: 1, den: 90000 }, disposition: c.AV_DISPOSITION_ATTACHED_PIC, metadata: { comment: 'Cover (front)' } })
      : null;
    const subs = (extras.subtitles ?? []).map((s) => ({
      spec: s,
      stream: out.addCopiedStream({
        from: null,
        mediaType: c.AVMEDIA_TYPE_SUBTITLE,
        codecId: s.codecId,
        extradata: s.extradata,
        timeBase: { num: 1, den: 1000 },
        disposition: 0,
        metadata: { language: 'eng' },
      }),
    }));
    out.begin();
    if (cover && extras.cover) {
      pkt.data = extras.cover.data;
      pkt.streamIndex = cover.index;
      pkt.pts = 0n;
      pkt.dts = 0n;
      pkt.flags = c.AV_PKT_FLAG_KEY;
      out.writePacket(pkt);
    }
    for (const { spec, stream } of subs) {
      for (const p of spec.packets) {
        pkt.data = p.data;
        pkt.streamIndex = stream.index;
        const tb = stream.timeBase;
        pkt.pts = BigInt(Math.round((p.start * tb.den) / tb.num));
        pkt.dts = pkt.pts;
        pkt.duration = BigInt(Math.round(((p.end - p.start) * tb.den) / tb.num));
        pkt.flags = c.AV_PKT_FLAG_KEY;
        out.writePacket(pkt);
      }
    }
    while (inFmt.readFrameSync(pkt) >= 0) {
      const m = map.get(pkt.streamIndex)!;
      pkt.rescaleTs(m.tb, out.fmt.streams[m.index].timeBase);
      pkt.streamIndex = m.index;
      pkt.pos = -1n;
      out.writePacket(pkt);
    }
    out.finish();
  } finally {
    pkt.free();
    out.close();
    inFmt.closeInputSync();
  }
}

