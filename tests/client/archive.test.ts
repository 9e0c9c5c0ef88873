import { afterEach, describe, expect, test } from 'vitest'
import { exportArchive, type ExportSource } from '../../client/core/archive/exportArchive.js'
import { openArchive } from '../../client/core/archive/openArchive.js'
import { ARCHIVE_LIMITS } from '../../client/core/archive/schema.js'
import { ClientError } from '../../client/core/errors.js'
import { Messenger } from '../../client/core/messenger.js'
import type { DisplayMessage } from '../../client/core/messenger.js'
import type { LocalStore } from '../../client/core/storage/LocalStore.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import { encodeRecord } from '../../client/core/storage/records.js'
import { nodeSocket } from '../../client/node/socket.js'
import { sealArchive } from '../../crypto/index.js'
import type { ConvId, DeviceId } from '../../protocol/index.js'
import { closedUrl, device } from './helpers/devices.js'

/**
 * [M31] Export archives on one device with no server: Dana, a depot supervisor, exports her
 * conversations for the compliance archive and opens the file again; Mallory hands her files.
 */
const KDF = { t: 1, m: 64, p: 1 }
const PASS = 'depot 7 archive'
const open: Messenger[] = []
afterEach(async () => {
  await Promise.all(open.splice(0).map((m) => m.stop()))
})

async function dana(store: LocalStore = createMemoryStore()): Promise<Messenger> {
  const d = await device('Dana', await closedUrl(), { segmentCapacity: 20, store })
  open.push(d.messenger)
  return d.messenger
}

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p
  } catch (err) {
    if (err instanceof ClientError) return err.code
    throw err
  }
  return undefined
}

const shown = (ms: readonly { text: string; authorName: string; ts: number; id: string }[]) => ms.map((m) => [m.id, m.ts, m.authorName, m.text])

describe('[M31] export and open', () => {
  test('[M31] two conversations, every segment: the opened archive holds exactly what the device shows with every segment loaded', async () => {
    const store = createMemoryStore()
    const first = await dana(store)
    const pumps = await first.createConversation('Pump station')
    const yard = await first.createConversation('Yard')
    for (let i = 0; i < 75; i++) await first.send(pumps, `pump check ${i}`)
    await first.send(yard, 'gate 2 stuck')
    await first.send(yard, 'fixed')
    open.splice(open.indexOf(first), 1)
    await first.stop()

    // A fresh start: only the newest segments are loaded when a conversation opens ([M13]).
    const m = await Messenger.open({ store, url: await closedUrl(), socket: nodeSocket, segmentCapacity: 20 })
    open.push(m)
    await m.openConversation(pumps)
    expect(m.hasEarlier(pumps)).toBe(true)
    expect(m.messages(pumps).length).toBeLessThan(75)
    const out = await exportArchive(m, { convs: [pumps, yard], passphrase: PASS, kdf: KDF, now: 1_800_000_000_000 })
    expect(out.conversations).toEqual([
      { conv: pumps, title: 'Pump station', messages: 75 },
      { conv: yard, title: 'Yard', messages: 2 },
    ])
    expect(Buffer.from(out.bytes).includes('pump check')).toBe(false)

    const view = await openArchive(out.bytes, PASS)
    expect(view.exportedAt).toBe(1_800_000_000_000)
    expect(view.by).toEqual({ device: m.identity!.deviceId, name: 'Dana' })
    expect(view.conversations.map((c) => [c.id, c.title, c.kind, c.org])).toEqual([
      [pumps, 'Pump station', 'conversation', undefined],
      [yard, 'Yard', 'conversation', undefined],
    ])
    const everything = (conv: ConvId) => m.messages(conv)
    expect(shown(view.conversations[0]!.messages)).toEqual(shown(everything(pumps)))
    expect(view.conversations[0]!.messages.map((x) => x.text)).toEqual(Array.from({ length: 75 }, (_, i) => `pump check ${i}`))
    expect(view.conversations[0]!.messages.every((x) => x.author === m.identity!.deviceId && x.pending === true && !x.hidden)).toBe(true)
    expect(shown(view.conversations[1]!.messages)).toEqual(shown(everything(yard)))
  })

  test('[M31] with no conversation named, every conversation on the device is exported; with none on it, the archive is empty', async () => {
    const m = await dana()
    const empty = await openArchive((await exportArchive(m, { passphrase: PASS, kdf: KDF })).bytes, PASS)
    expect(empty.conversations).toEqual([])
    const a = await m.createConversation('A')
    const b = await m.createConversation('B')
    const view = await openArchive((await exportArchive(m, { passphrase: PASS, kdf: KDF })).bytes, PASS)
    expect(view.conversations.map((c) => c.id).sort()).toEqual([a, b].sort())
  })

  test('[M31] the view is read-only, and opening it adds nothing to the device', async () => {
    const m = await dana()
    const conv = await m.createConversation('Yard')
    await m.send(conv, 'gate 2 stuck')
    const view = await openArchive((await exportArchive(m, { passphrase: PASS, kdf: KDF })).bytes, PASS)
    expect(() => ((view.conversations[0]!.messages[0] as { text: string }).text = 'rewritten')).toThrow(TypeError)
    expect(() => (view.conversations as unknown[]).push({})).toThrow(TypeError)
    expect(m.conversations().map((c) => c.conv)).toEqual([conv])
  })

  test('[M31] hidden ([M26]), pending and reply flags travel with each message (a fake source)', async () => {
    const author = 'A'.repeat(43) as DeviceId
    const other = 'E'.repeat(43) as DeviceId
    const conv = 'Q'.repeat(22) as ConvId
    const msg = (id: string, extra: Partial<DisplayMessage>): DisplayMessage =>
      ({ id, tag: id, segment: conv, author, authorName: 'Dana', ts: 1, text: id, mine: true, pending: false, ...extra }) as DisplayMessage
    const messages = [msg('1@a', {}), msg('2@b', { author: other, authorName: 'Eve', hidden: true, mine: false }), msg('3@a', { pending: true, replyTo: '1@a' })]
    const source: ExportSource = {
      identity: { deviceId: author, name: 'Dana' },
      team: { orgOf: () => undefined, policy: () => ({ requireLock: false, autoLockMinutes: 0, forbidExport: false }), isConversation: () => true, orgs: () => [] },
      conversations: () => [{ conv }],
      titleOf: () => 'Yard',
      openConversation: async () => undefined,
      hasEarlier: () => false,
      loadEarlier: async () => undefined,
      messages: () => messages,
    }
    const view = await openArchive((await exportArchive(source, { passphrase: PASS, kdf: KDF })).bytes, PASS)
    expect(view.conversations[0]!.messages).toEqual([
      { id: '1@a', author, authorName: 'Dana', ts: 1, text: '1@a' },
      { id: '2@b', author: other, authorName: 'Eve', ts: 1, text: '2@b', hidden: true },
      { id: '3@a', author, authorName: 'Dana', ts: 1, text: '3@a', replyTo: '1@a', pending: true },
    ])
  })
})

describe('[M31][T21] the organisation policy', () => {
  test('[M31][T21] forbidExport: the organisation\'s conversation, its groups, and "everything" are refused with M510; another conversation is not', async () => {
    const m = await dana()
    const org = await m.team.createOrg('Acme Logistics')
    const group = await m.team.createGroup(org, 'Night shift')
    const own = await m.createConversation('Yard')
    await m.team.setPolicy(org, { forbidExport: true })
    expect(m.team.policy(org).forbidExport).toBe(true)
    for (const convs of [[org], [group], [own, group], undefined]) {
      expect(await codeOf(exportArchive(m, { convs, passphrase: PASS, kdf: KDF })), JSON.stringify(convs)).toBe('M510_EXPORT_FORBIDDEN')
    }
    await expect(exportArchive(m, { convs: [group], passphrase: PASS, kdf: KDF })).rejects.toThrow(/Acme Logistics/)
    expect((await exportArchive(m, { convs: [own], passphrase: PASS, kdf: KDF })).conversations).toHaveLength(1)
    await m.team.setPolicy(org, { forbidExport: false })
    const view = await openArchive((await exportArchive(m, { convs: [org, group], passphrase: PASS, kdf: KDF })).bytes, PASS)
    expect(view.conversations.map((c) => [c.kind, c.org?.name])).toEqual([['org', 'Acme Logistics'], ['group', 'Acme Logistics']])
  })

  test('[M31] a conversation not on this device is M502; a passphrase under 8 characters is refused', async () => {
    const m = await dana()
    expect(await codeOf(exportArchive(m, { convs: ['Q'.repeat(22) as ConvId], passphrase: PASS, kdf: KDF }))).toBe('M502_UNKNOWN_CONVERSATION')
    await expect(exportArchive(m, { passphrase: 'short', kdf: KDF })).rejects.toThrow(RangeError)
  })
})

describe('[M31] hostile archives (Mallory\'s files)', () => {
  const sealRecord = (record: unknown) => sealArchive(PASS, encodeRecord(record), KDF)
  const valid = { format: 'fieldchat-export', v: 1, exportedAt: 1, by: { device: 'A'.repeat(43), name: 'Dana' }, conversations: [] }

  test('[M31] a wrong passphrase is M520; junk, a cut file or a flipped byte M521; a newer version M522 — never a throw of another kind', async () => {
    const m = await dana()
    await m.send(await m.createConversation('Yard'), 'gate 2 stuck')
    const { bytes } = await exportArchive(m, { passphrase: PASS, kdf: KDF })
    expect(await codeOf(openArchive(bytes, 'depot 7 archivE'))).toBe('M520_ARCHIVE_PASSPHRASE')
    expect(await codeOf(openArchive(bytes, ''))).toBe('M520_ARCHIVE_PASSPHRASE')
    expect(await codeOf(openArchive(crypto.getRandomValues(new Uint8Array(4096)), PASS))).toBe('M521_ARCHIVE_DAMAGED')
    expect(await codeOf(openArchive(bytes.subarray(0, bytes.length - 1), PASS))).toBe('M521_ARCHIVE_DAMAGED')
    const flipped = bytes.slice()
    flipped[bytes.length - 20]! ^= 4
    expect(await codeOf(openArchive(flipped, PASS))).toBe('M521_ARCHIVE_DAMAGED')
    const newer = bytes.slice()
    newer[8] = 2
    expect(await codeOf(openArchive(newer, PASS))).toBe('M522_ARCHIVE_VERSION')
    expect(await codeOf(openArchive(await sealRecord({ ...valid, v: 2, more: 'future' }), PASS))).toBe('M522_ARCHIVE_VERSION')
  })

  test('[M31] well sealed but not what an archive holds: schema and bounds refuse it (M521 contents)', async () => {
    const conv = { id: 'Q'.repeat(22), title: 'Yard', kind: 'conversation', authors: [], messages: [] as unknown[] }
    expect((await openArchive(await sealRecord(valid), PASS)).conversations).toEqual([])
    expect((await openArchive(await sealRecord({ ...valid, conversations: [conv] }), PASS)).conversations).toHaveLength(1)
    const bad: unknown[] = [
      { format: 'something else', v: 1 },
      [1, 2, 3],
      { ...valid, by: { device: 'not a device', name: 'Dana' } },
      { ...valid, conversations: [{ ...conv, kind: 'channel' }] },
      { ...valid, conversations: [{ ...conv, title: 'x'.repeat(ARCHIVE_LIMITS.name + 1) }] },
      { ...valid, conversations: [{ ...conv, messages: [{ id: '1@a', author: 'A'.repeat(43), ts: 1, text: 'x'.repeat(20_001) }] }] },
      { ...valid, conversations: [{ ...conv, messages: [{ id: '1@a', author: 'A'.repeat(43), ts: -1, text: 'x' }] }] },
      { ...valid, conversations: [{ ...conv, extra: 'field' }] },
    ]
    for (const record of bad) expect(await codeOf(openArchive(await sealRecord(record), PASS)), JSON.stringify(record).slice(0, 80)).toBe('M521_ARCHIVE_DAMAGED')
    expect(await codeOf(openArchive(await sealArchive(PASS, new Uint8Array([0xff, 0xff, 0x5b]), KDF), PASS))).toBe('M521_ARCHIVE_DAMAGED')
  })

  test('[M31] a file above the size bound is refused before any work', async () => {
    const huge = Object.defineProperty(new Uint8Array(16), 'length', { value: ARCHIVE_LIMITS.maxBytes + 1 })
    const started = performance.now()
    expect(await codeOf(openArchive(huge, PASS))).toBe('M521_ARCHIVE_DAMAGED')
    expect(performance.now() - started).toBeLessThan(50)
  })
})
