import { expect, test } from 'vitest'
import { fromHex, randomBytes, toBase64Url } from '../../crypto/index.js'
import type { ConvId, ServerMessage } from '../../protocol/index.js'
import { sealBundle } from '../../client/core/team/bundle.js'
import { makeRotation } from '../../client/core/team/rotation.js'
import { sealJoinRequest, parseOrgInvitation } from '../../client/core/team/orgInvite.js'
import { generateDeviceKeys } from '../../crypto/index.js'
import { texts, until, type Persona } from './helpers/clients.js'
import { useServer } from './helpers/lifecycle.js'
import { tappedLink } from './helpers/tappedSocket.js'
import { keysServerAccepts } from './helpers/capability.js'
import { addKeyByHand, enrol, groupWith, userOf } from './helpers/team.js'

const env = useServer()
const me = (p: Persona) => p.messenger.team.core.me
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Admin, Bob and Carol in an organisation and a group "Yard"; Carol's link can be tapped. */
async function world(tag: string) {
  const tap = tappedLink()
  const admin = await env.persona(`Admin${tag}`)
  const bob = await env.persona(`Bob${tag}`)
  const carol = await env.persona(`Carol${tag}`, { socket: tap.socket })
  for (const p of [admin, bob, carol]) p.messenger.start()
  const org = await enrol(admin, [bob, carol], `Org ${tag}`)
  const group = await groupWith(admin, org, 'Yard', [bob, carol])
  return { tap, admin, bob, carol, org, group }
}

/** Bob's modified client posts a bundle of `ops` under the newest roster key he still holds. */
async function bobPosts(bob: Persona, group: ConvId, org: ConvId, to: Persona[], ops: Parameters<typeof sealBundle>[0]['ops'], rotation?: Parameters<typeof sealBundle>[0]['rotation']) {
  const { rosters } = bob.messenger.team.core.spaces.keysOf(group)
  const [epoch, key] = [...rosters].pop()!
  const body = await sealBundle({ space: group, kind: 'group', org, epoch: rotation?.op.body.kind === 'rotate' ? rotation.op.body.epoch : epoch, key, ops, ...(rotation ? { rotation } : {}) })
  await bob.messenger.team.core.deps.mailOut.add([{ to: to.map((p) => p.messenger.identity!.mailbox), body }])
  await bob.messenger.team.core.deps.engine.flushMail()
}

test('[T5][T6][T10] a removed member with old keys and a modified client: cannot read, push, forge ops, inject a lockbox or replay; nothing of theirs shows', async () => {
  const { admin, bob, carol, org, group } = await world('A')
  await bob.messenger.send(group, 'bob before')
  await until(() => texts(carol, group).includes('bob before'), 'bob heard')
  const oldOps = bob.messenger.team.core.spaces.graph(group).order()
  await admin.messenger.team.removeFromGroup(group, userOf(bob, org))
  await until(() => bob.messenger.accessLost(group) && carol.messenger.members(group).size === 2, 'bob out')
  const epochBefore = carol.messenger.epochKeys(group).length

  // Read: the server accepts none of his keys, and he holds no key of the new epoch.
  await until(async () => (await keysServerAccepts(env.server().url, group, bob.messenger.epochKeys(group))).length === 0, 'server refuses bob')
  const carolEpochs = new Set(carol.messenger.epochKeys(group).map((k) => k.epoch))
  const bobEpochs = new Set(bob.messenger.epochKeys(group).map((k) => k.epoch))
  const newest = carol.messenger.team.group(group)!.current!.epoch
  expect(carolEpochs.has(newest)).toBe(true)
  expect(bobEpochs.has(newest)).toBe(false)

  // Push: what he writes now never reaches the others.
  await bob.messenger.send(group, 'bob sneaks in').catch(() => undefined)

  // Forge: he signs "add me back" and "remove Carol", and a rotation sealed to everyone (a lockbox).
  const spaces = bob.messenger.team.core.spaces
  const addBack = await spaces.sign(group, { kind: 'add', user: userOf(bob, org) })
  const removeCarol = await spaces.sign(group, { kind: 'remove', user: userOf(carol, org) })
  const orgState = spaces.org(org)
  const boxes = [me(admin), me(bob), me(carol)].sort().map((d) => orgState.users.get(orgState.bindings.get(d)!)!.devices.get(d)!)
  const made = await makeRotation({ space: group, existing: new Set(), members: boxes, admins: boxes, adminSecret: randomBytes(32), orgHeads: spaces.graph(org).heads() })
  const lockbox = { op: await spaces.sign(group, made.body, made.boxes), boxes: made.boxes, epochKey: made.key, adminKey: made.adminKey }
  await bobPosts(bob, group, org, [admin, carol], [addBack, removeCarol])
  await bobPosts(bob, group, org, [admin, carol], [addBack], lockbox)
  // Replay: the ops that once added him, again.
  await bobPosts(bob, group, org, [admin, carol], oldOps)

  await admin.messenger.send(group, 'after the attacks')
  await until(() => texts(carol, group).includes('after the attacks'), 'group goes on')
  await pause(500)
  for (const p of [admin, carol]) {
    const state = p.messenger.team.group(group)!
    expect([...state.members.keys()].sort()).toEqual([userOf(admin, org), userOf(carol, org)].sort())
    expect(state.current!.epoch).toBe(newest)
    expect(state.ignored.has(addBack.id) || !p.messenger.team.core.spaces.graph(group).has(addBack.id)).toBe(true)
    expect(state.epochs.some((e) => e.op === lockbox.op.id)).toBe(false)
    expect(texts(p, group)).not.toContain('bob sneaks in')
    expect(p.messenger.epochKeys(group).length).toBe(epochBefore)
  }
  expect(texts(bob, group)).not.toContain('after the attacks')
})

test('[T12][K5] malicious server: a join request with substituted device keys (not signed with the invitation) admits nobody and is reported', async () => {
  const admin = await env.persona('AdminSub')
  admin.messenger.start()
  const org = await admin.messenger.team.createOrg('Sub Ltd')
  const { link } = await admin.messenger.team.invite(org, 'http://x')
  const inv = parseOrgInvitation(link)
  // The server never sees the link's secret: it can only make up its own.
  const forged = await sealJoinRequest({ ...inv, secret: randomBytes(32) }, 'mallory', 'Bob', generateDeviceKeys())
  const { rawClient } = await import('./helpers/rawClient.js')
  const server = await rawClient(env.server().url)
  await server.hello()
  server.send({ type: 'mail', id: 1, to: [admin.messenger.identity!.mailbox], items: [forged] })
  await until(() => admin.problems.some((p) => p.includes('M505') && p.includes('not signed with the invitation')), 'forged answer refused')
  expect(admin.messenger.team.directory(org)).toHaveLength(1)
  server.socket.terminate()
})

test('[T13] malicious server: a tampered bundle is refused and changes nothing', async () => {
  const { admin, carol, tap, org, group } = await world('T')
  tap.filter = (m) => {
    if (m.type !== 'mailbox') return m
    return { ...m, items: m.items.map((i) => ({ ...i, body: flipLast(i.body) })) }
  }
  await admin.messenger.team.renameGroup(group, 'Renamed by admin')
  await until(() => carol.problems.some((p) => p.includes('M506')), 'carol refuses the tampered bundle')
  expect(carol.messenger.titleOf(group)).toBe('Yard')
  expect(carol.messenger.team.directory(org)).toHaveLength(3)
})

test('[T11][T13] malicious server: a withheld rotation is shown as "waiting for key", never as removal, and never silently accepted', async () => {
  const { admin, bob, carol, tap, org, group } = await world('D')
  let withheld = 0
  tap.filter = (m) => {
    if (m.type === 'mailbox') {
      withheld += m.items.length
      return undefined
    }
    return m
  }
  await admin.messenger.team.removeFromGroup(group, userOf(bob, org))
  await until(() => withheld > 0, 'the rotation reached the (malicious) server')
  await admin.messenger.send(group, 'secret after bob')
  await until(() => carol.messenger.waitingForKey(group), 'carol shows waiting for key', 20_000)
  expect(carol.messenger.accessLost(group)).toBe(false)
  expect(texts(carol, group)).not.toContain('secret after bob')
})

test('[T7][T13] malicious server: replaying an old rotation does not take a device back to an old epoch', async () => {
  const { admin, bob, carol, tap, org, group } = await world('P')
  const seen: Extract<ServerMessage, { type: 'mailbox' }>[] = []
  tap.filter = (m) => {
    if (m.type === 'mailbox') seen.push(m)
    return m
  }
  await admin.messenger.team.renameGroup(group, 'Yard 2')
  await until(() => carol.messenger.titleOf(group) === 'Yard 2', 'carol renamed')
  const old = seen.slice()
  await admin.messenger.team.removeFromGroup(group, userOf(bob, org))
  await until(() => carol.messenger.members(group).size === 2, 'bob out for carol')
  const current = carol.messenger.team.group(group)!.current!.epoch
  // The server plays the older bundles again (with fresh mailbox ids).
  for (const m of old) tap.inject({ ...m, items: m.items.map((i) => ({ ...i, id: i.id + 100_000 })) })
  await pause(500)
  expect(carol.messenger.team.group(group)!.current!.epoch).toBe(current)
  expect(carol.messenger.members(group).size).toBe(2)
  await carol.messenger.send(group, 'still on the new key')
  await until(() => texts(admin, group).includes('still on the new key'), 'admin reads carol')
  await pause(300)
  expect(texts(bob, group)).not.toContain('still on the new key')
})

function flipLast(b: Uint8Array): Uint8Array {
  const out = Uint8Array.from(b)
  out[out.length - 5]! ^= 1
  return out
}

test('[S10][K4] a removed group admin cannot move the server: his admin secret is stale and a rekey from an old epoch is refused', async () => {
  const { admin, bob, carol, org, group } = await world('K')
  await admin.messenger.team.setGroupAdmin(group, userOf(bob, org), true)
  await until(() => bob.messenger.team.canAdmin(group) && bob.messenger.team.core.spaces.keysOf(group).adminSecret !== undefined, 'bob is a group admin')
  const bobSecrets = [...bob.messenger.team.core.spaces.keysOf(group).adminSecrets]
  const bobKeys = bob.messenger.epochKeys(group)
  await admin.messenger.team.removeFromGroup(group, userOf(bob, org))
  await until(() => bob.messenger.accessLost(group), 'bob removed')
  const registry = (p: Persona) => (p.messenger as unknown as { registry: { get(c: ConvId): { serverEpoch?: number; epoch: number } | undefined } }).registry.get(group)!
  await until(() => registry(admin).serverEpoch === registry(admin).epoch, 'the server is at the new epoch')
  const serverEpoch = registry(admin).epoch

  const { rawClient } = await import('./helpers/rawClient.js')
  const { deriveAdminCapability, deriveCapability, rekeyProofBytes, generateEpochKey } = await import('../../crypto/index.js')
  const { ErrorCode, idBytes } = await import('../../protocol/index.js')
  const c = await rawClient(env.server().url)
  await c.hello()
  const conv = idBytes(group)
  const attempt = async (from: number, secret: Uint8Array) => {
    const cap = deriveCapability(generateEpochKey(), conv, 4242)
    const adminCap = deriveAdminCapability(secret, conv)
    const proof = await adminCap.signer.sign(rekeyProofBytes(c.challenge, conv, 4242, cap.publicKey, adminCap.publicKey))
    const from0 = c.received.length
    c.send({ type: 'rekey', conv, from, epoch: 4242, cap: cap.publicKey, admin: adminCap.publicKey, proof })
    for (let i = 0; i < 100; i++) {
      const reply = c.received.slice(from0).find((m) => m.type === 'error' || m.type === 'joined')
      if (reply) return reply
      await pause(30)
    }
    throw new Error('no answer')
  }
  // From an epoch Bob knew: refused as stale (and the server says where it is).
  const stale = await attempt(bobKeys[bobKeys.length - 1]!.epoch, bobSecrets[bobSecrets.length - 1]![1])
  expect(stale).toMatchObject({ type: 'error', code: ErrorCode.REKEY_CONFLICT, epoch: serverEpoch })
  // From the server's epoch, with every admin secret he ever had: refused.
  for (const [, secret] of bobSecrets) expect(await attempt(serverEpoch, secret)).toMatchObject({ type: 'error', code: ErrorCode.CAPABILITY_REJECTED })
  c.socket.terminate()
  await carol.messenger.send(group, 'server still ours')
  await until(() => texts(admin, group).includes('server still ours'), 'admin and carol keep talking')
})

/**
 * [T19] The removal race, with Carol's client modified to push the moment it learns that it was
 * removed (it keeps the old keys and still holds the old epoch's join on its connection).
 * `slowRekey`: the admin's rekey is held on its way to the server (the order that broke before:
 * Carol heard of her removal while the server still took her pushes); otherwise it goes at once.
 */
async function removalRace(tag: string, slowRekey: boolean, fromOrg = false) {
  const adminTap = tappedLink()
  const admin = await env.persona(`Admin${tag}`, { socket: adminTap.socket })
  const bob = await env.persona(`Bob${tag}`)
  const carol = await env.persona(`Carol${tag}`)
  for (const p of [admin, bob, carol]) p.messenger.start()
  const org = await enrol(admin, [bob, carol], `Org ${tag}`)
  const group = await groupWith(admin, org, 'Yard', [bob, carol])
  await carol.messenger.send(group, 'carol before')
  await until(() => texts(bob, group).includes('carol before'), 'carol heard')

  let toldAt = 0
  carol.messenger.events.on('access', ({ conv, lost }) => {
    if ((conv !== group && conv !== org) || !lost || toldAt) return
    toldAt = Date.now()
    void carol.messenger.send(group, 'carol after removal').catch(() => undefined)
  })
  const oldKeys = carol.messenger.epochKeys(group)
  let rekeySent = 0
  // Removed from the organisation, the organisation's rekey goes at once and only the group's
  // waits: hearing of the organisation's removal would tell Carol she is out of the group too.
  adminTap.hold = (m) => slowRekey && m.type === 'rekey' && !rekeySent && toBase64Url(m.conv) === group
  if (fromOrg) await admin.messenger.team.removeFromOrg(org, userOf(carol, org))
  else await admin.messenger.team.removeFromGroup(group, userOf(carol, org))
  if (slowRekey) {
    // The rekey waits on the admin's link: Carol must not hear of her removal meanwhile.
    await pause(1500)
    expect(toldAt).toBe(0)
    expect(await keysServerAccepts(env.server().url, group, oldKeys)).not.toHaveLength(0)
    rekeySent = Date.now()
    adminTap.release()
  }
  await until(() => toldAt > 0, 'carol is told she was removed')
  expect((await keysServerAccepts(env.server().url, group, oldKeys))).toHaveLength(0)
  await admin.messenger.send(group, 'after the removal')
  await until(() => texts(bob, group).includes('after the removal'), 'group goes on')
  await pause(800)
  for (const p of [admin, bob]) {
    expect(texts(p, group)).toContain('carol before')
    expect(texts(p, group)).not.toContain('carol after removal')
  }
}

test('[T19][S10] removal race, rekey held on the admin\'s link: Carol hears of her removal only once the server refuses her; her push never shows', async () => {
  await removalRace('R1', true)
})

test('[T19][S10] removal race, rekey at once: Carol pushes the moment she hears; the server refuses it and nothing of hers shows', async () => {
  await removalRace('R2', false)
})

test('[T19][T18] removal race, removed from the organisation while the group\'s rekey is held: the organisation\'s notice waits for it too', async () => {
  await removalRace('R3', true, true)
})

test('[M26][E13] a colluding member leaks the new key to a removed member: the server takes her envelopes, nobody shows them', async () => {
  const { admin, bob, carol, org, group } = await world('L')
  await admin.messenger.team.removeFromGroup(group, userOf(carol, org))
  await until(() => carol.messenger.accessLost(group), 'carol out')
  // Bob hands Carol the current key; her modified client joins with the capability it derives.
  const current = bob.messenger.team.group(group)!.current!.epoch
  const key = bob.messenger.epochKeys(group).find((k) => k.epoch === current)!.key
  await addKeyByHand(carol, group, current, key, true)
  await carol.messenger.send(group, 'carol with a leaked key')
  await until(() => carol.messenger.status.pending === 0, 'the server took carol\'s envelope')
  await admin.messenger.send(group, 'after the leak')
  await until(() => texts(bob, group).includes('after the leak'), 'group goes on')
  await pause(500)
  for (const p of [admin, bob]) {
    expect(texts(p, group)).not.toContain('carol with a leaked key')
    expect(p.problems.some((x) => x.startsWith('M304_NOT_EPOCH_MEMBER'))).toBe(true)
  }
})
