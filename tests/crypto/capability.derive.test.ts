import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import {
  capabilityProofBytes, deriveAdminCapability, deriveAdminCapabilityAsync, deriveCapability, deriveCapabilityAsync, deviceAuthBytes, generateEpochKey, randomBytes, useSignatureBackend,
  verifyCapabilityProof, verifyDeviceAuth,
} from '../../crypto/index.js'
import { BACKENDS, persona } from './personas.js'

describe('[K0] epoch keys', () => {
  test('[K0] an epoch key is 32 fresh random bytes', () => {
    const keys = Array.from({ length: 50 }, () => Buffer.from(generateEpochKey()).toString('hex'))
    expect(new Set(keys).size).toBe(50)
    expect(generateEpochKey().length).toBe(32)
  })
})

describe('[K1] capability derivation', () => {
  const conv = randomBytes(16)
  const key = generateEpochKey()

  test('[K1] is deterministic for (epoch key, conversation, epoch)', () => {
    expect(deriveCapability(key, conv, 3).publicKey).toEqual(deriveCapability(key, conv, 3).publicKey)
  })

  for (const backend of BACKENDS) {
    test(`[K1][K4] the async derivations (WebCrypto where it has Ed25519) give the same keys, and signers the other side verifies (${backend})`, async () => {
      useSignatureBackend(backend)
      try {
        for (let epoch = 0; epoch < 5; epoch++) {
          const k = generateEpochKey()
          const sync = deriveCapability(k, conv, epoch)
          const viaAsync = await deriveCapabilityAsync(k, conv, epoch)
          expect(Buffer.from(viaAsync.publicKey).toString('hex')).toBe(Buffer.from(sync.publicKey).toString('hex'))
          const challenge = randomBytes(32)
          expect(await verifyCapabilityProof(await viaAsync.signer.sign(capabilityProofBytes(challenge, conv, epoch)), challenge, conv, epoch, viaAsync.publicKey)).toBe(true)
          const secret = randomBytes(32)
          expect(Buffer.from((await deriveAdminCapabilityAsync(secret, conv)).publicKey).toString('hex')).toBe(Buffer.from(deriveAdminCapability(secret, conv).publicKey).toString('hex'))
        }
      } finally {
        useSignatureBackend('auto')
      }
    })
  }

  test('[K1] differs by epoch, by conversation and by epoch key', () => {
    const base = Buffer.from(deriveCapability(key, conv, 3).publicKey).toString('hex')
    const others = [
      deriveCapability(key, conv, 4),
      deriveCapability(key, randomBytes(16), 3),
      deriveCapability(generateEpochKey(), conv, 3),
    ].map((c) => Buffer.from(c.publicKey).toString('hex'))
    expect(new Set([base, ...others]).size).toBe(4)
  })
})

describe.each(BACKENDS)('capability and device proofs (%s backend)', (backend) => {
  beforeEach(() => useSignatureBackend(backend))
  afterEach(() => useSignatureBackend('auto'))
  const conv = randomBytes(16)
  const challenge = randomBytes(32)

  test('[K2] a capability proof verifies for its challenge, conversation and epoch only', async () => {
    const cap = deriveCapability(generateEpochKey(), conv, 5)
    const proof = await cap.signer.sign(capabilityProofBytes(challenge, conv, 5))
    expect(await verifyCapabilityProof(proof, challenge, conv, 5, cap.publicKey)).toBe(true)
    expect(await verifyCapabilityProof(proof, randomBytes(32), conv, 5, cap.publicKey)).toBe(false)
    expect(await verifyCapabilityProof(proof, challenge, randomBytes(16), 5, cap.publicKey)).toBe(false)
    expect(await verifyCapabilityProof(proof, challenge, conv, 6, cap.publicKey)).toBe(false)
  })

  test('[K1] [K2] eve, holding only the previous epoch key, cannot prove the rotated capability', async () => {
    const oldKey = generateEpochKey()
    const newKey = generateEpochKey()
    const current = deriveCapability(newKey, conv, 2)
    const eves = deriveCapability(oldKey, conv, 2)
    const proof = await eves.signer.sign(capabilityProofBytes(challenge, conv, 2))
    expect(await verifyCapabilityProof(proof, challenge, conv, 2, current.publicKey)).toBe(false)
  })

  test('[K3] a device proves its key over the server challenge; a proof for another challenge or device fails', async () => {
    const alice = persona('alice')
    const bob = persona('bob')
    const proof = await alice.signer.sign(deviceAuthBytes(challenge, alice.keys.signPublic))
    expect(await verifyDeviceAuth(proof, challenge, alice.keys.signPublic)).toBe(true)
    expect(await verifyDeviceAuth(proof, randomBytes(32), alice.keys.signPublic)).toBe(false)
    expect(await verifyDeviceAuth(proof, challenge, bob.keys.signPublic)).toBe(false)
  })
})
