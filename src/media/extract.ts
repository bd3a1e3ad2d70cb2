import { renameSync, rmSync } from 'node:fs';
import { tempOutputPath } from '../render/render.js';
import { AudioReader } from './audio-reader.js';
import { yieldToLoop } from './av.js';
import { OutputFile } from './output.js';

/**
 * Writes one audio stream of `input`, whole and unchanged in timing, as a 16-bit WAV (for editors
 * that only link the first audio stream of a file: Resolve). Streamed; temp name, then renamed.
 */
export async function extractAudioToWav(input: string, stream: number, output: string): Promise<void> {
  const reader = await AudioReader.open(input, stream, { format: 'flt', chunkSamples: 16384 });
  const temp = tempOutputPath(output);
  let out: OutputFile | null = null;
  let ok = false;
  try {
    const layout = reader.channels === 1 ? 'mono' : reader.channels === 2 ? 'stereo' : `${reader.channels}c`;
    out = OutputFile.create(temp, output);
    const sink = out.addAudio({ encoder: 'pcm_s16le', sampleRate: reader.sampleRate, layout });
    out.begin();
    let i = 0;
    for (let c = reader.read(); c; c = reader.read()) {
      sink.write(c.data, c.samples);
      if (++i % 64 === 0) await yieldToLoop();
    }
    out.finish();
    renameSync(temp, output);
    ok = true;
  } finally {
    out?.close();
    reader.close();
    if (!ok) rmSync(temp, { force: true });
  }
}
