import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { generateRecoveryKey, openRecoveryBlob, randomBytes, recoveryKeyText, sealRecoveryBlob, toHex } from '../../crypto/index.js'
import { readRecoveryContent } from '../../client/core/recovery/blob.js'
import { loadRecovery } from '../../client/core/recovery/record.js'
import { getBlob, putBlob } from '../../client/core/recovery/server.js'
import { encodeRecord } from '../../client/core/storage/records.js'
import { Messenger } from '../../client/core/messenger.js'
import { openSqliteLocalStore } from '../../client/node/sqliteStore.js'
import { nodeSocket } from '../../client/node/socket.js'
import type { ConvId } from '../../protocol/index.js'
import { texts, until, type Persona } from './helpers/clients.js'
import { useServer } from './helpers/lifecycle.js'
import { conversationWith, enrol, userOf } from './helpers/team.js'

/**
 * [M32] Recovery after every device is lost: Bob's recovery device is added to his organisation,
 * its group without history and his conversation with Admin; his only device is then gone. A new
 * device given the recovery key becomes his recovery device and reads the full history — also the
 * group's messages from before the recovery device existed — and writes again. The key is then
 * spent; a wrong, earlier or malformed key gets a clear code and nothing else.
 */
const env = useServer()

const fresh = (name: string) => openSqliteLocalStore(join(mkdtempSync(join(tmpdir(), `fieldchat-${name}-`)), 'device.sqlite'))
const options = (store: ReturnType<typeof fresh>) => ({ store, url: env.server().url, socket: nodeSocket, backoff: { initialMs: 100, maxMs: 1000 }, heartbeatMs: 2000 })

const recipientsInclude = (p: Persona, space: ConvId, device: string) => !!p.messenger.team.core.spaces.state(space)?.epochs.at(-1)?.recipients.includes(device)

test('[M32] every device lost: the recovery key brings back the profile and the full history of an organisation, a group without history and a conversation', async () => {
  const admin = await env.persona('AdminRec')
  const bob = await env.persona('BobRec')
  for (const p of [admin, bob]) p.messenger.start()
  const org = await enrol(admin, [bob], 'Recovery Ltd')
  const group = await admin.messenger.team.createGroup(org, 'Night shift', { history: false })
  await admin.messenger.team.addToGroup(group, [userOf(bob, org)])
  await until(() => bob.messenger.conversations().some((c) => c.conv === group), 'bob in the group')
  const conv = await conversationWith(admin, [bob], 'Admin and Bob')
  for (const p of [admin, bob]) await p.messenger.openConversation(group)
  await bob.messenger.send(group, 'before-recovery in the group')
  await bob.messenger.send(conv, 'before-recovery in the conversation')
  await until(() => texts(admin, group).includes('before-recovery in the group') && texts(admin, conv).includes('before-recovery in the conversation'), 'admin reads bob')

  const key = await bob.messenger.recovery.create()
  expect(key).toMatch(/^([0-9A-HJKMNP-TV-Z]{4}-){13}[0-9A-HJKMNP-TV-Z]$/)
  const device = bob.messenger.recovery.status().device!
  // An admin device heals: the recovery device is a recipient of the next rotation everywhere.
  await until(() => [org, group, conv].every((s) => recipientsInclude(bob, s, device)), 'the recovery device in every space', 60_000)
  await admin.messenger.send(group, 'after-recovery in the group')
  await admin.messenger.send(conv, 'after-recovery in the conversation')
  await until(() => texts(bob, group).includes('after-recovery in the group'), 'bob reads admin')
  await bob.messenger.recovery.maintain()
  expect(bob.messenger.recovery.status().uploaded).toBeGreaterThan(0)

  // Bob's only device is gone.
  await bob.messenger.stop()
  await bob.store.close()

  const store = fresh('bob-new')
  const { messenger, name, orgs } = await Messenger.restore(options(store), key)
  try {
    expect(name).toBe('BobRec')
    expect(new Set(orgs)).toEqual(new Set([org, conv]))
    expect(toHex(messenger.identity!.keys.signPublic)).toBe(device)
    messenger.start()
    await until(() => [org, group, conv].every((s) => messenger.conversations().some((c) => c.conv === s)), 'every space back', 60_000)
    for (const s of [group, conv]) await messenger.openConversation(s)
    const read = (s: ConvId) => messenger.messages(s).map((m) => m.text)
    await until(() => read(group).includes('before-recovery in the group') && read(group).includes('after-recovery in the group'), 'the group\'s full history', 60_000)
    await until(() => read(conv).includes('before-recovery in the conversation') && read(conv).includes('after-recovery in the conversation'), 'the conversation\'s full history', 60_000)
    // And writes again, as Bob.
    await messenger.send(group, 'back on a new device')
    await until(() => texts(admin, group).includes('back on a new device'), 'admin reads the restored device')
    expect(admin.messenger.messages(group).find((m) => m.text === 'back on a new device')?.authorName).toBe('BobRec')
  } finally {
    await messenger.stop()
    await store.close()
  }

  // The key is spent: its blob was deleted once the new device held everything.
  const again = fresh('bob-again')
  await expect(Messenger.restore(options(again), key)).rejects.toMatchObject({ code: 'M513_RECOVERY_NOT_FOUND' })
  await again.close()
}, 240_000)

test('[M32] a wrong key, a malformed key and a device that already has a profile are refused with their codes, and nothing is written', async () => {
  const carol = await env.persona('CarolRec')
  carol.messenger.start()
  await carol.messenger.recovery.create()
  const store = fresh('wrong')
  await expect(Messenger.restore(options(store), recoveryKeyText(generateRecoveryKey()))).rejects.toMatchObject({ code: 'M513_RECOVERY_NOT_FOUND' })
  await expect(Messenger.restore(options(store), 'ABCD-EFGH')).rejects.toMatchObject({ code: 'M512_RECOVERY_KEY_MALFORMED' })
  const good = recoveryKeyText(generateRecoveryKey())
  const typo = good.slice(0, 5) + (good[5] === 'A' ? 'B' : 'A') + good.slice(6)
  await expect(Messenger.restore(options(store), typo)).rejects.toMatchObject({ code: 'M512_RECOVERY_KEY_MALFORMED' })
  expect(await store.get(['identity'])).toBeUndefined()
  await store.close()
  await expect(Messenger.restore(options(carol.store), recoveryKeyText(generateRecoveryKey()))).rejects.toMatchObject({ code: 'M515_IDENTITY_EXISTS' })
}, 120_000)

test('[M32] a new recovery key retires the earlier one: its device leaves every space and its blob is gone', async () => {
  const admin = await env.persona('AdminNew')
  const dan = await env.persona('DanNew')
  for (const p of [admin, dan]) p.messenger.start()
  const org = await enrol(admin, [dan], 'Renew Ltd')
  const first = await dan.messenger.recovery.create()
  const firstDevice = dan.messenger.recovery.status().device!
  await until(() => recipientsInclude(dan, org, firstDevice), 'first recovery device in')
  await dan.messenger.recovery.create()
  const second = dan.messenger.recovery.status().device!
  await until(() => recipientsInclude(dan, org, second) && !recipientsInclude(dan, org, firstDevice), 'second in, first out', 60_000)
  const store = fresh('dan-old-key')
  await expect(Messenger.restore(options(store), first)).rejects.toMatchObject({ code: 'M513_RECOVERY_NOT_FOUND' })
  await store.close()
}, 120_000)

test('[M32][M30] a device removed as lost stops keeping its person\'s recovery: it never overwrites the blob, and the key still restores the person', async () => {
  const admin = await env.persona('AdminLost')
  const fay = await env.persona('FayLost')
  for (const p of [admin, fay]) p.messenger.start()
  const org = await enrol(admin, [fay], 'Lost Ltd')
  await admin.messenger.openConversation(org)
  const key = await fay.messenger.recovery.create()
  const device = fay.messenger.recovery.status().device!
  await until(() => recipientsInclude(fay, org, device), 'the recovery device in', 60_000)
  await fay.messenger.recovery.maintain()
  // Fay's phone is lost: an admin removes it; it learns, wipes, and forgets recovery.
  await admin.messenger.team.removeDevice(org, fay.messenger.identity!.deviceId)
  await until(() => fay.messenger.wiped().length === 1, 'the phone wiped', 60_000)
  await until(() => !fay.messenger.recovery.status().set, 'recovery forgotten on the lost phone')
  expect(fay.messenger.wiped()[0]!.reason).toBe('device-removed')
  await admin.messenger.send(org, 'while Fay was without a phone')
  const store = fresh('fay-new')
  const { messenger } = await Messenger.restore(options(store), key)
  try {
    messenger.start()
    await messenger.openConversation(org)
    await until(() => messenger.messages(org).some((m) => m.text === 'while Fay was without a phone'), 'Fay back in her organisation', 60_000)
  } finally {
    await messenger.stop()
    await store.close()
  }
}, 180_000)

test('[M32] attack: whoever holds the blob\'s keys (a stolen phone) forges its epoch keys and drops its boxes: the restored device takes none of the forged keys', async () => {
  const admin = await env.persona('AdminForge')
  const gil = await env.persona('GilForge')
  for (const p of [admin, gil]) p.messenger.start()
  const org = await enrol(admin, [gil], 'Forge Ltd')
  const key = await gil.messenger.recovery.create()
  const device = gil.messenger.recovery.status().device!
  await until(() => recipientsInclude(gil, org, device), 'the recovery device in', 60_000)
  await gil.messenger.recovery.maintain()
  const rec = (await loadRecovery(gil.store))!
  const opened = openRecoveryBlob(rec, (await getBlob(fetch, env.server().url, rec.addr))!)
  const content = readRecoveryContent(opened.ok ? opened.value : new Uint8Array())!
  const forgedKeys = new Set<string>()
  const forged = { ...content, spaces: content.spaces.map((s) => ({ ...s, boxes: [], keys: s.keys.map(([e]) => { const k = randomBytes(32); forgedKeys.add(toHex(k)); return [e, k] as [number, Uint8Array] }) })) }
  await putBlob(fetch, env.server().url, rec.addr, rec.write, sealRecoveryBlob(rec, encodeRecord(forged)), true)
  const store = fresh('gil-forged')
  const { messenger } = await Messenger.restore(options(store), key)
  try {
    const held = [...messenger.team.core.spaces.keysOf(org).keys.values()].map(toHex)
    expect(held.filter((k) => forgedKeys.has(k))).toEqual([])
  } finally {
    await messenger.stop()
    await store.close()
  }
}, 120_000)

test('[M32] the key is spent for good: the device that made it, still running, learns it at its next refresh (the server refuses to recreate the blob) and asks for a new one', async () => {
  const hal = await env.persona('HalSpent')
  hal.messenger.start()
  await hal.messenger.createConversation('Hal alone')
  const key = await hal.messenger.recovery.create()
  await hal.messenger.recovery.maintain()
  const store = fresh('hal-new')
  const { messenger } = await Messenger.restore(options(store), key)
  await messenger.stop()
  await store.close()
  // Unchanged, nothing is written again (the refresh is skipped); after a membership change it is.
  await hal.messenger.recovery.maintain()
  expect(hal.messenger.recovery.status().set).toBe(true)
  await hal.messenger.createConversation('Hal again')
  await hal.messenger.recovery.maintain()
  expect(hal.messenger.recovery.status()).toMatchObject({ set: false })
  expect(hal.messenger.recovery.status().spent).toBeGreaterThan(0)
  const again = fresh('hal-again')
  await expect(Messenger.restore(options(again), key)).rejects.toMatchObject({ code: 'M513_RECOVERY_NOT_FOUND' })
  await again.close()
}, 120_000)
