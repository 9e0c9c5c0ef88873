import { fileURLToPath } from 'node:url'
import { build, type Plugin as EsbuildPlugin } from 'esbuild'
import type { Plugin } from 'vite'

/**
 * [M62] Builds client/web/sw/entry.ts into dist/push-wake.js, one classic script (IIFE) that the
 * generated service worker loads through push-sw.js with importScripts: a service worker can
 * neither `import()` nor await at the top level, so the page's Vite chunks are of no use there.
 * The same constraints as the page's build apply: no eval (cbor-x's no-eval build, zod jitless
 * via noEval.ts), and Automerge's slim entry whose wasm the entry loads from the precache; the
 * wasm's name comes from this build's own bundle. Emitted in `generateBundle`, so it lands in
 * dist before vite-plugin-pwa lists the files to precache.
 */
const ENTRY = fileURLToPath(new URL('./entry.ts', import.meta.url))
export const WAKE_SCRIPT = 'push-wake.js'

export function swWakeBundle(): Plugin {
  return {
    name: 'fieldchat-sw-wake-bundle',
    apply: 'build',
    async generateBundle(_options, bundle) {
      const wasm = Object.keys(bundle).find((name) => /automerge.*\.wasm$/.test(name))
      if (!wasm) this.error('the Automerge wasm is not in the bundle: the service worker wake cannot load it')
      const out = await build({
        entryPoints: [ENTRY],
        bundle: true,
        write: false,
        format: 'iife',
        platform: 'browser',
        target: 'es2022',
        minify: true,
        legalComments: 'none',
        // Conditions as for a browser; Automerge by its slim entry (wasm loaded by the entry).
        conditions: ['browser', 'import'],
        plugins: [exactAlias({ 'cbor-x': 'cbor-x/index-no-eval', '@automerge/automerge': '@automerge/automerge/slim' })],
        define: { __FIELDCHAT_AUTOMERGE_WASM__: JSON.stringify(`/${wasm}`), 'process.env.NODE_ENV': '"production"' },
        logLevel: 'warning',
      })
      const file = out.outputFiles[0]
      if (!file) this.error('the service worker wake bundle is empty')
      this.emitFile({ type: 'asset', fileName: WAKE_SCRIPT, source: file.contents })
    },
  }
}

/** esbuild's own `alias` also rewrites subpaths (`@automerge/automerge/slim`): this one matches whole names only. */
function exactAlias(map: Record<string, string>): EsbuildPlugin {
  const names = new RegExp(`^(${Object.keys(map).map((n) => n.replace(/[/.-]/g, '\\$&')).join('|')})$`)
  return {
    name: 'exact-alias',
    setup(b) {
      b.onResolve({ filter: names }, (args) => b.resolve(map[args.path]!, { kind: args.kind, resolveDir: args.resolveDir }))
    },
  }
}
