import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { expect, test } from 'vitest'
import { randomBytes } from '../../crypto/index.js'
import { Messenger } from '../../client/core/messenger.js'
import { foldTerm } from '../../client/core/search/terms.js'
import { openAtRest } from '../../client/core/storage/atRest.js'
import type { Entry } from '../../client/core/storage/LocalStore.js'
import { nodeSocket } from '../../client/node/socket.js'
import { openSqliteLocalStore } from '../../client/node/sqliteStore.js'
import { closePersona, until, type Persona } from './helpers/clients.js'
import { useServer } from './helpers/lifecycle.js'
import { conversationWith } from './helpers/team.js'

/**
 * [M50] The search index is the device's alone: after Ben's device has indexed what Ann wrote,
 * a stolen copy of the server's data folder (and its log) holds none of the indexed words, and
 * a stolen copy of Ben's device folder holds them only encrypted ([M28]); read through its key,
 * the index is there. [M30] A remote wipe takes the index with the conversation.
 */
const env = useServer()

/** Ben's device: a SQLite store encrypted at rest under `master`, reopened from the same file. */
async function atRestDevice(name: string, file: string, master: Uint8Array): Promise<Persona> {
  const store = await openAtRest(openSqliteLocalStore(file), { kind: 'key', master })
  // Indexing starts when asked: after a wipe, nothing reads the index before the test looks.
  const messenger = await Messenger.open({ store, url: env.server().url, socket: nodeSocket, backoff: { initialMs: 100, maxMs: 1000 }, heartbeatMs: 2000, search: { startDelayMs: 3_600_000, saveDelayMs: 50 } })
  if (!messenger.identity) await messenger.createIdentity(name)
  return { name, messenger, store, file, problems: [] }
}

async function decrypted(file: string, master: Uint8Array): Promise<Entry[]> {
  const store = await openAtRest(openSqliteLocalStore(file), { kind: 'key', master })
  try {
    return await store.range([])
  } finally {
    await store.close()
  }
}

const filesUnder = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]))
/** Each word as written, folded as indexed, in UTF-8 and UTF-16. */
const needles = (words: readonly string[]) => words.flatMap((w) => [w, foldTerm(w)]).flatMap((w) => [Buffer.from(w), Buffer.from(w, 'utf16le')])
const found = (haystacks: readonly [string, Buffer][], words: readonly string[]) =>
  haystacks.flatMap(([where, bytes]) => needles(words).filter((n) => bytes.includes(n)).map((n) => `${n.toString()} in ${where}`))
const holds = (e: Entry, word: string) => Buffer.from(e.value).includes(Buffer.from(word))

async function world(tag: string) {
  const master = randomBytes(32)
  const file = join(mkdtempSync(join(tmpdir(), `fieldchat-search-${tag}-`)), 'device.sqlite')
  const ann = await env.persona(`Ann${tag}`)
  const ben = await atRestDevice(`Ben${tag}`, file, master)
  for (const p of [ann, ben]) p.messenger.start()
  const conv = await conversationWith(ann, [ben], `Yard ${tag}`)
  const secret = randomBytes(4).toString()
  const words = [`Zwiebelkuchen${tag}${Buffer.from(secret).toString('hex')}`, `Crème${tag}brûlée`, `Mañanita${tag}`]
  await ann.messenger.send(conv, `Heute gibt es ${words[0]} und ${words[1]}`)
  await ann.messenger.send(conv, `Hasta ${words[2]} en la obra`)
  await until(() => ben.messenger.messages(conv).length === 2, 'ben received both')
  await ben.messenger.searchIndexed()
  return { ann, ben, conv, words, file, master }
}

test('[M50][M28] after indexing, the server holds none of the indexed words and the device holds them only encrypted', async () => {
  const { ann, ben, conv, words, file, master } = await world('S')
  expect((await ben.messenger.search(words[0]!.toLowerCase())).map((h) => [h.conv, h.authorName])).toEqual([[conv, 'AnnS']])
  expect((await ben.messenger.search('creme ')).length).toBe(0) // `CrèmeSbrûlée` is one word
  expect((await ben.messenger.search(foldTerm(words[1]!))).length).toBe(1)
  expect((await ben.messenger.search(`manan`)).map((h) => h.text)).toEqual([`Hasta ${words[2]} en la obra`])
  await closePersona(ben)
  await closePersona(ann)

  // The device: the index is there through the key, and nowhere in clear in its files.
  const records = (await decrypted(file, master)).filter((e) => e.key[0] === 'search')
  expect(records.some((e) => e.key[1] === conv && holds(e, words[0]!))).toBe(true)
  const device = filesUnder(dirname(file)).map((f) => [f, readFileSync(f)] as [string, Buffer])
  expect(device.some(([f]) => f.endsWith('device.sqlite'))).toBe(true)
  expect(found(device, words)).toEqual([])

  // The server: its data folder and its log.
  const server = [...filesUnder(env.server().dataDir).map((f) => [f, readFileSync(f)] as [string, Buffer]), ['server log', Buffer.from(env.server().output())] as [string, Buffer]]
  expect(server.length).toBeGreaterThan(1)
  expect(found(server, words)).toEqual([])
}, 120_000)

test('[M50][M30] a remote wipe takes the conversation\'s index: nothing found, no record left, none written after', async () => {
  const { ann, ben, conv, words, file, master } = await world('W')
  expect((await ben.messenger.search(words[2]!)).length).toBe(1)
  expect((await ben.store.range(['search', conv])).length).toBeGreaterThan(0) // positive control
  const wiped = new Promise<void>((ok) => ben.messenger.events.on('wiped', (t) => t.org === conv && ok()))
  await ann.messenger.removeMember(conv, ben.messenger.identity!.deviceId)
  await wiped
  await ben.messenger.wipesSettled()
  expect(await ben.store.range(['search'])).toEqual([])
  expect(await ben.messenger.search(words[2]!)).toEqual([])
  await ben.messenger.searchIndexed()
  await closePersona(ben)
  const left = await decrypted(file, master)
  expect(left.filter((e) => e.key[0] === 'search').map((e) => e.key.join('/'))).toEqual([])
  expect(left.filter((e) => words.some((w) => holds(e, w))).map((e) => e.key.join('/'))).toEqual([])
  await closePersona(ann)
}, 120_000)
