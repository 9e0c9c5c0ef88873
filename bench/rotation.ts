/**
 * npm run bench:rotation — removing one member from a group of 10, 100 and 1,000 devices.
 * For each size: CPU time on the admin's device (resolve, sign the removal, seal the new epoch
 * key to every remaining device, sign the rotation), bytes uploaded (both ops as the envelopes
 * that would carry them, padded), and time until every remaining device can read the next
 * message (admin's wall time + the slowest device's verify/resolve/open, measured on a sample of
 * devices in this process: network transfer excluded). The named peer is per-recipient signed
 * lockboxes (one ephemeral key + one Ed25519 signature per device, localfirst/auth style) using
 * crypto/lockbox.ts, in the same run. Last line of stdout: JSON.
 */
import {
  ZERO_HASH, asBoxPublicKey, createSigner, generateDeviceKeys, generateEpochKey, openEpochKey, randomBytes, sealChain,
  sealEnvelope, sealEpochKey, sealLockbox, toHex, utf8, type DeviceKeys,
} from '../crypto/index.js'
import { OpGraph } from '../client/core/team/graph.js'
import { readOp, signOp, type Op, type OpBody } from '../client/core/team/ops.js'
import { resolveOrg } from '../client/core/team/org.js'
import { resolveGroup } from '../client/core/team/group.js'
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
  const org = new OpGraph('org')
  const admin = people[0]!
  const put = async (graph: OpGraph, body: OpBody) => graph.add(await signOp(signers[0]!, graph.space, graph.heads(), body))
  await put(org, { kind: 'create-org', nonce: randomBytes(16), name: 'Acme', user: admin.user, userName: 'Admin', device: admin.keys.signPublic, box: admin.keys.boxPublic })
  for (const p of people.slice(1)) await put(org, { kind: 'admit', user: p.user, userName: p.user, device: p.keys.signPublic, box: p.keys.boxPublic })
  const orgState = resolveOrg(org)
  const group = new OpGraph('grp')
  await put(group, { kind: 'create-group', nonce: randomBytes(16), name: 'Depot', user: admin.user, history: true })
  for (const p of people.slice(1)) await put(group, { kind: 'add', user: p.user })
  return { people, signers, orgState, group }
}

/** What travels: each op sealed in an envelope under the current epoch key (sizes are padded). */
async function envelopeBytes(op: Op, keys: DeviceKeys): Promise<number> {
  const header = { v: 1 as const, conv: randomBytes(16), doc: randomBytes(16), epoch: 1, device: keys.signPublic, seq: 1, prev: ZERO_HASH }
  const payload = new Uint8Array(op.wire.bytes.length + op.wire.sig.length)
  return (await sealEnvelope(header, payload, generateEpochKey(), createSigner(keys.signSecret))).bytes.length
}

async function ours(n: number) {
  const { people, signers, orgState, group } = await setup(n)
  const admin = people[0]!
  const victim = people[n - 1]!
  const context = utf8.encode(`grp/${n}`)
  const previous = { epoch: 1, key: generateEpochKey() }

  const wall0 = performance.now()
  const cpu0 = process.cpuUsage()
  const removal = await signOp(signers[0]!, 'grp', group.heads(), { kind: 'remove', user: victim.user })
  group.add(removal)
  const state = resolveGroup(group, orgState)
  const recipients = state.devices.map((d) => orgState.users.get(orgState.bindings.get(d)!)!.devices.get(d)!).map(asBoxPublicKey)
  const key = generateEpochKey()
  const sealed = await sealEpochKey(key, recipients, context)
  const rotation = await signOp(signers[0]!, 'grp', group.heads(), {
    kind: 'rotate', epoch: 2, ephemeral: sealed.ephemeral, boxes: sealed.boxes, chain: sealChain(key, previous, context),
  })
  group.add(rotation)
  const adminCpu = cpuMs(cpu0)
  const adminWall = performance.now() - wall0
  const upload = (await envelopeBytes(removal, admin.keys)) + (await envelopeBytes(rotation, admin.keys))

  // A receiving device: verify both ops, resolve, find its box, open it.
  let slowest = 0
  for (const p of people.slice(1, 1 + SAMPLE_DEVICES)) {
    const t = performance.now()
    const ops = await Promise.all([removal, rotation].map((op) => readOp(op.wire.bytes, op.wire.sig)))
    const g = new OpGraph('grp', group.all().filter((op) => op.id !== removal.id && op.id !== rotation.id))
    for (const op of ops) g.add(op!)
    const s = resolveGroup(g, orgState)
    if (s.current?.op !== rotation.id) throw new Error('rotation not accepted')
    const index = s.current.recipients.indexOf(toHex(p.keys.signPublic))
    const opened = openEpochKey({ ephemeral: sealed.ephemeral, box: sealed.boxes[index]! }, index, p.keys.boxSecret, context)
    if (!opened.ok) throw new Error('box did not open')
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
