// Builds the renderer to dist/renderer with relative asset paths (base './'), so the same files load
// from file:// in Electron and from the headless dashboard listener. No plugin needed: Vite's oxc
// transform compiles TSX with React's automatic JSX runtime.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    // The preload polyfill would be inlined; a strict CSP (script-src 'self') forbids inline code.
    modulePreload: { polyfill: false },
    sourcemap: false,
    target: 'es2022',
    chunkSizeWarningLimit: 1024,
  },
});
