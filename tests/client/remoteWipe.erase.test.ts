import { describe, expect, test } from 'vitest'
import { randomBytes, toBase64Url } from '../../crypto/index.js'
import type { ConvId, DocId } from '../../protocol/index.js'
import { documentId } from '../../client/core/documents/docs.js'
import { segmentDocId } from '../../client/core/documents/model.js'
import { MailOutbox } from '../../client/core/outbox/mailOutbox.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import type { LocalStore } from '../../client/core/storage/LocalStore.js'
import { encodeRecord } from '../../client/core/storage/records.js'
import { RemoteWipes } from '../../client/core/wipe/remoteWipe.js'
import { writeTombstone } from '../../client/core/wipe/tombstone.js'

const id = () => toBase64Url(randomBytes(16)) as ConvId
const one = new Uint8Array([1])

/** Every kind of record a space has on a device (client/core/SPEC.md's key table), for `space` of `org`. */
async function fill(store: LocalStore, space: ConvId, org: ConvId, kind: 'org' | 'group'): Promise<DocId[]> {
  const seg = segmentDocId(space, 0)
  const root = space as string as DocId
  await store.write([
    { key: ['space', space], value: encodeRecord({ kind, org }) },
    { key: ['conv', space], value: one },
    { key: ['cursor', space, seg], value: one },
    { key: ['epoch-seen', space, seg], value: one },
    { key: ['msg-epoch', space, 'm1'], value: one },
    { key: ['msg-epoch', space, seg, 'm1'], value: one },
    { key: ['out', 'raw', space, seg, '0001'], value: one },
    { key: ['out', 'sealed', space, seg, '0001'], value: one },
    { key: ['chain', space, seg, '0001'], value: one },
    { key: ['team-op', space, 'op1'], value: one },
    { key: ['team-box', space, 'op1'], value: one },
    { key: ['team-rbox', space, 'op1'], value: one },
    { key: ['team-key', space, '7'], value: one },
    { key: ['team-rekey', space], value: one },
    { key: ['verified', space, 'user1'], value: one },
    { key: ['org-join', space], value: one },
    { key: ['view', space], value: one },
    ...[root, seg].flatMap((d) => [
      { key: ['doc', d], value: one },
      { key: ['am', documentId(d), 'snapshot', 'h1'], value: one },
      { key: ['am', documentId(d), 'incremental', 'h2'], value: one },
    ]),
  ])
  return [root, seg]
}

describe('[M30] remote wipe, on the store', () => {
  test('[M30] a pending tombstone deletes every record of the organisation and of its groups, keeps every other one, and is then done; again, nothing changes', async () => {
    const store = createMemoryStore()
    const [org, group, other] = [id(), id(), id()]
    await fill(store, org, org, 'org')
    await fill(store, group, org, 'group')
    await fill(store, other, other, 'org')
    await store.write([{ key: ['identity'], value: one }, { key: ['meta', 'format'], value: one }])
    const mail = new MailOutbox(store)
    const to = [randomBytes(32)]
    await mail.add([{ to, body: one, org }, { to, body: one, org: other }, { to, body: one }])
    const docs = [org, group].flatMap((s) => [s as string as DocId, segmentDocId(s, 0)])
    const ids = new Set<string>([org, group, ...docs, ...docs.map((d) => documentId(d) as string)])
    const keep = (await store.range([])).filter((e) => !e.key.some((k) => ids.has(k)))
    expect(keep.length).toBeGreaterThan(10)

    // The group is left out of the plan on purpose: its `space` record names the organisation.
    await store.write([writeTombstone({ org, name: 'Acme', time: Date.now(), reason: 'person-removed', conversation: false, dismissed: false }, { spaces: [org], docs: [] })])
    const wipes = new RemoteWipes(store)
    await wipes.load()
    expect(wipes.list()).toMatchObject([{ org, pending: true }])
    const done = await wipes.finishPending()
    expect(done.map((d) => d.wiped)).toMatchObject([{ org, name: 'Acme', reason: 'person-removed', pending: false }])

    const left = await store.range([])
    const mailLeft = (await mail.list()).length
    expect(mailLeft).toBe(2) // the other organisation's item, and one that names none
    expect(left.filter((e) => e.key[0] !== 'wiped' && e.key[0] !== 'mail-out').map((e) => e.key.join('/'))).toEqual(keep.filter((e) => e.key[0] !== 'mail-out').map((e) => e.key.join('/')))
    expect(left.filter((e) => e.key[0] === 'wiped').map((e) => e.key)).toEqual([['wiped', org]])

    const reopened = new RemoteWipes(store)
    await reopened.load()
    expect(reopened.list()).toEqual(wipes.list())
    expect(await reopened.finishPending()).toEqual([])
    expect(await store.range([])).toEqual(left)
  })

  test('[M30] a tombstone whose key or record is not one is never acted on', async () => {
    const store = createMemoryStore()
    const org = id()
    await fill(store, org, org, 'org')
    const valid = writeTombstone({ org, name: 'X', time: 1, reason: 'device-removed', conversation: false, dismissed: false }, { spaces: [org], docs: [] })
    await store.write([{ key: ['wiped', 'not an id'], value: valid.value! }, { key: valid.key, value: encodeRecord({ v: 1, name: 'X' }) }])
    const before = await store.range([])
    const wipes = new RemoteWipes(store)
    await wipes.load()
    expect(wipes.list()).toEqual([])
    expect(await wipes.finishPending()).toEqual([])
    expect(await store.range([])).toEqual(before)
  })
})
