import { expect, test } from 'vitest'
import { deviceIdOf, type ConvId } from '../../../protocol/index.js'
import { randomBytes, toBase64Url } from '../../../crypto/index.js'
import { createMemoryStore } from '../../../client/core/storage/memory.js'
import { loadOwn, loadPeers, saveOwn, savePeer } from '../../../client/core/presence/cursorStore.js'
import { eraseOrg } from '../../../client/core/wipe/erase.js'
import { encodeRecord } from '../../../client/core/storage/records.js'

const conv = () => toBase64Url(randomBytes(16)) as ConvId

test('[M55][M30] a remote wipe erases the organisation\'s own and heard cursors, and nothing of another\'s', async () => {
  const store = createMemoryStore()
  const [org, other] = [conv(), conv()]
  const bob = deviceIdOf(randomBytes(32))
  for (const c of [org, other]) {
    await saveOwn(store, c, { r: { ts: 1, id: 'a' } })
    await savePeer(store, c, bob, { d: { ts: 2, id: 'b' } })
  }
  await eraseOrg(store, org, undefined)
  expect([...(await loadOwn(store)).keys()]).toEqual([other])
  expect([...(await loadPeers(store)).keys()]).toEqual([other])
})

test('[M55][M3] a stored cursor that does not parse is not used', async () => {
  const store = createMemoryStore()
  const c = conv()
  await store.write([{ key: ['read', c], value: encodeRecord({ r: { ts: -1, id: 'a' } }) }, { key: ['read-peer', c, 'not-a-device'], value: encodeRecord({}) }])
  expect((await loadOwn(store)).size).toBe(0)
  expect((await loadPeers(store)).size).toBe(0)
})
