import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import {
  CryptoMisuse, HEADER_BYTES, asEnvelopeHash, generateEpochKey, NONCE_BYTES, SIGNATURE_BYTES, decodeHeader, encodeHeader, openEnvelope, paddedLength,
  sealEnvelope, signatureBackend, splitEnvelope, useSignatureBackend, type EpochKey,
} from '../../crypto/index.js'
import { BACKENDS, headerFor, readerContext, room, text, type Room } from './personas.js'

describe.each(BACKENDS)('envelope round trip (%s backend)', (backend) => {
  let r: Room
  beforeEach(() => {
    useSignatureBackend(backend)
    r = room()
  })
  afterEach(() => useSignatureBackend('auto'))

  test('[C3] the backend under test is the one in use', async () => {
    expect(await signatureBackend()).toBe(backend === 'tweetnacl' ? 'tweetnacl' : 'webcrypto')
  })

  test('[E2] [E3] alice seals a batch and bob opens it with the epoch key', async () => {
    const payload = text('hello bob')
    const sealed = await sealEnvelope(headerFor(r, r.alice), payload, r.epochKey, r.alice.signer)
    const opened = await openEnvelope(sealed.bytes, readerContext(r))
    expect(opened.ok).toBe(true)
    if (!opened.ok) return
    expect(opened.value.payload).toEqual(payload)
    expect(opened.value.header.device).toEqual(r.alice.keys.signPublic)
    expect(opened.value.header.seq).toBe(1)
    expect(opened.value.hash).toEqual(sealed.hash)
  })

  test('[E2] the layout is header ‖ nonce ‖ signature ‖ ciphertext', async () => {
    const sealed = await sealEnvelope(headerFor(r, r.alice, { epoch: 7, seq: 3, prev: asEnvelopeHash(new Uint8Array(32).fill(9)) }), text('x'), r.epochKey, r.alice.signer)
    const parts = splitEnvelope(sealed.bytes)!
    expect(parts.headerBytes).toEqual(sealed.bytes.subarray(0, HEADER_BYTES))
    expect(parts.nonce.length).toBe(NONCE_BYTES)
    expect(parts.signature.length).toBe(SIGNATURE_BYTES)
    expect(parts.header.epoch).toBe(7)
    expect(parts.header.seq).toBe(3)
  })

  test('[E4] [E7] envelope hashes chain a device log: prev of seq 2 is the hash of seq 1', async () => {
    const first = await sealEnvelope(headerFor(r, r.alice), text('one'), r.epochKey, r.alice.signer)
    const second = await sealEnvelope(headerFor(r, r.alice, { seq: 2, prev: first.hash }), text('two'), r.epochKey, r.alice.signer)
    const opened = await openEnvelope(second.bytes, readerContext(r))
    expect(opened.ok && opened.value.header.prev).toEqual(first.hash)
    expect(first.hash).not.toEqual(second.hash)
  })

  test('[E6] sealing the same batch twice uses fresh nonces', async () => {
    const a = await sealEnvelope(headerFor(r, r.alice), text('same'), r.epochKey, r.alice.signer)
    const b = await sealEnvelope(headerFor(r, r.alice), text('same'), r.epochKey, r.alice.signer)
    expect(splitEnvelope(a.bytes)!.nonce).not.toEqual(splitEnvelope(b.bytes)!.nonce)
    expect(a.hash).not.toEqual(b.hash)
  })

  test('[E9] bob opens an envelope of an older epoch with the key he holds for it', async () => {
    const epoch0 = r.epochKey
    const epoch1 = generateEpochKey()
    const old = await sealEnvelope(headerFor(r, r.alice, { epoch: 0 }), text('old'), epoch0, r.alice.signer)
    const recent = await sealEnvelope(headerFor(r, r.alice, { epoch: 1, seq: 2, prev: old.hash }), text('new'), epoch1, r.alice.signer)
    const ctx = readerContext(r, { 0: epoch0, 1: epoch1 })
    expect((await openEnvelope(old.bytes, ctx)).ok).toBe(true)
    expect((await openEnvelope(recent.bytes, ctx)).ok).toBe(true)
  })

  test('[E5] an empty payload round-trips', async () => {
    const sealed = await sealEnvelope(headerFor(r, r.alice), new Uint8Array(0), r.epochKey, r.alice.signer)
    const opened = await openEnvelope(sealed.bytes, readerContext(r))
    expect(opened.ok && opened.value.payload.length).toBe(0)
  })

  test('[E5] the ciphertext length reveals only the padding bucket', async () => {
    for (const size of [0, 1, 100, 220, 221, 5000, 70_000]) {
      const sealed = await sealEnvelope(headerFor(r, r.alice), new Uint8Array(size).fill(7), r.epochKey, r.alice.signer)
      const ct = splitEnvelope(sealed.bytes)!.ciphertext
      expect(ct.length).toBe(paddedLength(36 + size) + 16)
    }
  })
})

describe('[E1] header encoding', () => {
  test('[E1] a header has exactly one 109-byte encoding and decodes to itself', () => {
    const r = room()
    const h = headerFor(r, r.alice, { epoch: 0xffffffff, seq: Number.MAX_SAFE_INTEGER })
    const bytes = encodeHeader(h)
    expect(bytes.length).toBe(109)
    expect(bytes[0]).toBe(1)
    const back = decodeHeader(bytes)!
    expect(encodeHeader(back)).toEqual(bytes)
    expect(back.seq).toBe(Number.MAX_SAFE_INTEGER)
    expect(back.epoch).toBe(0xffffffff)
  })

  test('[E1] decodeHeader refuses an unknown version, seq 0, seq ≥ 2^53, a small-order device and a wrong length', () => {
    const r = room()
    const good = encodeHeader(headerFor(r, r.alice))
    const version = good.slice()
    version[0] = 3 // 1 = change batch, 2 = snapshot ([E12]); nothing else
    const versionZero = good.slice()
    versionZero[0] = 0
    const seqZero = good.slice()
    seqZero.fill(0, 69, 77)
    const seqHuge = good.slice()
    seqHuge[69] = 0x00
    seqHuge[70] = 0x20 // 2^53
    const smallOrder = good.slice()
    smallOrder.fill(0, 37, 69)
    smallOrder[37] = 1
    for (const bad of [version, versionZero, seqZero, seqHuge, smallOrder, good.subarray(0, 108), new Uint8Array([...good, 0])]) {
      expect(decodeHeader(bad)).toBeUndefined()
    }
  })

  test('[C0] encodeHeader throws CryptoMisuse for wrong id lengths and out-of-range numbers', () => {
    const r = room()
    expect(() => encodeHeader(headerFor(r, r.alice, { conv: new Uint8Array(15) }))).toThrow(CryptoMisuse)
    expect(() => encodeHeader(headerFor(r, r.alice, { doc: new Uint8Array(17) }))).toThrow(CryptoMisuse)
    expect(() => encodeHeader(headerFor(r, r.alice, { epoch: -1 }))).toThrow(CryptoMisuse)
    expect(() => encodeHeader(headerFor(r, r.alice, { epoch: 2 ** 32 }))).toThrow(CryptoMisuse)
    expect(() => encodeHeader(headerFor(r, r.alice, { seq: 0 }))).toThrow(CryptoMisuse)
    expect(() => encodeHeader(headerFor(r, r.alice, { seq: 2 ** 53 }))).toThrow(CryptoMisuse)
  })
})

describe('[C0] sealing misuse throws at once', () => {
  test('[C0] a 31-byte epoch key, or a header naming another device than the signer, throws CryptoMisuse', async () => {
    const r = room()
    await expect(sealEnvelope(headerFor(r, r.alice), text('x'), new Uint8Array(31) as EpochKey, r.alice.signer)).rejects.toThrow(CryptoMisuse)
    await expect(sealEnvelope(headerFor(r, r.alice), text('x'), r.epochKey, r.eve.signer)).rejects.toThrow(CryptoMisuse)
  })
})
