import * as A from '@automerge/automerge'
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { ConvId } from '../../protocol/index.js'
import { startSyncServer, type RunningServer } from '../../sync-server/server.js'
import { openMemoryStore } from '../../sync-server/store/memory.js'
import { createLogger } from '../../sync-server/log.js'
import { Outbox } from '../../client/core/outbox/outbox.js'
import { closedUrl, device, until, type Device } from './helpers/devices.js'

/**
 * [M14a] A run of sends not awaited one by one is one Automerge change holding one new record per
 * message: another device shows every one of them with the same id, in send order, and a message
 * of a run is edited, reacted to and deleted like any other (the author rules hold per message).
 */
let server: RunningServer
let alice: Device
let bob: Device
const texts = (d: Device, conv: ConvId) => d.messenger.messages(conv).map((m) => m.text)

beforeAll(async () => {
  server = await startSyncServer({ port: 0, host: '127.0.0.1', store: openMemoryStore(), log: createLogger('silent') })
  const url = `ws://127.0.0.1:${server.port}/sync`
  alice = await device('alice', url)
  bob = await device('bob', url)
  alice.messenger.start()
  bob.messenger.start()
})

afterAll(async () => {
  await alice?.messenger.stop()
  await bob?.messenger.stop()
  await server?.close()
})

test('[M14a] a run is one change of many messages: the reader shows each with its own id, in order, and they are acted on one by one', async () => {
  const conv = await alice.messenger.createConversation('Alerts')
  await alice.messenger.openConversation(conv)
  await bob.messenger.join((await alice.messenger.invite(conv, 'https://chat.example')).link)
  await until(() => bob.messenger.conversations().some((c) => c.conv === conv), 'bob is admitted')
  await bob.messenger.openConversation(conv)
  await alice.messenger.send(conv, 'first') // the segment exists: the run below goes into it

  const run = Array.from({ length: 40 }, (_, i) => `alert ${i}`)
  const sent = await Promise.all(run.map((t) => alice.messenger.send(conv, t)))
  expect(new Set(sent.map((m) => m.id)).size).toBe(40)
  await until(() => texts(bob, conv).length === 41, 'bob shows the run')
  expect(texts(bob, conv)).toEqual(['first', ...run])
  // The same ids on both devices.
  const bobs = bob.messenger.messages(conv).slice(1)
  expect(bobs.map((m) => m.id)).toEqual(sent.map((m) => m.id))
  expect(bobs.every((m) => m.author === alice.messenger.identity!.deviceId)).toBe(true)

  // One message of the run edited, one deleted, one reacted to by bob: each alone.
  await alice.messenger.edit(conv, sent[3]!.ref, 'alert 3, cleared')
  await alice.messenger.deleteMessage(conv, sent[7]!.ref)
  await bob.messenger.react(conv, bobs[5]!.ref, '👍')
  await until(() => texts(bob, conv)[4] === 'alert 3, cleared' && texts(bob, conv)[8] === '' && (alice.messenger.messages(conv)[6]?.reactions?.length ?? 0) === 1, 'the actions arrive')
  expect(texts(bob, conv).filter((t) => t.startsWith('alert')).length).toBe(39)
  expect(alice.messenger.messages(conv).map((m) => m.reactions?.length ?? 0).reduce((a, b) => a + b, 0)).toBe(1)
  // Bob may not edit alice's message of a run: refused as for any message.
  await expect(bob.messenger.edit(conv, bobs[2]!.ref, 'forged')).rejects.toThrow()
  expect(bob.problems).toEqual([])
})

test('[M14a] a run writes one change with one insert per message; the ids are the inserts\' op ids', async () => {
  const offline = await device('carol', await closedUrl())
  try {
    offline.messenger.start()
    const conv = await offline.messenger.createConversation('Import')
    await offline.messenger.openConversation(conv)
    await offline.messenger.send(conv, 'start')
    // Two runs (256 and 44), some of whose messages carry more fields than others.
    const sent = await Promise.all(Array.from({ length: 300 }, (_, i) => offline.messenger.send(conv, `line ${i}` + ' long'.repeat(i % 7), i % 5 ? {} : { mentions: [offline.messenger.identity!.actor] })))
    const outbox = new Outbox(offline.store)
    await outbox.load()
    const changes = outbox.raw(conv, sent[0]!.segment).flatMap((r) => r.changes).map((c) => A.decodeChange(c))
    const inserts = (c: A.DecodedChange) => c.ops.map((o, i) => ({ o: o as typeof o & { insert?: boolean }, i })).filter(({ o }) => o.insert && o.action === 'makeMap')
    const runs = changes.filter((c) => inserts(c).length > 1)
    expect(runs.map((c) => inserts(c).length)).toEqual([256, 44])
    // What every receiver reads ([M20]) is what each send resolved with (the writer reads the ids
    // from the document its change left, messageLog.ts `commit`).
    expect(runs.flatMap((run) => inserts(run).map(({ i }) => `${run.startOp + i}@${run.actor}`))).toEqual(sent.map((m) => m.id))
  } finally {
    await offline.messenger.stop()
  }
})

test('[M14a] a run of long messages is cut so that each change stays far below an envelope\'s limit', async () => {
  const offline = await device('dan', await closedUrl())
  try {
    offline.messenger.start()
    const conv = await offline.messenger.createConversation('Reports')
    await offline.messenger.openConversation(conv)
    await offline.messenger.send(conv, 'start')
    const long = (i: number) => `report ${i} ` + 'é'.repeat(19_000)
    const sent = await Promise.all(Array.from({ length: 30 }, (_, i) => offline.messenger.send(conv, long(i))))
    expect(sent.map((m) => m.text)).toEqual(Array.from({ length: 30 }, (_, i) => long(i)))
    const outbox = new Outbox(offline.store)
    await outbox.load()
    const changes = outbox.raw(conv, sent[0]!.segment).flatMap((r) => r.changes)
    // 30 × ~38 KB: several runs, none over 256 KiB (an envelope takes 512 KiB).
    expect(changes.length).toBeGreaterThanOrEqual(5)
    expect(Math.max(...changes.map((c) => c.length))).toBeLessThan(256 * 1024)
  } finally {
    await offline.messenger.stop()
  }
})
