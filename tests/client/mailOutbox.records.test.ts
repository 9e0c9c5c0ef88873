import { expect, test } from 'vitest'
import { parseSignPublicKey, randomBytes } from '../../crypto/index.js'
import { MailOutbox, recipientBucket } from '../../client/core/outbox/mailOutbox.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import { encodeRecord } from '../../client/core/storage/records.js'

// Personas: alice's admin device queues key mail for bob's and carol's devices.
const bob = randomBytes(32)
const carol = randomBytes(32)

test('[S11] a queued record from before many-recipient mail (a single `to`) is read as a list of one, never lost', async () => {
  const store = createMemoryStore()
  const body = randomBytes(80)
  await store.write([{ key: ['mail-out', '0000000000000001'], value: encodeRecord({ to: bob, body }) }])
  const outbox = new MailOutbox(store)
  expect(await outbox.list()).toEqual([{ key: ['mail-out', '0000000000000001'], to: [bob], body }])
})

test('[S11][M27] queued mail keeps every recipient, among decoys up to a bucket, and leaves only when removed', async () => {
  const outbox = new MailOutbox(createMemoryStore())
  const body = randomBytes(48)
  await outbox.add([{ to: [bob, carol], body }])
  const [item] = await outbox.list()
  expect(item!.body).toEqual(body)
  expect(item!.to).toHaveLength(8)
  const hex = item!.to.map((d) => Buffer.from(d).toString('hex'))
  expect(hex).toContain(Buffer.from(bob).toString('hex'))
  expect(hex).toContain(Buffer.from(carol).toString('hex'))
  expect(new Set(hex).size).toBe(8)
  // Decoys are valid Ed25519 keys, like real addresses: a point check does not tell them apart.
  for (const d of item!.to.filter((d) => d !== bob && d !== carol)) expect(parseSignPublicKey(d)).toBeDefined()
  await outbox.remove([item!.key])
  expect(await outbox.list()).toEqual([])
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
