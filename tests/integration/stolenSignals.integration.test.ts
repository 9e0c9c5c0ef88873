import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, expect, test } from 'vitest'
import { closePersona, persona, until, type Persona } from './helpers/clients.js'
import { startServerProcess, type ServerProcess } from './helpers/serverProcess.js'
import { tappedLink } from './helpers/tappedSocket.js'
import { conversationWith } from './helpers/team.js'

/**
 * [S49] Receipts and typing never reach the server's store. Three devices talk, then send many
 * receipts and typing signals (every body they send is recorded on the way out); an attacker
 * copies the server's data folder and logs before and after. The copy after holds the same rows
 * in every table, and not one body's bytes, in any file or in the logs.
 */
let server: ServerProcess
const people: Persona[] = []
afterAll(async () => {
  await Promise.all(people.map(closePersona))
  await server?.kill()
})

const filesUnder = (dir: string): string[] => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? filesUnder(join(dir, n)) : [join(dir, n)]))
const steal = (dir: string) => filesUnder(dir).map((f) => [f, readFileSync(f)] as const)
/** Rows per table of every SQLite file in the folder. */
function rowCounts(dir: string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const f of filesUnder(dir)) {
    if (readFileSync(f).subarray(0, 16).toString('latin1') !== 'SQLite format 3\0') continue
    const db = new Database(f, { readonly: true, fileMustExist: true })
    try {
      for (const { name } of db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all()) {
        out[`${f.slice(dir.length)}:${name}`] = (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n
      }
    } finally {
      db.close()
    }
  }
  return out
}

test('[S49][M57] after many receipts and typing signals, a copy of the data folder holds the same rows and none of their bytes; the logs name none', async () => {
  server = await startServerProcess({ dataDir: mkdtempSync(join(tmpdir(), 'fieldchat-signals-')) })
  const bodies: Uint8Array[] = []
  const taps = [tappedLink(), tappedLink(), tappedLink()]
  for (const t of taps) t.hold = (m) => (m.type === 'signal' && bodies.push(m.body), false)
  const [alice, bob, carol] = await Promise.all(['Alice', 'Bob', 'Carol'].map((n, i) => persona(n, server.url, { socket: taps[i]!.socket })))
  people.push(alice!, bob!, carol!)
  for (const p of people) p.messenger.start()
  const conv = await conversationWith(alice!, [bob!, carol!], 'Stolen')
  for (const p of people) await p.messenger.send(conv, `hello from ${p.name}`)
  await until(() => people.every((p) => p.messenger.messages(conv).length === 3 && p.messenger.status.pending === 0), 'everyone has every message')
  for (const p of people) await until(() => p.messenger.setTyping(conv), `${p.name} can signal`)
  await new Promise((r) => setTimeout(r, 500)) // what the messages' own receipts sent has settled
  const before = rowCounts(server.dataDir)
  const sentBefore = bodies.length

  // Many signals, and no message: receipts (read, and the answers to a reconnect's ask) and typing.
  let heard = 0
  for (const p of people) p.messenger.events.on('typing', (e) => e.conv === conv && heard++)
  for (const p of people) await p.messenger.markRead(conv)
  for (let i = 0; i < 20; i++) {
    for (const p of people) {
      await p.messenger.stopTyping(conv)
      await p.messenger.setTyping(conv)
    }
    await new Promise((r) => setTimeout(r, 150)) // within every device's pace ([M57])
  }
  for (const p of people) p.messenger.kick()
  await until(() => people.every((p) => p.messenger.receipts(conv, p.messenger.messages(conv).find((m) => m.mine)!.id).read.length === 2), 'every read reached every writer')
  await until(() => heard >= 60, 'typing heard')
  expect(bodies.length - sentBefore).toBeGreaterThan(100)
  for (const p of people) expect(p.problems).toEqual([])

  const after = rowCounts(server.dataDir)
  expect(after).toEqual(before)
  const files = steal(server.dataDir)
  const log = Buffer.from(server.output())
  // Every body's sealed part, raw, hex and base64url: nowhere in the copy or the logs.
  const needles = bodies.flatMap((b) => {
    const part = Buffer.from(b.subarray(40, 72))
    return [part, Buffer.from(part.toString('hex')), Buffer.from(part.toString('base64url'))]
  })
  for (const [name, bytes] of [...files, ['server log', log] as const]) {
    for (const n of needles) if (bytes.includes(n)) throw new Error(`a signal's bytes were found in ${name}`)
  }
  expect(server.output()).not.toMatch(/"type":"signal"|signal body/)
}, 120_000)
