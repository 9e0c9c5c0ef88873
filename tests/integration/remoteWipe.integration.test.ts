import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { fromHex, randomBytes } from '../../crypto/index.js'
import type { ConvId, DocId } from '../../protocol/index.js'
import { Messenger } from '../../client/core/messenger.js'
import { documentId } from '../../client/core/documents/docs.js'
import { segmentDocId } from '../../client/core/documents/model.js'
import { openAtRest } from '../../client/core/storage/atRest.js'
import type { Entry } from '../../client/core/storage/LocalStore.js'
import { writeTombstone } from '../../client/core/wipe/tombstone.js'
import { nodeSocket } from '../../client/node/socket.js'
import { openSqliteLocalStore } from '../../client/node/sqliteStore.js'
import { closePersona, texts, until, type Persona } from './helpers/clients.js'
import { useServer } from './helpers/lifecycle.js'
import { enrol, groupWith, userOf } from './helpers/team.js'

/**
 * [M30] Remote wipe, against a real server: a device that learns it was removed from an
 * organisation (its device, or its person) deletes everything it held for it — the
 * organisation's conversation, every group of it, keys, graphs, outbox, cursors — and keeps only
 * a tombstone. Bob's device keeps its store encrypted at rest ([M28]); the scans below read it
 * through the wrapper, so they see the decrypted keys and values.
 */
const env = useServer()
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** A device whose SQLite store is encrypted at rest under `master`; reopened from the same file. */
async function device(name: string, file: string, master: Uint8Array): Promise<Persona> {
  const store = await openAtRest(openSqliteLocalStore(file), { kind: 'key', master })
  const messenger = await Messenger.open({ store, url: env.server().url, socket: nodeSocket, backoff: { initialMs: 100, maxMs: 1000 }, heartbeatMs: 2000 })
  if (!messenger.identity) await messenger.createIdentity(name)
  const problems: string[] = []
  messenger.events.on('problem', (p) => problems.push(`${p.code} ${p.detail ?? ''}`))
  return { name, messenger, store, file, problems }
}

/** Every record of a closed device's store, decrypted. */
async function scan(file: string, master: Uint8Array): Promise<Entry[]> {
  const store = await openAtRest(openSqliteLocalStore(file), { kind: 'key', master })
  try {
    return await store.range([])
  } finally {
    await store.close()
  }
}

const latin1 = new TextDecoder('latin1')
const utf8 = new TextDecoder()
const holds = (e: Entry, marker: string) => utf8.decode(e.value).includes(marker) || latin1.decode(e.value).includes(marker)
const isTombstone = (e: Entry, org: ConvId) => e.key[0] === 'wiped' && e.key[1] === org

/** Ids a record of the organisation would name: its spaces, their documents, and those documents' Automerge ids. */
function idsOf(spaces: readonly ConvId[]): Set<string> {
  const docs: DocId[] = spaces.flatMap((s) => [s as string as DocId, segmentDocId(s, 0)])
  return new Set<string>([...spaces, ...docs, ...docs.map((d) => documentId(d) as string)])
}

/** Records of `spaces` (other than the organisation's tombstone), and records holding any of `markers`. */
function leftovers(entries: readonly Entry[], org: ConvId, spaces: readonly ConvId[], markers: readonly string[]): string[] {
  const ids = idsOf(spaces)
  return entries.filter((e) => !isTombstone(e, org) && (e.key.some((k) => ids.has(k)) || markers.some((m) => holds(e, m)))).map((e) => e.key.join('/'))
}

/** Admin, Bob (encrypted store) and Carol in an organisation with a group; Bob also has a conversation of his own with Admin. */
async function world(tag: string) {
  const master = randomBytes(32)
  const file = join(mkdtempSync(join(tmpdir(), `fieldchat-wipe-${tag}-`)), 'device.sqlite')
  const admin = await env.persona(`Admin${tag}`)
  const carol = await env.persona(`Carol${tag}`)
  let bob = await device(`Bob${tag}`, file, master)
  for (const p of [admin, bob, carol]) p.messenger.start()
  const org = await enrol(admin, [bob, carol], `Wipe ${tag} Ltd`)
  const group = await groupWith(admin, org, `Yard ${tag}`, [bob, carol])
  const side = await admin.messenger.createConversation(`Side ${tag}`)
  await bob.messenger.join((await admin.messenger.invite(side, 'http://x')).link)
  await until(() => bob.messenger.conversations().some((c) => c.conv === side && c.members === 2), 'bob in the side conversation')
  for (const p of [admin, bob]) await p.messenger.openConversation(side)
  for (const p of [admin, bob]) await p.messenger.openConversation(org)

  const markers = [`org-marker-${tag}-7d1f`, `group-marker-${tag}-93ac`, `bob-marker-${tag}-4e0b`]
  const keep = `side-marker-${tag}-c55a`
  await admin.messenger.send(org, markers[0]!)
  await carol.messenger.send(group, markers[1]!)
  await bob.messenger.send(group, markers[2]!)
  await admin.messenger.send(side, keep)
  await until(() => texts(bob, org).includes(markers[0]!) && texts(bob, group).includes(markers[1]!) && texts(bob, side).includes(keep), 'bob read everything')
  await until(() => bob.messenger.status.pending === 0 && bob.messenger.queuedMail === 0, 'bob delivered everything')

  const stopBob = async () => closePersona(bob)
  const reopenBob = async () => (bob = await device(`Bob${tag}`, file, master))
  return { admin, carol, bob: () => bob, stopBob, reopenBob, org, group, side, markers, keep, file, master }
}

test('[M30] a device removed while offline wipes the organisation and its groups when it reconnects, and keeps only a tombstone; a second open changes nothing', async () => {
  const w = await world('O')
  const bobUser = userOf(w.bob(), w.org)
  await w.stopBob()
  // Positive control: the scan finds the markers and the spaces while Bob still has them.
  const before = await scan(w.file, w.master)
  expect(leftovers(before, w.org, [w.org, w.group], w.markers).length).toBeGreaterThan(10)
  for (const m of [...w.markers, w.keep]) expect(before.some((e) => holds(e, m)), m).toBe(true)

  await w.admin.messenger.team.removeFromOrg(w.org, bobUser)
  await until(() => w.admin.messenger.queuedMail === 0, 'the removal notice has left the admin')
  await w.admin.messenger.send(w.group, 'after bob, in the group')

  const bob = await w.reopenBob()
  expect(bob.messenger.wiped()).toEqual([]) // offline: nothing known yet
  const wiped = new Promise<readonly ConvId[]>((ok) => bob.messenger.events.on('wiped', (t) => t.org === w.org && ok(t.spaces)))
  // The app marks read (and asks receipts) whenever it likes, also while the wipe replaces the
  // engine's parts: never a throw, at most a coded refusal (the conversation is gone after).
  const thrown: unknown[] = []
  const answers: Promise<unknown>[] = []
  const poke = setInterval(() => {
    try {
      answers.push(bob.messenger.markRead(w.group).catch((err: unknown) => err), bob.messenger.receiptSent(w.group, 1).catch((err: unknown) => err))
    } catch (err) {
      thrown.push(err)
    }
  }, 1)
  bob.messenger.start()
  expect([...(await wiped)].sort()).toEqual([w.org, w.group].sort())
  clearInterval(poke)
  expect(thrown).toEqual([])
  for (const a of await Promise.all(answers)) expect(a === undefined || typeof a === 'boolean' || (a as { code?: string }).code === 'M502_UNKNOWN_CONVERSATION', String(a)).toBe(true)
  expect(bob.messenger.wiped()).toMatchObject([{ org: w.org, name: 'Wipe O Ltd', reason: 'person-removed', conversation: false, dismissed: false, pending: false }])
  expect(bob.messenger.team.orgs().map((o) => o.org)).toEqual([w.side])
  expect(bob.messenger.conversations().map((c) => c.conv)).toEqual([w.side])
  expect(bob.messenger.accessLost(w.org) && bob.messenger.accessLost(w.group)).toBe(true)
  expect(texts(bob, w.org)).toEqual([])
  await expect(bob.messenger.openConversation(w.group)).rejects.toMatchObject({ code: 'M502_UNKNOWN_CONVERSATION' })
  // What is not the organisation's stays, and works.
  await bob.messenger.openConversation(w.side)
  expect(texts(bob, w.side)).toContain(w.keep)
  await bob.messenger.send(w.side, 'bob after the wipe')
  await until(() => texts(w.admin, w.side).includes('bob after the wipe'), 'the side conversation goes on')
  await pause(500)
  // The organisation's late mail (its groups' notices) no longer opens here, and is no alarm.
  expect(bob.problems).toEqual([])
  const tombstone = bob.messenger.wiped()[0]

  await w.stopBob()
  const after = await scan(w.file, w.master)
  expect(leftovers(after, w.org, [w.org, w.group], w.markers)).toEqual([])
  expect(after.filter((e) => isTombstone(e, w.org))).toHaveLength(1)
  expect(after.some((e) => holds(e, w.keep))).toBe(true)

  // A second open: the same tombstone, nothing done again, nothing broken.
  const again = await w.reopenBob()
  expect(again.messenger.wiped()).toEqual([tombstone])
  again.messenger.start()
  await again.messenger.openConversation(w.side)
  expect(texts(again, w.side)).toEqual(expect.arrayContaining([w.keep, 'bob after the wipe']))
  await w.admin.messenger.send(w.side, 'admin after the reopen')
  await until(() => texts(again, w.side).includes('admin after the reopen'), 'bob still reads the side conversation')
  await again.messenger.dismissWiped(w.org)
  expect(again.messenger.wiped()).toEqual([{ ...tombstone, dismissed: true }])
  expect(again.problems).toEqual([])
  await w.stopBob()
  expect(leftovers(await scan(w.file, w.master), w.org, [w.org, w.group], w.markers)).toEqual([])
}, 120_000)

test('[M30] a wipe cut short between its tombstone and the deletion (and part way through) is finished on the next open', async () => {
  const w = await world('C')
  const bobDevice = w.bob().messenger.identity!.deviceId
  await w.stopBob()
  await w.admin.messenger.team.removeDevice(w.org, bobDevice)
  await until(() => w.admin.messenger.queuedMail === 0, 'the removal notice has left the admin')

  // The state a crash leaves: the pending tombstone written (step 1), one document already deleted.
  const store = await openAtRest(openSqliteLocalStore(w.file), { kind: 'key', master: w.master })
  const docs = [w.org, w.group].flatMap((s) => [s as string as DocId, segmentDocId(s, 0)])
  const time = Date.now()
  await store.write([writeTombstone({ org: w.org, name: 'Wipe C Ltd', time, reason: 'device-removed', conversation: false, dismissed: false }, { spaces: [w.org, w.group], docs })])
  await store.removeRange(['am', documentId(segmentDocId(w.org, 0))])
  await store.close()

  const bob = await w.reopenBob()
  expect(bob.messenger.wiped()).toEqual([{ org: w.org, name: 'Wipe C Ltd', time, reason: 'device-removed', conversation: false, dismissed: false, pending: false }])
  expect(bob.messenger.conversations().map((c) => c.conv)).toEqual([w.side])
  bob.messenger.start()
  await bob.messenger.openConversation(w.side)
  await w.admin.messenger.send(w.side, 'after the crash')
  await until(() => texts(bob, w.side).includes('after the crash'), 'the side conversation goes on')
  await pause(500)
  expect(bob.problems).toEqual([])
  await w.stopBob()
  expect(leftovers(await scan(w.file, w.master), w.org, [w.org, w.group], w.markers)).toEqual([])
}, 120_000)

test('[M30] removed from a group only, a device keeps everything; the device of a person whose other device was removed keeps everything', async () => {
  const admin = await env.persona('AdminG')
  const bob = await env.persona('BobG')
  const carol = await env.persona('CarolG')
  for (const p of [admin, bob, carol]) p.messenger.start()
  const org = await enrol(admin, [bob, carol], 'Group Only Ltd')
  const group = await groupWith(admin, org, 'Dock', [bob, carol])
  await admin.messenger.send(group, 'dock history')
  await until(() => texts(bob, group).includes('dock history'), 'bob read the group')

  // Bob's laptop joins, then is lost: only the laptop wipes.
  const laptop = await env.persona('BobG laptop')
  laptop.messenger.start()
  await laptop.messenger.team.acceptInvite((await bob.messenger.team.linkDevice(org, 'http://x')).link)
  await until(() => laptop.messenger.conversations().some((c) => c.conv === group), 'the laptop has the group')
  await bob.messenger.team.removeDevice(org, laptop.messenger.identity!.deviceId)
  await until(() => laptop.messenger.wiped().some((t) => t.org === org && !t.pending) && laptop.messenger.conversations().length === 0, 'the lost laptop wipes')
  expect(laptop.messenger.wiped()).toMatchObject([{ org, reason: 'device-removed' }])
  expect(laptop.messenger.conversations()).toEqual([])

  // Bob is then removed from the group, not the organisation: nothing is wiped on his phone.
  await admin.messenger.team.removeFromGroup(group, userOf(bob, org))
  await until(() => bob.messenger.accessLost(group), 'bob is out of the group')
  await admin.messenger.send(org, 'org goes on')
  await until(() => texts(bob, org).includes('org goes on'), 'bob still reads the organisation')
  await pause(300)
  expect(bob.messenger.wiped()).toEqual([])
  expect(texts(bob, group)).toContain('dock history')
  expect(bob.messenger.conversations().map((c) => c.conv)).toEqual(expect.arrayContaining([org, group]))
}, 120_000)

test('[M30] attack: a member who is no admin signs a removal of Carol (her person, then her device); the resolver rejects both and Carol\'s device wipes nothing', async () => {
  const admin = await env.persona('AdminF')
  const eve = await env.persona('EveF')
  const carol = await env.persona('CarolF')
  for (const p of [admin, eve, carol]) p.messenger.start()
  const org = await enrol(admin, [eve, carol], 'Forged Ltd')
  const group = await groupWith(admin, org, 'Yard F', [eve, carol])
  await admin.messenger.send(group, 'before the forgery')
  await until(() => texts(carol, group).includes('before the forgery'), 'carol read the group')

  // Eve's modified client signs what only an admin (or Carol herself) may, and mails it to everyone.
  const core = eve.messenger.team.core
  const byUser = await core.sign(org, { kind: 'remove-user', user: userOf(carol, org) })
  const byDevice = await core.sign(org, { kind: 'remove-device', device: fromHex(carol.messenger.team.core.spaces.me)! })
  await core.send(org, undefined, undefined, [byUser, byDevice])
  await until(() => carol.messenger.team.core.spaces.graph(org).has(byDevice.id), 'the forged ops reached carol')
  const state = carol.messenger.team.core.spaces.org(org)
  expect(state.ignored.has(byUser.id) && state.ignored.has(byDevice.id)).toBe(true)

  await admin.messenger.send(group, 'after the forgery')
  await until(() => texts(carol, group).includes('after the forgery'), 'carol still reads')
  await pause(500)
  expect(carol.messenger.wiped()).toEqual([])
  expect(carol.messenger.conversations().map((c) => c.conv)).toEqual(expect.arrayContaining([org, group]))
  expect(texts(carol, group)).toContain('before the forgery')
}, 120_000)
