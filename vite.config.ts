import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';
import { fileURLToPath } from 'node:url';

/**
 * The room's web interface: sources in src/web, built into dist/web, which the room's web port serves
 * (src/room/web-server.ts). Everything is bundled: no CDN, no external fonts.
 *
 * `npx vite` serves it for development on :5173 and forwards config.json to a room on :8764; that room must
 * admit the dev origin (`roomfiles room --allow-origin http://127.0.0.1:5173`).
 */
export default defineConfig({
  root: fileURLToPath(new URL('./src/web', import.meta.url)),
  base: '/',
  plugins: [preact({ prerender: { enabled: false } })],
  build: {
    outDir: fileURLToPath(new URL('./dist/web', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Nothing inlined as data: URLs, so the page's Content-Security-Policy can stay at 'self'.
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: { '/public': 'http://127.0.0.1:8764' },
  },
});
