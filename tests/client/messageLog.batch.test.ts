import { afterEach, expect, test } from 'vitest'
import type { Messenger } from '../../client/core/messenger.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import type { LocalStore, WriteOp } from '../../client/core/storage/LocalStore.js'
import { closedUrl, device } from './helpers/devices.js'

/** [M14a] Sends not awaited one by one are written in runs: one document update and one outbox write per run. */
const open: Messenger[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.stop()))
})

/** A memory store that counts the writes that queue changes in the outbox. */
function countingStore(): { store: LocalStore; outboxWrites: () => number } {
  const inner = createMemoryStore()
  let outboxWrites = 0
  const store: LocalStore = Object.create(inner)
  store.write = (ops: readonly WriteOp[]) => {
    if (ops.some((o) => o.key[0] === 'out' && o.key[1] === 'raw' && o.value !== undefined)) outboxWrites++
    return inner.write(ops)
  }
  return { store, outboxWrites: () => outboxWrites }
}

test('[M14a] 1,200 sends issued without awaiting: each resolves with its own id, in send order, across a segment rollover, with one outbox write per run', async () => {
  const { store, outboxWrites } = countingStore()
  const { messenger } = await device('bot', await closedUrl(), { store, segmentCapacity: 500 })
  open.push(messenger)
  messenger.start()
  const conv = await messenger.createConversation('Alerts')
  await messenger.openConversation(conv)
  const before = outboxWrites()
  const texts = Array.from({ length: 1200 }, (_, i) => `alert ${i}`)
  const sent = await Promise.all(texts.map((t) => messenger.send(conv, t)))
  expect(sent.map((m) => m.text)).toEqual(texts)
  expect(new Set(sent.map((m) => `${m.segment}/${m.id}`)).size).toBe(1200)
  // Timestamps strictly increase in send order, so the display order is the send order.
  for (let i = 1; i < sent.length; i++) expect(sent[i]!.ts).toBeGreaterThan(sent[i - 1]!.ts)
  // 1,200 messages in segments of 500: at least three segments, and runs of at most 256.
  expect(new Set(sent.map((m) => m.segment)).size).toBeGreaterThanOrEqual(3)
  const writes = outboxWrites() - before
  expect(writes).toBeGreaterThanOrEqual(5)
  expect(writes).toBeLessThan(20)
  while (messenger.hasEarlier(conv)) await messenger.loadEarlier(conv)
  expect(messenger.messages(conv).map((m) => m.text)).toEqual(texts)
  expect(messenger.status.pending).toBe(1200)
})

test('[M14a] a single send is written at once, alone; an empty message in a run is refused alone', async () => {
  const { store, outboxWrites } = countingStore()
  const { messenger } = await device('ana', await closedUrl(), { store })
  open.push(messenger)
  messenger.start()
  const conv = await messenger.createConversation('Crew')
  await messenger.openConversation(conv)
  await messenger.send(conv, 'zero') // makes the first segment (a change of the root as well)
  const before = outboxWrites()
  await messenger.send(conv, 'one')
  expect(outboxWrites() - before).toBe(1)
  const results = await Promise.allSettled([messenger.send(conv, 'a'), messenger.send(conv, '   '), messenger.send(conv, 'b')])
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
  expect(messenger.messages(conv).map((m) => m.text)).toEqual(['zero', 'one', 'a', 'b'])
})
