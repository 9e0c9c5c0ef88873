import { expect, test } from 'vitest'
import type { MessengerEvents } from '../../client/core/messengerTypes.js'
import { ClientError } from '../../client/core/errors.js'
import { segmentDocId } from '../../client/core/documents/model.js'
import { until } from '../integration/helpers/clients.js'
import { conversationWith } from '../integration/helpers/team.js'
import { docState, ignorePolicy, useClockedServer, wall } from './disappear.world.js'

/**
 * [M65]–[M68] Disappearing messages on three devices through the real server, with one injected
 * wall clock moved forward instead of waiting.
 */
const env = useClockedServer()
const HOUR = 3600

test('[M65][M66][M67][M68] a message expires on all three devices; its author\'s document no longer holds it, nor reactions on it; search and previews drop it', async () => {
  const [alice, bob, carol] = await Promise.all(['Alice', 'Bob', 'Carol'].map((n) => env.persona(n)))
  const people = [alice!, bob!, carol!]
  for (const p of people) p.messenger.start()
  const conv = await conversationWith(alice!, [bob!, carol!], 'Night shift')

  await expect(alice!.messenger.setTimer(conv, 42)).rejects.toMatchObject({ code: 'M560_TIMER_INVALID' })
  await alice!.messenger.setTimer(conv, 300)
  await until(() => people.every((p) => p.messenger.timer(conv).seconds === 300), 'the timer everywhere')
  expect(bob!.messenger.timerLines(conv).map((l) => l.text)).toEqual(['Alice set disappearing messages to 5 minutes'])

  const keep = await bob!.messenger.send(conv, 'handover at 7') // before the cut below, but with the timer on
  const secret = await alice!.messenger.send(conv, 'gate code 4417')
  expect(secret.exp).toBe(secret.ts + 300_000)
  expect(keep.exp).toBe(keep.ts + 300_000)
  await until(() => people.every((p) => p.messenger.messages(conv).some((m) => m.text === 'gate code 4417' && m.exp === secret.exp)), 'the message with its exp everywhere')
  await bob!.messenger.react(conv, secret.ref, '👍')
  await until(() => alice!.messenger.messages(conv).find((m) => m.id === secret.id)?.reactions?.length === 1, 'bob\'s reaction at alice')
  await bob!.messenger.searchIndexed()
  expect((await bob!.messenger.search('4417')).length).toBe(1)

  const gone: string[] = []
  bob!.messenger.events.on('updated', (e: MessengerEvents['updated']) => gone.push(...e.messages.filter((m) => m.deleted).map((m) => m.id)))
  wall.t = Math.max(secret.exp!, keep.exp!) // exp ≤ now: expired
  await Promise.all(people.map((p) => p.messenger.expireDue()))
  for (const p of people) expect(p.messenger.messages(conv).map((m) => m.text)).toEqual([]) // both had 5 minutes
  expect(gone).toContain(secret.id)
  expect((await bob!.messenger.search('4417')).length).toBe(0)
  expect((await carol!.messenger.preview(conv))?.last).toBeUndefined()

  // The authors' devices deleted their own records (and bob his reaction): once synced, no device's document state holds them.
  const seg = segmentDocId(conv, 0)
  expect(await docState(alice!, seg)).not.toContain('gate code 4417')
  for (const p of people) await until(async () => !/gate code 4417|handover at 7|👍/.test(await docState(p, seg)), `${p.name}'s document without the expired entries`)
  for (const p of people) expect(p.problems).toEqual([])
  await until(() => people.every((p) => p.messenger.status.pending === 0), 'the deletions at the server')
})

test('[M67] a modified client writing exp beyond the organisation\'s maximum is cut to it on receipt; with the timer off, the maximum applies', async () => {
  const [alice, eve] = await Promise.all(['Alice', 'Eve'].map((n) => env.persona(n)))
  for (const p of [alice!, eve!]) p.messenger.start()
  const conv = await conversationWith(alice!, [eve!], 'Policy room')
  await alice!.messenger.team.setPolicy(conv, { maxDisappearSeconds: HOUR })
  await until(() => eve!.messenger.timer(conv).orgMax === HOUR, 'the policy at eve')
  expect(alice!.messenger.timer(conv)).toEqual({ seconds: 0, orgMax: HOUR, effective: HOUR })
  await expect(alice!.messenger.team.setPolicy(conv, { maxDisappearSeconds: 1234 })).rejects.toBeInstanceOf(ClientError)

  const honest = await alice!.messenger.send(conv, 'honest')
  expect(honest.exp).toBe(honest.ts + HOUR * 1000)
  ignorePolicy(eve!, 30 * 86_400)
  const forged = await eve!.messenger.send(conv, 'stays a month')
  expect(forged.exp).toBe(forged.ts + 30 * 86_400_000) // what eve wrote
  await until(() => alice!.messenger.messages(conv).some((m) => m.id === forged.id), 'eve\'s message at alice')
  expect(alice!.messenger.messages(conv).find((m) => m.id === forged.id)!.exp).toBe(forged.ts + HOUR * 1000) // as alice reads it

  wall.t = forged.ts + HOUR * 1000
  await alice!.messenger.expireDue()
  expect(alice!.messenger.messages(conv).map((m) => m.text)).toEqual([])
  await until(() => [alice!, eve!].every((p) => p.messenger.status.pending === 0), 'everything at the server')
})

test('[M66] a new segment carries a copy of the timer with its first entry; the copy is no system line, and the messages after the rollover keep the timer', async () => {
  const [alice, bob] = await Promise.all([env.persona('Alice', 3), env.persona('Bob', 3)])
  for (const p of [alice!, bob!]) p.messenger.start()
  const conv = await conversationWith(alice!, [bob!], 'Long talk')
  await alice!.messenger.setTimer(conv, 86_400)
  for (const text of ['one', 'two', 'three', 'four', 'five']) await alice!.messenger.send(conv, text)
  const state = await docState(alice!, segmentDocId(conv, 1))
  expect(state).toContain('"kind":"timer"')
  expect(state).toContain('"carry":true')
  await until(() => bob!.messenger.messages(conv).length >= 2, 'messages at bob')
  expect(alice!.messenger.timerLines(conv).map((l) => l.text)).toEqual(['Alice set disappearing messages to 1 day'])
  const sent = alice!.messenger.messages(conv)
  for (const m of sent) expect(m.exp).toBe(m.ts + 86_400_000)
  await until(() => [alice!, bob!].every((p) => p.messenger.status.pending === 0), 'everything at the server')
})
