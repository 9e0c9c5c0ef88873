import { afterAll, beforeAll, expect, test } from 'vitest'
import { HybridClock } from '../../client/core/documents/hlc.js'
import { segmentDocId } from '../../client/core/documents/model.js'
import type { LocalStore } from '../../client/core/storage/LocalStore.js'
import type { ConvId, DocId } from '../../protocol/index.js'
import { closePersona, persona, until, type Persona } from './helpers/clients.js'
import { startServerProcess, type ServerProcess } from './helpers/serverProcess.js'
import { conversationWith } from './helpers/team.js'

/**
 * [M71] with protocol [S56], against the real server process: alice's and bob's wall clocks run
 * ten days behind the server's (one injected clock), so every day their envelopes name has passed
 * for the server and its sweep at the next start drops those documents. Nothing here waits for a
 * clock: the devices' clock is moved forward, the server is restarted.
 */
const DAY = 86_400_000
const wall = { t: Date.now() - 10 * DAY }
let server: ServerProcess
const people: Persona[] = []

beforeAll(async () => {
  server = await startServerProcess()
})
afterAll(async () => {
  await Promise.all(people.map(closePersona))
  await server.kill()
})

async function person(name: string): Promise<Persona> {
  const p = await persona(name, server.url, { clock: new HybridClock(() => wall.t), segmentCapacity: 3, search: { startDelayMs: 0, saveDelayMs: 20 } })
  people.push(p)
  p.messenger.start()
  return p
}

const utf8 = new TextEncoder()
async function storeHolds(store: LocalStore, text: string): Promise<boolean> {
  const needle = Buffer.from(utf8.encode(text))
  for (const e of await store.range([])) if (Buffer.from(e.value).includes(needle)) return true
  return false
}
const tombstoned = async (p: Persona, conv: ConvId, doc: DocId) => (await p.store.get(['dropped', conv, doc])) !== undefined
const texts = (p: Persona, conv: ConvId) => p.messenger.messages(conv).map((m) => m.text)

test('[M71][S56] expired segments leave both devices\' storage; after the server\'s sweep a message written into the dropped newest segment is refused (1206) and written again into the next; a device joining later reads only what lives', async () => {
  const [alice, bob] = [await person('Alice'), await person('Bob')]
  const conv = await conversationWith(alice, [bob], 'Night shift')
  await alice.messenger.setTimer(conv, 300)
  await until(() => bob.messenger.timer(conv).seconds === 300, 'the timer at bob')
  const written = ['alpha 2222', 'bravo 3333', 'charlie 4444', 'delta 5555', 'echo 6666']
  // Alice writes them all, so the segments fill in one order (concurrent writers may overfill one, [M11]).
  for (const text of written) await alice.messenger.send(conv, text)
  await until(() => [alice, bob].every((p) => texts(p, conv).length === written.length), 'every message on both devices')
  await until(() => [alice, bob].every((p) => p.messenger.status.pending === 0), 'everything at the server')
  const seg = (i: number) => segmentDocId(conv, i)
  expect(alice.messenger.messages(conv).map((m) => m.segment)).toEqual([0, 0, 1, 1, 2].map(seg))
  for (const p of [alice, bob]) await p.messenger.searchIndexed()
  for (const p of [alice, bob]) expect(await storeHolds(p.store, 'alpha 2222'), p.name).toBe(true)

  // Five minutes on: every message expired; segments 0 and 1 go from both devices, the writable one stays.
  wall.t += 301_000
  for (const p of [alice, bob]) await p.messenger.expireDue()
  for (const p of [alice, bob]) await until(async () => (await tombstoned(p, conv, seg(0))) && (await tombstoned(p, conv, seg(1))), `${p.name} drops segments 0 and 1`)
  for (const p of [alice, bob]) {
    expect(await tombstoned(p, conv, seg(2)), p.name).toBe(false)
    for (const text of ['alpha 2222', 'bravo 3333', 'charlie 4444', 'delta 5555']) expect(await storeHolds(p.store, text), `${p.name}: ${text}`).toBe(false)
    expect(texts(p, conv)).toEqual([])
  }
  await until(() => [alice, bob].every((p) => p.messenger.status.pending === 0), 'the deletions settled')

  // The server restarts: its sweep drops every segment (their days have passed for it; the root is kept for ever).
  await server.kill()
  await server.restart()
  await until(() => [alice, bob].every((p) => p.messenger.status.connection === 'online'), 'both back online')

  // Alice writes into segment 2, her newest: the server refuses it (1206); she drops the segment
  // and writes the message again into segment 3, after a copy of the timer.
  const fresh = await alice.messenger.send(conv, 'fresh words 7788')
  expect(fresh.segment).toBe(seg(2))
  await until(async () => tombstoned(alice, conv, seg(2)), 'alice drops segment 2')
  await until(() => alice.messenger.messages(conv).some((m) => m.text === 'fresh words 7788' && m.segment === seg(3) && !m.pending), 'the message again, in segment 3, stored')
  await until(() => texts(bob, conv).includes('fresh words 7788'), 'the message at bob')
  expect(bob.messenger.messages(conv).find((m) => m.text === 'fresh words 7788')!.segment).toBe(seg(3))
  expect(bob.messenger.timer(conv).seconds).toBe(300)
  // Segment 2 is no longer bob's writable one and holds only expired entries: bob drops it too.
  await bob.messenger.expireDue()
  await until(async () => tombstoned(bob, conv, seg(2)), 'bob drops segment 2')
  expect(await storeHolds(bob.store, 'echo 6666')).toBe(false)

  // Carol joins now: the server has nothing of the dropped segments for her; she reads what lives, with the timer.
  const carol = await person('Carol')
  await carol.messenger.join((await alice.messenger.invite(conv, 'http://x')).link)
  await until(() => carol.messenger.conversations().some((c) => c.conv === conv), 'carol admitted')
  await carol.messenger.openConversation(conv)
  await until(() => texts(carol, conv).includes('fresh words 7788'), 'the live message at carol')
  for (let i = 0; i < 3; i++) await carol.messenger.loadEarlier(conv)
  expect(texts(carol, conv)).toEqual(['fresh words 7788'])
  await until(() => carol.messenger.timer(conv).seconds === 300, 'the timer at carol')
  for (const text of written) expect(await storeHolds(carol.store, text), text).toBe(false)

  for (const p of [alice, bob, carol]) expect(p.problems, p.name).toEqual([])
})
