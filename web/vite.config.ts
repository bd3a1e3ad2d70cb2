// Builds the `tacet view` page into dist/web: static files the view server ships and serves itself
// (relative URLs, no CDN, nothing fetched at run time).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // The page imports src/edit and src/view/model.ts from outside this folder: one edit implementation.
    sourcemap: false,
  },
});
