import { afterAll, beforeAll, expect, test } from 'vitest'
import fc from 'fast-check'
import { closePersona, persona, texts, until } from './helpers/clients.js'
import { startChaosProxy } from './helpers/chaosProxy.js'
import { switchableLink } from './helpers/switchableSocket.js'
import { startServerProcess, type ServerProcess } from './helpers/serverProcess.js'
import { conversationWith } from './helpers/team.js'

let server: ServerProcess
beforeAll(async () => {
  server = await startServerProcess()
})
afterAll(async () => {
  await server.kill()
})

/**
 * Property: whatever the interleaving of writers, offline periods, duplicated and reordered
 * delivery, every device ends with the same history in (timestamp, id) order.
 */
test('[S5][E4] duplicated and reordered delivery and offline writers change nothing: all devices converge', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 2 ** 31 }),
      fc.array(fc.record({ who: fc.integer({ min: 0, max: 2 }), offline: fc.boolean(), count: fc.integer({ min: 1, max: 6 }) }), { minLength: 2, maxLength: 6 }),
      async (seed, script) => {
        let state = seed
        const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
        const proxy = await startChaosProxy(`${server.url}`, random)
        const links = [switchableLink(), switchableLink(), switchableLink()]
        const people = await Promise.all(['Ann', 'Ben', 'Cat'].map((n, i) => persona(n, `${proxy.url}/sync`, { segmentCapacity: 7, socket: links[i]!.socket })))
        try {
          for (const p of people) p.messenger.start()
          const conv = await conversationWith(people[0]!, people.slice(1), 'Chaos')
          let total = 0
          for (const step of script) {
            const p = people[step.who]!
            if (step.offline) links[step.who]!.setOnline(false)
            for (let i = 0; i < step.count; i++) await p.messenger.send(conv, `${p.name}-${total++}`)
            if (step.offline) links[step.who]!.setOnline(true)
          }
          const all = () => people.map((p) => p.messenger.messages(conv))
          await until(async () => {
            for (const p of people) while (p.messenger.hasEarlier(conv)) await p.messenger.loadEarlier(conv)
            return all().every((list) => list.length === total) && people.every((p) => p.messenger.status.pending === 0)
          }, `${total} messages on every device`)
          const reference = texts(people[0]!, conv)
          for (const p of people) expect(texts(p, conv)).toEqual(reference)
          for (const p of people) expect(p.problems).toEqual([])
        } finally {
          await Promise.all(people.map(closePersona))
          await proxy.close()
        }
      },
    ),
    { numRuns: 6 },
  )
})
