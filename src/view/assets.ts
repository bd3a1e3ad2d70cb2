/**
 * The page's built files (Vite's output), read into memory once when the server starts. The server
 * answers an asset request by an exact lookup in this table and never joins a request path onto a
 * folder, so no spelling of `..` (plain, encoded, doubled) can reach another file.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One asset, ready to send. */
export interface Asset {
  body: Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/**
 * Where the build puts the page: dist/web beside dist/src (this file is dist/src/view/assets.js
 * once compiled), so it ships with the package like the rest of dist.
 */
export function defaultAssetsDir(): string {
  return fileURLToPath(new URL('../../web/', import.meta.url));
}

/**
 * Every file under `dir` by URL path (`/index.html`, `/assets/index-abc.js`), with `/` standing for
 * index.html. Source maps are left out: they would publish the source tree's layout for nothing.
 * Throws when the folder or its index.html is missing (the page was not built).
 */
export function loadAssets(dir: string): Map<string, Asset> {
  if (!existsSync(join(dir, 'index.html'))) {
    throw new Error(`the tacet view page is not built (no ${join(dir, 'index.html')}); run npm run build`);
  }
  const assets = new Map<string, Asset>();
  const walk = (folder: string, prefix: string): void => {
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path, `${prefix}${name}/`);
      else if (!name.endsWith('.map')) {
        assets.set(`${prefix}${name}`, { body: readFileSync(path), type: TYPES[extname(name).toLowerCase()] ?? 'application/octet-stream' });
      }
    }
  };
  walk(dir, '/');
  assets.set('/', assets.get('/index.html')!);
  return assets;
}
