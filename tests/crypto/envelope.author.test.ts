import nacl from 'tweetnacl'
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest'
import * as signature from '../../crypto/envelope/signature.js'
import {
  CERT_BYTES, CryptoErrorCode, CryptoMisuse, EnvelopeAuthors, HEADER_BYTES, deriveKey, MIN_BUCKET, SNAPSHOT_KIND, bytesEqual, concat, encodeHeader, frame,
  generateEpochKey, hashOfEnvelope, joinEnvelope, openEnvelope, openEnvelopes, parseSignPublicKey, randomBytes, sealEnvelope, signedBytes,
  splitEnvelope, useSignatureBackend, verifySignature, type ChainAuthor, type EnvelopeHash, type EpochKey,
} from '../../crypto/index.js'
import { BACKENDS, authorIn, hex, headerFor, persona, readerContext, room, text, type Persona, type Room } from './personas.js'
import { NON_CANONICAL_KEYS, SMALL_ORDER_KEYS } from './vectors.js'

/**
 * [E13] Sealed sender: the header names only the author's chain key for (conversation, epoch);
 * the device and its certificate (device ‖ device signature over (conv, epoch, chain)) travel
 * inside the ciphertext, and every reader checks the certificate against the header's chain.
 */

const u32 = (n: number) => Uint8Array.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff])
/** What the device signs in a certificate (spelled out here so a change of format shows up). */
const certMessage = (conv: Uint8Array, epoch: number, chain: Uint8Array) => frame('fieldchat/v1/envelope/chain-cert', [conv, u32(epoch), chain])

const C101_CERT = { ok: false, code: CryptoErrorCode.BAD_SIGNATURE, detail: 'certificate' }

/** Seals a chain of `n` change batches by `author` (seq 1..n) under `key`. */
async function run(r: Room, author: ChainAuthor, n: number, epoch = 0, key: EpochKey = r.epochKey): Promise<Uint8Array[]> {
  const out: Uint8Array[] = []
  let prev: EnvelopeHash | undefined
  for (let seq = 1; seq <= n; seq++) {
    const env = await sealEnvelope(headerFor(r, author, { epoch, seq, ...(prev ? { prev } : {}) }), new Uint8Array([epoch, seq]), key, author)
    out.push(env.bytes)
    prev = env.hash
  }
  return out
}

/** True when some `width`-byte window of `hay` equals some `width`-byte window of `needle`. */
function sharesWindow(hay: Uint8Array, needle: Uint8Array, width: number): boolean {
  const windows = new Set<string>()
  for (let i = 0; i + width <= needle.length; i++) windows.add(needle.subarray(i, i + width).join(','))
  for (let i = 0; i + width <= hay.length; i++) if (windows.has(hay.subarray(i, i + width).join(','))) return true
  return false
}

describe('[E13] chain keys', () => {
  test('[E13] the chain key is deterministic per (device, conversation, epoch), and is not the device key', async () => {
    const alice = persona('alice')
    const conv = randomBytes(16)
    const a = await alice.authors.forEpoch(conv, 3)
    const again = await new EnvelopeAuthors(alice.keys.signSecret).forEpoch(conv.slice(), 3) // another instance, e.g. after a restart
    expect(again.chain).toEqual(a.chain)
    expect(again.cert).toEqual(a.cert) // Ed25519 signatures are deterministic: the same certificate too
    expect(await alice.authors.forEpoch(conv, 3)).toBe(a) // made once per (conversation, epoch) and kept
    expect(a.device).toEqual(alice.keys.signPublic)
    expect(a.signer.publicKey).toEqual(a.chain)
    expect(a.chain).not.toEqual(alice.keys.signPublic)
    expect(parseSignPublicKey(a.chain)).toBeDefined() // [C1]: a header with it decodes
    expect(a.cert.length).toBe(CERT_BYTES)
    expect(a.cert.subarray(0, 32)).toEqual(alice.keys.signPublic)
    expect(await verifySignature(certMessage(conv, 3, a.chain), a.cert.subarray(32), alice.keys.signPublic)).toBe(true)
    // the derivation in crypto/SPEC.md [E13]: HKDF(ikm = device seed, salt = conv ‖ u32be(epoch), info = domain)
    const seed = deriveKey(alice.keys.signSecret.subarray(0, 32), 'fieldchat/v1/envelope/chain-key', concat(conv, u32(3)))
    expect(nacl.sign.keyPair.fromSeed(seed).publicKey).toEqual(a.chain)
  })

  test('[E13] the chain key differs across epochs, conversations and devices', async () => {
    const [alice, bob] = [persona('alice'), persona('bob')]
    const [c1, c2] = [randomBytes(16), randomBytes(16)]
    const keys = [
      (await alice.authors.forEpoch(c1, 0)).chain,
      (await alice.authors.forEpoch(c1, 1)).chain,
      (await alice.authors.forEpoch(c1, 2)).chain,
      (await alice.authors.forEpoch(c1, 0xffffffff)).chain,
      (await alice.authors.forEpoch(c2, 0)).chain,
      (await alice.authors.forEpoch(c2, 1)).chain,
      (await bob.authors.forEpoch(c1, 0)).chain,
      (await bob.authors.forEpoch(c1, 1)).chain,
      (await bob.authors.forEpoch(c2, 0)).chain,
      alice.keys.signPublic,
      bob.keys.signPublic,
    ]
    expect(new Set(keys.map((k) => k.join(','))).size).toBe(keys.length)
  })

  test('[E13] [C0] forEpoch refuses a conversation id that is not 16 bytes', () => {
    const alice = persona('alice')
    expect(() => alice.authors.forEpoch(new Uint8Array(15), 0)).toThrow()
  })
})

describe.each(BACKENDS)('[E13] sealed sender (%s backend)', (backend) => {
  let r: Room
  let alice: ChainAuthor
  let bob: ChainAuthor
  let eve: ChainAuthor
  beforeEach(async () => {
    useSignatureBackend(backend)
    r = room()
    ;[alice, bob, eve] = [await authorIn(r, r.alice), await authorIn(r, r.bob), await authorIn(r, r.eve)]
  })
  afterEach(() => useSignatureBackend('auto'))

  const open = (bytes: Uint8Array, ctx = readerContext(r)) => openEnvelope(bytes, ctx)

  test('[E13] the header never contains the device key in any position; the envelope does not either', async () => {
    const alice1 = await authorIn(r, r.alice, 1)
    const envs = [
      await sealEnvelope(headerFor(r, alice), text('hi'), r.epochKey, alice),
      await sealEnvelope(headerFor(r, alice, { kind: SNAPSHOT_KIND, seq: 7, prev: randomBytes(32) as EnvelopeHash }), text('snap'), r.epochKey, alice),
      await sealEnvelope(headerFor(r, alice1, { epoch: 1, seq: 2 ** 40 }), new Uint8Array(5000), r.epochKey, alice1),
    ]
    for (const env of envs) {
      const parts = splitEnvelope(env.bytes)!
      expect(parts.headerBytes.length).toBe(HEADER_BYTES)
      expect(Object.keys(parts.header)).not.toContain('device')
      // no 32-byte window anywhere in the header or the whole envelope is the device key...
      expect(sharesWindow(parts.headerBytes, r.alice.keys.signPublic, 32)).toBe(false)
      expect(sharesWindow(env.bytes, r.alice.keys.signPublic, 32)).toBe(false)
      // ...nor even 8 bytes of it (a chance match is ~2^-54 here)
      expect(sharesWindow(parts.headerBytes, r.alice.keys.signPublic, 8)).toBe(false)
      // the certificate (device key and signature) is inside the ciphertext only
      expect(sharesWindow(env.bytes, alice.cert, 32)).toBe(false)
    }
  })

  test('[E13] opening returns the true author device, for each author, with openEnvelope and openEnvelopes', async () => {
    const a = await sealEnvelope(headerFor(r, alice), text('from alice'), r.epochKey, alice)
    const b = await sealEnvelope(headerFor(r, bob), text('from bob'), r.epochKey, bob)
    const [oa, ob] = [await open(a.bytes), await open(b.bytes)]
    expect(oa.ok && [...oa.value.device]).toEqual([...r.alice.keys.signPublic])
    expect(ob.ok && [...ob.value.device]).toEqual([...r.bob.keys.signPublic])
    expect(oa.ok && [...oa.value.header.chain]).toEqual([...alice.chain])
    const batch = await openEnvelopes([b.bytes, a.bytes], readerContext(r))
    expect(batch.map((o) => o.ok && [...o.value.device])).toEqual([[...r.bob.keys.signPublic], [...r.alice.keys.signPublic]])
  })

  test('[E13] [E5] a member re-wrapping alice\'s ciphertext under her own chain header and signature is refused: C105, nothing opens', async () => {
    const sealed = await sealEnvelope(headerFor(r, alice), text('alice said this'), r.epochKey, alice)
    expect((await open(sealed.bytes)).ok).toBe(true)
    const parts = splitEnvelope(sealed.bytes)!
    const eveHeader = encodeHeader({ ...parts.header, chain: eve.chain })
    const forged = joinEnvelope(eveHeader, parts.nonce, await eve.signer.sign(signedBytes(eveHeader, parts.nonce, parts.ciphertext)), parts.ciphertext)
    // eve's signature is good (the server would take it), but the header hash inside is alice's
    expect(await signature.verifyEnvelopeSignature(splitEnvelope(forged)!)).toBe(true)
    expect(await open(forged)).toEqual({ ok: false, code: CryptoErrorCode.HEADER_MISMATCH })
    const [one] = await openEnvelopes([forged], readerContext(r))
    expect(one).toEqual({ ok: false, code: CryptoErrorCode.HEADER_MISMATCH })
  })

  test('[E13] a member who decrypts alice\'s batch and re-seals it in her own chain with alice\'s certificate is refused: C101 certificate', async () => {
    const sealed = await sealEnvelope(headerFor(r, alice), text('alice said this'), r.epochKey, alice)
    const opened = await open(sealed.bytes)
    expect(opened.ok).toBe(true)
    if (!opened.ok) return
    // eve holds the epoch key: a fresh header hash for her header, alice's certificate, her chain signature
    const asAlice: ChainAuthor = { ...eve, cert: alice.cert }
    const forged = await sealEnvelope(headerFor(r, eve), opened.value.payload, r.epochKey, asAlice)
    expect(await signature.verifyEnvelopeSignature(splitEnvelope(forged.bytes)!)).toBe(true)
    expect(await open(forged.bytes)).toEqual(C101_CERT)
    expect(await openEnvelopes([forged.bytes], readerContext(r))).toEqual([C101_CERT])
    // with her own certificate the same bytes open, but as eve's: she cannot make them alice's
    const resealed = await sealEnvelope(headerFor(r, eve), opened.value.payload, r.epochKey, eve)
    const mine = await open(resealed.bytes)
    expect(mine.ok && [...mine.value.device]).toEqual([...r.eve.keys.signPublic])
  })

  test('[E13] a certificate copied from another author into an envelope signed by a different chain key is refused: C101 certificate', async () => {
    // alice's certificate verifies (and is cached) for alice's own chain first
    const genuine = await sealEnvelope(headerFor(r, alice), text('x'), r.epochKey, alice)
    expect((await open(genuine.bytes)).ok).toBe(true)
    for (const [signer, cert] of [[eve, alice.cert], [bob, alice.cert], [alice, bob.cert], [eve, bob.cert]] as const) {
      const forged = await sealEnvelope(headerFor(r, signer), text('new words'), r.epochKey, { ...signer, cert })
      expect(await open(forged.bytes)).toEqual(C101_CERT)
    }
    // eve's own certificate with alice's device key put in front: alice never signed it
    const claimed = concat(r.alice.keys.signPublic, eve.cert.subarray(32))
    const forged = await sealEnvelope(headerFor(r, eve), text('x'), r.epochKey, { ...eve, cert: claimed })
    expect(await open(forged.bytes)).toEqual(C101_CERT)
    // eve signs a certificate for her chain with her own device, then names alice as the device
    const own = await r.eve.signer.sign(certMessage(r.conv, 0, eve.chain))
    expect(own).toEqual(eve.cert.subarray(32)) // the message above is the real certificate format
    const renamed = await sealEnvelope(headerFor(r, eve), text('x'), r.epochKey, { ...eve, cert: concat(r.alice.keys.signPublic, own) })
    expect(await open(renamed.bytes)).toEqual(C101_CERT)
  })

  test('[E13] a certificate for another epoch or another conversation is refused: C101 certificate', async () => {
    const keys = { 0: r.epochKey, 1: generateEpochKey() }
    const ctx = readerContext(r, keys)
    const alice1 = await authorIn(r, r.alice, 1)
    const otherConv = await r.alice.authors.forEpoch(randomBytes(16), 0)
    // alice's own certificate of epoch 1 or of another conversation, in her epoch-0 chain
    for (const cert of [alice1.cert, otherConv.cert]) {
      const env = await sealEnvelope(headerFor(r, alice), text('x'), r.epochKey, { ...alice, cert })
      expect(await open(env.bytes, ctx)).toEqual(C101_CERT)
    }
    // a whole author (chain and certificate) of epoch 1 under a header saying epoch 0, and the
    // reverse: sealEnvelope refuses it as misuse; a modified client that relabels the author gets
    // it sealed, and every reader refuses it
    await expect(sealEnvelope(headerFor(r, alice1, { epoch: 0 }), text('x'), keys[0], alice1)).rejects.toThrow(CryptoMisuse)
    const early = await sealEnvelope(headerFor(r, alice1, { epoch: 0 }), text('x'), keys[0], { ...alice1, epoch: 0 })
    expect(await open(early.bytes, ctx)).toEqual(C101_CERT)
    const late = await sealEnvelope(headerFor(r, alice, { epoch: 1 }), text('x'), keys[1], { ...alice, epoch: 1 })
    expect(await open(late.bytes, ctx)).toEqual(C101_CERT)
    // an author of another conversation under this conversation's header
    await expect(sealEnvelope(headerFor(r, otherConv), text('x'), r.epochKey, otherConv)).rejects.toThrow(CryptoMisuse)
    const moved = await sealEnvelope(headerFor(r, otherConv), text('x'), r.epochKey, { ...otherConv, conv: r.conv })
    expect(await open(moved.bytes, ctx)).toEqual(C101_CERT)
    // the genuine ones open
    const good = await sealEnvelope(headerFor(r, alice1, { epoch: 1 }), text('x'), keys[1], alice1)
    expect((await open(good.bytes, ctx)).ok).toBe(true)
  })

  test('[E13] [C1] a small-order or non-canonical device key in the certificate is refused: C101 certificate', async () => {
    // R = identity, S = 0 verifies for ANY message under the identity point and its other
    // spellings on a verifier without [C1] (raw tweetnacl): a universal forgery of authorship.
    const universal = concat(hex('01'.padEnd(64, '0')), new Uint8Array(32))
    const identities = ['0100000000000000000000000000000000000000000000000000000000000000', '0100000000000000000000000000000000000000000000000000000000000080',
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', 'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff'].map(hex)
    for (const key of identities) expect(nacl.sign.detached.verify(certMessage(r.conv, 0, eve.chain), universal, key)).toBe(true)
    for (const key of [...identities, ...SMALL_ORDER_KEYS, ...NON_CANONICAL_KEYS]) {
      const env = await sealEnvelope(headerFor(r, eve), text('x'), r.epochKey, { ...eve, cert: concat(key, universal) })
      expect(await open(env.bytes), Buffer.from(key).toString('hex')).toEqual(C101_CERT)
    }
    // and the same keys with a genuine-looking signature (eve's own over this chain)
    for (const key of identities) {
      const env = await sealEnvelope(headerFor(r, eve), text('x'), r.epochKey, { ...eve, cert: concat(key, eve.cert.subarray(32)) })
      expect(await open(env.bytes)).toEqual(C101_CERT)
    }
  })

  test('[E11] [E13] openEnvelopes groups runs by chain: one signature per chain run, the same device\'s two epochs are two runs', async () => {
    const keys = { 0: r.epochKey, 1: generateEpochKey() }
    const alice1 = await authorIn(r, r.alice, 1)
    const e0 = await run(r, alice, 3, 0, keys[0])
    const e1 = await run(r, alice1, 3, 1, keys[1]) // the same device, another chain, the same seqs 1..3
    const b0 = await run(r, bob, 2)
    const mixed = [e1[0]!, e0[0]!, b0[0]!, e0[1]!, e1[1]!, b0[1]!, e1[2]!, e0[2]!]
    const spy = vi.spyOn(signature, 'verifyEnvelopeSignature')
    const out = await openEnvelopes(mixed, readerContext(r, keys))
    expect(spy).toHaveBeenCalledTimes(3) // alice epoch 0, alice epoch 1, bob
    const checked = spy.mock.calls.map(([p]) => p.header.chain.join(','))
    expect(new Set(checked)).toEqual(new Set([alice.chain, alice1.chain, bob.chain].map((c) => c.join(','))))
    spy.mockRestore()
    expect(out.map((o) => (o.ok ? [o.value.header.epoch, o.value.header.seq] : o.code))).toEqual([[1, 1], [0, 1], [0, 1], [0, 2], [1, 2], [0, 2], [1, 3], [0, 3]])
    const who = [r.alice, r.alice, r.bob, r.alice, r.alice, r.bob, r.alice, r.alice].map((p: Persona) => [...p.keys.signPublic])
    expect(out.map((o) => o.ok && [...o.value.device])).toEqual(who)
    const single = await Promise.all(mixed.map((e) => openEnvelope(e, readerContext(r, keys))))
    expect(out.map((o) => o.ok && [...o.value.payload])).toEqual(single.map((s) => s.ok && [...s.value.payload]))
  })

  test('[E11] [E13] a successor on another chain vouches for nothing, even when its prev is the hash', async () => {
    const envs = await run(r, alice, 3)
    const stolen = envs[2]!.slice()
    stolen[HEADER_BYTES + 24 + 5]! ^= 1 // alice's newest with a broken signature; its hash is unchanged ([E4])
    const head = hashOfEnvelope(splitEnvelope(envs[2]!)!)
    expect(hashOfEnvelope(splitEnvelope(stolen)!)).toEqual(head)
    // eve's envelope at alice's next seq committing to that hash, on eve's own chain
    const eveNext = await sealEnvelope(headerFor(r, eve, { seq: 4, prev: head }), text('x'), r.epochKey, eve)
    const out = await openEnvelopes([envs[0]!, envs[1]!, stolen, eveNext.bytes], readerContext(r))
    expect(out.map((o) => (o.ok ? 'ok' : o.code))).toEqual(['ok', 'ok', 'C101_BAD_SIGNATURE', 'ok'])
    expect(out[3]!.ok && [...out[3]!.value.device]).toEqual([...r.eve.keys.signPublic])
  })
})

describe('[E5] padding hides message length', () => {
  test('[E5] a 3,000-character message and a 10-character message seal to the same ciphertext length (4 KiB bucket)', async () => {
    const r = room()
    const alice = await authorIn(r, r.alice)
    const long = 'x'.repeat(2999) + '.'
    const short = 'see you at'
    expect([long.length, short.length]).toEqual([3000, 10])
    const a = await sealEnvelope(headerFor(r, alice), text(long), r.epochKey, alice)
    const b = await sealEnvelope(headerFor(r, alice, { seq: 2, prev: a.hash }), text(short), r.epochKey, alice)
    const [ca, cb] = [splitEnvelope(a.bytes)!.ciphertext, splitEnvelope(b.bytes)!.ciphertext]
    expect(ca.length).toBe(cb.length)
    expect(ca.length).toBe(MIN_BUCKET + 16)
    expect(a.bytes.length).toBe(b.bytes.length)
    const [oa, ob] = [await openEnvelope(a.bytes, readerContext(r)), await openEnvelope(b.bytes, readerContext(r))]
    expect(oa.ok && new TextDecoder().decode(oa.value.payload)).toBe(long)
    expect(ob.ok && new TextDecoder().decode(ob.value.payload)).toBe(short)
    expect(bytesEqual(ca, cb)).toBe(false)
  })
})
