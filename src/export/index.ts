/** The export registry: every editor format by name, its file extension and its writer. */
import { writeEdl } from './edl.js';
import { writeFinalCutPro, writeResolve } from './fcpxml.js';
import { writeKdenlive, writeShotcut } from './mlt.js';
import { writeOtio } from './otio.js';
import type { Exporter } from './types.js';
import { writePremiere, writeResolveFcp7 } from './xmeml.js';

export type { ExportInput, Exporter } from './types.js';
export { parseExportArg, type ExportArg } from './args.js';

export interface EditorFormat {
  ext: string;
  write: Exporter;
  /** Resolve links only a file's first audio stream: the others are written as WAVs beside it. */
  extractsAudio: boolean;
}

/** Editor formats by `--export` name. */
export const EDITOR_FORMATS: Record<string, EditorFormat> = {
  premiere: { ext: '.xml', write: writePremiere, extractsAudio: false },
  'resolve-fcp7': { ext: '.xml', write: writeResolveFcp7, extractsAudio: true },
  'final-cut-pro': { ext: '.fcpxml', write: writeFinalCutPro, extractsAudio: false },
  resolve: { ext: '.fcpxml', write: writeResolve, extractsAudio: true },
  shotcut: { ext: '.mlt', write: writeShotcut, extractsAudio: false },
  kdenlive: { ext: '.kdenlive', write: writeKdenlive, extractsAudio: false },
  otio: { ext: '.otio', write: writeOtio, extractsAudio: false },
  'premiere-otio': { ext: '.otio', write: writeOtio, extractsAudio: false },
  edl: { ext: '.edl', write: writeEdl, extractsAudio: false },
};

/** The export an output extension picks when `--export` is not given (auto-editor's choices). */
export const EXPORT_BY_EXTENSION: Record<string, string> = {
  '.xml': 'premiere',
  '.fcpxml': 'final-cut-pro',
  '.mlt': 'shotcut',
  '.kdenlive': 'kdenlive',
  '.otio': 'otio',
  '.edl': 'edl',
  '.json': 'v1',
  '.v1': 'v1',
  '.v2': 'v2',
  '.v3': 'v3',
};
