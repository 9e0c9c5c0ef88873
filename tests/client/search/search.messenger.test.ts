import { afterEach, describe, expect, test } from 'vitest'
import { ClientErrorCode } from '../../../client/core/errors.js'
import { newConvId } from '../../../client/core/ids.js'
import { close, closeAll, offline, reopen, texts } from './helpers.js'

/** [M50]–[M52] Alice's device, offline: what she wrote in two conversations, found again. */
afterEach(closeAll)

async function aliceWithHistory() {
  const alice = await offline('Alice Müller')
  const m = alice.messenger
  const depot = await m.createConversation('Depot Süd')
  const night = await m.createConversation('Night shift')
  await m.send(depot, 'Die Pumpe an der Straße ist kaputt')
  await m.send(depot, 'Le café est prêt à Noël')
  await m.send(depot, '¿Mañana a las ocho en la estación?')
  await m.send(night, 'pump station 3 pressure is low')
  await m.send(night, 'Ölwechsel morgen früh')
  await m.searchIndexed()
  return { alice, m, depot, night }
}

describe('[M50]–[M52] search on the device', () => {
  test('[M51] a word is found whatever its case and accents: German, French and Spanish', async () => {
    const { m, depot, night } = await aliceWithHistory()
    expect(texts(await m.search('strasse'))).toEqual(['Die Pumpe an der Straße ist kaputt'])
    expect(texts(await m.search('STRASSE '))).toEqual(['Die Pumpe an der Straße ist kaputt'])
    expect(texts(await m.search('cafe pret noel'))).toEqual(['Le café est prêt à Noël'])
    expect(texts(await m.search('manana estacion'))).toEqual(['¿Mañana a las ocho en la estación?'])
    expect(texts(await m.search('olwechsel fruh'))).toEqual(['Ölwechsel morgen früh'])
    expect(texts(await m.search('Über'))).toEqual([])
    const [hit] = await m.search('Mañana')
    expect(hit).toMatchObject({ conv: depot, convTitle: 'Depot Süd', authorName: 'Alice Müller', author: m.identity!.deviceId })
    expect(hit!.snippet.ranges.map(([a, b]) => hit!.snippet.text.slice(a, b))).toEqual(['Mañana'])
    expect(typeof hit!.score).toBe('number')
    expect(hit!.ts).toBe(m.messages(depot).find((x) => x.id === hit!.id)?.ts ?? hit!.ts)
    expect((await m.search('olwechsel'))[0]!.conv).toBe(night)
  })

  test('[M51] the last word is a prefix while it is typed, and words need all to match (AND)', async () => {
    const { m } = await aliceWithHistory()
    expect(texts(await m.search('pum')).sort()).toEqual(['Die Pumpe an der Straße ist kaputt', 'pump station 3 pressure is low'])
    expect(texts(await m.search('pum '))).toEqual([]) // a finished word is a whole word
    expect(texts(await m.search('pressure sta'))).toEqual(['pump station 3 pressure is low'])
    expect(texts(await m.search('kaputt pressure'))).toEqual([])
    // One letter wrong in a longer word still finds it.
    expect(texts(await m.search('presure '))).toEqual(['pump station 3 pressure is low'])
  })

  test('[M52] across every conversation, or one; the author name and the conversation title are searched too; limits hold', async () => {
    const { m, depot, night } = await aliceWithHistory()
    expect(new Set((await m.search('muller')).map((h) => h.conv))).toEqual(new Set([depot, night]))
    expect((await m.search('muller', { conv: night })).map((h) => h.conv)).toEqual([night, night])
    expect(texts(await m.search('sud kaputt'))).toEqual(['Die Pumpe an der Straße ist kaputt'])
    expect(await m.search('muller', { limit: 1 })).toHaveLength(1)
    expect(await m.search('   ')).toEqual([])
    await expect(m.search('pump', { conv: newConvId() })).rejects.toMatchObject({ code: ClientErrorCode.UNKNOWN_CONVERSATION })
  })

  test('[M53] a message sent is found at once, without waiting for the index to be saved', async () => {
    const { m, night } = await aliceWithHistory()
    await m.send(night, 'Generator wartung erledigt')
    expect(texts(await m.search('wartung'))).toEqual(['Generator wartung erledigt'])
  })

  test('[M54] an edited message is found by its new words only; one deleted for everyone is not found', async () => {
    const { m, night } = await aliceWithHistory()
    await m.openConversation(night)
    const sent = await m.send(night, 'valve seven leaking')
    await m.edit(night, sent.ref, 'valve eight repaired')
    await m.searchIndexed()
    expect(texts(await m.search('leaking'))).toEqual([])
    expect(texts(await m.search('repaired'))).toEqual(['valve eight repaired'])
    await m.deleteMessage(night, sent.ref)
    await m.searchIndexed()
    expect(await m.search('repaired')).toEqual([])
    expect(await m.search('valve')).toEqual([])
  })
})

describe('[M52] results in context', () => {
  test('[M52] messageContext loads the segment of a hit (and the next, near its end) and returns the messages around it in order', async () => {
    const { messenger: m, store } = await offline('Alice', { segmentCapacity: 5 })
    const conv = await m.createConversation('Logbook')
    for (let i = 0; i < 14; i++) await m.send(conv, `note ${i} token${i}`)
    await close(m)
    const again = await reopen(store, 5)
    await again.searchIndexed()
    expect(again.messages(conv)).toEqual([]) // nothing opened yet
    const [hit] = await again.search('token4 ')
    const around = await again.messageContext(conv, hit!.id, 2, 2, hit!.segment)
    expect(around.map((x) => x.text)).toEqual(['note 2 token2', 'note 3 token3', 'note 4 token4', 'note 5 token5', 'note 6 token6'])
    expect([around[2]!.id, around[2]!.segment]).toEqual([hit!.id, hit!.segment])
    expect(again.messages(conv)).toHaveLength(10) // two segments joined the window
    // A message id is unique within its segment only: here note 9 has note 4's id, in the next segment.
    const [ninth] = await again.search('token9 ')
    expect([ninth!.id === hit!.id, ninth!.segment === hit!.segment]).toEqual([true, false])
    expect((await again.messageContext(conv, ninth!.id, 1, 1, ninth!.segment)).map((x) => x.text)).toEqual(['note 8 token8', 'note 9 token9', 'note 10 token10'])
    // At the start of the history there is nothing before.
    const [first] = await again.search('token0 ')
    expect((await again.messageContext(conv, first!.id, 3, 1, first!.segment)).map((x) => x.text)).toEqual(['note 0 token0', 'note 1 token1'])
    expect(await again.messageContext(conv, 'no-such-message', 2, 2)).toEqual([])
    await expect(again.messageContext(newConvId(), hit!.id, 2, 2)).rejects.toMatchObject({ code: ClientErrorCode.UNKNOWN_CONVERSATION })
  })
})
