import { expect, test } from 'vitest'
import type { ConvId } from '../../protocol/index.js'
import { HybridClock } from '../../client/core/documents/hlc.js'
import { NEWEST_VIEW } from '../../client/core/documents/newestView.js'
import { Messenger } from '../../client/core/messenger.js'
import type { Key, LocalStore } from '../../client/core/storage/LocalStore.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import { delivered, devicesForEachTest, type Alice } from './keepUntil.world.js'

/**
 * [M13b] Opening in two steps: a conversation's saved newest messages are readable while the
 * engine is still loading (what the app paints at launch), and only what may be read is given.
 */
const { device, stop } = devicesForEachTest()

/** `store`, except that reading the outbox (which only the engine's loading does) waits for `release()`. */
function heldAtLoading(store: LocalStore): { store: LocalStore; release: () => void; reached: Promise<void> } {
  let release!: () => void
  let reach!: () => void
  const gate = new Promise<void>((r) => (release = r))
  const reached = new Promise<void>((r) => (reach = r))
  const held: LocalStore = {
    get: (key) => store.get(key),
    write: (ops) => store.write(ops),
    removeRange: (prefix) => store.removeRange(prefix),
    close: () => store.close(),
    range: async (prefix: Key) => {
      if (prefix[0] === 'out') {
        reach()
        await gate
      }
      return store.range(prefix)
    },
  }
  return { store: held, release, reached }
}

const opening = (a: Alice, store: LocalStore) => Messenger.opening({ store, url: 'ws://fake/sync', socket: a.server.factory, clock: new HybridClock(() => a.wall.t) })

async function writeAndClose(texts: number): Promise<{ a: Alice; conv: ConvId; sent: string[] }> {
  const a = await device()
  const conv = await a.messenger.createConversation('Depot')
  await a.messenger.openConversation(conv)
  const sent: string[] = []
  for (let i = 0; i < texts; i++) sent.push((await a.messenger.send(conv, `pallet ${i} checked`)).text)
  await delivered(a)
  await stop(a)
  return { a, conv, sent }
}

test('[M13b] the newest 50 messages are readable from the saved view while the engine is still loading; the engine then opens as before', async () => {
  const { a, conv, sent } = await writeAndClose(60)
  const held = heldAtLoading(a.store)
  const o = opening(a, held.store)
  let ready = false
  void o.messenger.then(() => void (ready = true))
  const preview = await o.preview(conv)
  await held.reached
  expect(ready).toBe(false) // the engine's loading is held: the preview did not wait for it
  expect(preview?.map((m) => m.text)).toEqual(sent.slice(-NEWEST_VIEW))
  expect(preview?.every((m) => m.mine && m.authorName === 'alice' && !m.pending)).toBe(true)
  held.release()
  const messenger = await o.messenger
  try {
    await messenger.openConversation(conv)
    expect(messenger.messages(conv).map((m) => m.text)).toEqual(sent)
  } finally {
    await messenger.stop()
  }
})

test('[M13b] no preview of a conversation this device does not have, nor on a device without a profile', async () => {
  const { a, conv } = await writeAndClose(1)
  // A view record left of a conversation no longer listed (as a wipe leaves the registry, [M30]).
  const gone = 'AAAAAAAAAAAAAAAAAAAAAA' as ConvId
  await a.store.write([{ key: ['view', gone], value: (await a.store.get(['view', conv]))! }])
  const o = opening(a, a.store)
  expect(await o.preview(conv)).toHaveLength(1)
  expect(await o.preview(gone)).toBeUndefined()
  await (await o.messenger).stop()
  const blank = createMemoryStore()
  const fresh = Messenger.opening({ store: blank, url: 'ws://fake/sync', socket: a.server.factory })
  expect(await fresh.preview(conv)).toBeUndefined()
  await (await fresh.messenger).stop()
})

test('[M13b] what expired since the view was saved is not in the preview', async () => {
  const a = await device()
  const conv = await a.messenger.createConversation('Night shift')
  await a.messenger.openConversation(conv)
  await a.messenger.send(conv, 'keeper 1111')
  await a.messenger.setTimer(conv, 300)
  await a.messenger.send(conv, 'short lived 3333')
  await delivered(a)
  await stop(a)
  const before = opening(a, a.store)
  expect((await before.preview(conv))?.map((m) => m.text)).toContain('short lived 3333')
  await (await before.messenger).stop()
  a.wall.t += 301_000
  const after = opening(a, a.store)
  const texts = (await after.preview(conv))?.map((m) => m.text)
  expect(texts).toContain('keeper 1111')
  expect(texts).not.toContain('short lived 3333')
  await (await after.messenger).stop()
})
