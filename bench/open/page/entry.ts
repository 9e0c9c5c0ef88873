/**
 * bench:open in Chromium: the PWA's engine and store (client/core over client/web's IndexedDB
 * store, opened with the browser's device key as main.tsx does), bundled by Vite like the app.
 * `window.benchOpen` loads a store's records (once, before measuring) and times one cold open.
 */
import '../../../client/web/noEval.js'
import { Messenger } from '../../../client/core/messenger.js'
import type { LocalStore } from '../../../client/core/storage/LocalStore.js'
import { browserSocket } from '../../../client/web/browserSocket.js'
import { openIdbStore } from '../../../client/web/idbStore.js'
import { openBrowserStore } from '../../../client/web/storageKey.js'
import { parseConvId } from '../../../protocol/index.js'

let loading: LocalStore | undefined

async function appStore(): Promise<LocalStore> {
  const opened = await openBrowserStore(await openIdbStore())
  if (opened.kind !== 'open') throw new Error('the bench store is locked')
  return opened.store
}

const bytes = (b64: string): Uint8Array => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))

const benchOpen = {
  /** Writes records (keys in clear, values base64) through the app's encrypted store. */
  async load(records: { k: string[]; v: string }[]): Promise<void> {
    loading ??= await appStore()
    await loading.write(records.map((r) => ({ key: r.k, value: bytes(r.v) })))
  },
  async loaded(): Promise<void> {
    await loading?.close()
    loading = undefined
  },
  /** Same measure as bench/open/nodeOpen.ts. */
  async open(conv: string): Promise<{ engineMs: number; loadedMs: number; storeMs: number; messengerOpenMs: number; previewMs?: number; listed: number; newestText: string }> {
    const c = parseConvId(conv)
    if (!c) throw new Error('no conversation id')
    const t0 = performance.now()
    const store = await appStore()
    const t1 = performance.now()
    const opening = Messenger.opening({ store, url: 'ws://127.0.0.1:9/sync', socket: browserSocket })
    // [M13b] The saved newest view, painted read-only while the engine loads (client/web main.tsx).
    let previewAt: number | undefined
    let previewText: string | undefined
    const preview = opening.preview(c).then((list) => {
      if (list && list.length >= 50) (previewAt = performance.now()), (previewText = list.at(-1)!.text)
    })
    const messenger = await opening.messenger
    const opened = performance.now()
    await preview
    // Same as nodeOpen.ts: the newest 50 readable, from the saved view or the loaded window.
    let readable: number | undefined
    let readableNewest: string | undefined
    const off = messenger.events.on('messages', (e) => {
      const shown = e.conv === c && readable === undefined ? messenger.messages(c) : []
      if (shown.length >= 50) (readable = performance.now()), (readableNewest = shown.at(-1)!.text)
    })
    await messenger.openConversation(c)
    off()
    const list = messenger.messages(c)
    const t3 = performance.now()
    const t2 = previewAt ?? readable ?? t3
    if (list.length < 50) throw new Error(`only ${list.length} messages readable after opening`)
    await messenger.stop()
    await store.close()
    return { engineMs: t2 - t1, loadedMs: t3 - t1, storeMs: t1 - t0, messengerOpenMs: opened - t1, listed: list.length, newestText: previewText ?? readableNewest ?? list.at(-1)!.text, ...(previewAt !== undefined ? { previewMs: previewAt - t1 } : {}) }
  },
}

Object.assign(window, { benchOpen })
document.title = 'bench:open ready'
