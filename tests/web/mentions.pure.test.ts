import { describe, expect, it } from 'vitest'
import { applyMention, mentionParts, mentionQuery, mentionsIn, offered, type MentionCandidate } from '../../client/web/mentions.js'

/** [W19] The composer's mentions, pure: personas Ana Lima, Ben and the person herself (Cleo). */
const ana: MentionCandidate = { id: 'ana_user_id_0001', name: 'Ana Lima', me: false }
const ben: MentionCandidate = { id: 'ben_user_id_0002', name: 'Ben', me: false }
const cleo: MentionCandidate = { id: 'cleo_user_id_003', name: 'Cleo', me: true }

describe('mentions', () => {
  it('[W19] "@" at the start or after a space opens a query up to the caret; elsewhere it does not', () => {
    expect(mentionQuery('@an', 3)).toEqual({ start: 0, query: 'an' })
    expect(mentionQuery('hi @Ana L', 9)).toEqual({ start: 3, query: 'Ana L' })
    expect(mentionQuery('mail me@ana', 11)).toBeUndefined()
    expect(mentionQuery('@an\nx', 5)).toBeUndefined()
    expect(mentionQuery('hi @ben and', 7)).toEqual({ start: 3, query: 'ben' })
  })

  it('[W19] names are offered by a prefix of the name or of one of its words, accents and case folded', () => {
    expect(offered([ana, ben, cleo], 'l').map((c) => c.name)).toEqual(['Ana Lima'])
    expect(offered([ana, ben, cleo], 'B').map((c) => c.name)).toEqual(['Ben'])
    expect(offered([{ ...ana, name: 'Ána' }], 'an').map((c) => c.name)).toEqual(['Ána'])
    expect(offered([cleo, ben, ana], '').map((c) => c.name)).toEqual(['Ana Lima', 'Ben', 'Cleo'])
  })

  it('[W19] a chosen name replaces the query, and only names still in the text are sent', () => {
    const q = mentionQuery('ping @an', 8)!
    expect(applyMention('ping @an', q, 8, 'Ana Lima')).toEqual({ text: 'ping @Ana Lima ', caret: 15 })
    expect(applyMention('ping @an now', q, 8, 'Ana Lima').text).toBe('ping @Ana Lima now')
    expect(mentionsIn('@Ana Lima and @Ben', [ana, ben, ana])).toEqual([ana.id, ben.id])
    expect(mentionsIn('@Ana Lima only', [ana, ben])).toEqual([ana.id])
  })

  it('[W19] a sent text is cut at its mentions, the longest name first; the one of this person is marked', () => {
    expect(mentionParts('hi @Ana Lima and @Cleo!', [{ name: 'Ana', me: false }, ana, cleo])).toEqual([
      { kind: 'text', text: 'hi ' },
      { kind: 'mention', text: '@Ana Lima', me: false },
      { kind: 'text', text: ' and ' },
      { kind: 'mention', text: '@Cleo', me: true },
      { kind: 'text', text: '!' },
    ])
    expect(mentionParts('no names', [])).toEqual([{ kind: 'text', text: 'no names' }])
  })
})
