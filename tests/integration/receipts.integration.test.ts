import { expect, test } from 'vitest'
import { capabilityProofBytes, createSigner, deriveCapability, randomBytes, type EpochKey } from '../../crypto/index.js'
import { openSignal, sealSignalParts, signalSignedBytes } from '../../crypto/signal.js'
import { ErrorCode, idBytes, type ConvId, type ServerMessage } from '../../protocol/index.js'
import { encodePayload } from '../../client/core/presence/payload.js'
import type { MessengerEvents } from '../../client/core/messengerTypes.js'
import { closePersona, until, type Persona } from './helpers/clients.js'
import { useServer } from './helpers/lifecycle.js'
import { ProtocolSocket } from './helpers/protocolSocket.js'
import { switchableLink } from './helpers/switchableSocket.js'
import { conversationWith } from './helpers/team.js'

/**
 * [M55]–[M59] Receipts, typing and unread counts between devices through the real server.
 * Personas: alice writes, bob and carol read; bob's device is later removed, and bob also plays
 * a modified client (a raw protocol connection with his keys).
 */
const env = useServer()

const online = (...people: Persona[]) => until(() => people.every((p) => p.messenger.status.connection === 'online'), 'online')
const recordOf = (p: Persona, conv: ConvId) => p.messenger.team.core.deps.registry.get(conv)!

test('[M55][M56] delivered, then read: the writer sees who has received and who has read; unread counts and events follow', async () => {
  const [alice, bob] = await Promise.all(['Alice', 'Bob'].map((n) => env.persona(n)))
  for (const p of [alice!, bob!]) p.messenger.start()
  const conv = await conversationWith(alice!, [bob!], 'Yard')
  const unreadEvents: MessengerEvents['unread'][] = []
  bob!.messenger.events.on('unread', (e) => e.conv === conv && unreadEvents.push(e))
  await online(alice!, bob!)
  const m1 = await alice!.messenger.send(conv, 'pallets on bay 3')
  const m2 = await alice!.messenger.send(conv, 'and bay 4')
  expect(alice!.messenger.receipts(conv, m1.id)).toEqual({ delivered: [], read: [] })
  await until(() => alice!.messenger.receipts(conv, m2.id).delivered.includes('Bob'), 'delivered to bob')
  expect(alice!.messenger.receipts(conv, m2.id)).toEqual({ delivered: ['Bob'], read: [] })
  expect(bob!.messenger.unread(conv)).toBe(2)
  expect(bob!.messenger.unreadTotal()).toBe(2)
  expect(unreadEvents.at(-1)).toMatchObject({ count: 2, total: 2 })

  await bob!.messenger.markRead(conv)
  expect(bob!.messenger.unread(conv)).toBe(0)
  expect(unreadEvents.at(-1)).toMatchObject({ count: 0, total: 0 })
  await until(() => alice!.messenger.receipts(conv, m2.id).read.includes('Bob'), 'read by bob')
  expect(alice!.messenger.receipts(conv, m1.id)).toEqual({ delivered: ['Bob'], read: ['Bob'] })
  // Bob's own messages are not unread for him, and nobody counts as a reader of their own.
  const reply = await bob!.messenger.send(conv, 'on it')
  expect(bob!.messenger.unread(conv)).toBe(0)
  await until(() => alice!.messenger.unread(conv) === 1, 'alice has one unread')
  expect(bob!.messenger.receipts(conv, reply.id).read).not.toContain('Bob')
  expect(alice!.problems).toEqual([])
  expect(bob!.problems).toEqual([])
}, 120_000)

test('[M56] a burst counted on as it arrives, then an edit and a deletion counted whole: every unread event tells the whole window\'s count', async () => {
  const [alice, bob] = await Promise.all(['Ada', 'Bas'].map((n) => env.persona(n)))
  for (const p of [alice!, bob!]) p.messenger.start()
  const conv = await conversationWith(alice!, [bob!], 'Dock')
  await online(alice!, bob!)
  const told: { count: number; whole: number }[] = []
  bob!.messenger.events.on('unread', (e) => e.conv === conv && told.push({ count: e.count, whole: bob!.messenger.unread(conv) }))
  const changes: { onlyAdded: boolean }[] = []
  bob!.messenger.events.on('messages', (e) => e.conv === conv && changes.push({ onlyAdded: !!e.onlyAdded }))
  // Sent without waiting, as a bot would: they arrive in batches (several messages per envelope).
  const sent = await Promise.all(Array.from({ length: 300 }, (_, i) => alice!.messenger.send(conv, `crate ${i} unloaded`)))
  await until(() => bob!.messenger.unread(conv) === 300, 'bob has 300 unread')
  await until(() => told.at(-1)?.count === 300, 'the last unread event says 300')
  expect(changes.some((c) => c.onlyAdded)).toBe(true)
  expect(told.every((t) => t.count <= 300)).toBe(true)
  const before = changes.length
  await alice!.messenger.deleteMessage(conv, sent[0]!.ref)
  await alice!.messenger.edit(conv, sent[1]!.ref, 'crate 1 unloaded twice')
  await until(() => bob!.messenger.messages(conv).some((m) => m.edited !== undefined), 'the edit reached bob')
  // The deletion and the edit change what was shown: their events do not say onlyAdded.
  await until(() => changes.slice(before).filter((c) => !c.onlyAdded).length >= 1, 'a change event without onlyAdded')
  expect(changes.slice(before).every((c) => !c.onlyAdded)).toBe(true)
  await bob!.messenger.markRead(conv)
  expect(told.at(-1)).toEqual({ count: 0, whole: 0 })
  const more = await Promise.all(Array.from({ length: 40 }, (_, i) => alice!.messenger.send(conv, `late crate ${i}`)))
  await until(() => told.at(-1)?.count === 40, 'forty unread again')
  expect(bob!.messenger.unread(conv)).toBe(more.length)
  // Every count told, counted on or whole, is the whole window's count at that moment.
  expect(told.filter((t) => t.count !== t.whole)).toEqual([])
  expect(alice!.problems).toEqual([])
  expect(bob!.problems).toEqual([])
}, 120_000)

test('[M56][M57] a group: the writer sees who has read, by name; a device that reconnects sends its cursors and asks for the others\'', async () => {
  const link = switchableLink()
  const [alice, bob] = await Promise.all(['Ann', 'Ben'].map((n) => env.persona(n)))
  const carol = await env.persona('Cat', { socket: link.socket })
  for (const p of [alice!, bob!, carol]) p.messenger.start()
  const conv = await conversationWith(alice!, [bob!, carol], 'Crew')
  await online(alice!, bob!, carol)
  const m = await alice!.messenger.send(conv, 'toolbox talk at 7')
  await until(() => alice!.messenger.receipts(conv, m.id).delivered.length === 2, 'delivered to both')
  await bob!.messenger.markRead(conv)
  await until(() => alice!.messenger.receipts(conv, m.id).read.length === 1, 'ben read it')
  expect(alice!.messenger.receipts(conv, m.id)).toEqual({ delivered: ['Ben', 'Cat'], read: ['Ben'] })

  // Cat reads while offline: nothing is sent then (never queued); her reconnect tells it.
  link.setOnline(false)
  await carol.messenger.markRead(conv)
  expect(await carol.messenger.receiptSent(conv, 300)).toBe(false)
  expect(alice!.messenger.receipts(conv, m.id).read).toEqual(['Ben'])
  link.setOnline(true)
  carol.messenger.kick()
  await until(() => alice!.messenger.receipts(conv, m.id).read.length === 2, 'cat\'s read arrives on reconnect')
  expect(alice!.messenger.receipts(conv, m.id).read).toEqual(['Ben', 'Cat'])
  // Her ask on that join was answered: she knows Ben's cursors though she was away when he read.
  const fromCat = await carol.messenger.send(conv, 'ok')
  await until(() => carol.messenger.receipts(conv, fromCat.id).delivered.length === 2, 'cat sees deliveries of her own message')
}, 120_000)

test('[M59] typing appears on the others, stops with the message or after 6 s, is sent at most once per 3 s, and never while offline', async () => {
  const link = switchableLink()
  const alice = await env.persona('Ada')
  const bob = await env.persona('Bo', { socket: link.socket })
  for (const p of [alice, bob]) p.messenger.start()
  const conv = await conversationWith(alice, [bob], 'Typing')
  await online(alice, bob)
  const seen: string[][] = []
  alice.messenger.events.on('typing', (e) => e.conv === conv && seen.push(e.names))
  // 'online' is said before a fresh conversation's join is answered: the first signal goes once it is.
  await until(() => bob.messenger.setTyping(conv), 'bo can signal')
  expect(await bob.messenger.setTyping(conv)).toBe(false) // within 3 s: nothing sent
  await until(() => alice.messenger.typing(conv).includes('Bo'), 'alice sees bo typing')
  expect(seen.at(-1)).toEqual(['Bo'])
  expect(bob.messenger.typing(conv)).toEqual([]) // not to himself
  await bob.messenger.send(conv, 'done')
  await until(() => alice.messenger.typing(conv).length === 0, 'stopped with the message')
  expect(seen.at(-1)).toEqual([])

  // Shown for at most 6 s after the last signal, with an event when it ends.
  await new Promise((r) => setTimeout(r, 3_000))
  expect(await bob.messenger.setTyping(conv)).toBe(true)
  await until(() => alice.messenger.typing(conv).includes('Bo'), 'typing again')
  const from = seen.length
  await until(() => alice.messenger.typing(conv).length === 0, 'expires', 10_000)
  await until(() => seen.slice(from).some((n) => n.length === 0), 'an event tells it ended')

  // Offline: nothing goes, and nothing is sent later either.
  link.setOnline(false)
  await new Promise((r) => setTimeout(r, 3_000))
  expect(await bob.messenger.setTyping(conv)).toBe(false)
  link.setOnline(true)
  bob.messenger.kick()
  await online(bob)
  const check = await bob.messenger.send(conv, 'back')
  await until(() => alice.messenger.messages(conv).some((m) => m.id === check.id), 'a message after the reconnect arrives')
  expect(seen.slice(from).filter((n) => n.length > 0)).toEqual([])
}, 120_000)

test('[M58] the organisation turns read receipts off: read is neither sent nor shown, delivered still is; a person\'s own setting does the same for them', async () => {
  const [alice, bob, carol] = await Promise.all(['Al', 'Bea', 'Cy'].map((n) => env.persona(n)))
  for (const p of [alice!, bob!, carol!]) p.messenger.start()
  const conv = await conversationWith(alice!, [bob!, carol!], 'Quiet')
  await online(alice!, bob!, carol!)

  // Cy turns his own read receipts off: he sends none, and sees none of the others'.
  await carol!.messenger.setReadReceipts(false)
  expect(carol!.messenger.readReceipts).toBe(false)
  const m = await alice!.messenger.send(conv, 'gate code changed')
  await until(() => alice!.messenger.receipts(conv, m.id).delivered.length === 2, 'delivered')
  await bob!.messenger.markRead(conv)
  await carol!.messenger.markRead(conv)
  expect(await carol!.messenger.receiptSent(conv, 5_000)).toBe(true)
  await until(() => alice!.messenger.receipts(conv, m.id).read.length === 1, 'bea read it')
  expect(alice!.messenger.receipts(conv, m.id)).toEqual({ delivered: ['Bea', 'Cy'], read: ['Bea'] })
  const fromCy = await carol!.messenger.send(conv, 'noted')
  await until(() => carol!.messenger.receipts(conv, fromCy.id).delivered.length === 2, 'cy sees deliveries')
  let heard = 0
  carol!.messenger.events.on('receipts', (e) => e.conv === conv && heard++)
  await alice!.messenger.markRead(conv)
  await until(() => bob!.messenger.receipts(conv, fromCy.id).read.includes('Al') && heard > 0, 'al\'s read reached bea and cy')
  expect(carol!.messenger.receipts(conv, fromCy.id)).toEqual({ delivered: ['Al', 'Bea'], read: [] })

  // The organisation's policy: off for everyone.
  await alice!.messenger.team.setPolicy(conv, { readReceipts: false })
  await until(() => [alice!, bob!, carol!].every((p) => p.messenger.team.policy(conv).readReceipts === false), 'policy everywhere')
  expect(bob!.messenger.readReceiptsShown(conv)).toBe(false)
  const m2 = await alice!.messenger.send(conv, 'new gate code tomorrow')
  await until(() => alice!.messenger.receipts(conv, m2.id).delivered.length === 2, 'delivered under the policy')
  await bob!.messenger.markRead(conv)
  expect(await bob!.messenger.receiptSent(conv, 5_000)).toBe(true)
  expect(alice!.messenger.receipts(conv, m2.id)).toEqual({ delivered: ['Bea', 'Cy'], read: [] })
  // Turned on again: Bea's next receipt carries her read cursor.
  await alice!.messenger.team.setPolicy(conv, { readReceipts: true })
  await until(() => bob!.messenger.team.policy(conv).readReceipts !== false && alice!.messenger.team.policy(conv).readReceipts !== false, 'policy back on')
  await alice!.messenger.send(conv, 'one more')
  await until(() => bob!.messenger.unread(conv) === 1, 'bea has it')
  await bob!.messenger.markRead(conv)
  await until(() => alice!.messenger.receipts(conv, m2.id).read.includes('Bea'), 'read shown again')
}, 90_000)

/** A modified client: a raw connection with `p`'s device keys, joined to `conv` at the epoch and key given. */
/** Does `send`, then again every 2 s, until `seen` holds (an ephemeral signal reaches only live connections). */
async function untilResending(send: () => Promise<void>, seen: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 45_000
  while (!seen()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await send()
    const next = Date.now() + 2_000
    while (!seen() && Date.now() < next) await new Promise((r) => setTimeout(r, 50))
  }
}

async function modifiedClient(p: Persona, conv: ConvId, epoch: number, key: Uint8Array) {
  const { socket, nonce } = await ProtocolSocket.open(env.server().url)
  await socket.hello(p.messenger.identity!.keys, nonce)
  const id = idBytes(conv)
  const cap = deriveCapability(key as EpochKey, id, epoch)
  socket.send({ type: 'join', conv: id, epoch, cap: cap.publicKey, proof: await cap.signer.sign(capabilityProofBytes(nonce, id, epoch)) })
  await socket.take('joined')
  const frames: ServerMessage[] = []
  socket.listen((m) => frames.push(m))
  return { socket, frames, nonce }
}

test('[M57][S44][S45][S10] a removed device neither receives the others\' signals nor can send any once the rotation is registered', async () => {
  const [alice, bob, carol] = await Promise.all(['Ali', 'Bob', 'Col'].map((n) => env.persona(n)))
  for (const p of [alice!, bob!, carol!]) p.messenger.start()
  const conv = await conversationWith(alice!, [bob!, carol!], 'Cut')
  await online(alice!, bob!, carol!)
  const rec = recordOf(bob!, conv)
  const oldEpoch = rec.epoch
  const oldKey = rec.keys.get(oldEpoch)!
  const mod = await modifiedClient(bob!, conv, oldEpoch, oldKey)
  await until(() => alice!.messenger.setTyping(conv), 'ali can signal')
  await until(() => mod.frames.some((f) => f.type === 'relay'), 'the modified client hears signals while bob is a member')

  await alice!.messenger.removeMember(conv, bob!.messenger.identity!.deviceId)
  await until(() => mod.frames.some((f) => f.type === 'error' && f.code === ErrorCode.CAPABILITY_REVOKED), 'the rotation revokes its join')
  const relaysBefore = mod.frames.filter((f) => f.type === 'relay').length
  await until(() => recordOf(carol!, conv).epoch !== oldEpoch && carol!.messenger.status.connection === 'online', 'carol is on the new epoch')
  // The others keep signalling; none of it reaches the removed device.
  await until(() => carol!.messenger.setTyping(conv), 'col can signal')
  await until(() => alice!.messenger.typing(conv).includes('Col'), 'alice sees col typing')
  await alice!.messenger.send(conv, 'bob is gone')
  await until(() => carol!.messenger.unread(conv) >= 1, 'carol got it')
  await carol!.messenger.markRead(conv)
  expect(await carol!.messenger.receiptSent(conv, 5_000)).toBe(true)
  await until(() => alice!.messenger.receipts(conv, alice!.messenger.messages(conv).at(-1)!.id).read.includes('Col'), 'alice sees col read')
  expect(mod.frames.filter((f) => f.type === 'relay').length).toBe(relaysBefore)
  // Its signals are refused: not joined, and it cannot join the new epoch with the old key.
  const before = mod.frames.length
  mod.socket.send({ type: 'signal', conv: idBytes(conv), body: randomBytes(557) })
  await until(() => mod.frames.length > before, 'an answer')
  expect(mod.frames.slice(before)[0]).toMatchObject({ type: 'error', code: ErrorCode.NOT_JOINED, fatal: false })
  const cap = deriveCapability(oldKey, idBytes(conv), oldEpoch)
  mod.socket.send({ type: 'join', conv: idBytes(conv), epoch: oldEpoch, cap: cap.publicKey, proof: await cap.signer.sign(capabilityProofBytes(mod.nonce, idBytes(conv), oldEpoch)) })
  await until(() => mod.frames.slice(before).some((f) => f.type === 'error' && f.code === ErrorCode.CAPABILITY_REJECTED), 'join refused')
  mod.socket.close()
  expect(carol!.problems).toEqual([])
}, 90_000)

test('[M57][E14] a member forging another member\'s receipt, or replaying one, is refused (M306) and changes nothing', async () => {
  const [alice, bob, carol] = await Promise.all(['Amy', 'Bud', 'Cai'].map((n) => env.persona(n)))
  for (const p of [alice!, bob!, carol!]) p.messenger.start()
  const conv = await conversationWith(alice!, [bob!, carol!], 'Forge')
  await online(alice!, bob!, carol!)
  const m = await carol!.messenger.send(conv, 'who has read this?')
  await until(() => carol!.messenger.receipts(conv, m.id).delivered.length === 2, 'delivered')
  const rec = recordOf(bob!, conv)
  const mod = await modifiedClient(bob!, conv, rec.epoch, rec.keys.get(rec.epoch)!)
  const id = idBytes(conv)
  const payload = encodePayload({ t: 'receipt', d: { ts: m.ts, id: m.id }, r: { ts: m.ts, id: m.id } })
  // Bud claims Amy's device; he can sign only with his own key.
  const bud = createSigner(bob!.messenger.identity!.keys.signSecret)
  const forge = async () => {
    const time = Date.now()
    const nonce = randomBytes(16)
    return sealSignalParts(rec.keys.get(rec.epoch)!, id, rec.epoch, { device: alice!.messenger.identity!.keys.signPublic, signature: await bud.sign(signalSignedBytes(id, rec.epoch, time, nonce, payload)), time, id: nonce, payload }, randomBytes(24))
  }
  // Signals are relayed only to connections live at that moment: sent again (a fresh forgery)
  // every 2 s until Carol's device has seen one, as a loaded machine may be reconnecting her.
  await untilResending(async () => mod.socket.send({ type: 'signal', conv: id, body: await forge() }), () => carol!.problems.some((p) => p.startsWith('M306_SIGNAL_REJECTED C101')), 'carol refuses the forgery')
  expect(carol!.messenger.receipts(conv, m.id).read).toEqual([])

  // Amy really reads; Bud captures her signal and sends it again.
  await alice!.messenger.markRead(conv)
  // Bud keeps the first relayed signal that opens as Amy's (on a loaded machine a device that
  // reconnects sends its cursors again, so the first relay may be Carol's own, which she ignores).
  const amyKey = alice!.messenger.identity!.keys.signPublic
  let captured: Extract<ServerMessage, { type: 'relay' }> | undefined
  const fromAmy = async () => {
    for (const f of mod.frames) {
      if (f.type !== 'relay') continue
      const opened = await openSignal((e) => (e === rec.epoch ? rec.keys.get(rec.epoch) : undefined), id, f.body)
      if (opened.ok && opened.value.device.every((b, i) => b === amyKey[i])) return f
    }
    return undefined
  }
  await until(async () => (captured = await fromAmy()) !== undefined, 'bud captured a genuine signal of amy')
  await until(() => carol!.messenger.receipts(conv, m.id).read.includes('Amy'), 'amy read it')
  await untilResending(async () => mod.socket.send({ type: 'signal', conv: id, body: captured!.body }), () => carol!.problems.some((p) => p.startsWith('M306_SIGNAL_REJECTED C109')), 'carol refuses the replay')
  expect(carol!.messenger.receipts(conv, m.id)).toEqual({ delivered: ['Amy', 'Bud'], read: ['Amy'] })
  mod.socket.close()
}, 150_000)

test('[M56] a restarted device shows the unread counts it showed before, from its saved views, before any conversation is opened', async () => {
  const [alice, bob] = await Promise.all(['Ada', 'Bo'].map((n) => env.persona(n)))
  for (const p of [alice!, bob!]) p.messenger.start()
  const conv = await conversationWith(alice!, [bob!], 'Loading dock')
  await online(alice!, bob!)
  for (const t of ['truck at gate 2', 'seal number 4471', 'driver waiting']) await alice!.messenger.send(conv, t)
  await until(() => bob!.messenger.unread(conv) === 3, 'bob has three unread')
  await closePersona(bob!)
  const again = await env.persona('Bo', { file: bob!.file })
  // Not opened, not started (offline): the count comes from the saved newest view.
  await until(() => again.messenger.unread(conv) === 3, 'three unread after the restart')
  expect(again.messenger.unreadTotal()).toBe(3)
  await again.messenger.openConversation(conv)
  expect(again.messenger.unread(conv)).toBe(3)
  await again.messenger.markRead(conv)
  expect(again.messenger.unread(conv)).toBe(0)
  expect(again.problems).toEqual([])
}, 120_000)
