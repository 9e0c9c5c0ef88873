import nacl from 'tweetnacl'
import { describe, expect, test } from 'vitest'
import {
  asBoxPublicKey, asBoxSecretKey, generateEpochKey, openChain, openEpochKey, randomBytes, sealChain, sealEpochKey,
  epochBoxNonce, findEpochKey, type BoxPublicKey,
} from '../../crypto/index.js'

const devices = (n: number) => Array.from({ length: n }, () => {
  const k = nacl.box.keyPair()
  return { pub: asBoxPublicKey(k.publicKey), sec: asBoxSecretKey(k.secretKey) }
})

describe('[L3] one epoch key sealed to many devices', () => {
  test('[L3] every recipient opens the key at its own index; nobody else, no other index, no other context', async () => {
    const key = generateEpochKey()
    const ds = devices(5)
    const context = randomBytes(16)
    const sealed = await sealEpochKey(key, ds.map((d) => d.pub), context)
    expect(sealed.boxes.every((b) => b.length === 48)).toBe(true)
    ds.forEach((d, i) => {
      const r = openEpochKey({ ephemeral: sealed.ephemeral, box: sealed.boxes[i]! }, i, d.sec, context)
      expect(r.ok && [...r.value]).toEqual([...key])
    })
    const outsider = devices(1)[0]!
    expect(openEpochKey({ ephemeral: sealed.ephemeral, box: sealed.boxes[0]! }, 0, outsider.sec, context).ok).toBe(false)
    expect(openEpochKey({ ephemeral: sealed.ephemeral, box: sealed.boxes[0]! }, 1, ds[0]!.sec, context).ok).toBe(false)
    expect(openEpochKey({ ephemeral: sealed.ephemeral, box: sealed.boxes[0]! }, 0, ds[0]!.sec, randomBytes(16)).ok).toBe(false)
  })

  test('[L3] a recipient that does not know its index finds its box by trial; an outsider finds none', async () => {
    const key = generateEpochKey()
    const ds = devices(7)
    const context = randomBytes(16)
    const sealed = await sealEpochKey(key, ds.map((d) => d.pub), context)
    ds.forEach((d, i) => {
      const r = findEpochKey(sealed, d.sec, context)
      expect(r.ok && r.value.index).toBe(i)
      expect(r.ok && [...r.value.key]).toEqual([...key])
    })
    expect(findEpochKey(sealed, devices(1)[0]!.sec, context).ok).toBe(false)
    expect(findEpochKey(sealed, ds[0]!.sec, randomBytes(16)).ok).toBe(false)
    expect(findEpochKey({ ephemeral: new Uint8Array(3), boxes: sealed.boxes }, ds[0]!.sec, context).ok).toBe(false)
  })

  test('[L3] a box is exactly nacl.box from the ephemeral key (the WebCrypto path gives tweetnacl\'s bytes)', async () => {
    const key = generateEpochKey()
    const [d] = devices(1)
    const context = randomBytes(16)
    const sealed = await sealEpochKey(key, [d!.pub], context)
    // Standard nacl.box.open with the ephemeral public key is all a recipient needs.
    expect([...nacl.box.open(sealed.boxes[0]!, epochBoxNonce(context, 0), sealed.ephemeral, d!.sec)!]).toEqual([...key])
  })

  test('[L3] a tampered box or ephemeral key fails with a code, never throws', async () => {
    const key = generateEpochKey()
    const [d] = devices(1)
    const context = randomBytes(16)
    const sealed = await sealEpochKey(key, [d!.pub], context)
    const box = sealed.boxes[0]!.slice()
    box[5]! ^= 1
    expect(openEpochKey({ ephemeral: sealed.ephemeral, box }, 0, d!.sec, context)).toMatchObject({ ok: false, code: 'C104_DECRYPT_FAILED' })
    expect(openEpochKey({ ephemeral: randomBytes(31), box: sealed.boxes[0]! }, 0, d!.sec, context)).toMatchObject({ ok: false, code: 'C100_MALFORMED' })
  })

  test('[L3] a small-order recipient key does not break the rotation for the others', async () => {
    const key = generateEpochKey()
    const ds = devices(2)
    const context = randomBytes(16)
    const bad = new Uint8Array(32) as BoxPublicKey
    const sealed = await sealEpochKey(key, [ds[0]!.pub, bad, ds[1]!.pub], context)
    expect(openEpochKey({ ephemeral: sealed.ephemeral, box: sealed.boxes[2]! }, 2, ds[1]!.sec, context).ok).toBe(true)
  })

  test('[L4] the chain carries the previous epoch key under the new one, bound to its context', () => {
    const prev = { epoch: 7, key: generateEpochKey() }
    const next = generateEpochKey()
    const context = randomBytes(16)
    const chain = sealChain(next, prev, context)
    const opened = openChain(chain, next, context)
    expect(opened.ok && opened.value.epoch).toBe(7)
    expect(opened.ok && [...opened.value.key]).toEqual([...prev.key])
    expect(openChain(chain, generateEpochKey(), context).ok).toBe(false)
    expect(openChain(chain, next, randomBytes(16)).ok).toBe(false)
  })
})
