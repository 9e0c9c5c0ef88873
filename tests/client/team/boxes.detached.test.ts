import { describe, expect, test } from 'vitest'
import { deriveMailboxKey, createSigner, generateDeviceKeys, randomBytes, toHex, type EpochKey } from '../../../crypto/index.js'
import { newConvId } from '../../../client/core/ids.js'
import { sealBundle } from '../../../client/core/team/bundle.js'
import { OpGraph } from '../../../client/core/team/graph.js'
import { signOp, type Op } from '../../../client/core/team/ops.js'
import { resolveOrg } from '../../../client/core/team/org.js'
import { encodeBoxes, makeRotation, openRotation, readBoxes } from '../../../client/core/team/rotation.js'

/** An organisation where every admission was followed by a rotation to every device (as the app does). */
async function grownOrg(n: number) {
  const space = newConvId()
  const founder = generateDeviceKeys()
  const signer = createSigner(founder.signSecret)
  const g = new OpGraph(space)
  const put = async (body: Parameters<typeof signOp>[3]) => {
    const op = await signOp(signer, space, g.heads(), body)
    g.add(op)
    return op
  }
  await put({ kind: 'create-org', nonce: randomBytes(16), name: 'Big', user: 'u0', userName: 'Founder', device: founder.signPublic, box: founder.boxPublic, mailbox: deriveMailboxKey(founder.signSecret).address })
  let last: { op: Op; boxes: Awaited<ReturnType<typeof makeRotation>>['boxes']; epochKey: EpochKey; adminKey: EpochKey } | undefined
  const people = [founder]
  for (let i = 1; i <= n; i++) {
    const p = generateDeviceKeys()
    people.push(p)
    await put({ kind: 'admit', user: `u${i}`, userName: `Person ${i}`, device: p.signPublic, box: p.boxPublic, mailbox: deriveMailboxKey(p.signSecret).address })
    const s = resolveOrg(g)
    const boxOf = (d: string) => s.users.get(s.bindings.get(d)!)!.devices.get(d)!
    const made = await makeRotation({ space, existing: new Set(s.epochs.map((e) => e.epoch)), members: s.devices.map(boxOf), admins: s.adminDevices.map(boxOf), adminSecret: randomBytes(32) })
    last = { op: await put(made.body), boxes: made.boxes, epochKey: made.key, adminKey: made.adminKey }
  }
  return { space, g, last: last!, people }
}

describe('[T16] rotation boxes travel detached from the signed op', () => {
  test('[T16] a newcomer\'s whole-graph bundle grows linearly with the organisation, not with the square of it', async () => {
    const small = await grownOrg(10)
    const large = await grownOrg(40)
    const size = async (o: Awaited<ReturnType<typeof grownOrg>>) =>
      (await sealBundle({ space: o.space, kind: 'org', org: o.space, epoch: 1, key: randomBytes(32), rotation: o.last, ops: o.g.order().filter((op) => op.id !== o.last.op.id) })).length
    const [s10, s40] = [await size(small), await size(large)]
    // 4× the people: about 4× the bytes (boxes inside every op would make it about 16×).
    expect(s40 / s10).toBeLessThan(5)
    // Sealed whole ([T20]), the bundle is padded to a size bucket: at most twice its content.
    expect(s40).toBeLessThan(2 * 40 * 1200)
    expect(resolveOrg(large.g).epochs).toHaveLength(40)
  })

  test('[T16] boxes that do not match the count and hash the rotation signs are refused; the right ones open', async () => {
    const o = await grownOrg(3)
    const body = o.last.op.body
    if (body.kind !== 'rotate') throw new Error('not a rotation')
    const good = readBoxes(encodeBoxes(o.last.boxes), body)
    expect(good).toBeDefined()
    const swapped = { members: [...o.last.boxes.members].reverse(), admins: o.last.boxes.admins }
    expect(readBoxes(encodeBoxes(swapped), body)).toBeUndefined()
    const flipped = { members: o.last.boxes.members.map((b, i) => (i === 0 ? Uint8Array.from(b, (x, j) => (j === 0 ? x ^ 1 : x)) : b)), admins: o.last.boxes.admins }
    expect(readBoxes(encodeBoxes(flipped), body)).toBeUndefined()
    expect(readBoxes(encodeBoxes({ members: o.last.boxes.members.slice(1), admins: o.last.boxes.admins }), body)).toBeUndefined()
    const state = resolveOrg(o.g)
    const newest = o.people[o.people.length - 1]!
    const index = state.current!.recipients.indexOf(toHex(newest.signPublic))
    expect(openRotation(o.space, body, good!, newest.boxSecret, { member: index, admin: -1 }).key).toBeDefined()
  })
})
