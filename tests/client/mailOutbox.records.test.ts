import { expect, test } from 'vitest'
import { randomBytes } from '../../crypto/index.js'
import { MailOutbox } from '../../client/core/mailOutbox.js'
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

test('[S11] queued mail keeps every recipient and leaves only when removed', async () => {
  const outbox = new MailOutbox(createMemoryStore())
  const body = randomBytes(48)
  await outbox.add([{ to: [bob, carol], body }])
  const [item] = await outbox.list()
  expect(item).toMatchObject({ to: [bob, carol], body })
  await outbox.remove([item!.key])
  expect(await outbox.list()).toEqual([])
})

test('[S11] mail without recipients or naming one twice is refused at once: the server would refuse it forever', async () => {
  const outbox = new MailOutbox(createMemoryStore())
  await expect(outbox.add([{ to: [], body: randomBytes(8) }])).rejects.toThrow(RangeError)
  await expect(outbox.add([{ to: [bob, carol, bob.slice()], body: randomBytes(8) }])).rejects.toThrow(RangeError)
  expect(await outbox.list()).toEqual([])
})
