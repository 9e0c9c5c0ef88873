/**
 * npm run bench:rotation — removing one member from a group of 10, 100 and 1,000 devices.
 * For each size: CPU time on the admin's device (sign the removal, resolve, make the rotation,
 * sign it, seal the bundles), bytes uploaded (the `mail` frames as encoded), and time until
 * every remaining device can read the next message (admin's wall time + the slowest device's
 * bundle/verify/resolve/open, measured on a sample of devices in this process: network excluded). The named peer is per-recipient signed
 * lockboxes (one ephemeral key + one Ed25519 signature per device, localfirst/auth style) using
 * crypto/lockbox.ts, in the same run. Last line of stdout: JSON.
 */
import { deriveMailboxKey, createSigner, fromHex, generateDeviceKeys, generateEpochKey, randomBytes, sealLockbox, toHex, utf8 } from '../crypto/index.js'
import { encodeFrame, type ConvId } from '../protocol/index.js'
import { newConvId } from '../client/core/ids.js'
import { openBundle, parseBundle, sealBundle } from '../client/core/team/bundle.js'
import { makeRotation, openRotation, readBoxes } from '../client/core/team/rotation.js'
import { OpGraph } from '../client/core/team/graph.js'
import { readOp, signOp, type OpBody } from '../client/core/team/ops.js'
import { resolveOrg } from '../client/core/team/org.js'
import { resolveGroup } from '../client/core/team/group.js'
import { decoysFor } from '../client/core/outbox/mailOutbox.js'
import { round } from './procs.js'

const SIZES = (process.env.BENCH_SIZES ?? '10,100,1000').split(',').map(Number)
const SAMPLE_DEVICES = 5

const cpuMs = (start: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(start)
  return (d.user + d.system) / 1000
}

async function setup(n: number) {
  const people = Array.from({ length: n }, (_, i) => ({ user: `u${i}`, keys: generateDeviceKeys() }))
  const signers = people.map((p) => createSigner(p.keys.signSecret))
  const org = new OpGraph(newConvId())
  const space = newConvId()
  const admin = people[0]!
  const put = async (graph: OpGraph, body: OpBody) => graph.add(await signOp(signers[0]!, graph.space, graph.heads(), body))
  await put(org, { kind: 'create-org', nonce: randomBytes(16), name: 'Acme', user: admin.user, userName: 'Admin', device: admin.keys.signPublic, box: admin.keys.boxPublic, mailbox: deriveMailboxKey(admin.keys.signSecret).address })
  for (const p of people.slice(1)) await put(org, { kind: 'admit', user: p.user, userName: p.user, device: p.keys.signPublic, box: p.keys.boxPublic, mailbox: deriveMailboxKey(p.keys.signSecret).address })
  const orgState = resolveOrg(org)
  const group = new OpGraph(space)
  await put(group, { kind: 'create-group', nonce: randomBytes(16), name: 'Depot', user: admin.user, history: true })
  for (const p of people.slice(1)) await put(group, { kind: 'add', user: p.user })
  return { people, signers, orgState, org, group, space }
}

/**
 * The real path (client/core/team): the admin signs the removal, makes the rotation (epoch key
 * to every member device, roster and admin keys, key chain), and posts bundles by mail: the ops
 * since the last epoch with the rotation to the remaining devices (one post), and the removal
 * under the old roster key to the removed device. Upload = the `mail` frames as encoded.
 */
async function ours(n: number) {
  const { people, signers, orgState, org, group, space } = await setup(n)
  const admin = people[0]!
  const victim = people[n - 1]!
  const adminSecret = randomBytes(32)
  const previous = { epoch: 1, key: generateEpochKey() }
  const oldRoster = randomBytes(32)
  const boxOf = (d: string) => orgState.users.get(orgState.bindings.get(d)!)!.devices.get(d)!

  const pool = randomBytes(32)
  // Mailbox addresses as the directory holds them (orgState.mailboxes), not derived on the way.
  const mailbox = orgState.mailboxes
  const wall0 = performance.now()
  const cpu0 = process.cpuUsage()
  const removal = await signOp(signers[0]!, space, group.heads(), { kind: 'remove', user: victim.user })
  group.add(removal)
  const state = resolveGroup(group, orgState, org)
  const made = await makeRotation({
    space, existing: new Set([previous.epoch]), members: state.devices.map(boxOf), admins: state.adminDevices.map(boxOf), adminSecret, previous, orgHeads: org.heads(),
  })
  const rotation = await signOp(signers[0]!, space, group.heads(), made.body)
  group.add(rotation)
  const detached = { op: rotation, boxes: made.boxes, epochKey: made.key, adminKey: made.adminKey }
  const base = { space, kind: 'group' as const, org: org.space as ConvId }
  const toMembers = await sealBundle({ ...base, epoch: made.body.epoch, key: made.roster, rotation: detached, ops: [removal] })
  const toRemoved = await sealBundle({ ...base, epoch: previous.epoch, key: oldRoster, ops: [removal] })
  // As the mail outbox posts them: to mailbox addresses, padded with decoys from the
  // organisation's pool to a bucket ([M27]).
  const members = state.devices.filter((d) => d !== toHex(admin.keys.signPublic)).map((d) => mailbox.get(d)!)
  const frames = [
    encodeFrame({ type: 'mail', id: 1, to: members, decoys: decoysFor(members.length, pool), items: [toMembers] }),
    encodeFrame({ type: 'mail', id: 2, to: [mailbox.get(toHex(victim.keys.signPublic))!], decoys: decoysFor(1, pool), items: [toRemoved] }),
  ]
  const adminCpu = cpuMs(cpu0)
  const adminWall = performance.now() - wall0
  const upload = frames.reduce((s, f) => s + f.length, 0)

  // A receiving device: parse the bundle, find its roster key by trial, verify the ops, resolve, open its key box.
  let slowest = 0
  const before = group.all().filter((op) => op.id !== removal.id && op.id !== rotation.id)
  for (const p of people.slice(1, 1 + SAMPLE_DEVICES)) {
    const t = performance.now()
    const bundle = await openBundle(parseBundle(toMembers)!, [], p.keys.boxSecret)
    if (!bundle) throw new Error('bundle did not open')
    const g = new OpGraph(space, before)
    for (const w of bundle.wires) g.add((await readOp(w.b, w.s))!)
    const s = resolveGroup(g, orgState, org)
    if (s.current?.op !== rotation.id) throw new Error('rotation not accepted')
    const me = toHex(p.keys.signPublic)
    const opened = openRotation(space, made.body, readBoxes(bundle.wires[0]!.x!, made.body)!, p.keys.boxSecret, { member: s.current.recipients.indexOf(me), admin: s.current.admins.indexOf(me) })
    if (!opened.key) throw new Error('box did not open')
    slowest = Math.max(slowest, performance.now() - t)
  }
  return { devices: n, cpuMs: round(adminCpu), uploadBytes: upload, readyMs: round(adminWall + slowest), adminWallMs: round(adminWall), slowestDeviceMs: round(slowest) }
}

async function peer(n: number) {
  const people = Array.from({ length: n }, () => generateDeviceKeys())
  const admin = createSigner(people[0]!.signSecret)
  const key = generateEpochKey()
  const cpu0 = process.cpuUsage()
  const boxes = []
  for (const p of people.slice(1, n - 1)) boxes.push(await sealLockbox(key, p.boxPublic, utf8.encode('grp/2'), admin))
  return { devices: n, cpuMs: round(cpuMs(cpu0)), uploadBytes: boxes.reduce((s, b) => s + b.length, 0) }
}

const results = []
for (const n of SIZES) {
  const o = await ours(n)
  const p = await peer(n)
  results.push({ ...o, peer: p, ratio: { cpu: round(p.cpuMs / o.cpuMs, 2), upload: round(p.uploadBytes / o.uploadBytes, 2) } })
  console.error(`${n} devices: ${o.cpuMs} ms CPU, ${o.uploadBytes} B, ready in ${o.readyMs} ms (peer ${p.cpuMs} ms, ${p.uploadBytes} B)`)
}
console.log(JSON.stringify({ peerSystem: 'per-recipient signed lockboxes (crypto/lockbox.ts, localfirst/auth style)', results }))
process.exit(0)
