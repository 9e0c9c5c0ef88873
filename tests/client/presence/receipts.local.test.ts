import { describe, expect, test } from 'vitest'
import { deviceIdOf, type ConvId, type DeviceId } from '../../../protocol/index.js'
import { randomBytes } from '../../../crypto/index.js'
import { createMemoryStore } from '../../../client/core/storage/memory.js'
import { Receipts, type ListedMessage } from '../../../client/core/presence/receipts.js'
import { Typing, TYPING_SHOWN_MS } from '../../../client/core/presence/typing.js'
import { unreadCount } from '../../../client/core/presence/unread.js'
import type { SignalPayload } from '../../../client/core/presence/payload.js'
import type { SendOutcome } from '../../../client/core/presence/channel.js'
import { Pacer } from '../../../client/core/presence/pacer.js'

/**
 * [M55]–[M59] The presence engine alone, with a channel that records what it would send.
 * Personas: ann (this device, with a second device ann2), bob with two devices (bob1, bob2), cy.
 */
const dev = (): DeviceId => deviceIdOf(randomBytes(32))
const [ann, ann2, bob1, bob2, cy] = [dev(), dev(), dev(), dev(), dev()]
const people = new Map<DeviceId, { user: string; name: string }>([[ann, { user: 'u-ann', name: 'Ann' }], [ann2, { user: 'u-ann', name: 'Ann' }], [bob1, { user: 'u-bob', name: 'Bob' }], [bob2, { user: 'u-bob', name: 'Bob' }], [cy, { user: 'u-cy', name: 'Cy' }]])
const conv = 'AAAAAAAAAAAAAAAAAAAAAA' as ConvId
const msg = (ts: number, author: DeviceId, id = `${ts}@${author}`): ListedMessage => ({ ts, id, author })

function world(opts: { online?: boolean; readReceipts?: boolean } = {}) {
  const sent: SignalPayload[] = []
  let online = opts.online ?? true
  const channel = {
    canSend: () => online,
    send: async (_c: ConvId, p: SignalPayload): Promise<SendOutcome> => (online ? (sent.push(p), 'sent') : 'offline'),
  }
  let list: ListedMessage[] = []
  const store = createMemoryStore()
  const ownPerson = (_c: ConvId, d: DeviceId) => people.get(d)?.user === 'u-ann'
  const receipts = new Receipts({ store, channel, list: () => list, ownPerson, person: (_c, d) => people.get(d), readReceipts: () => opts.readReceipts ?? true, debounceMs: 5 })
  return { receipts, sent, store, channel, ownPerson, setList: (l: ListedMessage[]) => (list = l), setOnline: (v: boolean) => (online = v) }
}

describe('[M55][M56] cursors and receipts', () => {
  test('[M56] person-level: a person has read when any of their devices has; delivered includes readers; this person is left out', async () => {
    const w = world()
    const mine = msg(100, ann)
    await w.receipts.heard(conv, bob1, { t: 'receipt', d: { ts: 100, id: mine.id } })
    await w.receipts.heard(conv, bob2, { t: 'receipt', d: { ts: 100, id: mine.id }, r: { ts: 100, id: mine.id } })
    await w.receipts.heard(conv, ann2, { t: 'receipt', d: { ts: 200, id: 'x' }, r: { ts: 200, id: 'x' } })
    await w.receipts.heard(conv, cy, { t: 'receipt', d: { ts: 99, id: 'z' } })
    expect(w.receipts.receipts(conv, mine)).toEqual({ delivered: ['Bob'], read: ['Bob'] })
    await w.receipts.heard(conv, cy, { t: 'receipt', r: { ts: 150, id: 'y' } })
    expect(w.receipts.receipts(conv, mine)).toEqual({ delivered: ['Bob', 'Cy'], read: ['Bob', 'Cy'] })
  })

  test('[M55] cursors only move forward: an older receipt (late, or replayed within the window) changes nothing', async () => {
    const w = world()
    const m = msg(100, ann)
    await w.receipts.heard(conv, bob1, { t: 'receipt', d: { ts: 100, id: m.id }, r: { ts: 100, id: m.id } })
    await w.receipts.heard(conv, bob1, { t: 'receipt', d: { ts: 5, id: 'a' }, r: { ts: 5, id: 'a' } })
    expect(w.receipts.receipts(conv, m).read).toEqual(['Bob'])
  })

  test('[M58] with read receipts off, read is shown for nobody and no read cursor is sent; delivered still is', async () => {
    const w = world({ readReceipts: false })
    const mine = msg(100, ann)
    await w.receipts.heard(conv, bob1, { t: 'receipt', d: { ts: 100, id: mine.id }, r: { ts: 100, id: mine.id } })
    expect(w.receipts.receipts(conv, mine)).toEqual({ delivered: ['Bob'], read: [] })
    w.setList([msg(300, bob1)])
    await w.receipts.markRead(conv)
    expect(await w.receipts.sentLatest(conv, 1000)).toBe(true)
    expect(w.sent.at(-1)).toEqual({ t: 'receipt', d: { ts: 300, id: msg(300, bob1).id } })
  })

  test('[M55][M57] markRead moves read and delivered to the newest message from others, is stored, and goes out once debounced; offline nothing is sent', async () => {
    const w = world()
    const newest = msg(300, bob1)
    w.setList([msg(100, bob1), newest, msg(400, ann), msg(450, ann2)])
    await w.receipts.markRead(conv)
    await w.receipts.markRead(conv) // no change: nothing more
    expect(await w.receipts.sentLatest(conv, 1000)).toBe(true)
    expect(w.sent).toEqual([{ t: 'receipt', d: { ts: 300, id: newest.id }, r: { ts: 300, id: newest.id } }])
    const again = new Receipts({ store: w.store, channel: w.channel, list: () => [], ownPerson: w.ownPerson, person: (_c, d) => people.get(d), readReceipts: () => true })
    await again.load()
    expect(again.cursors(conv)).toEqual({ d: { ts: 300, id: newest.id }, r: { ts: 300, id: newest.id } })
    w.setOnline(false)
    await w.receipts.received(conv, [msg(500, cy)])
    expect(await w.receipts.sentLatest(conv, 100)).toBe(false)
    expect(w.sent.length).toBe(1)
  })

  test('[M57] an ask is answered even when nothing changed, and an answer never asks back', async () => {
    const w = world()
    w.setList([msg(100, bob1)])
    await w.receipts.markRead(conv)
    await w.receipts.sentLatest(conv, 1000)
    await w.receipts.heard(conv, cy, { t: 'receipt', ask: true })
    await new Promise((r) => setTimeout(r, 50))
    expect(w.sent.map((p) => p.t === 'receipt' && p.ask)).toEqual([undefined, undefined])
    w.receipts.joined(conv)
    await new Promise((r) => setTimeout(r, 50))
    expect(w.sent.at(-1)).toMatchObject({ t: 'receipt', ask: true })
  })
})

describe('[M56][M59] unread and typing', () => {
  test('[M56] unread counts messages from other people after the read cursor, in the list given (the loaded window)', () => {
    const list = [msg(1, bob1), msg(2, ann), msg(3, cy), msg(4, ann2), msg(5, bob2)]
    const own = (d: DeviceId) => people.get(d)?.user === 'u-ann'
    expect(unreadCount(list, undefined, own)).toBe(3)
    expect(unreadCount(list, { ts: 3, id: list[2]!.id }, own)).toBe(1)
    expect(unreadCount(list, { ts: 5, id: list[4]!.id }, own)).toBe(0)
  })

  test('[M59] shown for 6 s after the last signal at most, per person, with an event when it ends; sent at most once per 3 s', async () => {
    let now = 1_000_000
    const sent: SignalPayload[] = []
    const channel = { canSend: () => true, send: async (_c: ConvId, p: SignalPayload): Promise<SendOutcome> => (sent.push(p), 'sent') }
    const typing = new Typing({ channel, person: (_c, d) => people.get(d), ownPerson: (_c, d) => people.get(d)?.user === 'u-ann', now: () => now })
    expect(await typing.setTyping(conv)).toBe(true)
    now += 2_999
    expect(await typing.setTyping(conv)).toBe(false)
    now += 1
    expect(await typing.setTyping(conv)).toBe(true)
    expect(await typing.stopTyping(conv)).toBe(true)
    expect(await typing.stopTyping(conv)).toBe(false)
    expect(sent).toEqual([{ t: 'typing', on: true }, { t: 'typing', on: true }, { t: 'typing', on: false }])

    typing.heard(conv, bob1, true)
    typing.heard(conv, bob2, true)
    typing.heard(conv, ann2, true)
    expect(typing.typing(conv)).toEqual(['Bob'])
    now += TYPING_SHOWN_MS
    expect(typing.typing(conv)).toEqual([])
    typing.heard(conv, cy, true)
    typing.heard(conv, cy, false)
    expect(typing.typing(conv)).toEqual([])
    typing.stop()
  })

  test('[M57] this device paces its own signals below the server\'s budget', () => {
    let now = 0
    const p = new Pacer(8, 16, () => now)
    let sent = 0
    for (let i = 0; i < 100; i++) if (p.take() === 0) sent++
    expect(sent).toBe(16)
    now += 1000
    for (let i = 0; i < 100; i++) if (p.take() === 0) sent++
    expect(sent).toBe(24)
  })
})
