import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { closePersona, persona, texts, until, type Persona } from './helpers/clients.js'
import { startServerProcess, type ServerProcess } from './helpers/serverProcess.js'
import { conversationWith } from './helpers/team.js'

let server: ServerProcess
let people: Persona[] = []

beforeAll(async () => {
  server = await startServerProcess()
})
afterAll(async () => {
  await Promise.all(people.map(closePersona))
  await server.kill()
})

describe('three devices through the real server', () => {
  test('[S4][S5] concurrent writers converge to one history ordered by (timestamp, id), authors from signatures', async () => {
    const [alice, bob, carol] = (people = await Promise.all(['Alice', 'Bob', 'Carol'].map((n) => persona(n, server.url))))
    for (const p of people) p.messenger.start()
    const conv = await conversationWith(alice!, [bob!, carol!], 'Site crew')

    await Promise.all(people.map(async (p) => {
      for (let i = 0; i < 20; i++) await p.messenger.send(conv, `${p.name} ${i}`)
    }))
    await until(() => people.every((p) => p.messenger.messages(conv).length === 60 && p.messenger.status.pending === 0), '60 messages everywhere')

    const reference = texts(alice!, conv)
    for (const p of people) expect(texts(p, conv)).toEqual(reference)
    const msgs = alice!.messenger.messages(conv)
    const sorted = [...msgs].sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1))
    expect(msgs.map((m) => m.id)).toEqual(sorted.map((m) => m.id))
    for (const p of people) {
      const mine = msgs.filter((m) => m.text.startsWith(`${p.name} `))
      expect(mine).toHaveLength(20)
      for (const m of mine) {
        expect(m.author).toBe(p.messenger.identity!.deviceId)
        expect(m.authorName).toBe(p.name)
      }
    }
    expect(alice!.messenger.members(conv).size).toBe(3)
    for (const p of people) expect(p.problems).toEqual([])
  })
})
