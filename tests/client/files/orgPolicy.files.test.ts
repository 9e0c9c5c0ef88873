import { describe, expect, test } from 'vitest'
import { fromHex, randomBytes, toHex } from '../../../crypto/index.js'
import { OpGraph } from '../../../client/core/team/graph.js'
import { signOp, readOp, MAX_POLICY_OP_BYTES, policyBodyBytes, type OpBody } from '../../../client/core/team/ops.js'
import { NO_POLICY, policyOpBody, resolveOrg, type OrgPolicy } from '../../../client/core/team/org.js'
import { ClientError } from '../../../client/core/errors.js'
import { parsePolicyChange } from '../../../client/cli/policyCommand.js'
import { organisation, person, type Person } from '../team/world.js'

/**
 * [T21] The organisation policy's file rules, blocklist and blocked domains: signed by an admin,
 * resolved alike on every device, bounded, and compatible with policy ops from before them.
 * Personas: Alice founds the organisation, Bob is an admin, Carol a member.
 */
const alice = person('alice')
const bob = person('bob')
const carol = person('carol')
const hash = (n: number) => toHex(Uint8Array.from({ length: 32 }, (_, i) => (n * 31 + i) & 0xff))
const base = { kind: 'policy', requireLock: false, autoLockMinutes: 0, forbidExport: false } as const

async function setup() {
  const { graph } = await organisation(alice, [bob, carol], [bob])
  const put = async (by: Person, body: OpBody, parents = graph.heads()) => {
    const op = await signOp(by.signer, 'org', parents, body)
    // Every op goes through the wire and back: what is tested is what a receiver parses.
    const read = await readOp(op.wire.bytes, op.wire.sig)
    if (!read) throw new Error('op does not parse')
    graph.add(read)
    return read
  }
  /** What an admin's device signs for a change, from the policy it resolves now. */
  const change = async (by: Person, c: Parameters<typeof policyOpBody>[1]) => put(by, policyOpBody(resolveOrg(graph).policy, c))
  return { graph, put, change, policy: (): OrgPolicy => resolveOrg(graph).policy }
}

describe('[T21] file rules, blocklist and blocked domains in the organisation policy', () => {
  test('[T21] a policy op from before the file settings (no files, hashes or domains) still parses and resolves as before', async () => {
    const { put, policy } = await setup()
    await put(alice, { ...base, requireLock: true })
    expect(policy()).toEqual({ requireLock: true, autoLockMinutes: 0, forbidExport: false })
    expect(policy().files).toBeUndefined()
    expect(policy().blockedDomains).toBeUndefined()
  })

  test('[T21] an admin blocks types, warns about others, limits the size, lists hashes and domains; every field resolves', async () => {
    const { change, policy } = await setup()
    await change(alice, { blockTypes: ['exe', 'disk-image'], warnTypes: ['zip'], maxFileMb: 500, blockHashes: [hash(1), hash(2)], blockDomains: ['evil.example', 'xn--pple-43d.com'] })
    expect(policy()).toEqual({
      ...NO_POLICY,
      files: { block: ['exe', 'disk-image'], warn: ['zip'], maxFileMb: 500, blockedHashes: [hash(1), hash(2)].sort() },
      blockedDomains: ['evil.example', 'xn--pple-43d.com'],
    })
  })

  test('[T21] lists are edits: a later op adds and removes without restating the list, and an op without file rules keeps them', async () => {
    const { change, put, policy } = await setup()
    await change(alice, { blockTypes: ['iso'], blockHashes: [hash(1), hash(2)], blockDomains: ['evil.example'] })
    const op = await change(bob, { blockHashes: [hash(3)], unblockHashes: [hash(1)], unblockDomains: ['evil.example'], blockDomains: ['worse.example'] })
    expect(op.body).toMatchObject({ hashes: { add: [fromHex(hash(3))], remove: [fromHex(hash(1))] } })
    expect(op.body).not.toHaveProperty('files')
    // An admin on an earlier version signs only the lock and export settings: the rest stays.
    await put(alice, { ...base, forbidExport: true })
    expect(policy()).toEqual({ ...NO_POLICY, forbidExport: true, files: { block: ['iso'], warn: [], maxFileMb: 0, blockedHashes: [hash(2), hash(3)].sort() }, blockedDomains: ['worse.example'] })
  })

  test('[T21] a member who is not an admin cannot add to or empty the blocklist', async () => {
    const { graph, change, put, policy } = await setup()
    await change(alice, { blockHashes: [hash(1)] })
    const sneaky = await put(carol, { ...base, hashes: { add: [], remove: [fromHex(hash(1))!] } })
    expect(resolveOrg(graph).ignored.has(sneaky.id)).toBe(true)
    expect(policy().files?.blockedHashes).toEqual([hash(1)])
  })

  test('[T21] concurrent edits of two admins resolve alike whatever order the ops arrive in ([T4])', async () => {
    const { graph, put, policy } = await setup()
    const heads = graph.heads()
    await put(alice, { ...base, hashes: { add: [fromHex(hash(1))!, fromHex(hash(2))!], remove: [] } }, heads)
    await put(bob, { ...base, hashes: { add: [fromHex(hash(3))!], remove: [fromHex(hash(2))!] } }, heads)
    const reversed = new OpGraph('org', [...graph.order()].reverse())
    expect(resolveOrg(reversed).policy).toEqual(policy())
    expect(policy().files?.blockedHashes).toContain(hash(3))
  })

  test('[T21] an op that would take the blocklist past 10,000 changes nothing, and a device refuses to sign it (M509)', async () => {
    const { graph, put, change, policy } = await setup()
    await put(alice, { ...base, hashes: { add: Array.from({ length: 9_999 }, () => randomBytes(32)), remove: [] } })
    expect(policy().files?.blockedHashes).toHaveLength(9_999)
    const over = await put(bob, { ...base, hashes: { add: [randomBytes(32), randomBytes(32)], remove: [] } })
    expect(resolveOrg(graph).ignored.has(over.id)).toBe(true)
    expect(policy().files?.blockedHashes).toHaveLength(9_999)
    await expect(change(bob, { blockHashes: [hash(7), hash(8)] })).rejects.toMatchObject({ code: 'M509_POLICY_INVALID' })
    await change(bob, { blockHashes: [hash(7)] })
    expect(policy().files?.blockedHashes).toHaveLength(10_000)
  })

  test('[T21] a hostile policy op is dropped, not clamped: a bad type, a bad domain, a short hash, too many rules, too many bytes', async () => {
    const bad: OpBody[] = [
      { ...base, files: { block: ['EXE'], warn: [], maxMb: 0 } },
      { ...base, files: { block: [], warn: [], maxMb: -1 } },
      { ...base, files: { block: Array.from({ length: 257 }, (_, i) => `t${i}`), warn: [], maxMb: 0 } },
      { ...base, domains: { add: ['evil.example.'], remove: [] } },
      { ...base, domains: { add: ['localhost'], remove: [] } },
      { ...base, hashes: { add: [randomBytes(31)], remove: [] } },
      { ...base, hashes: { add: Array.from({ length: 10_001 }, () => randomBytes(32)), remove: [] } },
      { ...base, domains: { add: Array.from({ length: 2_000 }, (_, i) => `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.x${i}.example`), remove: [] } },
    ]
    for (const body of bad) {
      const op = await signOp(alice.signer, 'org', [], body)
      expect(await readOp(op.wire.bytes, op.wire.sig), JSON.stringify(body).slice(0, 80)).toBeUndefined()
    }
  })

  test('[T21] the largest op a device signs stays within the op bound and parses on a receiver: 10,000 hashes in one change fit', async () => {
    const distinct = (i: number) => toHex(Uint8Array.from({ length: 32 }, (_, j) => (j === 0 ? i & 0xff : j === 1 ? i >> 8 : j)))
    const body = policyOpBody(NO_POLICY, { blockHashes: Array.from({ length: 10_000 }, (_, i) => distinct(i)) })
    expect(body.hashes?.add).toHaveLength(10_000)
    expect(policyBodyBytes(body)).toBeLessThanOrEqual(MAX_POLICY_OP_BYTES)
    const op = await signOp(alice.signer, 'org', [], body)
    expect(op.wire.bytes.length - 200).toBeLessThanOrEqual(policyBodyBytes(body))
    expect(await readOp(op.wire.bytes, op.wire.sig)).toBeDefined()
    expect(() => policyOpBody(NO_POLICY, { blockDomains: Array.from({ length: 2_000 }, (_, i) => `${'a'.repeat(60)}.${'b'.repeat(60)}.${'c'.repeat(60)}.x${i}.example`) })).toThrow(ClientError)
  })

  test('[T21] setPolicy\'s body: bad values are M509 before anything is signed; edits that change nothing are left out', () => {
    for (const c of [{ blockTypes: ['.exe'] }, { maxFileMb: 1.5 }, { blockHashes: ['abc'] }, { blockDomains: ['not a domain'] }, { autoLockMinutes: 20_000 }]) {
      expect(() => policyOpBody(NO_POLICY, c), JSON.stringify(c)).toThrow(expect.objectContaining({ code: 'M509_POLICY_INVALID' }))
    }
    const current: OrgPolicy = { ...NO_POLICY, files: { block: [], warn: [], maxFileMb: 0, blockedHashes: [hash(1)] }, blockedDomains: ['evil.example'] }
    const body = policyOpBody(current, { blockHashes: [hash(1)], unblockHashes: [hash(9)], blockDomains: ['evil.example'], requireLock: true })
    expect(body).toEqual({ ...base, requireLock: true })
  })
})

describe('[T21] the CLI\'s policy settings', () => {
  test('[T21] block-type, warn-type, max-file-mb, block-hash, unblock-hash, block-domain, unblock-domain are read and normalised', () => {
    const h = hash(5)
    expect(parsePolicyChange(['block-type=.EXE,iso,executable', 'warn-type=zip', 'max-file-mb=500', `block-hash=${h.toUpperCase()}`, `unblock-hash=${hash(6)}`, 'block-domain=Évil.Example.,worse.example', 'unblock-domain=old.example'])).toEqual({
      blockTypes: ['exe', 'iso', 'executable'], warnTypes: ['zip'], maxFileMb: 500, blockHashes: [h], unblockHashes: [hash(6)], blockDomains: ['xn--vil-9la.example', 'worse.example'], unblockDomains: ['old.example'],
    })
    expect(parsePolicyChange(['block-type=none', 'warn-type='])).toEqual({ blockTypes: [], warnTypes: [] })
  })

  test('[T21] a setting of the wrong shape is a usage error; a value the policy cannot hold is M509', () => {
    for (const bad of ['max-file-mb=big', 'block-hash=', 'block-domain', 'colour=red']) expect(() => parsePolicyChange([bad])).toThrow(/not a policy setting/)
    for (const bad of ['block-hash=abc', 'block-domain=a b', 'block-type=ex.e', 'warn-type=a-very-long-type-name']) {
      expect(() => parsePolicyChange([bad]), bad).toThrow(expect.objectContaining({ code: 'M509_POLICY_INVALID' }))
    }
  })
})
