import * as A from '@automerge/automerge'
import { afterEach, describe, expect, test } from 'vitest'
import { ClientError, ClientErrorCode } from '../../client/core/errors.js'
import { createIdentity, loadIdentity } from '../../client/core/identity.js'
import { newConvId } from '../../client/core/ids.js'
import { Messenger } from '../../client/core/messenger.js'
import { SEGMENT_GENESIS, segmentDocId } from '../../client/core/documents/model.js'
import { Outbox } from '../../client/core/outbox/outbox.js'
import { LOCAL_FORMAT } from '../../client/core/storage/format.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import type { LocalStore } from '../../client/core/storage/LocalStore.js'
import { encodeRecord } from '../../client/core/storage/records.js'
import { nodeSocket } from '../../client/node/socket.js'
import { closedUrl, device, snapshot, type Device } from './helpers/devices.js'

/** Offline first ([M5], [M1], [M3], [M11]–[M16]): alice's device with no server reachable. */
const open: Messenger[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.stop()))
})

async function alice(options: { store?: LocalStore; segmentCapacity?: number; start?: boolean } = {}): Promise<Device> {
  const d = await device('alice', await closedUrl(), options)
  open.push(d.messenger)
  if (options.start !== false) d.messenger.start()
  return d
}

async function reopen(store: LocalStore, segmentCapacity?: number): Promise<Messenger> {
  const m = await Messenger.open({ store, url: await closedUrl(), socket: nodeSocket, backoff: { initialMs: 50, maxMs: 500 }, segmentCapacity })
  open.push(m)
  return m
}

async function stop(m: Messenger): Promise<void> {
  open.splice(open.indexOf(m), 1)
  await m.stop()
}

const codeOf = async (p: Promise<unknown> | (() => unknown)) => {
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (err) {
    if (err instanceof ClientError) return err.code
    throw err
  }
  return undefined
}

describe('offline first', () => {
  test('[M5] with no server, send resolves once stored and the message shows as pending', async () => {
    const { messenger } = await alice()
    const conv = await messenger.createConversation('Depot crew')
    await messenger.openConversation(conv)
    const sent = await messenger.send(conv, '  first light  ')
    expect(sent.text).toBe('first light')
    const shown = messenger.messages(conv)
    expect(shown.map((m) => [m.id, m.text, m.pending, m.mine, m.authorName])).toEqual([[sent.id, 'first light', true, true, 'alice']])
    expect(shown[0]!.author).toBe(messenger.identity!.deviceId)
    expect(messenger.status.pending).toBe(1)
    expect(messenger.status.connection).not.toBe('online')
    expect(messenger.conversations().map((c) => [c.conv, c.title, c.members])).toEqual([[conv, 'Depot crew', 1]])
  })

  test('[M5] a reload (new Messenger on the same store) shows the same history and pending count', async () => {
    const { messenger, store } = await alice()
    const conv = await messenger.createConversation('Depot crew')
    for (const text of ['one', 'two', 'three']) await messenger.send(conv, text)
    const before = messenger.messages(conv).map((m) => [m.id, m.ts, m.text, m.pending])
    await stop(messenger)

    const again = await reopen(store)
    expect(again.identity!.deviceId).toBe(messenger.identity!.deviceId)
    expect(again.status.pending).toBe(3)
    expect(again.conversations().map((c) => c.title)).toEqual(['Depot crew'])
    await again.openConversation(conv)
    expect(again.messages(conv).map((m) => [m.id, m.ts, m.text, m.pending])).toEqual(before)
  })

  test('[M5] a stopped Messenger refuses to start again (its stores are closed); a new one on the same store picks up what waits', async () => {
    const { messenger, store } = await alice()
    const conv = await messenger.createConversation('Depot crew')
    await messenger.send(conv, 'waiting')
    await stop(messenger)
    expect(() => messenger.start()).toThrow(/stopped/)
    const again = await reopen(store)
    again.start()
    expect(again.status.pending).toBe(1)
  })

  test('[M5] the outbox is the durability point: what storage holds the moment send resolves survives a crash', async () => {
    const { messenger, store } = await alice()
    const conv = await messenger.createConversation('Depot crew')
    await messenger.send(conv, 'one')
    const sent = await messenger.send(conv, 'two')
    const crashed = await snapshot(store) // no stop(), no flush: documents may not be saved yet
    const again = await reopen(crashed)
    await again.openConversation(conv)
    expect(again.messages(conv).map((m) => m.text)).toEqual(['one', 'two'])
    expect(again.messages(conv)[1]!.id).toBe(sent.id)
    expect(again.status.pending).toBe(2)
  })

  test('[M2] every change queued carries actor = hex(device key), also after a reload', async () => {
    const { messenger, store } = await alice()
    const conv = await messenger.createConversation('Depot crew')
    await messenger.send(conv, 'before reload')
    await stop(messenger)
    const again = await reopen(store)
    await again.openConversation(conv)
    await again.send(conv, 'after reload')
    await stop(again)
    const outbox = new Outbox(store)
    await outbox.load()
    const actors = outbox.pendingDocs(conv).flatMap((doc) => outbox.raw(conv, doc).flatMap((r) => r.changes.map((c) => A.decodeChange(c).actor)))
    expect(actors.length).toBeGreaterThanOrEqual(3) // root: the segment entry; two messages
    expect(new Set(actors)).toEqual(new Set([messenger.identity!.actor]))
  })

  test('[M12] the segment genesis change is applied locally but never queued for the server', async () => {
    const { messenger, store } = await alice()
    const conv = await messenger.createConversation('Depot crew')
    await messenger.send(conv, 'hello')
    const outbox = new Outbox(store)
    await outbox.load()
    const queued = outbox.raw(conv, segmentDocId(conv, 0)).flatMap((r) => r.changes)
    expect(queued.length).toBeGreaterThan(0)
    const genesisHash = A.decodeChange(SEGMENT_GENESIS).hash
    expect(queued.map((c) => A.decodeChange(c).hash)).not.toContain(genesisHash)
    expect(A.decodeChange(queued[0]!).deps).toEqual([genesisHash])
  })
})

describe('message input', () => {
  test('[M16] an empty or blank message is M500', async () => {
    const { messenger } = await alice({ start: false })
    const conv = await messenger.createConversation('x')
    for (const text of ['', '   ', '\r\n\t ']) expect(await codeOf(messenger.send(conv, text))).toBe(ClientErrorCode.MESSAGE_EMPTY)
    expect(messenger.status.pending).toBe(0)
  })

  test('[M16] more than 20,000 characters is M501; exactly 20,000 is accepted', async () => {
    const { messenger } = await alice({ start: false })
    const conv = await messenger.createConversation('x')
    expect(await codeOf(messenger.send(conv, 'x'.repeat(20_001)))).toBe(ClientErrorCode.MESSAGE_TOO_LONG)
    expect(await codeOf(messenger.send(conv, 'x'.repeat(20_000)))).toBeUndefined()
  })

  test('[M16] a conversation not on this device is M502 for send, open and invite', async () => {
    const { messenger } = await alice({ start: false })
    const stranger = newConvId()
    expect(await codeOf(messenger.send(stranger, 'hi'))).toBe(ClientErrorCode.UNKNOWN_CONVERSATION)
    expect(await codeOf(messenger.openConversation(stranger))).toBe(ClientErrorCode.UNKNOWN_CONVERSATION)
    expect(await codeOf(messenger.invite(stranger, 'http://x'))).toBe(ClientErrorCode.UNKNOWN_CONVERSATION)
  })

  test('[M16] CRLF becomes LF and the text is trimmed', async () => {
    const { messenger } = await alice({ start: false })
    const conv = await messenger.createConversation('x')
    const sent = await messenger.send(conv, '\r\n line one\r\nline two \r\n')
    expect(sent.text).toBe('line one\nline two')
  })
})

describe('identity and corrupt records', () => {
  test('[M1] a corrupt identity record: Messenger.open throws M200 and the bytes stay as they were', async () => {
    const records = [
      Uint8Array.of(0xde, 0xad, 0xbe, 0xef),
      encodeRecord({ v: 1, name: 'alice' }),
      encodeRecord({ v: 1, signSecret: new Uint8Array(64), boxSecret: new Uint8Array(31), name: 'alice' }),
      encodeRecord({ v: 2, signSecret: new Uint8Array(64), boxSecret: new Uint8Array(32), name: 'alice' }),
    ]
    for (const bytes of records) {
      const store = createMemoryStore()
      // A store of this format ([M25]) whose identity record is damaged.
      await store.write([{ key: ['meta', 'format'], value: encodeRecord({ format: LOCAL_FORMAT }) }, { key: ['identity'], value: bytes }])
      const err = await Messenger.open({ store, url: 'ws://127.0.0.1:1/sync', socket: nodeSocket }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ClientError)
      expect((err as ClientError).code).toBe(ClientErrorCode.IDENTITY_CORRUPT)
      expect((err as ClientError).message).toMatch(/Nothing was deleted/)
      expect(await store.get(['identity'])).toEqual(bytes)
      // Nor can a new identity be written over it.
      await expect(createIdentity(store, 'eve')).rejects.toThrow(/already exists/)
      expect(await store.get(['identity'])).toEqual(bytes)
    }
  })

  test('[M1] the identity is made once: createIdentity again returns the same keys, and a reload loads them', async () => {
    const { messenger, store } = await alice({ start: false })
    const first = messenger.identity!
    expect(await messenger.createIdentity('someone else')).toBe(first)
    const loaded = await loadIdentity(store)
    expect(loaded!.deviceId).toBe(first.deviceId)
    expect(loaded!.actor).toBe(first.actor)
    expect(loaded!.name).toBe('alice')
  })

  test('[M3] a corrupt conversation record is reported and rebuilt from the conversation\'s signed graph; nothing written is lost', async () => {
    const { messenger, store } = await alice()
    const broken = await messenger.createConversation('Broken')
    const fine = await messenger.createConversation('Fine')
    await messenger.send(broken, 'written before the damage')
    await messenger.send(fine, 'still here')
    await stop(messenger)
    await store.write([{ key: ['conv', broken], value: Uint8Array.of(1, 2, 3) }])

    const again = await reopen(store)
    expect(again.corruptRecords).toEqual([`conv/${broken}`])
    // The record's keys and epoch come from the graph's rotations ([T13]), so it is made again.
    expect(again.conversations().map((c) => c.conv).sort()).toEqual([broken, fine].sort())
    for (const [conv, text] of [[broken, 'written before the damage'], [fine, 'still here']] as const) {
      await again.openConversation(conv)
      expect(again.messages(conv).map((m) => m.text)).toEqual([text])
    }
  })
})

describe('segments', () => {
  test('[M11] [M13] rollover at capacity 5: 12 messages in 3 segments; a fresh device opens the newest (and the nearly empty one\'s predecessor), then earlier ones on demand', async () => {
    const { messenger, store } = await alice({ segmentCapacity: 5 })
    const conv = await messenger.createConversation('Rollover')
    const sent: string[] = []
    for (let i = 0; i < 12; i++) sent.push((await messenger.send(conv, `message ${i}`)).id)
    const bySegment = new Map<string, number>()
    for (const m of messenger.messages(conv)) bySegment.set(m.segment, (bySegment.get(m.segment) ?? 0) + 1)
    expect([...bySegment]).toEqual([[segmentDocId(conv, 0), 5], [segmentDocId(conv, 1), 5], [segmentDocId(conv, 2), 2]])
    await stop(messenger)

    const fresh = await reopen(store, 5)
    await fresh.openConversation(conv)
    // Newest segment has 2 messages (< 50, "nearly empty"): its predecessor is loaded with it.
    expect(fresh.messages(conv).map((m) => m.text)).toEqual([5, 6, 7, 8, 9, 10, 11].map((i) => `message ${i}`))
    expect(fresh.hasEarlier(conv)).toBe(true)
    let rounds = 0
    while (fresh.hasEarlier(conv)) {
      await fresh.loadEarlier(conv)
      rounds++
    }
    expect(rounds).toBe(1)
    expect(fresh.messages(conv).map((m) => m.id)).toEqual(sent)
    expect(fresh.messages(conv).map((m) => m.text)).toEqual(sent.map((_, i) => `message ${i}`))
  })

  test('[M13] a newest segment with 50 or more messages opens alone', async () => {
    const { messenger, store } = await alice({ segmentCapacity: 50, start: false })
    const conv = await messenger.createConversation('Big')
    for (let i = 0; i < 100; i++) await messenger.send(conv, `m${i}`)
    await stop(messenger)
    const fresh = await reopen(store, 50)
    await fresh.openConversation(conv)
    expect(fresh.messages(conv)).toHaveLength(50)
    expect(fresh.messages(conv)[0]!.text).toBe('m50')
    await fresh.loadEarlier(conv)
    expect(fresh.messages(conv)).toHaveLength(100)
    expect(fresh.hasEarlier(conv)).toBe(false)
  })
})
