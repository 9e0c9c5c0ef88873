import { afterAll, beforeAll, expect, test } from 'vitest'
import { closePersona, persona, texts, until, type Persona } from './helpers/clients.js'
import { startServerProcess, type ServerProcess } from './helpers/serverProcess.js'
import { conversationWith } from './helpers/team.js'

let server: ServerProcess
const people: Persona[] = []

beforeAll(async () => {
  server = await startServerProcess()
})
afterAll(async () => {
  await Promise.all(people.map(closePersona))
  await server.kill()
})

test('[S4] server killed with SIGKILL mid-stream loses no acked envelope; clients resume by themselves', async () => {
  const alice = await persona('Alice', server.url)
  const bob = await persona('Bob', server.url)
  people.push(alice, bob)
  alice.messenger.start()
  bob.messenger.start()
  const conv = await conversationWith(alice, [bob], 'Night shift')

  // Track which messages the server acknowledged before the crash.
  const acked = new Set<string>()
  const sentIds: string[] = []
  const writer = (async () => {
    for (let i = 0; i < 400; i++) {
      const m = await alice.messenger.send(conv, `stream ${i}`)
      sentIds.push(m.id)
      await new Promise((r) => setImmediate(r)) // like UI events: one task per message
    }
  })()
  await until(() => sentIds.length >= 150 && alice.messenger.status.pending < sentIds.length, 'a stream in flight, partly acked')
  for (const id of sentIds) if (!alice.messenger.messages(conv).find((m) => m.id === id)?.pending) acked.add(id)
  await server.kill('SIGKILL')
  await writer // writing goes on offline
  expect(alice.messenger.status.connection).toBe('offline')
  await server.restart()

  // A device that never saw the stream reads it from the restarted server alone.
  const carol = await persona('Carol', server.url)
  people.push(carol)
  carol.messenger.start()
  // Alice admits her once she is back (admission needs an admin device online).
  await carol.messenger.join((await alice.messenger.invite(conv, 'http://localhost')).link)
  await until(() => carol.messenger.conversations().some((c) => c.conv === conv), 'carol admitted')
  await carol.messenger.openConversation(conv)
  await until(() => [...acked].every((id) => carol.messenger.messages(conv).some((m) => m.id === id)), 'every acked message on a fresh device')

  // Alice and Bob reconnect with backoff and converge on all 400 without any action.
  await until(() => alice.messenger.status.pending === 0, 'alice outbox drained')
  await until(() => texts(bob, conv).length === 400 && texts(carol, conv).length === 400, 'all 400 everywhere')
  expect(texts(bob, conv)).toEqual(texts(alice, conv))
  expect(texts(carol, conv)).toEqual(texts(alice, conv))
  expect(acked.size).toBeGreaterThan(0)
})
