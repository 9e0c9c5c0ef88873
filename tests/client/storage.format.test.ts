import { describe, expect, test } from 'vitest'
import { Messenger } from '../../client/core/messenger.js'
import { LOCAL_FORMAT, checkLocalFormat } from '../../client/core/storage/format.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import { decodeRecord, encodeRecord } from '../../client/core/storage/records.js'
import * as z from 'zod'

const open = (store: ReturnType<typeof createMemoryStore>) => Messenger.open({ store, url: 'ws://127.0.0.1:1/sync', socket: () => { throw new Error('offline') } })

describe('[M25] the local store format', () => {
  test('[M25] a new store records its format; a device made on it opens again', async () => {
    const store = createMemoryStore()
    const m = await open(store)
    await m.createIdentity('alice')
    expect(decodeRecord((await store.get(['meta', 'format']))!, z.object({ format: z.number() }))?.format).toBe(LOCAL_FORMAT)
    const again = await open(store)
    expect(again.identity?.name).toBe('alice')
  })

  test('[M25] a store of format 1 (an identity, no format record) is refused with M202 and left unchanged', async () => {
    const store = createMemoryStore()
    await store.write([{ key: ['identity'], value: encodeRecord({ v: 1, name: 'old' }) }, { key: ['chain', 'c', 'd'], value: new Uint8Array([1]) }])
    const before = await store.range([])
    await expect(open(store)).rejects.toMatchObject({ code: 'M202_LOCAL_FORMAT' })
    expect(await store.range([])).toEqual(before)
  })

  test('[M25] another format number, or an unreadable format record, is refused with M202', async () => {
    for (const value of [encodeRecord({ format: 5 }), encodeRecord({ format: 3 }), encodeRecord({ format: 2 }), encodeRecord({ format: 1 }), new Uint8Array([0xff])]) {
      const store = createMemoryStore()
      await store.write([{ key: ['meta', 'format'], value }])
      await expect(checkLocalFormat(store)).rejects.toMatchObject({ code: 'M202_LOCAL_FORMAT' })
    }
  })
})
