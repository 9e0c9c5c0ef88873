import * as A from '@automerge/automerge'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import type { DeviceId } from '../../protocol/index.js'
import { newMessageId } from '../../client/core/ids.js'
import { clip, QUOTE_CHARS } from '../../client/core/documents/fold.js'
import { addEntry, deleteChange, editChange, removeEntries } from '../../client/core/documents/messageOps.js'
import { SEG, deliver, entries, replica, send, view, write, type Replica } from './messageOps.world.js'

/**
 * [M40]–[M42][M47] Random offline histories of 2–3 devices sending, replying, editing, deleting
 * and reacting, merged in random orders: every replica converges to the same view, the counts
 * are those each device meant, a delete wins over its author's edits (earlier, and later ones a
 * modified client writes), reactions on a deleted message are hidden, and a reply quotes the
 * final text of what it answers. Replies and reactions are written with their target's segment
 * ([M15]) or, as before it, without (k odd): both reach the one message that has the id.
 */
const EMOJI = ['👍', '❤️', '👨‍👩‍👧', '🇫🇷'] as const
type Step =
  | { t: 'send'; who: number }
  | { t: 'reply'; who: number; k: number }
  | { t: 'edit'; who: number; k: number }
  | { t: 'delete'; who: number; k: number }
  /** A modified client of the author writes a new text after its own delete ([M20] lets it). */
  | { t: 'rawEdit'; who: number; k: number }
  | { t: 'react'; who: number; k: number; e: number }
  | { t: 'unreact'; who: number; k: number; e: number }
  | { t: 'sync'; from: number; to: number }

const step = (n: number): fc.Arbitrary<Step> => {
  const who = fc.nat(n - 1)
  const k = fc.nat(20)
  const e = fc.nat(EMOJI.length - 1)
  return fc.oneof(
    fc.record({ t: fc.constant('send' as const), who }),
    fc.record({ t: fc.constant('reply' as const), who, k }),
    fc.record({ t: fc.constant('edit' as const), who, k }),
    fc.record({ t: fc.constant('delete' as const), who, k }),
    fc.record({ t: fc.constant('rawEdit' as const), who, k }),
    fc.record({ t: fc.constant('react' as const), who, k, e }),
    fc.record({ t: fc.constant('unreact' as const), who, k, e }),
    fc.record({ t: fc.constant('sync' as const), from: who, to: who }),
  )
}

/** What each device meant, known from its own steps alone (a device's steps are sequential). */
interface Intent {
  text: Map<string, string>
  /** Every text a message had. */
  said: Map<string, string[]>
  author: Map<string, number>
  deleted: Set<string>
  /** Deleted, then written again by a modified client of the author. */
  rewritten: Set<string>
  reactions: Map<number, Map<string, Set<string>>>
  replies: Map<string, string>
}

let n = 0
const unique = (who: number) => `«${who}:${++n}»`

function run(devices: Replica[], steps: Step[], order: number[]): { devices: Replica[]; intent: Intent } {
  const intent: Intent = { text: new Map(), said: new Map(), author: new Map(), deleted: new Set(), rewritten: new Set(), reactions: new Map(), replies: new Map() }
  let clock = 1000
  const seed = (who: number) => {
    const text = unique(who)
    const id = send(devices[who]!, text, ++clock)
    intent.text.set(id, text)
    intent.said.set(id, [text])
    intent.author.set(id, who)
  }
  seed(0)
  for (const d of devices.slice(1)) deliver(devices[0]!, d)
  // Messages `who` sees now, in one order (k picks among them).
  const known = (who: number) => entries(devices[who]!.doc).messages.map((m) => m.id).sort()
  const pick = (who: number, k: number) => {
    const ids = known(who)
    return ids[k % ids.length]!
  }
  const locallyDeleted = (who: number, id: string) => entries(devices[who]!.doc).messages.find((m) => m.id === id)?.deleted === true
  for (const s of steps) {
    if (s.t === 'sync') {
      const [from, to] = [s.from, (s.from + 1 + (s.to % (devices.length - 1))) % devices.length]
      deliver(devices[from]!, devices[to]!)
      continue
    }
    const r = devices[s.who]!
    const ts = ++clock
    if (s.t === 'send') seed(s.who)
    else if (s.t === 'reply') {
      const target = pick(s.who, s.k)
      const text = unique(s.who)
      const id = send(r, text, ts, { replyTo: new A.ImmutableString(target), ...(s.k % 2 ? {} : { replySeg: new A.ImmutableString(SEG) }) })
      intent.text.set(id, text)
      intent.said.set(id, [text])
      intent.author.set(id, s.who)
      intent.replies.set(id, target)
    } else if (s.t === 'edit' || s.t === 'delete' || s.t === 'rawEdit') {
      // The honest client edits and deletes only its own, live messages (Messenger: M551, M552).
      const own = known(s.who).filter((id) => intent.author.get(id) === s.who)
      if (!own.length) continue
      const id = own[s.k % own.length]!
      if (s.t === 'rawEdit') {
        if (!intent.deleted.has(id)) continue
        const text = unique(s.who)
        write(r, (d) => {
          const rec = d.messages.find((m) => A.getObjectId(m) === id)!
          rec.text = new A.ImmutableString(text)
        })
        intent.rewritten.add(id)
        continue
      }
      if (intent.deleted.has(id)) continue
      if (s.t === 'edit') {
        const text = unique(s.who)
        write(r, editChange(id, -1, text, ts))
        intent.text.set(id, text)
        intent.said.get(id)!.push(text)
      } else {
        write(r, deleteChange(id, -1, ts))
        intent.deleted.add(id)
      }
    } else {
      const target = pick(s.who, s.k)
      const emoji = EMOJI[s.e]!
      let mine = intent.reactions.get(s.who)
      if (!mine) intent.reactions.set(s.who, (mine = new Map()))
      const set = mine.get(target) ?? new Set<string>()
      mine.set(target, set)
      if (s.t === 'react') {
        if (locallyDeleted(s.who, target) || set.has(emoji)) continue
        write(r, addEntry({ id: new A.ImmutableString(newMessageId()), ts, kind: 'react', target: new A.ImmutableString(target), ...(s.k % 2 ? {} : { seg: new A.ImmutableString(SEG) }), emoji: new A.ImmutableString(emoji) }))
        set.add(emoji)
      } else {
        const own = entries(r.doc).actions.filter((a) => a.kind === 'react' && a.author === r.device && a.target === target && a.emoji === emoji)
        if (!own.length) continue
        write(r, removeEntries(own.map((a) => a.id)))
        set.delete(emoji)
      }
    }
  }
  // Merge everything, pair by pair, in the order given (twice: the last pair's news reaches all).
  for (let round = 0; round < 2; round++) for (const i of order) for (const j of order) if (i !== j) deliver(devices[i]!, devices[j]!)
  return { devices, intent }
}

describe('[M40]–[M42][M47] concurrent message actions converge', () => {
  test('[M40][M41][M42][M47] any history of 2–3 offline devices merged in any order: one view everywhere, as each device meant', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 3 }).chain((count) => fc.tuple(fc.constant(count), fc.array(step(count), { maxLength: 40 }), fc.shuffledSubarray([...Array(count).keys()], { minLength: count }))),
        ([count, steps, order]) => {
          const devices = ['alice', 'bob', 'carol'].slice(0, count).map(replica)
          const names = new Map<DeviceId, string>(devices.map((d) => [d.device, d.name]))
          const { intent } = run(devices, steps, order)
          expect(devices.flatMap((d) => d.refused)).toEqual([]) // honest clients: nothing refused

          const views = devices.map((d) => view(d, names).map(({ reactions, ...m }) => ({ ...m, reactions: reactions?.map(({ mine: _m, ...r }) => r) })))
          for (const v of views.slice(1)) expect(v).toEqual(views[0])

          for (const m of view(devices[0]!, names)) {
            if (intent.deleted.has(m.id)) {
              // [M41] a placeholder, whatever the author wrote before or after; no reactions shown.
              expect(m).toMatchObject({ deleted: true, text: '' })
              expect(m.reactions).toBeUndefined()
              expect(m.edits).toBeUndefined()
              continue
            }
            expect(m.text).toBe(intent.text.get(m.id))
            // [M42] each device counts once per emoji it still means.
            const expected = new Map<string, number>()
            for (const [, mine] of intent.reactions) for (const e of mine.get(m.id) ?? []) expected.set(e, (expected.get(e) ?? 0) + 1)
            expect(new Map((m.reactions ?? []).map((r) => [r.emoji, r.count]))).toEqual(expected)
            // [M47] a reply written while its target was edited quotes the target's final text.
            const target = intent.replies.get(m.id)
            const ref = `${SEG}.${target}`
            if (target) expect(m.replyQuote).toEqual(intent.deleted.has(target) ? { id: target, ref, authorName: expect.any(String), text: '', deleted: true } : { id: target, ref, authorName: expect.any(String), text: clip(intent.text.get(target)!, QUOTE_CHARS) })
          }
          // [M41] what a deleted message said is gone from every device's document state (unless a
          // modified client of its author wrote it again, which only the author can do).
          for (const d of devices) {
            const state = JSON.stringify(A.toJS(d.doc))
            for (const id of intent.deleted) {
              if (intent.rewritten.has(id)) continue
              for (const text of intent.said.get(id)!) expect(state).not.toContain(text)
            }
          }
        },
      ),
      { numRuns: 100 },
    )
  })
})
