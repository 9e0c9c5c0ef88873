import { expect, test } from 'vitest'
import type { ClientError } from '../../client/core/errors.js'
import type { MessengerEvents } from '../../client/core/messengerTypes.js'
import { until } from './helpers/clients.js'
import { useServer } from './helpers/lifecycle.js'
import { switchableLink } from './helpers/switchableSocket.js'
import { conversationWith, userOf } from './helpers/team.js'

/**
 * [M40]–[M47] Three devices through the real server: actions made offline on each device merge
 * when the links come back, and every device shows the same (reactions counted per device, the
 * edit and the reply that quotes it, the delete over the edit); only the author edits or deletes.
 */
const env = useServer()

test('[M40][M41][M42][M45][M46][M47] offline reactions, an edit while another replies, a delete and a pin converge on three devices; `updated` fires on the others', async () => {
  const links = [switchableLink(), switchableLink(), switchableLink()]
  const [alice, bob, carol] = await Promise.all(['Alice', 'Bob', 'Carol'].map((n, i) => env.persona(n, { socket: links[i]!.socket })))
  for (const p of [alice!, bob!, carol!]) p.messenger.start()
  const conv = await conversationWith(alice!, [bob!, carol!], 'Site crew')
  const people = [alice!, bob!, carol!]
  const settled = () => people.every((p) => p.messenger.status.pending === 0 && p.messenger.status.connection === 'online')

  const m = await alice!.messenger.send(conv, 'crane inspection at 9')
  const other = await alice!.messenger.send(conv, 'bring badges')
  await until(() => people.every((p) => p.messenger.messages(conv).length === 2), 'both messages everywhere')
  const updates: string[] = []
  carol!.messenger.events.on('updated', (e: MessengerEvents['updated']) => updates.push(...e.messages.map((x) => x.id)))

  // Everyone offline; each acts on what it has.
  for (const l of links) l.setOnline(false)
  await alice!.messenger.edit(conv, m.ref, 'crane inspection at 10')
  await alice!.messenger.deleteMessage(conv, other.ref)
  const reply = await bob!.messenger.send(conv, 'ok, 9 it is', { replyTo: m.ref, mentions: [userOf(alice!, conv)] })
  for (const p of people) await p.messenger.react(conv, m.ref, '👍')
  await bob!.messenger.react(conv, m.ref, '🔥')
  await carol!.messenger.react(conv, m.ref, '🔥')
  await carol!.messenger.unreact(conv, m.ref, '🔥')
  await carol!.messenger.react(conv, other.ref, '😮') // on a message alice deleted meanwhile
  await bob!.messenger.pin(conv, m.ref, true)
  for (const l of links) l.setOnline(true)
  for (const p of people) p.messenger.kick()
  const strip = (p: (typeof people)[number]) => p.messenger.messages(conv).map(({ mine: _a, pending: _b, mentionsMe: _c, reactions, ...x }) => ({ ...x, reactions: reactions?.map(({ mine: _m, ...r }) => r) }))
  const thumbs = (p: (typeof people)[number]) => p.messenger.messages(conv)[0]?.reactions?.find((r) => r.emoji === '👍')?.count
  await until(() => settled() && people.every((p) => thumbs(p) === 3 && JSON.stringify(strip(p)) === JSON.stringify(strip(alice!))), 'one view on every device', 30_000)
  for (const p of people.slice(1)) expect(strip(p)).toEqual(strip(alice!))
  const [first, deleted, answer] = [m.id, other.id, reply.id].map((id) => carol!.messenger.messages(conv).find((x) => x.id === id)!)
  expect(first!.text).toBe('crane inspection at 10')
  expect(first!.edits).toEqual([{ text: 'crane inspection at 9', ts: first!.edited }])
  expect(first!.reactions!.map((r) => [r.emoji, r.count, [...r.by].sort()])).toEqual([['👍', 3, ['Alice', 'Bob', 'Carol']], ['🔥', 1, ['Bob']]])
  expect(deleted).toMatchObject({ deleted: true, text: '' })
  expect(deleted!.reactions).toBeUndefined()
  expect(answer!.replyQuote).toEqual({ id: m.id, ref: m.ref, authorName: 'Alice', text: 'crane inspection at 10' })
  expect(alice!.messenger.messages(conv).find((x) => x.id === reply.id)!.mentionsMe).toBe(true)
  expect(carol!.messenger.messages(conv).find((x) => x.id === reply.id)!.mentionsMe).toBeUndefined()
  expect(carol!.messenger.pinned(conv).map((x) => x.id)).toEqual([m.id])
  expect(updates).toContain(m.id) // [M45] carol's view was told
  expect(updates).toContain(other.id)

  // [M40][M41] Only the author device edits or deletes: refused before anything is written.
  const refused = await bob!.messenger.edit(conv, m.ref, 'crane cancelled').catch((e: ClientError) => e.code)
  expect(refused).toBe('M551_NOT_AUTHOR')
  expect(await bob!.messenger.deleteMessage(conv, m.ref).catch((e: ClientError) => e.code)).toBe('M551_NOT_AUTHOR')
  // Bob takes his pin back: the latest pin entry holds on every device.
  await bob!.messenger.pin(conv, m.ref, false)
  await until(() => settled() && people.every((p) => p.messenger.pinned(conv).length === 0), 'unpinned everywhere')
  for (const p of people) expect(p.problems).toEqual([])
}, 90_000)
