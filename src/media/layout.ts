import { MediaError } from '../errors.js';
import { av } from './av.js';

/** A channel layout object for a layout name ("mono", "stereo", "5.1", "3c"). */
export function layoutFromName(name: string): { nbChannels: number; order: number; mask: bigint } {
  const masks: Record<string, [number, bigint]> = {
    mono: [1, 0x4n],
    stereo: [2, 0x3n],
    '2.1': [3, 0xbn],
    '3.0': [3, 0x7n],
    quad: [4, 0x33n],
    '4.0': [4, 0x107n],
    '5.0': [5, 0x37n],
    '5.0(side)': [5, 0x607n],
    '5.1': [6, 0x3fn],
    '5.1(side)': [6, 0x60fn],
    '7.1': [8, 0x63fn],
  };
  const known = masks[name];
  if (known) return { nbChannels: known[0], order: 1, mask: known[1] };
  const m = /^(\d+) channels?$|^(\d+)c$/.exec(name);
  if (m) {
    const n = Number(m[1] ?? m[2]);
    return av().lib.avChannelLayoutDefault(n) as never;
  }
  throw new MediaError(`unknown audio layout "${name}"`);
}
