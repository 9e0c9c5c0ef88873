import * as A from '@automerge/automerge'
import { describe, expect, test } from 'vitest'
import { addEntry } from '../../client/core/documents/messageOps.js'
import { messageList, type MessageRecord } from '../../client/core/documents/model.js'
import { durationText, effectiveSeconds, latestTimer, parseDuration, readTimer, timerLine, type TimerView } from '../../client/core/documents/timer.js'
import { expiryOf, isExpired } from '../../client/core/documents/expiry.js'
import { SEG, deliver, entries, replica, send, write, type Replica } from './messageOps.world.js'

/** [M65]–[M67] The timer entries and expiry, on Automerge replicas of one segment checked by [M20] like the engine's. */
const timerEntry = (ts: number, seconds: number, extra: object = {}) =>
  addEntry({ id: new A.ImmutableString(`t${ts}-${seconds}`), ts, kind: 'timer', seconds, ...extra } as never)

function timersOf(r: Replica): TimerView[] {
  const out: TimerView[] = []
  for (let i = 0; i < messageList(r.doc).length; i++) {
    const t = readTimer(r.doc, SEG, i)
    if (t) out.push(t)
  }
  return out
}

describe('[M65] the timer', () => {
  test('[M65] timer entries set concurrently by three members converge to the same timer on every replica, whatever the delivery order', () => {
    for (let round = 0; round < 8; round++) {
      const people = ['alice', 'bob', 'carol'].map(replica)
      const [alice, bob, carol] = people as [Replica, Replica, Replica]
      write(alice, timerEntry(1000, 3600))
      write(bob, timerEntry(1000, 86_400)) // the same ms: the object id decides
      write(carol, timerEntry(999, 300))
      const order = [...people].sort(() => Math.random() - 0.5)
      for (const from of order) for (const to of people) if (from !== to) deliver(from, to)
      const held = people.map((r) => latestTimer(timersOf(r)))
      expect(people.every((r) => r.refused.length === 0)).toBe(true)
      expect(new Set(held.map((t) => `${t!.id} ${t!.seconds}`)).size).toBe(1)
      expect(held[0]!.ts).toBe(1000)
    }
  })

  test('[M65] a later entry wins over an earlier one; 0 turns it off; malformed entries and values not offered are ignored', () => {
    const [alice, eve] = ['alice', 'eve'].map(replica) as [Replica, Replica]
    write(alice, timerEntry(1000, 3600))
    write(alice, timerEntry(2000, 0))
    for (const bad of [{ ts: 3000, seconds: 42 }, { ts: 3001, seconds: '3600' }, { ts: -1, seconds: 300 }, { ts: 3002, seconds: 300, id: 7 }]) {
      write(eve, (d) => void d.messages.push({ id: new A.ImmutableString('x'), kind: 'timer', ...bad } as unknown as MessageRecord))
    }
    deliver(eve, alice)
    expect(alice.refused).toEqual([]) // eve's own entries: [M20] lets them in; the reader ignores them
    expect(latestTimer(timersOf(alice))).toMatchObject({ ts: 2000, seconds: 0 })
    expect(entries(alice.doc).messages).toEqual([]) // no timer entry reads as a message
  })

  test('[M65] durations: the values offered, their text and the system line', () => {
    expect(['5m', '1h', '8h', '1d', '7d', '30d', '90d', 'off'].map(parseDuration)).toEqual([300, 3600, 28_800, 86_400, 604_800, 2_592_000, 7_776_000, 0])
    expect(['2m', '1w', '', '1.5h', '-1d', '91d'].map(parseDuration)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined])
    expect(durationText(86_400)).toBe('1 day')
    expect(durationText(28_800)).toBe('8 hours')
    expect(timerLine('Ana', 86_400)).toBe('Ana set disappearing messages to 1 day')
    expect(timerLine('Ana', 0)).toBe('Ana turned off disappearing messages')
  })

  test('[M65][T21] the effective timer is the conversation\'s capped by the organisation\'s maximum; off with a maximum set is the maximum', () => {
    expect(effectiveSeconds(86_400, 3600)).toBe(3600)
    expect(effectiveSeconds(300, 3600)).toBe(300)
    expect(effectiveSeconds(0, 3600)).toBe(3600)
    expect(effectiveSeconds(0, undefined)).toBe(0)
    expect(effectiveSeconds(300, undefined)).toBe(300)
  })
})

describe('[M67] expiry', () => {
  test('[M67] a message expires at its author\'s exp, capped on receipt at ts + the organisation\'s maximum (a modified client\'s later exp, or none)', () => {
    const [eve, carol] = ['eve', 'carol'].map(replica) as [Replica, Replica]
    send(eve, 'a month', 1_000, { exp: 1_000 + 30 * 86_400_000 })
    send(eve, 'no exp', 2_000)
    send(eve, 'honest', 3_000, { exp: 3_000 + 300_000 })
    send(eve, 'bad exp', 4_000, { exp: 'soon' as unknown as number })
    deliver(eve, carol)
    const byText = new Map(entries(carol.doc).messages.map((m) => [m.text, m]))
    expect(expiryOf(byText.get('a month')!, 3600)).toBe(1_000 + 3_600_000)
    expect(expiryOf(byText.get('no exp')!, 3600)).toBe(2_000 + 3_600_000)
    expect(expiryOf(byText.get('honest')!, 3600)).toBe(3_000 + 300_000)
    expect(expiryOf(byText.get('bad exp')!, 3600)).toBe(4_000 + 3_600_000)
    expect(expiryOf(byText.get('a month')!, undefined)).toBe(1_000 + 30 * 86_400_000)
    expect(expiryOf(byText.get('no exp')!, undefined)).toBeUndefined()
    expect(isExpired(303_000, 303_000)).toBe(true) // exp ≤ now
    expect(isExpired(303_000, 302_999)).toBe(false)
    expect(isExpired(undefined, Number.MAX_SAFE_INTEGER)).toBe(false)
  })
})
