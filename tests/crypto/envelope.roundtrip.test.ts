import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import {
  CryptoMisuse, ENVELOPE_FORMAT, HEADER_BYTES, MIN_BUCKET, SNAPSHOT_KIND, asEnvelopeHash, generateEpochKey, NONCE_BYTES,
  SIGNATURE_BYTES, decodeHeader, encodeHeader, openEnvelope, paddedLength, sealEnvelope, signatureBackend, splitEnvelope, useSignatureBackend,
  type ChainAuthor, type EnvelopeKind, type EpochKey,
} from '../../crypto/index.js'
import { BACKENDS, authorIn, headerFor, readerContext, room, text, type Room } from './personas.js'

/** headerHash(32) ‖ certificate(96) ‖ u32 length: the fixed part of a padded plaintext ([E5], [E13]). */
const FIXED = 32 + 96 + 4

describe.each(BACKENDS)('envelope round trip (%s backend)', (backend) => {
  let r: Room
  let alice: ChainAuthor
  beforeEach(async () => {
    useSignatureBackend(backend)
    r = room()
    alice = await authorIn(r, r.alice)
  })
  afterEach(() => useSignatureBackend('auto'))

  test('[C3] the backend under test is the one in use', async () => {
    expect(await signatureBackend()).toBe(backend === 'tweetnacl' ? 'tweetnacl' : 'webcrypto')
  })

  test('[E2] [E3] alice seals a batch and bob opens it with the epoch key', async () => {
    const payload = text('hello bob')
    const sealed = await sealEnvelope(headerFor(r, alice), payload, r.epochKey, alice)
    const opened = await openEnvelope(sealed.bytes, readerContext(r))
    expect(opened.ok).toBe(true)
    if (!opened.ok) return
    expect(opened.value.payload).toEqual(payload)
    expect(opened.value.header.chain).toEqual(alice.chain)
    expect(opened.value.device).toEqual(r.alice.keys.signPublic) // [E13] from the certificate, not the header
    expect(opened.value.header.seq).toBe(1)
    expect(opened.value.hash).toEqual(sealed.hash)
  })

  test('[E2] the layout is header ‖ nonce ‖ signature ‖ ciphertext', async () => {
    const alice7 = await authorIn(r, r.alice, 7)
    const sealed = await sealEnvelope(headerFor(r, alice7, { epoch: 7, seq: 3, prev: asEnvelopeHash(new Uint8Array(32).fill(9)) }), text('x'), r.epochKey, alice7)
    const parts = splitEnvelope(sealed.bytes)!
    expect(HEADER_BYTES).toBe(110)
    expect(parts.headerBytes).toEqual(sealed.bytes.subarray(0, HEADER_BYTES))
    expect(parts.nonce.length).toBe(NONCE_BYTES)
    expect(parts.signature.length).toBe(SIGNATURE_BYTES)
    expect(parts.ciphertext.length).toBe(MIN_BUCKET + 16)
    expect(sealed.bytes.length).toBe(HEADER_BYTES + NONCE_BYTES + SIGNATURE_BYTES + MIN_BUCKET + 16)
    expect(parts.header.chain).toEqual(alice7.chain)
    expect(parts.header.epoch).toBe(7)
    expect(parts.header.seq).toBe(3)
  })

  test('[E4] [E7] envelope hashes chain an author\'s log: prev of seq 2 is the hash of seq 1', async () => {
    const first = await sealEnvelope(headerFor(r, alice), text('one'), r.epochKey, alice)
    const second = await sealEnvelope(headerFor(r, alice, { seq: 2, prev: first.hash }), text('two'), r.epochKey, alice)
    const opened = await openEnvelope(second.bytes, readerContext(r))
    expect(opened.ok && opened.value.header.prev).toEqual(first.hash)
    expect(first.hash).not.toEqual(second.hash)
  })

  test('[E6] sealing the same batch twice uses fresh nonces', async () => {
    const a = await sealEnvelope(headerFor(r, alice), text('same'), r.epochKey, alice)
    const b = await sealEnvelope(headerFor(r, alice), text('same'), r.epochKey, alice)
    expect(splitEnvelope(a.bytes)!.nonce).not.toEqual(splitEnvelope(b.bytes)!.nonce)
    expect(a.hash).not.toEqual(b.hash)
  })

  test('[E9] bob opens an envelope of an older epoch with the key he holds for it', async () => {
    const epoch0 = r.epochKey
    const epoch1 = generateEpochKey()
    const alice1 = await authorIn(r, r.alice, 1) // [E13] every epoch has its own chain, from seq 1
    const old = await sealEnvelope(headerFor(r, alice, { epoch: 0 }), text('old'), epoch0, alice)
    const recent = await sealEnvelope(headerFor(r, alice1, { epoch: 1 }), text('new'), epoch1, alice1)
    const ctx = readerContext(r, { 0: epoch0, 1: epoch1 })
    const [a, b] = [await openEnvelope(old.bytes, ctx), await openEnvelope(recent.bytes, ctx)]
    expect(a.ok && [...a.value.device]).toEqual([...r.alice.keys.signPublic])
    expect(b.ok && [...b.value.device]).toEqual([...r.alice.keys.signPublic])
  })

  test('[E5] an empty payload round-trips', async () => {
    const sealed = await sealEnvelope(headerFor(r, alice), new Uint8Array(0), r.epochKey, alice)
    const opened = await openEnvelope(sealed.bytes, readerContext(r))
    expect(opened.ok && opened.value.payload.length).toBe(0)
  })

  test('[E5] the ciphertext length reveals only the padding bucket', async () => {
    for (const size of [0, 1, 100, MIN_BUCKET - FIXED, MIN_BUCKET - FIXED + 1, 5000, 70_000]) {
      const sealed = await sealEnvelope(headerFor(r, alice), new Uint8Array(size).fill(7), r.epochKey, alice)
      const ct = splitEnvelope(sealed.bytes)!.ciphertext
      expect(ct.length).toBe(paddedLength(FIXED + size) + 16)
    }
  })
})

describe('[E1] header encoding', () => {
  test('[E1] a header has exactly one 110-byte encoding, format byte first, and decodes to itself', async () => {
    const r = room()
    const a = await authorIn(r, r.alice)
    for (const kind of [1, 2] as EnvelopeKind[]) {
      const h = headerFor(r, a, { kind, epoch: 0xffffffff, seq: Number.MAX_SAFE_INTEGER })
      const bytes = encodeHeader(h)
      expect(bytes.length).toBe(110)
      expect(bytes[0]).toBe(ENVELOPE_FORMAT)
      expect(bytes[0]).toBe(0xf2)
      expect(bytes[1]).toBe(kind)
      expect(bytes.subarray(38, 70)).toEqual(a.chain)
      const back = decodeHeader(bytes)!
      expect(encodeHeader(back)).toEqual(bytes)
      expect(back.kind).toBe(kind)
      expect(back.chain).toEqual(a.chain)
      expect(back.seq).toBe(Number.MAX_SAFE_INTEGER)
      expect(back.epoch).toBe(0xffffffff)
    }
  })

  test('[E1] decodeHeader refuses another format, an unknown kind, seq 0, seq ≥ 2^53, a small-order chain key and a wrong length', async () => {
    const r = room()
    const good = encodeHeader(headerFor(r, await authorIn(r, r.alice)))
    const at = (i: number, v: number) => {
      const b = good.slice()
      b[i] = v
      return b
    }
    const formatOne = at(0, 1) // format 1 (device in the header) began with its kind, 1 or 2: refused
    const oldSnapshot = at(0, 2) // a format-1 snapshot began with 2
    const kindThree = at(1, 3) // 1 = change batch, 2 = snapshot ([E12]); nothing else
    const kindZero = at(1, 0)
    const seqZero = good.slice()
    seqZero.fill(0, 70, 78)
    const seqHuge = good.slice()
    seqHuge.fill(0, 70, 78)
    seqHuge[71] = 0x20 // 2^53
    const smallOrder = good.slice()
    smallOrder.fill(0, 38, 70)
    smallOrder[38] = 1
    const nonCanonical = good.slice()
    nonCanonical.fill(0xff, 38, 70)
    nonCanonical[38] = 0xee // y = p + 1
    nonCanonical[69] = 0x7f
    for (const bad of [formatOne, oldSnapshot, kindThree, kindZero, seqZero, seqHuge, smallOrder, nonCanonical, good.subarray(0, 109), new Uint8Array([...good, 0])]) {
      expect(decodeHeader(bad)).toBeUndefined()
    }
    expect(decodeHeader(at(1, SNAPSHOT_KIND))?.kind).toBe(SNAPSHOT_KIND)
  })

  test('[C0] encodeHeader throws CryptoMisuse for wrong id lengths, out-of-range numbers and an unknown kind', async () => {
    const r = room()
    const alice = await authorIn(r, r.alice)
    expect(() => encodeHeader(headerFor(r, alice, { conv: new Uint8Array(15) }))).toThrow(CryptoMisuse)
    expect(() => encodeHeader(headerFor(r, alice, { doc: new Uint8Array(17) }))).toThrow(CryptoMisuse)
    expect(() => encodeHeader(headerFor(r, alice, { epoch: -1 }))).toThrow(CryptoMisuse)
    expect(() => encodeHeader(headerFor(r, alice, { epoch: 2 ** 32 }))).toThrow(CryptoMisuse)
    expect(() => encodeHeader(headerFor(r, alice, { seq: 0 }))).toThrow(CryptoMisuse)
    expect(() => encodeHeader(headerFor(r, alice, { seq: 2 ** 53 }))).toThrow(CryptoMisuse)
    expect(() => encodeHeader(headerFor(r, alice, { kind: 3 as EnvelopeKind }))).toThrow(CryptoMisuse)
    expect(() => encodeHeader(headerFor(r, alice, { chain: new Uint8Array(31) as ChainAuthor['chain'] }))).toThrow(CryptoMisuse)
  })
})

describe('[C0] sealing misuse throws at once', () => {
  test('[C0] [E13] a 31-byte epoch key, or a header naming another chain key than the signer\'s, throws CryptoMisuse', async () => {
    const r = room()
    const alice = await authorIn(r, r.alice)
    await expect(sealEnvelope(headerFor(r, alice), text('x'), new Uint8Array(31) as EpochKey, alice)).rejects.toThrow(CryptoMisuse)
    await expect(sealEnvelope(headerFor(r, alice), text('x'), r.epochKey, await authorIn(r, r.eve))).rejects.toThrow(CryptoMisuse)
    // alice's own chain of another epoch is another chain key too
    await expect(sealEnvelope(headerFor(r, alice), text('x'), r.epochKey, await authorIn(r, r.alice, 1))).rejects.toThrow(CryptoMisuse)
    // the header naming alice's device key (format 1's field) instead of her chain key
    await expect(sealEnvelope(headerFor(r, alice, { chain: r.alice.keys.signPublic }), text('x'), r.epochKey, alice)).rejects.toThrow(CryptoMisuse)
  })
})
