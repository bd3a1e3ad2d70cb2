/**
 * Unfragmented MP4/MOV/M4A output whose memory does not grow with its length.
 *
 * FFmpeg's mov muxer keeps ~64 bytes per packet until the trailer, where it writes the moov. So
 * tacet lets it write a fragmented file instead (it frees its index at each fragment), cutting a
 * fragment every few MiB, and at the end rewrites that file as the one FFmpeg's normal muxer
 * would have written (defragment.ts). This module decides when that is exact, sets the muxer up,
 * and records the little the fragments lose: each stream's first timestamps and end, disposable
 * flags, cover art, subtitle cues and replaced extradata. Anything it does not reproduce exactly
 * keeps FFmpeg's normal muxer (see `FlatMp4Output.plan`).
 */
import { rmSync } from 'node:fs';
import { av, check } from './av.js';
import { flattenFragmentedMp4, type FlatStream, type FlattenReport, type Mp4Mode } from './defragment.js';

type Lib = ReturnType<typeof av>['lib'];
type FormatContext = InstanceType<Lib['FormatContext']>;
type Packet = InstanceType<Lib['Packet']>;

const MODES: Record<string, Mp4Mode> = { mp4: 'mp4', mov: 'mov', ipod: 'ipod' };
/**
 * Codecs whose tracks the conversion reproduces exactly, checked against the normal muxer in tests
 * (VP9 and AV1 as libvpx and SVT-AV1 write them: whole superframes, no extradata update).
 */
const VIDEO = new Set(['h264', 'hevc', 'mpeg4', 'prores', 'av1', 'vp9']);
const AUDIO = new Set(['aac', 'mp3', 'alac', 'flac', 'opus']);
const COVER_TYPES: Record<string, number> = { mjpeg: 13, png: 14, bmp: 27 };

/** Per-stream facts recorded while packets pass. */
interface Recorded extends FlatStream {
  packets: number;
  /** Duration the muxer assumes for a packet without one (stream time base). */
  guessDuration: bigint;
  /** iTunes data type of a cover picture. */
  coverType: number;
}

/**
 * The plan for one output: options for FFmpeg's fragmented mode, the packet recorder and the
 * final conversion. Created by `FlatMp4Output.plan` before the header is written.
 */
export class FlatMp4Output {
  /**
   * A fragment is cut after this many bytes or packets: FFmpeg holds one fragment's data and
   * index in memory. (Tests lower it to cross many fragment boundaries in short files.)
   */
  static fragmentLimit = { bytes: 4 << 20, packets: 1024 };
  /** Where FFmpeg writes the fragmented file. */
  readonly fragmentPath: string;
  private streams: Recorded[] = [];
  private bytes = 0;
  private packets = 0;

  private constructor(
    private readonly mode: Mp4Mode,
    private readonly faststart: boolean,
    tempPath: string,
  ) {
    this.fragmentPath = `${tempPath}.fragmented`;
  }

  /**
   * Returns a plan when the output is an MP4/MOV/M4A the conversion reproduces exactly, else null
   * (FFmpeg's normal muxer is kept): any muxer option besides movflags=faststart (e.g. the user
   * asked for --fragmented), timecode tracks, PCM audio (several samples per packet), bitmap
   * subtitles, data streams, H.264/HEVC without codec extradata (the muxer takes it from the first
   * packet) or AAC without it (ADTS packets, which only the normal muxer's automatic bitstream
   * filter converts: FFmpeg turns those filters off for fragments). tacet writes no chapters.
   */
  static plan(fmt: FormatContext, muxerOptions: Record<string, string>, tempPath: string): FlatMp4Output | null {
    const { c, lib } = av();
    const mode = MODES[fmt.oformat?.name ?? ''];
    if (!mode) return null;
    let faststart = false;
    for (const [key, value] of Object.entries(muxerOptions)) {
      if (key !== 'movflags') return null;
      const flags = value.split(/[+]/).filter(Boolean);
      if (flags.some((f) => f !== 'faststart')) return null;
      faststart = flags.length > 0;
    }
    if (fmt.metadata?.get('timecode')) return null;
    for (const st of fmt.streams) {
      const par = st.codecpar;
      const codec = lib.avGetCodecName(par.codecId) ?? '';
      if (st.metadata?.get('timecode')) return null;
      if (par.codecType === c.AVMEDIA_TYPE_VIDEO) {
        if (st.disposition === c.AV_DISPOSITION_ATTACHED_PIC && codec in COVER_TYPES) continue;
        if (st.disposition & c.AV_DISPOSITION_ATTACHED_PIC) return null;
        if (!VIDEO.has(codec)) return null;
        if ((codec === 'h264' || codec === 'hevc') && !par.extradataSize) return null;
      } else if (par.codecType === c.AVMEDIA_TYPE_AUDIO) {
        if (!AUDIO.has(codec)) return null;
        if (codec === 'aac' && !par.extradataSize) return null;
      } else if (par.codecType === c.AVMEDIA_TYPE_SUBTITLE) {
        if (codec !== 'mov_text') return null;
      } else return null;
    }
    return new FlatMp4Output(mode, faststart, tempPath);
  }

  /**
   * Muxer options for the fragmented file: fragments only when asked (frag_custom), no index at
   * the end (skip_trailer), and no timestamp shifting, so that tracks keep the timestamps (and
   * edit lists) the normal muxer would give them.
   */
  get muxerOptions(): Record<string, string> {
    return { movflags: '+frag_custom+empty_moov+skip_trailer', avoid_negative_ts: 'disabled' };
  }

  /** Call after the header: learns each stream's kind and time base. */
  started(fmt: FormatContext): void {
    const { c, lib } = av();
    this.streams = fmt.streams.map((st): Recorded => {
      const par = st.codecpar;
      const codec = lib.avGetCodecName(par.codecId) ?? '';
      const type = par.codecType;
      const cover = type === c.AVMEDIA_TYPE_VIDEO && st.disposition === c.AV_DISPOSITION_ATTACHED_PIC;
      const kind = cover ? 'cover' : type === c.AVMEDIA_TYPE_VIDEO ? 'video' : type === c.AVMEDIA_TYPE_AUDIO ? 'audio' : 'subtitle';
      const tb = st.timeBase;
      const fps = st.avgFrameRate;
      // mux.c's guess for a video packet without a duration: one frame at the average rate.
      let guess = 0n;
      if (kind === 'video') {
        if (fps.num > 0 && fps.den > 0) guess = BigInt(Math.round((fps.den * tb.den) / (fps.num * tb.num)));
        else if (tb.num * 1000 > tb.den) guess = 1n;
      } else if (kind === 'audio' && par.frameSize > 0 && par.sampleRate > 0) {
        guess = BigInt(Math.round((par.frameSize * tb.den) / (par.sampleRate * tb.num)));
      }
      return {
        kind,
        codec,
        firstDts: null,
        startCts: null,
        endPts: null,
        disposable: null,
        cover: null,
        newExtradata: null,
        cues: codec === 'mov_text' ? { dts: [], pts: [], duration: [], size: [] } : null,
        bitRate: par.bitRate,
        cpb: readCpb(par.getCodedSideData(c.AV_PKT_DATA_CPB_PROPERTIES)),
        packets: 0,
        guessDuration: guess,
        coverType: COVER_TYPES[codec] ?? 0,
      } satisfies Recorded;
    });
  }

  /** Records what the fragments will not keep about `pkt`; call before handing it to the muxer. */
  record(pkt: Packet): void {
    const { c } = av();
    const s = this.streams[pkt.streamIndex] as Recorded | undefined;
    if (!s) return;
    if (s.codec === 'flac') {
      // FLAC's encoder sends its final STREAMINFO (sample count, MD5) with its last packet.
      const extradata = pkt.getSideData(c.AV_PKT_DATA_NEW_EXTRADATA);
      if (extradata && extradata.length) s.newExtradata = Buffer.from(extradata);
    }
    // The muxer discards empty packets (after reading their side data).
    const size = pkt.size;
    if (size <= 0) return;
    if (s.kind === 'cover') {
      // Only the first picture counts, as in the muxer.
      if (!s.cover && pkt.data) s.cover = { data: Buffer.from(pkt.data), type: s.coverType };
      return;
    }
    const nopts = c.AV_NOPTS_VALUE;
    let dts = pkt.dts;
    let pts = pkt.pts;
    if (dts === nopts) dts = pts;
    if (pts === nopts) pts = dts;
    let duration = pkt.duration > 0n ? pkt.duration : s.guessDuration;
    if (duration < 0n) duration = 0n;
    const cts = pts - dts;
    if (s.firstDts === null) s.firstDts = dts;
    if (s.startCts === null || (dts <= 0n && cts < s.startCts)) s.startCts = cts;
    const end = pts + duration;
    if (s.endPts === null || end > s.endPts) s.endPts = end;
    if (s.cues) {
      // A few numbers per cue: the normal muxer's subtitle samples are replayed from them.
      s.cues.dts.push(Number(dts));
      s.cues.pts.push(Number(pts));
      s.cues.duration.push(Number(duration));
      s.cues.size.push(size);
    }
    if (s.kind === 'video' && pkt.flags & c.AV_PKT_FLAG_DISPOSABLE) {
      const i = s.packets;
      if (!s.disposable || s.disposable.length <= i >> 3) {
        const grown = new Uint8Array(Math.max(64, (i >> 3) * 2 + 1));
        if (s.disposable) grown.set(s.disposable);
        s.disposable = grown;
      }
      s.disposable[i >> 3] |= 1 << (i & 7);
    }
    s.packets++;
    this.bytes += size;
    this.packets++;
  }

  /**
   * Call after each packet handed to the muxer: cuts a fragment when enough is buffered (the
   * interleaving queue is flushed into it first, which also bounds that queue). Each new fragment
   * is marked discontinuous, so its tfdt is its first packet's own decode time, not the previous
   * fragment's end as guessed from a packet duration: the conversion takes the last duration of
   * every fragment from it.
   */
  afterWrite(fmt: FormatContext): void {
    const limit = FlatMp4Output.fragmentLimit;
    if (this.bytes < limit.bytes && this.packets < limit.packets) return;
    this.bytes = 0;
    this.packets = 0;
    check(fmt.interleavedWriteFrameSync(null), 'flushing muxer');
    check(fmt.writeFrameSync(null), 'cutting a fragment');
    check(fmt.setOption('movflags', '+frag_discont'), 'marking a fragment');
  }

  /** Rewrites the finished fragmented file as `output` (unfragmented) and deletes it. */
  convert(output: string): FlattenReport {
    try {
      return flattenFragmentedMp4(this.fragmentPath, output, { mode: this.mode, faststart: this.faststart, streams: this.streams });
    } finally {
      this.discard();
    }
  }

  /** Deletes the fragmented file (after an error or a conversion). */
  discard(): void {
    rmSync(this.fragmentPath, { force: true });
  }
}

/** AVCPBProperties (int64 max, min, avg, buffer size; uint64 vbv delay), host byte order. */
function readCpb(b: Buffer | null): FlatStream['cpb'] {
  if (!b || b.length < 32) return null;
  return { max: b.readBigInt64LE(0), avg: b.readBigInt64LE(16), bufferSize: b.readBigInt64LE(24) };
}
