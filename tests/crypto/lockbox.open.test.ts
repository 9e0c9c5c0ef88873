import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { CryptoErrorCode, CryptoMisuse, concat, frame, generateEpochKey, openLockbox, sealLockbox, useSignatureBackend, type BoxPublicKey } from '../../crypto/index.js'
import { BACKENDS, flipBit, persona, type Persona } from './personas.js'
import { SMALL_ORDER_KEYS } from './vectors.js'

/** The context a rotation seals to: conversation and epoch (how client/core frames it is its own choice). */
const context = (conv: number, epoch: number) => frame('test/lockbox-context', [new Uint8Array(16).fill(conv), new Uint8Array([epoch])])

describe.each(BACKENDS)('lockboxes (%s backend)', (backend) => {
  let alice: Persona
  let bob: Persona
  let eve: Persona
  beforeEach(() => {
    useSignatureBackend(backend)
    alice = persona('alice')
    bob = persona('bob')
    eve = persona('eve')
  })
  afterEach(() => useSignatureBackend('auto'))

  const openAs = (who: Persona, box: Uint8Array, ctx = context(1, 2)) => openLockbox(box, who.keys.boxPublic, who.keys.boxSecret, ctx)

  test('[L1] alice seals an epoch key to bob; bob opens it and learns that alice signed it', async () => {
    const epochKey = generateEpochKey()
    const box = await sealLockbox(epochKey, bob.keys.boxPublic, context(1, 2), alice.signer)
    const opened = await openAs(bob, box)
    expect(opened.ok).toBe(true)
    if (!opened.ok) return
    expect(opened.value.secret).toEqual(epochKey)
    expect(opened.value.sender).toEqual(alice.keys.signPublic)
  })

  test('[L1] two lockboxes of the same secret share no ephemeral key or nonce', async () => {
    const secret = generateEpochKey()
    const a = await sealLockbox(secret, bob.keys.boxPublic, context(1, 2), alice.signer)
    const b = await sealLockbox(secret, bob.keys.boxPublic, context(1, 2), alice.signer)
    expect(a.subarray(32, 88)).not.toEqual(b.subarray(32, 88))
  })

  test('[L2] a lockbox opened under another conversation or epoch is refused (the context is signed): C101', async () => {
    const box = await sealLockbox(generateEpochKey(), bob.keys.boxPublic, context(1, 2), alice.signer)
    expect(await openAs(bob, box, context(1, 3))).toEqual({ ok: false, code: CryptoErrorCode.BAD_SIGNATURE })
    expect(await openAs(bob, box, context(9, 2))).toEqual({ ok: false, code: CryptoErrorCode.BAD_SIGNATURE })
  })

  test('[L2] a sender who signs one context but seals another is caught by the inner context hash: C102', async () => {
    // eve builds the box for context A, then signs it claiming context B.
    const inner = await sealLockbox(generateEpochKey(), bob.keys.boxPublic, context(1, 2), eve.signer)
    const body = inner.subarray(0, 88)
    const ct = inner.subarray(184)
    const signature = await eve.signer.sign(frame('fieldchat/v1/lockbox/signature', [context(1, 3), body.subarray(0, 32), body.subarray(32, 64), body.subarray(64, 88), ct]))
    const forged = concat(body, eve.keys.signPublic, signature, ct)
    expect(await openAs(bob, forged, context(1, 3))).toMatchObject({ ok: false, code: CryptoErrorCode.WRONG_CONTEXT })
  })

  test('[L1] eve cannot open a lockbox sealed to bob: C102', async () => {
    const box = await sealLockbox(generateEpochKey(), bob.keys.boxPublic, context(1, 2), alice.signer)
    expect(await openAs(eve, box)).toMatchObject({ ok: false, code: CryptoErrorCode.WRONG_CONTEXT })
  })

  test('[L1] eve relabels bob\'s lockbox as hers (recipient field) but cannot decrypt it: C104', async () => {
    const box = await sealLockbox(generateEpochKey(), bob.keys.boxPublic, context(1, 2), alice.signer)
    const parts = { eph: box.subarray(32, 64), nonce: box.subarray(64, 88), ct: box.subarray(184) }
    const signature = await eve.signer.sign(frame('fieldchat/v1/lockbox/signature', [context(1, 2), eve.keys.boxPublic, parts.eph, parts.nonce, parts.ct]))
    const relabelled = concat(eve.keys.boxPublic, parts.eph, parts.nonce, eve.keys.signPublic, signature, parts.ct)
    expect(await openAs(eve, relabelled)).toEqual({ ok: false, code: CryptoErrorCode.DECRYPT_FAILED })
  })

  test('[L2] a tampered signature, ciphertext or ephemeral key is refused: C101', async () => {
    const box = await sealLockbox(generateEpochKey(), bob.keys.boxPublic, context(1, 2), alice.signer)
    for (const byte of [40, 70, 130, 170, box.length - 1]) {
      expect(await openAs(bob, flipBit(box, byte * 8)), `byte ${byte}`).toEqual({ ok: false, code: CryptoErrorCode.BAD_SIGNATURE })
    }
  })

  test('[L1] truncated bytes are malformed (C100); a small-order sender key is a bad key (C107)', async () => {
    const box = await sealLockbox(generateEpochKey(), bob.keys.boxPublic, context(1, 2), alice.signer)
    expect(await openAs(bob, box.subarray(0, 200))).toEqual({ ok: false, code: CryptoErrorCode.MALFORMED })
    const badSender = box.slice()
    badSender.set(SMALL_ORDER_KEYS[0]!, 88)
    expect(await openAs(bob, badSender)).toEqual({ ok: false, code: CryptoErrorCode.BAD_KEY })
  })

  test('[C0] sealing to a 31-byte recipient key throws CryptoMisuse', async () => {
    await expect(sealLockbox(generateEpochKey(), new Uint8Array(31) as BoxPublicKey, context(1, 2), alice.signer)).rejects.toThrow(CryptoMisuse)
  })
})
