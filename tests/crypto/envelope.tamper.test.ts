import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import {
  CryptoErrorCode, HEADER_BYTES, MIN_CIPHERTEXT_BYTES, NONCE_BYTES, SIGNATURE_BYTES, decryptVerified, encodeHeader, generateEpochKey, joinEnvelope,
  openEnvelope, sealEnvelope, signedBytes, splitEnvelope, useSignatureBackend, type ChainAuthor, type SealedEnvelope,
} from '../../crypto/index.js'
import { BACKENDS, authorIn, flipBit, headerFor, readerContext, room, text, type Room } from './personas.js'

const SIG_AT = HEADER_BYTES + NONCE_BYTES
const CT_AT = SIG_AT + SIGNATURE_BYTES

describe.each(BACKENDS)('envelope tampering (%s backend)', (backend) => {
  let r: Room
  let sealed: SealedEnvelope
  let eve: ChainAuthor
  beforeEach(async () => {
    useSignatureBackend(backend)
    r = room()
    const alice = await authorIn(r, r.alice)
    eve = await authorIn(r, r.eve)
    sealed = await sealEnvelope(headerFor(r, alice), text('meet at noon'), r.epochKey, alice)
  })
  afterEach(() => useSignatureBackend('auto'))

  const open = (bytes: Uint8Array) => openEnvelope(bytes, readerContext(r))

  test('[E3] a changed header byte (epoch) fails the signature: C101', async () => {
    expect(await open(flipBit(sealed.bytes, 37 * 8))).toEqual({ ok: false, code: CryptoErrorCode.BAD_SIGNATURE })
  })

  test('[E3] a changed nonce fails the signature: C101', async () => {
    expect(await open(flipBit(sealed.bytes, HEADER_BYTES * 8 + 3))).toEqual({ ok: false, code: CryptoErrorCode.BAD_SIGNATURE })
  })

  test('[E3] a changed ciphertext byte fails the signature: C101', async () => {
    expect(await open(flipBit(sealed.bytes, (sealed.bytes.length - 1) * 8))).toEqual({ ok: false, code: CryptoErrorCode.BAD_SIGNATURE })
  })

  test('[E3] a changed signature (R half and S half) fails: C101', async () => {
    expect(await open(flipBit(sealed.bytes, SIG_AT * 8))).toEqual({ ok: false, code: CryptoErrorCode.BAD_SIGNATURE })
    expect(await open(flipBit(sealed.bytes, (SIG_AT + 40) * 8))).toEqual({ ok: false, code: CryptoErrorCode.BAD_SIGNATURE })
  })

  test('[E3] eve cannot claim alice\'s envelope by swapping in her chain key: C101', async () => {
    const parts = splitEnvelope(sealed.bytes)!
    const forged = joinEnvelope(encodeHeader({ ...parts.header, chain: eve.chain }), parts.nonce, parts.signature, parts.ciphertext)
    expect(await open(forged)).toEqual({ ok: false, code: CryptoErrorCode.BAD_SIGNATURE })
    // nor by swapping in her device key where the chain key goes
    const byDevice = joinEnvelope(encodeHeader({ ...parts.header, chain: r.eve.keys.signPublic }), parts.nonce, parts.signature, parts.ciphertext)
    expect(await open(byDevice)).toEqual({ ok: false, code: CryptoErrorCode.BAD_SIGNATURE })
  })

  test('[E5] eve re-signs alice\'s ciphertext under her own chain header: the inner header hash refuses it, C105', async () => {
    // eve holds the epoch key (a member), so the signature and the decryption both pass; only the
    // header hash inside the ciphertext binds the batch to alice's header.
    const parts = splitEnvelope(sealed.bytes)!
    const eveHeader = encodeHeader({ ...parts.header, chain: eve.chain })
    const signature = await eve.signer.sign(signedBytes(eveHeader, parts.nonce, parts.ciphertext))
    const forged = joinEnvelope(eveHeader, parts.nonce, signature, parts.ciphertext)
    expect(await open(forged)).toEqual({ ok: false, code: CryptoErrorCode.HEADER_MISMATCH })
  })

  test('[E8] an envelope replayed into another document or conversation: C102', async () => {
    const otherDoc = { ...readerContext(r), doc: room().doc }
    const otherConv = { ...readerContext(r), conv: room().conv }
    expect(await openEnvelope(sealed.bytes, otherDoc)).toEqual({ ok: false, code: CryptoErrorCode.WRONG_CONTEXT })
    expect(await openEnvelope(sealed.bytes, otherConv)).toEqual({ ok: false, code: CryptoErrorCode.WRONG_CONTEXT })
  })

  test('[E9] [C0] a device without the epoch key gets C103, never an empty payload', async () => {
    const result = await openEnvelope(sealed.bytes, readerContext(r, {}))
    expect(result.ok).toBe(false)
    expect(!result.ok && result.code).toBe(CryptoErrorCode.NO_KEY)
    expect(!result.ok && result.detail).toBe('epoch 0')
  })

  test('[E2] truncated or short bytes are malformed: C100', async () => {
    expect(await open(sealed.bytes.subarray(0, CT_AT + MIN_CIPHERTEXT_BYTES - 1))).toEqual({ ok: false, code: CryptoErrorCode.MALFORMED })
    expect(await open(new Uint8Array(0))).toEqual({ ok: false, code: CryptoErrorCode.MALFORMED })
    const badVersion = sealed.bytes.slice()
    badVersion[0] = 9
    expect(await open(badVersion)).toEqual({ ok: false, code: CryptoErrorCode.MALFORMED })
    const formatOne = sealed.bytes.slice()
    formatOne[0] = 1 // format 1 put the kind (1) first and the device in the header: refused
    expect(await open(formatOne)).toEqual({ ok: false, code: CryptoErrorCode.MALFORMED })
    const badKind = sealed.bytes.slice()
    badKind[1] = 3
    expect(await open(badKind)).toEqual({ ok: false, code: CryptoErrorCode.MALFORMED })
  })

  test('[E3] [C0] any single-bit flip anywhere makes openEnvelope fail with a code, never throw', async () => {
    const bits = sealed.bytes.length * 8
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: bits - 1 }), async (bit) => {
        const result = await open(flipBit(sealed.bytes, bit))
        expect(result.ok).toBe(false)
        expect(Object.values(CryptoErrorCode)).toContain(!result.ok && result.code)
      }),
      { numRuns: backend === 'tweetnacl' ? 60 : 400 },
    )
  })

  test('[C0] random bytes and random truncations never throw and never open', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: sealed.bytes.length + 100 }), fc.nat(sealed.bytes.length), async (noise, cut) => {
        expect((await open(noise)).ok).toBe(false)
        if (cut < sealed.bytes.length) expect((await open(sealed.bytes.subarray(0, cut))).ok).toBe(false)
      }),
      { numRuns: backend === 'tweetnacl' ? 30 : 200 },
    )
  })
})

describe('decryptVerified (after a chain check, [E11])', () => {
  let r: Room
  let sealed: SealedEnvelope
  beforeEach(async () => {
    r = room()
    const alice = await authorIn(r, r.alice)
    sealed = await sealEnvelope(headerFor(r, alice), text('payload'), r.epochKey, alice)
  })

  test('[E11] opens a signature-checked envelope without verifying again', async () => {
    const result = await decryptVerified(splitEnvelope(sealed.bytes)!, readerContext(r))
    expect(result.ok && new TextDecoder().decode(result.value.payload)).toBe('payload')
    expect(result.ok && [...result.value.device]).toEqual([...r.alice.keys.signPublic])
  })

  test('[E9] a wrong epoch key fails decryption: C104', async () => {
    const result = await decryptVerified(splitEnvelope(sealed.bytes)!, readerContext(r, { 0: generateEpochKey() }))
    expect(result).toEqual({ ok: false, code: CryptoErrorCode.DECRYPT_FAILED })
  })

  test('[E9] a flipped ciphertext bit fails authenticated decryption: C104', async () => {
    const result = await decryptVerified(splitEnvelope(flipBit(sealed.bytes, (CT_AT + 20) * 8))!, readerContext(r))
    expect(result).toEqual({ ok: false, code: CryptoErrorCode.DECRYPT_FAILED })
  })

  test('[E5] a ciphertext moved under another header (seq, prev, epoch, kind, chain) fails the header hash: C105', async () => {
    const parts = splitEnvelope(sealed.bytes)!
    const bob = await authorIn(r, r.bob)
    const changes = [{ seq: 2 }, { prev: sealed.hash }, { epoch: 1 }, { kind: 2 as const }, { chain: bob.chain }]
    for (const change of changes) {
      const moved = splitEnvelope(joinEnvelope(encodeHeader({ ...parts.header, ...change }), parts.nonce, parts.signature, parts.ciphertext))!
      const keys = { 0: r.epochKey, 1: r.epochKey }
      expect(await decryptVerified(moved, readerContext(r, keys)), JSON.stringify(Object.keys(change))).toEqual({ ok: false, code: CryptoErrorCode.HEADER_MISMATCH })
    }
  })

  test('[E8] the context is checked before any key is looked up: C102', async () => {
    let asked = false
    const ctx = { conv: r.conv, doc: room().doc, keyFor: () => ((asked = true), r.epochKey) }
    expect(await decryptVerified(splitEnvelope(sealed.bytes)!, ctx)).toEqual({ ok: false, code: CryptoErrorCode.WRONG_CONTEXT })
    expect(asked).toBe(false)
  })

  test('[E9] no key for the epoch: C103', async () => {
    const parts = splitEnvelope(sealed.bytes)!
    expect(await decryptVerified(parts, readerContext(r, { 1: r.epochKey }))).toMatchObject({ ok: false, code: CryptoErrorCode.NO_KEY })
  })
})
