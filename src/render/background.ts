import { MediaError } from '../errors.js';
import { StreamDecoder, type AvFrame } from '../media/decoder.js';

/**
 * One solid frame of the timeline's background colour and size, shown where the video layer has
 * no clip (e.g. the part of an audio-only input among video inputs). Made once by FFmpeg's
 * `color` source and written again for every such frame.
 */
export async function backgroundFrame(width: number, height: number, color: string): Promise<AvFrame> {
  const hex = /^#[0-9a-f]{6}$/i.test(color) ? color.slice(1) : '000000';
  const dec = await StreamDecoder.open(`color=c=0x${hex}:s=${width}x${height}:r=1:d=1`, 'video', 0, { inputFormat: 'lavfi' });
  try {
    const f = dec.next();
    const copy = f?.clone();
    if (!copy) throw new MediaError('could not make a background frame');
    return copy;
  } finally {
    dec.close();
  }
}
