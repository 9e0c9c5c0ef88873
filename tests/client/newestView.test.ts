import { expect, test } from 'vitest'
import type { ConvId } from '../../protocol/index.js'
import { NEWEST_VIEW } from '../../client/core/documents/newestView.js'
import type { LocalStore } from '../../client/core/storage/LocalStore.js'
import { encodeRecord } from '../../client/core/storage/records.js'
import { delivered, type Alice, devicesForEachTest } from './keepUntil.world.js'

/**
 * [M13a] The newest view: a reopened device paints a conversation's newest messages from it
 * before the conversation's documents load, and it never shows (nor keeps) what is gone.
 */
const { device, stop, reopen } = devicesForEachTest()


/** What `messages(conv)` showed at the first `messages` event of the opening, and whether it was the saved view. */
async function firstPaint(a: Alice, conv: ConvId): Promise<{ previewing: boolean; texts: string[] } | undefined> {
  let first: { previewing: boolean; texts: string[] } | undefined
  const off = a.messenger.events.on('messages', (e) => {
    if (e.conv === conv && !first) first = { previewing: a.messenger.previewing(conv), texts: a.messenger.messages(conv).map((m) => m.text) }
  })
  await a.messenger.openConversation(conv)
  off()
  return first
}

const viewHolds = async (store: LocalStore, conv: ConvId, text: string) => {
  const bytes = await store.get(['view', conv])
  return !!bytes && Buffer.from(bytes).includes(Buffer.from(text))
}

test('[M13a] a reopened device paints the newest 50 messages from its saved view before the documents load; the loaded window then takes over', async () => {
  const a = await device()
  const conv = await a.messenger.createConversation('Depot')
  await a.messenger.openConversation(conv)
  const texts: string[] = []
  for (let i = 0; i < 60; i++) texts.push((await a.messenger.send(conv, `stock check ${i}`)).text)
  await delivered(a)
  const again = await reopen(a)
  const paint = await firstPaint(again, conv)
  expect(paint).toEqual({ previewing: true, texts: texts.slice(-NEWEST_VIEW) })
  expect(again.messenger.previewing(conv)).toBe(false)
  expect(again.messenger.messages(conv).map((m) => m.text)).toEqual(texts)
  expect(again.problems).toEqual([])
})

test('[M13a] a painted message can be acted on at once: a reaction or an edit made while the window loads waits for it instead of failing', async () => {
  const a = await device()
  const conv = await a.messenger.createConversation('Yard')
  await a.messenger.openConversation(conv)
  const sent = await a.messenger.send(conv, 'crane inspected')
  await delivered(a)
  const again = await reopen(a)
  const acted: Promise<unknown>[] = []
  const off = again.messenger.events.on('messages', (e) => {
    if (e.conv !== conv || !again.messenger.previewing(conv) || acted.length) return
    const row = again.messenger.messages(conv).find((m) => m.text === 'crane inspected')!
    acted.push(again.messenger.react(conv, row.ref, '👍'), again.messenger.edit(conv, row.ref, 'crane inspected, ok'))
  })
  await again.messenger.openConversation(conv)
  off()
  expect(acted).toHaveLength(2)
  await Promise.all(acted)
  const m = again.messenger.messages(conv).find((x) => x.ref === sent.ref)
  expect(m?.text).toBe('crane inspected, ok')
  expect(m?.reactions?.map((r) => r.emoji)).toEqual(['👍'])
  expect(again.problems).toEqual([])
})

test('[M13a] what expired since is not painted; a message deleted for everyone leaves the saved view', async () => {
  const a = await device()
  const conv = await a.messenger.createConversation('Night shift')
  await a.messenger.openConversation(conv)
  await a.messenger.send(conv, 'keeper 1111')
  const secret = await a.messenger.send(conv, 'door code 4242')
  await a.messenger.setTimer(conv, 300)
  await a.messenger.send(conv, 'short lived 3333')
  await delivered(a)
  const again = await reopen(a)
  expect(await viewHolds(again.store, conv, 'door code 4242')).toBe(true)
  await again.messenger.openConversation(conv)
  await again.messenger.deleteMessage(conv, secret.ref)
  await delivered(again)
  const third = await reopen(again)
  expect(await viewHolds(third.store, conv, 'door code 4242')).toBe(false)
  third.wall.t += 301_000
  const paint = await firstPaint(third, conv)
  expect(paint?.previewing).toBe(true)
  expect(paint?.texts).toEqual(['keeper 1111', ''])
  expect(third.messenger.messages(conv).map((m) => m.text)).toEqual(['keeper 1111', ''])
})

test('[M13a] a saved view that does not parse is not used: the conversation opens from its documents', async () => {
  const a = await device()
  const conv = await a.messenger.createConversation('Yard')
  await a.messenger.openConversation(conv)
  await a.messenger.send(conv, 'forklift 7')
  await delivered(a)
  await stop(a)
  await a.store.write([{ key: ['view', conv], value: encodeRecord({ v: 1, m: [{ id: 1, text: 'forged' }] }) }])
  const again = await device({ store: a.store, server: a.server, wall: a.wall })
  const paint = await firstPaint(again, conv)
  expect(paint).toEqual({ previewing: false, texts: ['forklift 7'] })
})
