import { expect, test } from 'vitest'
import { randomBytes, toBase64Url } from '../../crypto/index.js'
import type { ConvId } from '../../protocol/index.js'
import { MessageEpochs } from '../../client/core/documents/messageEpochs.js'
import { segmentDocId } from '../../client/core/documents/model.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import { encodeRecord } from '../../client/core/storage/records.js'

const conv = toBase64Url(randomBytes(16)) as ConvId
const [seg0, seg1] = [segmentDocId(conv, 0), segmentDocId(conv, 1)]
// One device's fourth entry of segment 0 and ninth of segment 1 can carry the same object id ([M15]).
const shared = '4@' + 'ab'.repeat(16)

test('[M26][M15] two entries with one object id in two segments keep their own epochs, in memory and after a reload', async () => {
  const store = createMemoryStore()
  const epochs = new MessageEpochs(store)
  await epochs.record(conv, seg0, [{ ids: [shared], epoch: 3 }])
  await epochs.record(conv, seg1, [{ ids: [shared], epoch: 5 }])
  expect([epochs.epochOf(conv, seg0, shared), epochs.epochOf(conv, seg1, shared)]).toEqual([3, 5])
  const reloaded = new MessageEpochs(store)
  await reloaded.load(conv)
  expect([reloaded.epochOf(conv, seg0, shared), reloaded.epochOf(conv, seg1, shared)]).toEqual([3, 5])
})

test('[M26] a record written before segments were named still answers for its messages; a segment\'s own record wins over it; a malformed one is ignored', async () => {
  const store = createMemoryStore()
  await store.write([
    { key: ['msg-epoch', conv, shared], value: encodeRecord({ e: 2 }) },
    { key: ['msg-epoch', conv, 'old@' + 'cd'.repeat(16)], value: encodeRecord({ e: 'two' }) },
    { key: ['msg-epoch', conv, seg1, shared], value: encodeRecord({ e: 7 }) },
  ])
  const epochs = new MessageEpochs(store)
  await epochs.load(conv)
  expect(epochs.epochOf(conv, seg0, shared)).toBe(2)
  expect(epochs.epochOf(conv, seg1, shared)).toBe(7)
  expect(epochs.epochOf(conv, seg0, 'old@' + 'cd'.repeat(16))).toBeUndefined()
})

test('[M26] a batch\'s epochs are one record keyed by its first id: every id of it answers after a reload, beside records of one id each', async () => {
  const store = createMemoryStore()
  const ids = [1, 2, 3].map((n) => `${n}@${'ef'.repeat(32)}`)
  await store.write([{ key: ['msg-epoch', conv, seg0, '9@' + 'ab'.repeat(32)], value: encodeRecord({ e: 1 }) }])
  const epochs = new MessageEpochs(store)
  await epochs.record(conv, seg0, [{ ids, epoch: 4 }, { ids: [shared], epoch: 6 }])
  expect((await store.range(['msg-epoch', conv, seg0])).map((e) => e.key[3]).sort()).toEqual([ids[0], '9@' + 'ab'.repeat(32), shared].sort())
  const reloaded = new MessageEpochs(store)
  await reloaded.load(conv)
  expect([...ids, shared, '9@' + 'ab'.repeat(32)].map((id) => reloaded.epochOf(conv, seg0, id))).toEqual([4, 4, 4, 6, 1])
})
