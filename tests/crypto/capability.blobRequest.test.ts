import { describe, expect, test } from 'vitest'
import { CryptoMisuse, blobRequestBytes, deriveCapability, generateEpochKey, randomBytes, signBlobRequest } from '../../crypto/index.js'
import { verifyBlobRequest } from '../../crypto/verify.js'

describe('[K9] blob requests signed with a capability', () => {
  const conv = randomBytes(16)
  const cap = deriveCapability(generateEpochKey(), conv, 4)
  const target = '/v1/blobs/AAAAAAAAAAAAAAAAAAAAAA/chunks/0'
  const t = 1_765_000_000_000

  test('[K9] a signature verifies for exactly its role, method, target, conversation, epoch and time', async () => {
    const proof = await signBlobRequest(cap, 'access', 'PUT', target, conv, 4, t)
    expect(await verifyBlobRequest(proof, 'access', 'PUT', target, conv, 4, t, cap.publicKey)).toBe(true)
    expect(await verifyBlobRequest(proof, 'space', 'PUT', target, conv, 4, t, cap.publicKey)).toBe(false)
    expect(await verifyBlobRequest(proof, 'access', 'GET', target, conv, 4, t, cap.publicKey)).toBe(false)
    expect(await verifyBlobRequest(proof, 'access', 'PUT', target.replace('/0', '/1'), conv, 4, t, cap.publicKey)).toBe(false)
    expect(await verifyBlobRequest(proof, 'access', 'PUT', target, randomBytes(16), 4, t, cap.publicKey)).toBe(false)
    expect(await verifyBlobRequest(proof, 'access', 'PUT', target, conv, 5, t, cap.publicKey)).toBe(false)
    expect(await verifyBlobRequest(proof, 'access', 'PUT', target, conv, 4, t + 1, cap.publicKey)).toBe(false)
    expect(await verifyBlobRequest(proof, 'access', 'PUT', target, conv, 4, t, deriveCapability(generateEpochKey(), conv, 4).publicKey)).toBe(false)
  })

  test('[K9] a removed member\'s capability (the old epoch\'s) does not verify for the new epoch\'s key', async () => {
    const key = generateEpochKey()
    const old = deriveCapability(key, conv, 1)
    const next = deriveCapability(generateEpochKey(), conv, 2)
    const proof = await signBlobRequest(old, 'access', 'GET', target, conv, 2, t)
    expect(await verifyBlobRequest(proof, 'access', 'GET', target, conv, 2, t, next.publicKey)).toBe(false)
  })

  test('[C0] misuse: an unknown role or a bad time throws', () => {
    expect(() => blobRequestBytes('admin' as 'access', 'GET', target, conv, 1, t)).toThrow(CryptoMisuse)
    expect(() => blobRequestBytes('access', 'GET', target, conv, 1, -1)).toThrow(CryptoMisuse)
    expect(() => blobRequestBytes('access', 'GET', target, conv, 1, 1.5)).toThrow(CryptoMisuse)
  })
})
