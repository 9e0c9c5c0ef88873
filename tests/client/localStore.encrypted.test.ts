import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { generateStorageMaster, useAtRestBackend } from '../../crypto/index.js'
import { openAtRest } from '../../client/core/storage/atRest.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import type { LocalStore } from '../../client/core/storage/LocalStore.js'
import { Messenger } from '../../client/core/messenger.js'
import { openSqliteLocalStore } from '../../client/node/sqliteStore.js'
import { nodeSocket } from '../../client/node/socket.js'
import { closedUrl } from './helpers/devices.js'
import { localStoreContract } from './localStore.contract.js'

/** [M28] The device's store encrypted at rest: the same contract, and what a copy of it shows. */
const master = generateStorageMaster()
const inners = new WeakMap<LocalStore, LocalStore>()

localStoreContract('encrypted (memory)', {
  async open() {
    const inner = createMemoryStore()
    const store = await openAtRest(inner, { kind: 'key', master })
    inners.set(store, inner)
    return store
  },
})

localStoreContract('encrypted (sqlite)', {
  open: () => openAtRest(openSqliteLocalStore(join(mkdtempSync(join(tmpdir(), 'fieldchat-at-rest-')), 'device.sqlite')), { kind: 'key', master }),
})

// The browser's path (every seal, open and hidden part awaited through WebCrypto), here in Node.
describe('WebCrypto path', () => {
  beforeAll(() => useAtRestBackend('webcrypto'))
  afterAll(() => useAtRestBackend('auto'))
  localStoreContract('encrypted (memory, WebCrypto)', {
    open: () => openAtRest(createMemoryStore(), { kind: 'key', master }),
  })
})

const text = (b: Uint8Array) => Buffer.from(b).toString('latin1')

describe('[M28] encrypted at rest', () => {
  test('[M28] what is stored names no key part but the namespace and holds no value in clear', async () => {
    const inner = createMemoryStore()
    const store = await openAtRest(inner, { kind: 'key', master })
    await store.write([{ key: ['conv', 'Night-shift-conv-id', 'doc-7'], value: new TextEncoder().encode('MARKER pump 3 is down') }])
    expect(new TextDecoder().decode((await store.get(['conv', 'Night-shift-conv-id', 'doc-7']))!)).toBe('MARKER pump 3 is down')
    expect((await store.range(['conv', 'Night-shift-conv-id'])).map((e) => e.key)).toEqual([['conv', 'Night-shift-conv-id', 'doc-7']])
    const raw = await inner.range([])
    const all = raw.map((e) => e.key.join('/') + text(e.value)).join('\n')
    expect(all).not.toContain('Night-shift')
    expect(all).not.toContain('doc-7')
    expect(all).not.toContain('MARKER')
    expect(raw.some((e) => e.key[0] === 'conv')).toBe(true) // the namespace stays: counts, not names
  })

  test('[M28][M3] a record moved to another slot, or damaged, reads as unreadable (set aside), never as missing', async () => {
    const inner = createMemoryStore()
    const store = await openAtRest(inner, { kind: 'key', master })
    await store.write([{ key: ['identity'], value: Uint8Array.of(1, 2, 3) }, { key: ['conv', 'a'], value: Uint8Array.of(4) }, { key: ['conv', 'b'], value: Uint8Array.of(5) }])
    // Put b's sealed record in a's slot: it opens only in its own slot (the slot is bound in).
    const slotA = await (store as unknown as { slotOf(k: string[]): Promise<string[]> }).slotOf(['conv', 'a'])
    const slotB = await (store as unknown as { slotOf(k: string[]): Promise<string[]> }).slotOf(['conv', 'b'])
    await inner.write([{ key: slotA, value: (await inner.get(slotB))! }])
    expect(await store.get(['conv', 'a'])).toEqual(Uint8Array.of(0xff))
    expect(await store.get(['conv', 'b'])).toEqual(Uint8Array.of(5))
    expect((await store.range(['conv'])).map((e) => e.key)).toEqual([['conv', 'b']])
    const id = (await inner.range(['identity']))[0]!
    await inner.write([{ key: id.key, value: Uint8Array.of(...id.value.subarray(0, 20), id.value[20]! ^ 1, ...id.value.subarray(21)) }])
    expect(await store.get(['identity'])).toEqual(Uint8Array.of(0xff))
  })

  test('[M28] a wrong key or passphrase is M203 and changes nothing; a passphrase store needs its passphrase', async () => {
    const inner = createMemoryStore()
    const store = await openAtRest(inner, { kind: 'passphrase', passphrase: 'correct horse battery staple' })
    await store.write([{ key: ['identity'], value: Uint8Array.of(9) }])
    const before = await inner.range([])
    await expect(openAtRest(inner, { kind: 'passphrase', passphrase: 'correct horse battery stable' })).rejects.toMatchObject({ code: 'M203_STORE_LOCKED' })
    await expect(openAtRest(inner, { kind: 'key', master })).rejects.toMatchObject({ code: 'M203_STORE_LOCKED' })
    expect(await inner.range([])).toEqual(before)
    const again = await openAtRest(inner, { kind: 'passphrase', passphrase: 'correct horse battery staple' })
    expect(await again.get(['identity'])).toEqual(Uint8Array.of(9))
  })

  for (const backend of ['auto', 'webcrypto'] as const) {
    test(`[M28] close lets a write begun before it land (a throttled save racing the engine's shutdown), then closes (${backend})`, async () => {
      useAtRestBackend(backend)
      try {
        const file = join(mkdtempSync(join(tmpdir(), 'fieldchat-at-rest-close-')), 'device.sqlite')
        const store = await openAtRest(openSqliteLocalStore(file), { kind: 'key', master })
        const writing = store.write([{ key: ['am', 'doc-1', 'incremental', 'h1'], value: Uint8Array.of(1, 2) }])
        await store.close() // before the write has sealed: on WebCrypto's path it used to reach a closed database and reject
        await writing
        const again = await openAtRest(openSqliteLocalStore(file), { kind: 'key', master })
        expect(await again.get(['am', 'doc-1', 'incremental', 'h1'])).toEqual(Uint8Array.of(1, 2))
        await again.close()
      } finally {
        useAtRestBackend('auto')
      }
    })
  }

  test('[M28] a store written in clear (before encryption at rest) is migrated on first open: everything readable, nothing left in clear', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fieldchat-migrate-')), 'device.sqlite')
    const clearStore = openSqliteLocalStore(file)
    const m = await Messenger.open({ store: clearStore, url: await closedUrl(), socket: nodeSocket })
    await m.createIdentity('Alice MARKERNAME')
    const conv = await m.createConversation('MARKERTITLE depot')
    await m.openConversation(conv)
    await m.send(conv, 'MARKERTEXT the gate code is 4711')
    await m.stop()
    await clearStore.close()

    const encrypted = await openAtRest(openSqliteLocalStore(file), { kind: 'key', master })
    const again = await Messenger.open({ store: encrypted, url: await closedUrl(), socket: nodeSocket })
    expect(again.identity?.name).toBe('Alice MARKERNAME')
    await again.openConversation(conv)
    expect(again.messages(conv).map((m) => m.text)).toEqual(['MARKERTEXT the gate code is 4711'])
    expect(again.titleOf(conv)).toBe('MARKERTITLE depot')
    await again.send(conv, 'MARKERTEXT written after')
    await again.stop()
    await encrypted.close()
    // A copy of the folder: no marker, and not the conversation id, in any file (SQLite, -wal, -shm).
    const dir = join(file, '..')
    for (const name of readdirSync(dir)) {
      const bytes = text(readFileSync(join(dir, name)))
      for (const marker of ['MARKERNAME', 'MARKERTITLE', 'MARKERTEXT', conv]) expect(bytes.includes(marker), `${marker} in ${name}`).toBe(false)
    }
  })
})
