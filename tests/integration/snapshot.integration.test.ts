import Database from 'better-sqlite3'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { texts, until, type Persona } from './helpers/clients.js'
import { useServer } from './helpers/lifecycle.js'
import { conversationWith } from './helpers/team.js'

const env = useServer()
const server = () => env.server()
/** Personas are closed by useServer after the file's tests. */
const people: Persona[] = []
const persona = async (name: string, _url?: string, options?: Parameters<typeof env.persona>[1]) => env.persona(name, options)

function count(sql: string): number {
  const db = new Database(join(server().dataDir, 'sync.sqlite'), { readonly: true })
  try {
    return (db.prepare(sql).get() as { n: number }).n
  } finally {
    db.close()
  }
}

test('[E12][S9] a device snapshots its own log; the server prunes what it covers; a new device reads snapshot + tail', async () => {
  const alice = await persona('Alice', server().url, { snapshotEvery: 8 })
  const bob = await persona('Bob', server().url, { snapshotEvery: 8 })
  people.push(alice, bob)
  alice.messenger.start()
  bob.messenger.start()
  const conv = await conversationWith(alice, [bob], 'Depot')
  for (let i = 0; i < 30; i++) {
    await alice.messenger.send(conv, `log ${i}`)
    await until(() => alice.messenger.status.pending === 0, 'ack') // one envelope per message
  }
  await until(() => count('SELECT count(*) AS n FROM snapshots') >= 1, 'a snapshot on the server')
  await until(() => count('SELECT count(*) AS n FROM envelopes') < 20, 'covered envelopes pruned')
  await until(() => texts(bob, conv).length === 30, 'bob, online all along, has all 30')

  const carol = await persona('Carol', server().url)
  people.push(carol)
  carol.messenger.start()
  // Admitting Carol rotates the key; the key chain gives her the history ([T9]).
  await carol.messenger.join((await alice.messenger.invite(conv, 'http://x')).link)
  await until(() => carol.messenger.conversations().some((c) => c.conv === conv), 'carol admitted')
  await carol.messenger.openConversation(conv)
  await until(() => texts(carol, conv).length === 30, 'all 30 on a new device')
  expect(texts(carol, conv)).toEqual(texts(alice, conv))
  expect(carol.messenger.messages(conv).every((m) => m.authorName === 'Alice')).toBe(true)
  for (const p of people) expect(p.problems).toEqual([])
})
