import { describe, expect, test } from 'vitest'
import { randomBytes } from '../../../crypto/index.js'
import { deviceIdOf, type ConvId, type DocId } from '../../../protocol/index.js'
import { newConvId } from '../../../client/core/ids.js'
import { segmentDocId, type MessageView } from '../../../client/core/documents/model.js'
import { SearchIndex } from '../../../client/core/search/searchIndex.js'
import { createMemoryStore } from '../../../client/core/storage/memory.js'
import { refOf } from '../../../client/core/documents/messageRef.js'

/** Two conversations of three segments each, written by the test; what the index reads, and when it pauses. */
function world(opts: { hidden?: (text: string) => boolean } = {}) {
  const convs: ConvId[] = [newConvId(), newConvId()]
  const segs = new Map(convs.map((c) => [c, [0, 1, 2].map((i) => ({ index: i, id: segmentDocId(c, i), start: i }))]))
  const docs = new Map<DocId, MessageView[]>()
  const author = deviceIdOf(randomBytes(32))
  const names = { now: 'Ann' }
  const log: string[] = []
  const index = new SearchIndex({
    store: createMemoryStore(),
    conversations: () => convs,
    segmentsOf: (c) => segs.get(c) ?? [],
    titleOf: () => 'Logbook',
    nameOf: () => names.now,
    read: async (seg) => (log.push(`read ${seg}`), docs.get(seg) ?? []),
    prepare: async () => undefined,
    visible: (_c, _seg, m) => !opts.hidden?.(m.text),
    touchDelayMs: 1,
    pause: async () => void log.push('pause'),
  })
  let n = 0
  const write = (seg: DocId, text: string, ts = ++n) => docs.set(seg, [...(docs.get(seg) ?? []), { id: `${++n}@aa`, ref: refOf(seg, `${n}@aa`), tag: 't', segment: seg, author, ts, text }])
  return { convs, segs, index, write, names, log, reads: () => log.filter((l) => l.startsWith('read')).map((l) => l.slice(5)) }
}

describe('[M53] the background walk', () => {
  test('[M53] segments are read the newest of every conversation first, then the one before each, with a pause after each and within a long one', async () => {
    const w = world()
    const [a, b] = w.convs as [ConvId, ConvId]
    for (let i = 0; i < 600; i++) w.write(segmentDocId(a, 0), `word${i}`)
    await w.index.indexed()
    const id = (c: ConvId, i: number) => segmentDocId(c, i)
    expect(w.reads()).toEqual([id(a, 2), id(b, 2), id(a, 1), id(b, 1), id(a, 0), id(b, 0)])
    const at = w.log.indexOf(`read ${id(a, 0)}`)
    const next = w.log.indexOf(`read ${id(b, 0)}`)
    expect(w.log.slice(at, next).filter((l) => l === 'pause').length).toBeGreaterThanOrEqual(3) // 600 messages: two pauses inside, one after
    expect((await w.index.search('word599 ')).length).toBe(1)
    await w.index.stop()
  })
})

describe('[M52] what is found', () => {
  test('[M52] messages with no text, and messages that may not be shown, are not found', async () => {
    const w = world({ hidden: (text) => text.includes('hidden') })
    const seg = segmentDocId(w.convs[0]!, 0)
    w.write(seg, '')
    w.write(seg, '   ')
    w.write(seg, 'hidden pump')
    w.write(seg, 'shown pump')
    await w.index.indexed()
    expect((await w.index.search('ann')).map((h) => h.text)).toEqual(['shown pump'])
    expect((await w.index.search('pump')).map((h) => h.text)).toEqual(['shown pump'])
    await w.index.stop()
  })

  test('[M52] equal scores come newest first; the names shown are today\'s, the names searched those of when it was indexed', async () => {
    const w = world()
    const seg = segmentDocId(w.convs[0]!, 0)
    w.write(seg, 'generator check', 10)
    w.write(seg, 'generator check', 30)
    w.write(seg, 'generator check', 20)
    await w.index.indexed()
    w.names.now = 'Annabel'
    const hits = await w.index.search('generator check')
    expect(hits.map((h) => h.ts)).toEqual([30, 20, 10])
    expect(hits.map((h) => h.authorName)).toEqual(['Annabel', 'Annabel', 'Annabel'])
    expect((await w.index.search('ann ')).length).toBe(3)
    expect((await w.index.search('annabel')).length).toBe(0)
    await w.index.stop()
  })
})
