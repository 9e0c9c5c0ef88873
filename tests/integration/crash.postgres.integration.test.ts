import { afterAll, beforeAll, expect, test } from 'vitest'
import { describePostgres, pgSchema } from '../helpers/postgres.js'
import type { PgSchema } from './helpers/pgSchema.js'
import { closePersona, persona, texts, until, type Persona } from './helpers/clients.js'
import { startServerProcess, type ServerProcess } from './helpers/serverProcess.js'
import { conversationWith } from './helpers/team.js'

/**
 * [S4][S20] Durable before ack on PostgreSQL: the server process is killed with SIGKILL under a
 * stream of pushes; every envelope it acknowledged is in the database when it comes back, and
 * the devices converge without doing anything. (crashLoop.integration.test.ts repeats a kill
 * 100 times against both stores with raw protocol devices; this one is the people's view.)
 */
describePostgres('[S20] the PostgreSQL store across a crash of the server', () => {
  let schema: PgSchema
  let server: ServerProcess
  const people: Persona[] = []
  beforeAll(async () => {
    schema = await pgSchema('crash')
    server = await startServerProcess({ databaseUrl: schema.url })
  })
  afterAll(async () => {
    await Promise.all(people.map(closePersona))
    await server?.kill()
    await schema?.drop()
  })

  test('[S4][S20] a server on PostgreSQL killed with SIGKILL mid-stream loses no acknowledged envelope', async () => {
    const [alice, bob] = await Promise.all([persona('Alice', server.url), persona('Bob', server.url)])
    people.push(alice, bob)
    alice.messenger.start()
    bob.messenger.start()
    const conv = await conversationWith(alice, [bob], 'Night shift')
    const sent: string[] = []
    const writer = (async () => {
      for (let i = 0; i < 200; i++) {
        sent.push((await alice.messenger.send(conv, `stream ${i}`)).id)
        await new Promise((r) => setImmediate(r))
      }
    })()
    await until(() => sent.length >= 80 && alice.messenger.status.pending < sent.length, 'a stream in flight, partly acknowledged')
    const acked = sent.filter((id) => !alice.messenger.messages(conv).find((m) => m.id === id)?.pending)
    await server.kill('SIGKILL')
    await writer
    await server.restart()

    // A device that never saw the stream reads every acknowledged message from the database alone.
    const carol = await persona('Carol', server.url)
    people.push(carol)
    carol.messenger.start()
    await carol.messenger.join((await alice.messenger.invite(conv, 'http://localhost')).link)
    await until(() => carol.messenger.conversations().some((c) => c.conv === conv), 'carol admitted')
    await carol.messenger.openConversation(conv)
    await until(() => acked.every((id) => carol.messenger.messages(conv).some((m) => m.id === id)), 'every acknowledged message on a fresh device')
    await until(() => alice.messenger.status.pending === 0 && texts(bob, conv).length === 200 && texts(carol, conv).length === 200, 'all 200 everywhere')
    expect(texts(bob, conv)).toEqual(texts(alice, conv))
    expect(acked.length).toBeGreaterThan(0)
  })
})
