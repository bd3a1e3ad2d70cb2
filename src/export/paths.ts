import { pathToFileURL } from 'node:url';

/** True for a Windows path such as `C:\Users\me\talk.mp4` or `\\server\share\x.mp4`. */
export function isWindowsPath(path: string): boolean {
  return /^[A-Za-z]:[\\/]/.test(path) || path.startsWith('\\\\');
}

function encodeSegment(segment: string): string {
  // encodeURIComponent leaves !'()* alone; editors accept those, and keeping them matches what
  // Premiere writes. Everything else outside unreserved characters is percent-encoded as UTF-8.
  return encodeURIComponent(segment);
}

/**
 * A percent-encoded `file://` URL that survives spaces, `#`, `%`, non-ASCII characters and Windows
 * paths (`C:\a b\c.mp4` → `file:///C:/a%20b/c.mp4`).
 */
export function fileUrl(path: string): string {
  if (isWindowsPath(path)) {
    const forward = path.replace(/\\/g, '/');
    if (forward.startsWith('//')) {
      const [host, ...rest] = forward.slice(2).split('/');
      return `file://${host}/${rest.map(encodeSegment).join('/')}`;
    }
    const [drive, ...rest] = forward.split('/');
    return `file:///${drive}/${rest.map(encodeSegment).join('/')}`;
  }
  return pathToFileURL(path).href; // encodes spaces, %, #, ? and non-ASCII as UTF-8
}

/** The file name of a path, for Windows and POSIX paths alike. */
export function baseName(path: string): string {
  const parts = path.split(isWindowsPath(path) ? /[\\/]/ : /\//);
  return parts[parts.length - 1];
}
