import * as A from '@automerge/automerge'
import { describe, expect, test } from 'vitest'
import type { DeviceId } from '../../protocol/index.js'
import { clip, fold, MAX_REACTION_NAMES, QUOTE_CHARS } from '../../client/core/documents/fold.js'
import { MAX_EDITS, readMessageFields } from '../../client/core/documents/messageFields.js'
import type { ActionView } from '../../client/core/documents/actions.js'
import { addEntry } from '../../client/core/documents/messageOps.js'
import type { MessageRef } from '../../client/core/documents/messageRef.js'
import { SEG, replica, send, view, write } from './messageOps.world.js'

/** [M40][M42][M43][M47] What the fold and the record reader show, at their bounds. */
describe('[M40]–[M47] views at their bounds', () => {
  test('[M47] a quote is at most 140 UTF-16 units and never cuts a surrogate pair', () => {
    expect(clip('a'.repeat(200), QUOTE_CHARS)).toHaveLength(140)
    const emoji = 'a' + '😀'.repeat(100) // 1 + 200 units: the 70th pair would end at 141
    const cut = clip(emoji, QUOTE_CHARS)
    expect(cut.length).toBe(139)
    expect(cut.endsWith('😀')).toBe(true)
    const alice = replica('alice')
    const names = new Map<DeviceId, string>([[alice.device, 'alice']])
    const long = send(alice, 'x'.repeat(500), 1)
    const reply = send(alice, 'ok', 2, { replyTo: new A.ImmutableString(long) })
    expect(view(alice, names).find((m) => m.id === reply)!.replyQuote).toEqual({ id: long, ref: `${SEG}.${long}`, authorName: 'alice', text: 'x'.repeat(140) })
  })

  test('[M42] `by` names at most 20 reactors; the count is all of them', () => {
    const alice = replica('alice')
    const m = send(alice, 'lunch?', 1)
    const actions: ActionView[] = Array.from({ length: 30 }, (_, i) => ({ id: `${i + 1}@${'0'.repeat(63)}${i % 10}`, segment: 's' as never, author: `device-${i}` as DeviceId, ts: 10 + i, target: m, kind: 'react', emoji: '🍕' }))
    const [shown] = fold([{ id: m, ref: `s.${m}` as MessageRef, tag: 't', segment: 's' as never, author: alice.device, ts: 1, text: 'lunch?', authorName: 'alice' }], actions, { me: alice.device, names: new Map(), myMentions: new Set() })
    expect(shown!.reactions![0]!.count).toBe(30)
    expect(shown!.reactions![0]!.by).toHaveLength(MAX_REACTION_NAMES)
  })

  test('[M40] at most the newest 100 edits are read; malformed ones are left out', () => {
    const edits = Array.from({ length: 150 }, (_, i) => ({ text: new A.ImmutableString(`v${i}`), ts: i }))
    const read = readMessageFields({ edits: [...edits, { text: 5, ts: 1 }, { text: new A.ImmutableString('x'.repeat(20_001)), ts: 2 }] })
    expect(read.extra.edits).toHaveLength(MAX_EDITS - 2)
    expect(read.extra.edits![0]).toEqual({ text: 'v52', ts: 52 })
    expect(read.extra.edited).toBe(149)
  })

  test('[M43] received mentions that are not a device hex or a user id are left out; mentionsMe only for this device\'s ids', () => {
    const alice = replica('alice')
    const me = 'AbCdEfGhIjKlMnOp'
    const id = send(alice, 'ping', 1, { mentions: ['ab'.repeat(32), me, 'not a mention', '../../x', 'A'.repeat(5000)].map((x) => new A.ImmutableString(x)) })
    write(alice, addEntry({ id: new A.ImmutableString('r'), ts: 2, kind: 'react', target: new A.ImmutableString(id), emoji: new A.ImmutableString('👀') }))
    const names = new Map<DeviceId, string>()
    const [m] = view(alice, names)
    expect(m!.mentions).toEqual(['ab'.repeat(32), me])
    expect(m!.mentionsMe).toBeUndefined()
    const [again] = fold([{ ...m!, authorName: 'alice' }], [], { me: alice.device, names, myMentions: new Set([me]) })
    expect(again!.mentionsMe).toBe(true)
  })
})
