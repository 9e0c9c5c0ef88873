import * as A from '@automerge/automerge'
import { describe, expect, test } from 'vitest'
import type { DeviceId } from '../../protocol/index.js'
import { MAX_REACTIONS_PER_DEVICE, isReaction } from '../../client/core/documents/actions.js'
import { addEntry, deleteChange, editChange, removeEntries } from '../../client/core/documents/messageOps.js'
import type { SegmentDoc } from '../../client/core/documents/model.js'
import { deliver, entries, receive, replica, send, view, write, type Replica } from './messageOps.world.js'

/**
 * [M20][M40]–[M42] Eve is a member with a modified client: she signs her own changes (so [E10]
 * passes) and builds them by hand. What she may not write is refused whole (M303) and changes
 * nothing; what she may write (entries of her own) is bounded when it is read.
 */
function world() {
  const [alice, bob, carol, eve] = ['alice', 'bob', 'carol', 'eve'].map(replica) as [Replica, Replica, Replica, Replica]
  const names = new Map<DeviceId, string>([alice, bob, carol, eve].map((r) => [r.device, r.name]))
  const id = send(alice, 'the depot opens at 6', 1000)
  for (const r of [bob, carol, eve]) deliver(alice, r)
  write(bob, addEntry({ id: new A.ImmutableString('r1'), ts: 1001, kind: 'react', target: new A.ImmutableString(id), emoji: new A.ImmutableString('👍') }))
  for (const r of [alice, carol, eve]) deliver(bob, r)
  return { alice, bob, carol, eve, names, id }
}

/** Eve's change, made on a copy of her replica: what she would send. */
function forge(eve: Replica, fn: A.ChangeFn<SegmentDoc>): Uint8Array {
  return A.getLastLocalChange(A.change(A.clone(eve.doc, { actor: eve.actor as A.ActorId }), { time: 0 }, fn))!
}

describe('[M20] message actions of a modified client', () => {
  test('[M20][M40] eve editing alice\'s message is refused (M303) and changes nothing', () => {
    const { alice, carol, eve, names, id } = world()
    const before = view(carol, names)
    const change = forge(eve, editChange(id, -1, 'the depot is closed', 2000))
    expect(A.decodeChange(change).actor).toBe(eve.actor)
    expect(receive(carol, [change], eve.actor)).toEqual({ ok: false, code: 'M303_WRITE_REFUSED' })
    expect(view(carol, names)).toEqual(before)
    expect(receive(alice, [change], eve.actor).ok).toBe(false)
  })

  test('[M20][M41] eve deleting alice\'s message for everyone is refused (M303) and changes nothing', () => {
    const { carol, eve, names, id } = world()
    const before = view(carol, names)
    const change = forge(eve, deleteChange(id, -1, 2000))
    expect(receive(carol, [change], eve.actor)).toEqual({ ok: false, code: 'M303_WRITE_REFUSED' })
    expect(view(carol, names)).toEqual(before)
    expect(view(carol, names)[0]).toMatchObject({ text: 'the depot opens at 6' })
  })

  test('[M20][M42] eve removing bob\'s reaction is refused (M303); bob\'s reaction still counts', () => {
    const { carol, eve, names } = world()
    const bobs = entries(eve.doc).actions.find((a) => a.kind === 'react')!
    const change = forge(eve, removeEntries([bobs.id]))
    expect(receive(carol, [change], eve.actor)).toEqual({ ok: false, code: 'M303_WRITE_REFUSED' })
    expect(view(carol, names)[0]!.reactions).toEqual([{ emoji: '👍', count: 1, mine: false, by: ['bob'] }])
  })

  test('[M42] a reaction entry with a 5 KB "emoji", a non-string target or a malformed pin is accepted by [M20] (it is eve\'s own entry) and ignored by every reader', () => {
    const { bob, carol, eve, names, id } = world()
    const before = view(carol, names)
    const bad = [
      { id: new A.ImmutableString('x1'), ts: 2000, kind: 'react', target: new A.ImmutableString(id), emoji: new A.ImmutableString('😀'.repeat(2560)) },
      { id: new A.ImmutableString('x2'), ts: 2001, kind: 'react', target: 42, emoji: new A.ImmutableString('👍') },
      { id: new A.ImmutableString('x3'), ts: 2002, kind: 'react', target: { nested: new A.ImmutableString(id) }, emoji: new A.ImmutableString('👍') },
      { id: new A.ImmutableString('x4'), ts: 2003, kind: 'pin', target: new A.ImmutableString(id), on: 'yes' },
      { id: new A.ImmutableString('x5'), ts: 2004, kind: 'react', target: new A.ImmutableString(id), emoji: new A.ImmutableString('👍👍') },
      { id: new A.ImmutableString('x6'), ts: 2005, kind: 'shout', target: new A.ImmutableString(id), text: new A.ImmutableString('not a message') },
    ]
    for (const rec of bad) expect(receive(carol, [write(eve, (d) => void d.messages.push(rec as never))!], eve.actor).ok).toBe(true)
    expect(entries(carol.doc).actions).toEqual([expect.objectContaining({ author: bob.device, emoji: '👍' })]) // bob's only
    expect(view(carol, names)).toEqual(before) // no reaction, no pin, no message added
    expect(isReaction('😀'.repeat(2560))).toBe(false)
  })

  test('[M42] one device counts once per emoji and for at most 8 emoji on a message, however many entries it writes', () => {
    const { carol, eve, names, id } = world()
    const emoji = ['😀', '😁', '😂', '🤣', '😃', '😄', '😅', '😆', '😉', '😊', '😋', '😎']
    for (const [i, e] of [...emoji, '😀', '😀'].entries()) {
      const change = write(eve, addEntry({ id: new A.ImmutableString(`e${i}`), ts: 3000 + i, kind: 'react', target: new A.ImmutableString(id), emoji: new A.ImmutableString(e) }))!
      expect(receive(carol, [change], eve.actor).ok).toBe(true)
    }
    const reactions = view(carol, names)[0]!.reactions!
    const eves = reactions.filter((r) => r.by.includes('eve'))
    expect(eves.map((r) => [r.emoji, r.count])).toEqual(emoji.slice(0, MAX_REACTIONS_PER_DEVICE).map((e) => [e, 1]))
  })

  test('[M41] a deleted message\'s text and earlier texts are absent from the document state on every device; a later edit by its author does not bring it back into the view', () => {
    const { alice, bob, carol, names, id } = world()
    write(alice, editChange(id, -1, 'the depot opens at 7', 2000))
    write(alice, deleteChange(id, -1, 2001))
    for (const r of [bob, carol]) deliver(alice, r)
    for (const r of [alice, bob, carol]) {
      const state = JSON.stringify(A.toJS(r.doc))
      expect(state).not.toContain('the depot opens')
      expect(view(r, names)[0]).toMatchObject({ id, deleted: true, text: '' })
      expect(view(r, names)[0]!.reactions).toBeUndefined() // bob's reaction is not shown on it
    }
    // Alice's own modified client writes a text again: her record, so [M20] lets it through, but
    // the record says deleted and the view is read deleted-first.
    write(alice, (d) => void (d.messages.find((m) => A.getObjectId(m) === id)!.text = new A.ImmutableString('back from the dead')))
    deliver(alice, carol)
    expect(view(carol, names)[0]).toMatchObject({ deleted: true, text: '' })
  })
})
