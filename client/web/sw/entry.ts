import '../noEval.js' // first: before any zod schema is built
import { initializeWasm, isWasmInitialized } from '@automerge/automerge/slim'

/**
 * [M62] The engine for the service worker's push wakes: built by vite.config.ts (swWakeBundle)
 * into one classic script, dist/push-wake.js, which push-sw.js loads with importScripts and
 * precached with the rest. It sets `self.fieldchatPushWake`, which push-sw.js calls on a push.
 * Service workers allow neither top-level await nor import(): Automerge's wasm is loaded here,
 * on the first wake, from the precache (the network only if it is not there yet). The engine's
 * modules compute some Automerge values as they load (documents/model.ts SEGMENT_GENESIS), so
 * they are reached by `require`, which esbuild turns into a lazy, in-bundle evaluation that runs
 * only after the wasm is in.
 */
declare const __FIELDCHAT_AUTOMERGE_WASM__: string
declare const self: ServiceWorkerGlobalScope & { fieldchatPushWake?: () => Promise<void> }

async function automergeReady(): Promise<void> {
  if (isWasmInitialized()) return
  const url = new URL(__FIELDCHAT_AUTOMERGE_WASM__, self.location.origin).href
  const response = (await caches.match(url)) ?? (await fetch(url))
  if (!response.ok) throw new Error(`Automerge's wasm could not be loaded (${response.status})`)
  await initializeWasm(new Uint8Array(await response.arrayBuffer()))
}

self.fieldchatPushWake = async () => {
  await automergeReady()
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy on purpose, see above
  const { onPushWake } = require('./pushWake.js') as typeof import('./pushWake.js')
  await onPushWake(self)
}
