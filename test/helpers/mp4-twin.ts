/**
 * The reference an unfragmented-by-conversion MP4 must equal: while `withNormalTwin` runs, every
 * OutputFile also writes the same streams and the very same packets (same calls, same order)
 * through FFmpeg's normal mov muxer into a "twin" file. Renders are not bit-for-bit repeatable
 * (threaded x264), so only a twin fed by the same render is a fair reference.
 */
import { basename, dirname, join } from 'node:path';
import { av } from '../../src/media/av.js';
import { FlatMp4Output } from '../../src/media/flat-mp4.js';
import { OutputFile } from '../../src/media/output.js';

type Packet = Parameters<OutputFile['writePacket']>[0];

interface Twinned {
  twin?: OutputFile;
  twinPath?: string;
  flatUsed?: boolean;
}

/** Where the twin of an output is written: `normal-<name>` beside it. */
export function twinPath(output: string): string {
  return join(dirname(output), `normal-${basename(output)}`);
}

/**
 * Runs `fn` with every OutputFile twinned; returns what it returned and, per output written, the
 * twin's path and whether the output was converted (false: tacet kept FFmpeg's normal muxer).
 */
export async function withNormalTwin<T>(fn: () => Promise<T>): Promise<{ result: T; outputs: Map<string, { twin: string; converted: boolean }> }> {
  const proto = OutputFile.prototype as unknown as Record<string, (...args: unknown[]) => unknown>;
  const saved = { begin: proto.begin, writePacket: proto.writePacket, finish: proto.finish, close: proto.close };
  const outputs = new Map<string, { twin: string; converted: boolean }>();
  const twins = new WeakSet<OutputFile>();
  proto.begin = function (this: OutputFile & Twinned) {
    if (twins.has(this)) return saved.begin.call(this);
    const self = this as unknown as { shownPath: string; muxerOptions: Record<string, string>; flat: unknown };
    const path = twinPath(self.shownPath);
    const twin = OutputFile.create(path, self.shownPath, { formatName: this.formatName, muxerOptions: self.muxerOptions });
    twins.add(twin);
    for (const st of this.fmt.streams) {
      const copy = twin.addCopiedStream({
        from: st.codecpar,
        timeBase: st.timeBase,
        disposition: st.disposition,
        metadata: st.metadata?.getAll() ?? {},
      });
      copy.avgFrameRate = st.avgFrameRate;
      copy.sampleAspectRatio = st.sampleAspectRatio;
    }
    saved.begin.call(this);
    const plan = FlatMp4Output.plan;
    FlatMp4Output.plan = () => null;
    try {
      twin.begin();
    } finally {
      FlatMp4Output.plan = plan;
    }
    this.twin = twin;
    this.twinPath = path;
    outputs.set(self.shownPath, { twin: path, converted: self.flat !== null });
  };
  proto.writePacket = function (this: OutputFile & Twinned, pkt: unknown) {
    const { lib } = av();
    const copy = new lib.Packet();
    copy.alloc();
    copy.ref(pkt as Packet);
    try {
      saved.writePacket.call(this, pkt);
      this.twin?.writePacket(copy);
    } finally {
      copy.free();
    }
  };
  proto.finish = function (this: OutputFile & Twinned) {
    saved.finish.call(this);
    this.twin?.finish();
  };
  proto.close = function (this: OutputFile & Twinned) {
    saved.close.call(this);
    this.twin?.close();
  };
  try {
    return { result: await fn(), outputs };
  } finally {
    Object.assign(proto, saved);
  }
}
