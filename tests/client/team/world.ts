import { deriveMailboxKey, createSigner, generateDeviceKeys, randomBytes, toHex, type DeviceKeys, type Signer } from '../../../crypto/index.js'
import { OpGraph } from '../../../client/core/team/graph.js'
import { signOp, type Op, type OpBody } from '../../../client/core/team/ops.js'
import { resolveOrg, type OrgState } from '../../../client/core/team/org.js'
import { resolveGroup } from '../../../client/core/team/group.js'

/** Personas for team tests: each user has one device (signing + box keys) and a signer. */
export interface Person {
  readonly user: string
  readonly keys: DeviceKeys
  readonly signer: Signer
  readonly device: string
}

export function person(user: string): Person {
  const keys = generateDeviceKeys()
  return { user, keys, signer: createSigner(keys.signSecret), device: toHex(keys.signPublic) }
}

/** An organisation made sequentially by its founder: everyone admitted, `admins` promoted. */
export async function organisation(founder: Person, others: Person[], admins: Person[] = []): Promise<{ graph: OpGraph; org: OrgState }> {
  const graph = new OpGraph('org')
  const add = async (by: Person, body: OpBody) => {
    const op = await signOp(by.signer, 'org', graph.heads(), body)
    graph.add(op)
    return op
  }
  await add(founder, { kind: 'create-org', nonce: randomBytes(16), name: 'Acme Field Ops', user: founder.user, userName: founder.user, device: founder.keys.signPublic, box: founder.keys.boxPublic, mailbox: deriveMailboxKey(founder.keys.signSecret).address })
  for (const p of others) await add(founder, { kind: 'admit', user: p.user, userName: p.user, device: p.keys.signPublic, box: p.keys.boxPublic, mailbox: deriveMailboxKey(p.keys.signSecret).address })
  for (const p of admins) await add(founder, { kind: 'promote', user: p.user })
  return { graph, org: resolveOrg(graph) }
}

/** A fake rotation payload: the resolver checks recipients and authority, not box contents. */
export async function rotateOp(by: Person, graph: OpGraph, org: OrgState, to?: string[]): Promise<Op> {
  const devices = to ?? resolveGroup(graph, org).devices
  return signOp(by.signer, graph.space, graph.heads(), {
    kind: 'rotate',
    epoch: 1 + Math.floor(Math.random() * 0xfffffffe),
    ephemeral: randomBytes(32),
    boxes: { count: devices.length, hash: randomBytes(32) },
  })
}
