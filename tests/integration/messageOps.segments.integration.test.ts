import { expect, test } from 'vitest'
import type { DisplayMessage } from '../../client/core/messenger.js'
import { until, type Persona } from './helpers/clients.js'
import { useServer } from './helpers/lifecycle.js'
import { conversationWith } from './helpers/team.js'

/**
 * [M15][M40]–[M47] Through the real server, in a conversation whose segments hold 5 entries: one
 * device's messages in two segments share an object id. Bob's reaction, pin and reply and
 * Alice's edit and delete each reach exactly the message they name, on both devices.
 */
const env = useServer()

/** Groups of messages sharing an object id (the test's precondition). */
function collisions(ms: readonly DisplayMessage[]): DisplayMessage[][] {
  const byId = new Map<string, DisplayMessage[]>()
  for (const m of ms) byId.set(m.id, [...(byId.get(m.id) ?? []), m])
  return [...byId.values()].filter((g) => g.length > 1)
}

async function everything(p: Persona, conv: Parameters<Persona['messenger']['messages']>[0]): Promise<DisplayMessage[]> {
  await p.messenger.openConversation(conv)
  while (p.messenger.hasEarlier(conv)) await p.messenger.loadEarlier(conv)
  return p.messenger.messages(conv)
}

test('[M15][M40][M41][M42][M46][M47] a reaction, a pin, a reply, an edit and a delete on messages whose ids repeat across segments reach only the one named, on every device', async () => {
  const [alice, bob] = await Promise.all(['Alice', 'Bob'].map((n) => env.persona(n, { segmentCapacity: 5 })))
  for (const p of [alice!, bob!]) p.messenger.start()
  const conv = await conversationWith(alice!, [bob!], 'Pump house')
  await alice!.messenger.openConversation(conv)
  for (let i = 0; i < 15; i++) await alice!.messenger.send(conv, `note ${i}`)
  await until(async () => (await everything(bob!, conv)).filter((m) => m.text.startsWith('note')).length === 15, 'every note at bob')
  const groups = collisions(await everything(bob!, conv))
  expect(groups.length).toBeGreaterThanOrEqual(2)
  const [[p0, p1], [q0, q1]] = groups as [[DisplayMessage, DisplayMessage], [DisplayMessage, DisplayMessage]]

  await bob!.messenger.react(conv, p1.ref, '👍')
  await bob!.messenger.pin(conv, p0.ref, true)
  const reply = await bob!.messenger.send(conv, 'which pump?', { replyTo: p1.ref })
  await alice!.messenger.edit(conv, q0.ref, `${q0.text} (fixed)`)
  await alice!.messenger.deleteMessage(conv, q1.ref)

  const people = [alice!, bob!]
  const settled = async () => {
    if (!people.every((p) => p.messenger.status.pending === 0)) return false
    for (const p of people) {
      const shown = await everything(p, conv)
      const r = shown.find((s) => s.ref === reply.ref)
      if (!r?.replyQuote || !shown.some((s) => s.reactions) || !shown.some((s) => s.pinned) || !shown.some((s) => s.edited !== undefined) || !shown.some((s) => s.deleted)) return false
    }
    return true
  }
  await until(settled, 'every action on both devices', 30_000)
  for (const p of people) {
    const shown = await everything(p, conv)
    const at = (x: DisplayMessage) => shown.find((s) => s.ref === x.ref)!
    expect(shown.filter((s) => s.reactions).map((s) => s.ref)).toEqual([p1.ref])
    expect(at(p1).reactions!.map((r) => [r.emoji, r.count, r.by])).toEqual([['👍', 1, ['Bob']]])
    expect(shown.filter((s) => s.pinned).map((s) => s.ref)).toEqual([p0.ref])
    expect(shown.filter((s) => s.edited !== undefined).map((s) => s.ref)).toEqual([q0.ref])
    expect(shown.filter((s) => s.deleted).map((s) => s.ref)).toEqual([q1.ref])
    expect([at(q0).text, at(q1).text, at(p0).text, at(p1).text]).toEqual([`${q0.text} (fixed)`, '', p0.text, p1.text])
    const r = shown.find((s) => s.ref === reply.ref)!
    expect(r.replyRef).toBe(p1.ref)
    expect(r.replyQuote).toEqual({ id: p1.id, ref: p1.ref, authorName: 'Alice', text: p1.text })
    expect(p.problems).toEqual([])
  }
}, 90_000)
