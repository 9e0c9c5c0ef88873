import fc from 'fast-check'
import nacl from 'tweetnacl'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import {
  asBoxPublicKey, BATCH_KIND, createSigner, EnvelopeAuthors, generateDeviceKeys, generateEpochKey, openChain, randomBytes, sealChain, sealEpochKey,
  sealEnvelope, sealLockbox, sealUnder, toHex, ZERO_HASH, type EpochKey,
} from '../../crypto/index.js'

/**
 * [C5] No (key, nonce) pair ever repeats anywhere in crypto/. Every symmetric seal in the folder
 * ends in tweetnacl's `secretbox` (`box` is `box.before` then `secretbox`), so the test watches
 * that one function while random sequences of every sealing construction run over a small pool
 * of keys and contexts (so that keys and contexts are reused as often as the product reuses them).
 */
const seen = new Map<string, number>()
let repeats = 0

beforeEach(() => {
  seen.clear()
  repeats = 0
  const real = nacl.secretbox
  vi.spyOn(nacl, 'secretbox').mockImplementation((msg: Uint8Array, nonce: Uint8Array, key: Uint8Array) => {
    const id = `${toHex(key)}/${toHex(nonce)}`
    if (seen.has(id)) repeats++
    seen.set(id, (seen.get(id) ?? 0) + 1)
    return real(msg, nonce, key)
  })
})
afterEach(() => vi.restoreAllMocks())

const keys = Array.from({ length: 3 }, () => generateEpochKey())
const contexts = Array.from({ length: 3 }, () => randomBytes(16))
const devices = Array.from({ length: 4 }, () => generateDeviceKeys())
const signer = createSigner(devices[0]!.signSecret)
const authors = new EnvelopeAuthors(devices[0]!.signSecret)

type Action =
  | { kind: 'chain'; key: number; ctx: number; epoch: number }
  | { kind: 'under'; key: number; ctx: number; purpose: number }
  | { kind: 'rotation'; key: number; ctx: number; recipients: number[] }
  | { kind: 'lockbox'; to: number; ctx: number }
  | { kind: 'envelope'; key: number; seq: number }

const index = (n: number) => fc.integer({ min: 0, max: n - 1 })
const action: fc.Arbitrary<Action> = fc.oneof(
  fc.record({ kind: fc.constant('chain' as const), key: index(3), ctx: index(3), epoch: fc.integer({ min: 0, max: 3 }) }),
  fc.record({ kind: fc.constant('under' as const), key: index(3), ctx: index(3), purpose: index(2) }),
  fc.record({ kind: fc.constant('rotation' as const), key: index(3), ctx: index(3), recipients: fc.array(index(4), { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('lockbox' as const), to: index(4), ctx: index(3) }),
  fc.record({ kind: fc.constant('envelope' as const), key: index(3), seq: fc.integer({ min: 1, max: 3 }) }),
)

async function run(a: Action): Promise<void> {
  const key = (i: number): EpochKey => keys[i]!
  switch (a.kind) {
    case 'chain':
      sealChain(key(a.key), { epoch: a.epoch, key: key((a.key + 1) % 3) }, contexts[a.ctx]!)
      return
    case 'under':
      sealUnder(key(a.key), ['team/roster', 'team/admin-secret'][a.purpose]!, contexts[a.ctx]!, randomBytes(32))
      return
    case 'rotation':
      await sealEpochKey(key(a.key), a.recipients.map((r) => asBoxPublicKey(devices[r]!.boxPublic)), contexts[a.ctx]!)
      return
    case 'lockbox':
      await sealLockbox(randomBytes(32), asBoxPublicKey(devices[a.to]!.boxPublic), contexts[a.ctx]!, signer)
      return
    case 'envelope': {
      const author = await authors.forEpoch(contexts[0]!, 1)
      await sealEnvelope({ kind: BATCH_KIND, conv: contexts[0]!, doc: contexts[1]!, epoch: 1, chain: author.chain, seq: a.seq, prev: ZERO_HASH }, randomBytes(8), key(a.key), author)
      return
    }
    default: {
      const never: never = a
      throw new Error(`unknown action ${String(never)}`)
    }
  }
}

describe('[C5] a nonce never repeats under a key', () => {
  test('[C5][L4][L3][L5][E6] random sequences of chains, links, rotations, lockboxes and envelopes over shared keys and contexts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 30 }), async (actions) => {
        seen.clear()
        repeats = 0
        for (const a of actions) await run(a)
        expect(repeats).toBe(0)
      }),
      { numRuns: 60 },
    )
  })

  test('[C5][L4] two chains under one key and context (a rotation and a link) do not give one old key from the other', () => {
    // The attack from the trust issue: with a nonce derived from the context only, c1 ⊕ c2 = p1 ⊕ p2,
    // so whoever sees both chains and holds one old key reads the other without the current key.
    const current = generateEpochKey()
    const context = randomBytes(16)
    const known = { epoch: 1, key: generateEpochKey() }
    const secret = { epoch: 2, key: generateEpochKey() }
    const c1 = sealChain(current, known, context)
    const c2 = sealChain(current, secret, context)
    const body = (c: Uint8Array) => c.subarray(c.length - 36)
    const guess = body(c1).map((b, i) => b ^ body(c2)[i]! ^ [0, 0, 0, 1, ...known.key][i]!)
    expect(toHex(guess.subarray(4))).not.toBe(toHex(secret.key))
    expect(toHex(c1.subarray(1, 25))).not.toBe(toHex(c2.subarray(1, 25)))
    expect(repeats).toBe(0)
  })

  test('[L4] a chain carries its version byte; an old chain (version 1) or another version is refused with a code, never misread', () => {
    const current = generateEpochKey()
    const context = randomBytes(16)
    const chain = sealChain(current, { epoch: 9, key: generateEpochKey() }, context)
    expect(chain[0]).toBe(2)
    expect(chain.length).toBe(77)
    // Version 1 was secretbox(u32 ‖ key) with no version byte: 52 bytes.
    const v1 = nacl.secretbox(randomBytes(36), randomBytes(24), current)
    expect(openChain(v1, current, context)).toMatchObject({ ok: false, code: 'C108_UNSUPPORTED_VERSION' })
    const v3 = chain.slice()
    v3[0] = 3
    expect(openChain(v3, current, context)).toMatchObject({ ok: false, code: 'C108_UNSUPPORTED_VERSION' })
    expect(openChain(chain.subarray(0, 60), current, context)).toMatchObject({ ok: false, code: 'C100_MALFORMED' })
    const flipped = chain.slice()
    flipped[40]! ^= 1
    expect(openChain(flipped, current, context)).toMatchObject({ ok: false, code: 'C104_DECRYPT_FAILED' })
  })
})
