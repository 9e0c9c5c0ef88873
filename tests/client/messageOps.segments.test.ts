import * as A from '@automerge/automerge'
import { afterEach, describe, expect, test } from 'vitest'
import { docIdOf, type DeviceId, type DocId } from '../../protocol/index.js'
import { ClientError } from '../../client/core/errors.js'
import { Messenger, type DisplayMessage, type MessageRef } from '../../client/core/messenger.js'
import { fold } from '../../client/core/documents/fold.js'
import { addEntry } from '../../client/core/documents/messageOps.js'
import { parseMessageRef } from '../../client/core/documents/messageRef.js'
import { compareMessages, type SegmentDoc } from '../../client/core/documents/model.js'
import { nodeSocket } from '../../client/node/socket.js'
import { closedUrl, device } from './helpers/devices.js'
import { entries, replica, send, write, type Replica } from './messageOps.world.js'

/**
 * [M15][M42][M46][M47] An object id is unique only within its segment: every segment counts
 * again, so one device's messages in two segments can share an id. Actions and replies name
 * (segment, id); entries written before that (id only) count only where one loaded message has
 * the id. Personas: alice writes, bob reacts and pins.
 */
const S1: DocId = docIdOf(new Uint8Array(16).fill(1))
const S2: DocId = docIdOf(new Uint8Array(16).fill(2))
const names = (...rs: Replica[]) => new Map<DeviceId, string>(rs.map((r) => [r.device, r.name]))
const entry = (target: string, extra: Record<string, unknown>) => ({ id: new A.ImmutableString(`e${Math.random()}`), ts: 50, target: new A.ImmutableString(target), ...extra })

/** Two segments written by alice alone: message k of each has the same object id. */
function twoSegments() {
  const a1 = replica('alice')
  const a2 = { ...a1, doc: A.clone(a1.doc, { actor: a1.actor as A.ActorId }) }
  const old = send(a1, 'old pump report', 1)
  const fresh = send(a2, 'new pump report', 2)
  expect(fresh).toBe(old) // the collision this file is about
  /** The fold over segment 1 (with `extra` written into it) and, unless `only1`, segment 2. */
  const shown = (extra: readonly ((d: SegmentDoc) => void)[] = [], only1 = false) => {
    const e1 = entries(extra.reduce((d, fn) => A.change(d, fn), A.clone(a1.doc, { actor: a1.actor as A.ActorId })), S1)
    const e2 = only1 ? { messages: [], actions: [] } : entries(a2.doc, S2)
    const messages = [...e1.messages, ...e2.messages].map((m) => ({ ...m, authorName: 'alice' }))
    return fold(messages, [...e1.actions, ...e2.actions], { me: a1.device, names: names(a1), myMentions: new Set() })
  }
  /** The two twins and the reply (when written), whatever the order. */
  const parts = (ms: ReturnType<typeof shown>) => [ms.find((m) => m.segment === S1 && m.id === old), ms.find((m) => m.segment === S2 && m.id === old), ms.find((m) => m.id !== old)] as const
  return { id: old, shown: (extra: readonly ((d: SegmentDoc) => void)[] = [], only1 = false) => parts(shown(extra, only1)) }
}

describe('[M15] refs name one message across segments', () => {
  test('[M15] two segments holding one object id give two refs that parse back to (segment, id); bare ids and malformed refs do not parse', () => {
    const { id, shown } = twoSegments()
    const [m1, m2] = shown()
    expect([m1!.ref, m2!.ref]).toEqual([`${S1}.${id}`, `${S2}.${id}`])
    expect(parseMessageRef(m2!.ref)).toEqual({ ref: m2!.ref, segment: S2, id })
    for (const bad of [id, `${S1}${id}`, `${S1}.${id}x`, `${S1}.0@${'a'.repeat(64)}`, `${S1.slice(1)}.${id}`, `${S1}.${id.toUpperCase()}`, `../${S1}.${id}`, 5, undefined]) expect(parseMessageRef(bad)).toBeUndefined()
  })

  test('[M15] messages equal in (ts, id) are ordered by ref, alike on every device', () => {
    const { shown } = twoSegments()
    const [m1, m2] = shown()
    const same = [{ ...m2!, ts: 1 }, { ...m1!, ts: 1 }]
    expect([...same].sort(compareMessages).map((m) => m.segment)).toEqual([S1, S2].sort())
    expect([...same].reverse().sort(compareMessages).map((m) => m.segment)).toEqual([S1, S2].sort())
  })

  test('[M42][M46][M47] a reaction, a pin and a reply that name their segment reach only that message', () => {
    const { id, shown } = twoSegments()
    const [m1, m2, reply] = shown([
      addEntry(entry(id, { kind: 'react', seg: new A.ImmutableString(S2), emoji: new A.ImmutableString('👍') }) as never),
      addEntry(entry(id, { kind: 'pin', seg: new A.ImmutableString(S1), on: true }) as never),
      (d) => void d.messages.push({ id: new A.ImmutableString('r'), ts: 3, text: new A.ImmutableString('which one?'), replyTo: new A.ImmutableString(id), replySeg: new A.ImmutableString(S2) }),
    ])
    expect(m1!.reactions).toBeUndefined()
    expect(m2!.reactions?.map((r) => r.emoji)).toEqual(['👍'])
    expect([m1!.pinned, m2!.pinned]).toEqual([true, undefined])
    expect(reply!.replyRef).toBe(m2!.ref)
    expect(reply!.replyQuote).toEqual({ id, ref: m2!.ref, authorName: 'alice', text: 'new pump report' })
  })

  test('[M15] entries written before refs (no segment) count only where one loaded message has the id; never on two', () => {
    const { id, shown } = twoSegments()
    const legacy = [
      addEntry(entry(id, { kind: 'react', emoji: new A.ImmutableString('🔥') }) as never),
      addEntry(entry(id, { kind: 'pin', on: true }) as never),
      (d: SegmentDoc) => void d.messages.push({ id: new A.ImmutableString('r'), ts: 3, text: new A.ImmutableString('old reply'), replyTo: new A.ImmutableString(id) }),
    ]
    // Both segments loaded: the id is ambiguous, nothing attaches.
    const [m1, m2, reply] = shown(legacy)
    expect([m1!.reactions, m2!.reactions, m1!.pinned, m2!.pinned]).toEqual([undefined, undefined, undefined, undefined])
    expect(reply).toMatchObject({ text: 'old reply', replyTo: id })
    expect(reply!.replyQuote).toBeUndefined()
    // Only one message with the id loaded (segment 2 not in the window): they attach to it, as before refs.
    const [only, , answer] = shown(legacy, true)
    expect([only!.segment, only!.reactions?.map((r) => r.emoji), only!.pinned]).toEqual([S1, ['🔥'], true])
    expect(answer!.replyQuote).toEqual({ id, ref: only!.ref, authorName: 'alice', text: 'old pump report' })
  })

  test('[M15] a malformed segment: the entry is ignored, the reply shows without its link; the message itself is shown', () => {
    const { id, shown } = twoSegments()
    const [m1, m2, reply] = shown([
      addEntry(entry(id, { kind: 'react', seg: new A.ImmutableString('not-a-doc'), emoji: new A.ImmutableString('👍') }) as never),
      addEntry(entry(id, { kind: 'pin', seg: 7, on: true }) as never),
      (d) => void d.messages.push({ id: new A.ImmutableString('r'), ts: 3, text: new A.ImmutableString('hm'), replyTo: new A.ImmutableString(id), replySeg: new A.ImmutableString('../x') }),
    ])
    expect([m1!.reactions, m2!.reactions, m1!.pinned, m2!.pinned]).toEqual([undefined, undefined, undefined, undefined])
    expect(reply).toMatchObject({ text: 'hm' })
    expect([reply!.replyTo, reply!.replyRef, reply!.replyQuote]).toEqual([undefined, undefined, undefined])
  })
})

const open: Messenger[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.stop()))
})

/** Groups of messages sharing an object id, in display order (the test's precondition). */
function collisions(ms: readonly DisplayMessage[]): DisplayMessage[][] {
  const byId = new Map<string, DisplayMessage[]>()
  for (const m of ms) byId.set(m.id, [...(byId.get(m.id) ?? []), m])
  return [...byId.values()].filter((g) => g.length > 1)
}

describe('[M40]–[M47] actions through the Messenger with colliding ids', () => {
  test('[M15][M40][M41][M42][M46][M47] a reaction, a pin, a reply, an edit and a delete each reach exactly the message named, and after a reload', async () => {
    const url = await closedUrl()
    const { messenger: m, store } = await device('alice', url, { segmentCapacity: 5 })
    open.push(m)
    m.start()
    const conv = await m.createConversation('Logbook')
    await m.openConversation(conv)
    for (let i = 0; i < 15; i++) await m.send(conv, `note ${i}`)
    const groups = collisions(m.messages(conv))
    expect(groups.length).toBeGreaterThanOrEqual(2)
    const [[p0, p1], [q0, q1]] = groups as [[DisplayMessage, DisplayMessage], [DisplayMessage, DisplayMessage]]

    await m.react(conv, p1.ref, '👍')
    await m.pin(conv, p0.ref, true)
    const reply = await m.send(conv, 'which pump?', { replyTo: p1.ref })
    await m.edit(conv, q0.ref, `${q0.text} (fixed)`)
    await m.deleteMessage(conv, q1.ref)
    // A bare object id names nothing: it may be two messages.
    expect(await m.react(conv, p0.id as MessageRef, '🔥').catch((e: ClientError) => e.code)).toBe('M550_MESSAGE_NOT_FOUND')
    await expect(m.send(conv, 'x', { replyTo: p0.id as MessageRef })).rejects.toThrow(/not a message ref/)

    const check = (shown: DisplayMessage[]) => {
      const at = (x: DisplayMessage) => shown.find((s) => s.ref === x.ref)!
      expect(shown.filter((s) => s.reactions).map((s) => s.ref)).toEqual([p1.ref])
      expect(shown.filter((s) => s.pinned).map((s) => s.ref)).toEqual([p0.ref])
      expect(shown.filter((s) => s.edited !== undefined).map((s) => s.ref)).toEqual([q0.ref])
      expect(shown.filter((s) => s.deleted).map((s) => s.ref)).toEqual([q1.ref])
      expect(at(q1).text).toBe('')
      expect([at(q0).text, at(p0).text, at(p1).text]).toEqual([`${q0.text} (fixed)`, p0.text, p1.text])
      const r = shown.find((s) => s.ref === reply.ref)!
      expect(r.replyRef).toBe(p1.ref)
      expect(r.replyQuote).toEqual({ id: p1.id, ref: p1.ref, authorName: 'alice', text: p1.text })
    }
    check(m.messages(conv))
    await m.unreact(conv, p0.ref, '👍') // the twin's reaction is not this one's to take back
    check(m.messages(conv))

    await m.stop()
    open.splice(open.indexOf(m), 1)
    const again = await Messenger.open({ store, url, socket: nodeSocket, segmentCapacity: 5 })
    open.push(again)
    await again.openConversation(conv)
    while (again.hasEarlier(conv)) await again.loadEarlier(conv)
    check(again.messages(conv))
  })
})
