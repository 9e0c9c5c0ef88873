import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'
import solid from 'vite-plugin-solid'
import wasm from 'vite-plugin-wasm'
import { VitePWA } from 'vite-plugin-pwa'
import { swWakeBundle } from './client/web/sw/bundle.js'

/**
 * The PWA (client/web) builds into ./dist, which the sync server serves next to `/sync`.
 * Toolchain notes that shaped this file (TOOLCHAIN.md): default Automerge imports need
 * vite-plugin-wasm and top-level await (target es2022, no vite-plugin-top-level-await); the 3.6 MB
 * wasm must be precached or the app does not start offline; module workers need format 'es'.
 * Tests run with vitest.config.ts instead, which has no Solid plugin.
 */
const THEME = '#1f5f8b' // keep in step with client/web/scripts/make-icons.mjs and styles.css

export default defineConfig({
  root: fileURLToPath(new URL('./client/web', import.meta.url)),
  plugins: [
    solid(),
    wasm(),
    // [M62] dist/push-wake.js: the engine for the service worker's push wakes (client/web/sw/bundle.ts).
    swWakeBundle(),
    VitePWA({
      strategies: 'generateSW',
      // Registered by client/web/pwa.ts with workbox-window, in production builds only.
      injectRegister: false,
      registerType: 'prompt',
      manifest: {
        name: 'FieldChat',
        short_name: 'FieldChat',
        description: 'End-to-end encrypted team chat that works offline.',
        theme_color: THEME,
        background_color: '#ffffff',
        display: 'standalone',
        start_url: '/',
        scope: '/',
        icons: [
          { src: '/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // The manifest and its icons are added by the plugin itself.
        globPatterns: ['**/*.{js,css,html,wasm,svg,ico}'],
        maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
        navigateFallback: 'index.html',
        navigateFallbackDenylist: [/^\/sync/, /^\/healthz/, /^\/files\//],
        // [W7] Streaming playback: its fetch handler runs before the precache's routes
        // (client/web/public/stream-sw.js; the page side is client/web/files/streamPlayback.ts).
        // [M60][M62] Notification clicks and Web Push wake-ups (client/web/public/push-sw.js, which
        // loads push-wake.js, precached by the glob above).
        importScripts: ['stream-sw.js', 'push-sw.js'],
        // The first install takes control at once, so the very first visit already works offline;
        // later versions wait for the person to press "Reload" (skipWaiting stays off).
        clientsClaim: true,
        cleanupOutdatedCaches: true,
      },
    }),
  ],
  resolve: {
    // The CSP forbids eval: cbor-x's default build probes `new Function` at load (a CSP
    // violation report even though it is caught). Its no-eval build decodes the same bytes.
    alias: [{ find: /^cbor-x$/, replacement: 'cbor-x/index-no-eval' }],
  },
  worker: { format: 'es', plugins: () => [wasm()] },
  build: {
    target: 'es2022',
    outDir: '../../dist',
    emptyOutDir: true,
  },
  server: {
    // `npm run dev`: the sync server (npm run serve) runs on 8787.
    proxy: { '/sync': { target: 'ws://localhost:8787', ws: true } },
  },
})
