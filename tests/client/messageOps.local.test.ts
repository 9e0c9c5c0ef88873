import * as A from '@automerge/automerge'
import { afterEach, describe, expect, test } from 'vitest'
import { ClientError } from '../../client/core/errors.js'
import type { DisplayMessage, MessageRef } from '../../client/core/messenger.js'
import { Messenger } from '../../client/core/messenger.js'
import type { MessengerEvents } from '../../client/core/messengerTypes.js'
import { segmentDocId, type SegmentDoc } from '../../client/core/documents/model.js'
import { nodeSocket } from '../../client/node/socket.js'
import { generateFileSecret, randomBytes } from '../../crypto/index.js'
import { blobIdOf, paddedChunkCount } from '../../protocol/index.js'
import { closedUrl, device, type Device } from './helpers/devices.js'

/**
 * [M40]–[M47] Message actions on one device with no server: each is a local change first,
 * queued like a message; refusals are coded and change nothing; views update ([M45]).
 */
const open: Messenger[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.stop()))
})

async function alice(): Promise<Device> {
  const d = await device('alice', await closedUrl())
  open.push(d.messenger)
  d.messenger.start()
  return d
}

const codeOf = async (p: Promise<unknown>): Promise<string | undefined> => {
  try {
    await p
  } catch (err) {
    if (err instanceof ClientError) return err.code
    throw err
  }
  return undefined
}

const byText = (ms: readonly DisplayMessage[], text: string) => ms.find((m) => m.text === text)!

describe('[M40]–[M47] message actions, offline', () => {
  test('[M40][M41][M42][M46][M47] edit, react, pin, reply and delete are local changes, stored at once; the view shows them', async () => {
    const { messenger, store } = await alice()
    const conv = await messenger.createConversation('Depot crew')
    await messenger.openConversation(conv)
    const first = await messenger.send(conv, 'pump 3 is down')
    // An action right after a send finds the message (the scan under way is waited for).
    await messenger.edit(conv, first.ref, 'pump 3 is down again')
    const reply = await messenger.send(conv, 'on it', { replyTo: first.ref, mentions: [messenger.team.userOfDevice(conv, messenger.identity!.deviceId)!] })
    await messenger.react(conv, first.ref, '👍')
    await messenger.react(conv, first.ref, '👍') // the same emoji twice is one reaction
    await messenger.react(conv, first.ref, '👨‍👩‍👧')
    await messenger.pin(conv, first.ref, true)

    let shown = messenger.messages(conv)
    expect(shown.map((m) => m.text)).toEqual(['pump 3 is down again', 'on it']) // reactions and pins are no messages
    const m1 = shown[0]!
    expect(m1.edits).toEqual([{ text: 'pump 3 is down', ts: m1.edited }])
    expect(m1.reactions).toEqual([{ emoji: '👍', count: 1, mine: true, by: ['alice'] }, { emoji: '👨‍👩‍👧', count: 1, mine: true, by: ['alice'] }])
    expect(m1.pinned).toBe(true)
    expect(messenger.pinned(conv).map((m) => m.id)).toEqual([first.id])
    const r = byText(shown, 'on it')
    expect(r.replyQuote).toEqual({ id: first.id, ref: first.ref, authorName: 'alice', text: 'pump 3 is down again' })
    expect(r.mentionsMe).toBe(true)
    expect(r.id).toBe(reply.id)

    await messenger.unreact(conv, first.ref, '👍')
    await messenger.pin(conv, first.ref, false)
    await messenger.deleteMessage(conv, first.ref)
    shown = messenger.messages(conv)
    const gone = shown[0]!
    expect(gone).toMatchObject({ id: first.id, deleted: true, text: '' })
    expect(gone.reactions).toBeUndefined()
    expect(gone.edits).toBeUndefined()
    expect(messenger.pinned(conv)).toEqual([])
    expect(byText(shown, 'on it').replyQuote).toEqual({ id: first.id, ref: first.ref, authorName: 'alice', text: '', deleted: true })
    // Stored the moment each call resolved: a reload shows the same.
    const before = messenger.messages(conv)
    await messenger.stop()
    open.splice(open.indexOf(messenger), 1)
    const again = await Messenger.open({ store, url: await closedUrl(), socket: nodeSocket })
    open.push(again)
    await again.openConversation(conv)
    expect(again.messages(conv).map(({ pending: _p, ...m }) => m)).toEqual(before.map(({ pending: _p, ...m }) => m))
  })

  test('[M45] an edit, a delete and a reaction emit `updated` with the message as shown; a new message emits `added` only', async () => {
    const { messenger } = await alice()
    const conv = await messenger.createConversation('Depot crew')
    await messenger.openConversation(conv)
    const events: { kind: string; ids: string[]; texts: string[] }[] = []
    messenger.events.on('added', (e: MessengerEvents['added']) => events.push({ kind: 'added', ids: e.messages.map((m) => m.id), texts: e.messages.map((m) => m.text) }))
    messenger.events.on('updated', (e: MessengerEvents['updated']) => events.push({ kind: 'updated', ids: e.messages.map((m) => m.id), texts: e.messages.map((m) => m.text) }))
    const m = await messenger.send(conv, 'gate code 4411')
    const answer = await messenger.send(conv, 'thanks', { replyTo: m.ref })
    await messenger.edit(conv, m.ref, 'gate code 4412')
    await messenger.react(conv, answer.ref, '🙏')
    await messenger.deleteMessage(conv, m.ref)
    await until(() => events.length >= 5)
    expect(events).toEqual([
      { kind: 'added', ids: [m.id], texts: ['gate code 4411'] },
      { kind: 'added', ids: [answer.id], texts: ['thanks'] },
      // the edited message, and the reply whose quote changed
      { kind: 'updated', ids: [m.id, answer.id], texts: ['gate code 4412', 'thanks'] },
      { kind: 'updated', ids: [answer.id], texts: ['thanks'] },
      { kind: 'updated', ids: [m.id, answer.id], texts: ['', 'thanks'] },
    ])
  })

  test('[M41] a deleted message\'s text, earlier texts and files are gone from the document state (A.toJS of the segment)', async () => {
    const { messenger } = await alice()
    const conv = await messenger.createConversation('Depot crew')
    await messenger.openConversation(conv)
    const m = await messenger.send(conv, 'the safe code is 1234', { mentions: ['ab'.repeat(32)] })
    await messenger.edit(conv, m.ref, 'the safe code is 5678')
    await messenger.deleteMessage(conv, m.ref)
    const ref = { blob: blobIdOf(randomBytes(16)), secret: generateFileSecret(), name: 'safe-manual.pdf', type: 'application/pdf', size: 200_000, chunks: paddedChunkCount(4), sha256: 'cd'.repeat(32) }
    const log = (messenger as unknown as { p: { log: { write(c: unknown, m: unknown): Promise<{ id: string; ref: MessageRef }> } } }).p.log
    const withFile = await log.write(conv, { text: 'the manual', files: [ref] })
    await messenger.deleteMessage(conv, withFile.ref)
    const doc = await (messenger as unknown as { p: { docs: { doc<T>(id: unknown): Promise<A.Doc<T>> } } }).p.docs.doc<SegmentDoc>(segmentDocId(conv, 0))
    const state = JSON.stringify(A.toJS(doc))
    for (const gone of ['safe code', 'safe-manual', 'cd'.repeat(32), 'the manual', 'ab'.repeat(32)]) expect(state).not.toContain(gone)
    expect(state).toContain('"deleted"')
  })

  test('[M40][M41][M42][M44] refusals are coded and change nothing: a deleted message, a bad emoji, too many reactions, an empty or long edit, an unknown id; forward', async () => {
    const { messenger } = await alice()
    const conv = await messenger.createConversation('Depot crew')
    const other = await messenger.createConversation('Yard')
    await messenger.openConversation(conv)
    const m = await messenger.send(conv, 'first')
    expect(await codeOf(messenger.react(conv, m.ref, 'ok'))).toBe('M553_REACTION_INVALID')
    expect(await codeOf(messenger.react(conv, m.ref, '👍👍'))).toBe('M553_REACTION_INVALID')
    expect(await codeOf(messenger.react(conv, m.ref, '\u0007'))).toBe('M553_REACTION_INVALID')
    expect(await codeOf(messenger.react(conv, m.ref, 'x'.repeat(5000)))).toBe('M553_REACTION_INVALID')
    for (const e of ['😀', '😁', '😂', '🤣', '😃', '😄', '😅', '😆']) await messenger.react(conv, m.ref, e)
    expect(await codeOf(messenger.react(conv, m.ref, '😉'))).toBe('M554_REACTION_LIMIT')
    expect(await codeOf(messenger.edit(conv, '999@' + 'ab'.repeat(32) as MessageRef, 'x'))).toBe('M550_MESSAGE_NOT_FOUND')
    expect(await codeOf(messenger.edit(conv, m.id as MessageRef, 'x'))).toBe('M550_MESSAGE_NOT_FOUND') // a bare object id is no ref
    expect(await codeOf(messenger.edit(conv, m.ref, '   '))).toBe('M500_MESSAGE_EMPTY')
    expect(await codeOf(messenger.edit(conv, m.ref, 'x'.repeat(20_001)))).toBe('M501_MESSAGE_TOO_LONG')
    const fwd = await messenger.forward(conv, m.ref, other)
    await messenger.openConversation(other)
    expect(messenger.messages(other).map((x) => [x.text, x.fwd])).toEqual([['first', true]])
    await messenger.deleteMessage(conv, m.ref)
    expect(await codeOf(messenger.edit(conv, m.ref, 'back again'))).toBe('M552_MESSAGE_DELETED')
    expect(await codeOf(messenger.react(conv, m.ref, '👍'))).toBe('M552_MESSAGE_DELETED')
    expect(await codeOf(messenger.forward(conv, m.ref, other))).toBe('M552_MESSAGE_DELETED')
    expect(await codeOf(messenger.deleteMessage(conv, m.ref))).toBeUndefined() // deleting again changes nothing
    expect(messenger.messages(conv)[0]).toMatchObject({ deleted: true, text: '' })
    expect(fwd.message?.fwd).toBe(true)

  })
})

describe('[M44][M46][M49] files, many pins, and where entries are written', () => {
  test('[M44] forwarding a message with files fetches them again to seal them anew for the target: with no blob store to read from it fails (M534) and writes nothing', async () => {
    const { messenger } = await alice()
    const conv = await messenger.createConversation('Depot crew')
    const other = await messenger.createConversation('Yard')
    await messenger.openConversation(conv)
    const ref = { blob: blobIdOf(randomBytes(16)), secret: generateFileSecret(), name: 'valve.jpg', type: 'image/jpeg', size: 200_000, chunks: paddedChunkCount(4), sha256: 'ab'.repeat(32) }
    // As the upload queue writes a message once its files are on the server ([A2]).
    const log = (messenger as unknown as { p: { log: { write(c: unknown, m: unknown): Promise<{ id: string; ref: MessageRef }> } } }).p.log
    const m = await log.write(conv, { text: 'photo of the valve', files: [ref] })
    expect(await codeOf(messenger.forward(conv, m.ref, other))).toBe('M534_FILE_UNAVAILABLE')
    expect(messenger.uploads(other)).toEqual([])
    await messenger.openConversation(other)
    expect(messenger.messages(other)).toEqual([])
    // The caption of a message with files may be emptied by an edit ([M40]).
    await messenger.edit(conv, m.ref, '')
    expect(messenger.messages(conv)[0]).toMatchObject({ text: '', files: [expect.objectContaining({ name: 'valve.jpg' })] })
  })

  test('[M49] reactions fill the writable segment like messages and roll it over; a reaction in a newer segment counts on a message in an older one', async () => {
    const d = await device('alice', await closedUrl(), { segmentCapacity: 3 })
    open.push(d.messenger)
    const { messenger } = d
    const conv = await messenger.createConversation('Depot crew')
    await messenger.openConversation(conv)
    const m = await messenger.send(conv, 'one')
    for (const e of ['👍', '🔥', '😮']) await messenger.react(conv, m.ref, e) // entries 2..4: the 4th opens segment 1
    await messenger.send(conv, 'two')
    await messenger.pin(conv, m.ref, true)
    const segs = (messenger as unknown as { p: { segs: { segmentsOf(c: unknown): { index: number }[] } } }).p.segs
    expect(segs.segmentsOf(conv).map((s) => s.index)).toEqual([0, 1])
    expect(messenger.messages(conv)[0]!.reactions!.map((r) => r.emoji)).toEqual(['👍', '🔥', '😮'])
    expect(messenger.messages(conv)[0]!.pinned).toBe(true)
  })

  test('[M46] the pinned list holds the 20 most recently pinned', async () => {
    const { messenger } = await alice()
    const conv = await messenger.createConversation('Depot crew')
    await messenger.openConversation(conv)
    const ids: MessageRef[] = []
    for (let i = 0; i < 22; i++) ids.push((await messenger.send(conv, `note ${i}`)).ref)
    for (const id of ids) await messenger.pin(conv, id, true)
    expect(messenger.pinned(conv).map((m) => m.ref)).toEqual(ids.slice(2).reverse())
    expect(messenger.messages(conv).filter((m) => m.pinned)).toHaveLength(22)
  })
})

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}
