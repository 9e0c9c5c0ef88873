import { expect, test } from 'vitest'
import { decoyPool, decoyPoolSize, randomBytes } from '../../crypto/index.js'
import { MailOutbox, recipientBucket } from '../../client/core/outbox/mailOutbox.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import { encodeRecord } from '../../client/core/storage/records.js'

// Personas: alice's admin device queues a bundle for bob's and carol's devices.
const bob = randomBytes(32)
const carol = randomBytes(32)

test('[S11] a queued record from before many-recipient mail (a single `to`) is read as a list of one, never lost', async () => {
  const store = createMemoryStore()
  const body = randomBytes(80)
  await store.write([{ key: ['mail-out', '0000000000000001'], value: encodeRecord({ to: bob, body }) }])
  const outbox = new MailOutbox(store)
  expect(await outbox.list()).toEqual([{ key: ['mail-out', '0000000000000001'], to: [bob], decoys: [], body }])
})

test('[S11][M27] queued mail keeps every recipient, with decoys up to a bucket drawn from the organisation\'s pool, and leaves only when removed', async () => {
  const outbox = new MailOutbox(createMemoryStore())
  const body = randomBytes(48)
  const key = randomBytes(32)
  await outbox.add([{ to: [bob, carol], body, pool: key }, { to: [bob], body }])
  const [item, other] = await outbox.list()
  expect(item!.body).toEqual(body)
  expect(item!.to).toEqual([bob, carol])
  expect(item!.decoys).toHaveLength(6)
  // From the pool of a bucket of 8 (its first 32 entries), distinct.
  const pool = new Set(decoyPool(key, decoyPoolSize(8)).map((d) => Buffer.from(d).toString('hex')))
  const hex = item!.decoys.map((d) => Buffer.from(d).toString('hex'))
  expect(hex.every((h) => pool.has(h))).toBe(true)
  expect(new Set(hex).size).toBe(6)
  // Without a pool: random destinations (hashes and random bytes look alike).
  expect(other!.decoys).toHaveLength(7)
  expect(other!.decoys.some((d) => pool.has(Buffer.from(d).toString('hex')))).toBe(false)
  await outbox.remove([item!.key, other!.key])
  expect(await outbox.list()).toEqual([])
})

test('[M27] decoys drawn from a pool vary between items, so the same few are not on every item', async () => {
  const outbox = new MailOutbox(createMemoryStore())
  const key = randomBytes(32)
  await outbox.add(Array.from({ length: 20 }, () => ({ to: [bob], body: randomBytes(8), pool: key })))
  const sets = (await outbox.list()).map((i) => i.decoys.map((d) => Buffer.from(d).toString('hex')).sort().join())
  expect(new Set(sets).size).toBeGreaterThan(15)
})

test('[M27] recipient buckets: at least 8, then powers of two, at most the 10,000 a frame may name', () => {
  expect([1, 5, 8, 9, 16, 17, 1000, 1024, 1025, 9000].map(recipientBucket)).toEqual([8, 8, 8, 16, 16, 32, 1024, 1024, 2048, 10_000])
})

test('[S11] mail without recipients or naming one twice is refused at once: the server would refuse it forever', async () => {
  const outbox = new MailOutbox(createMemoryStore())
  await expect(outbox.add([{ to: [], body: randomBytes(8) }])).rejects.toThrow(RangeError)
  await expect(outbox.add([{ to: [bob, carol, bob.slice()], body: randomBytes(8) }])).rejects.toThrow(RangeError)
  expect(await outbox.list()).toEqual([])
})

test('[S11] an item with `until` (a usage report, client [Q4]) is dropped unsent once that time passed: it never leaves at a later reconnection', async () => {
  let now = 1_000_000
  const outbox = new MailOutbox(createMemoryStore(), undefined, () => now)
  await outbox.add([{ to: [bob], body: randomBytes(40), until: now + 60_000 }, { to: [carol], body: randomBytes(40) }])
  expect((await outbox.list()).map((i) => i.to)).toEqual([[bob], [carol]])
  const [late] = await outbox.list()
  now += 60_001
  expect((await outbox.list()).map((i) => i.to)).toEqual([[carol]])
  expect(outbox.size).toBe(1)
  // Its acknowledgement, if one still comes (it was on its way), counts nothing twice.
  await outbox.remove([late!.key])
  expect(outbox.size).toBe(1)
})
