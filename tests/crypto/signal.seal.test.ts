import { createHash, createPrivateKey, hkdfSync, sign as nodeSign } from 'node:crypto'
import nacl from 'tweetnacl'
import { describe, expect, test, vi } from 'vitest'
import { CryptoMisuse, MAX_SIGNAL_BODY, MAX_SIGNAL_PAYLOAD, SignalReplayGuard, asEpochKey, asSignSecretKey, createSigner, generateEpochKey, openSignal, randomBytes, sealSignal, signalEpoch, type EpochKey } from '../../crypto/index.js'
import { sealSignalParts, signalSignedBytes } from '../../crypto/signal.js'
import { persona } from './personas.js'

const hex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'))
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex')
const u32 = (n: number) => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b }
const u64 = (n: number) => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(n)); return b }
const framed = (domain: string, ...parts: Uint8Array[]) =>
  Buffer.concat([Buffer.from(domain), ...parts].flatMap((p) => [u32(p.length), Buffer.from(p)]))

describe('[E14] signals: sealed under the epoch, signed by the device, padded', () => {
  test('[E14] vector: the body is rebuilt byte for byte by Node\'s own HKDF and Ed25519, and its digest is pinned', async () => {
    const seed = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60') // RFC 8032 test 1
    const kp = nacl.sign.keyPair.fromSeed(seed)
    const signer = createSigner(asSignSecretKey(kp.secretKey))
    const key = asEpochKey(hex('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'))
    const conv = hex('0f0e0d0c0b0a09080706050403020100')
    const epoch = 7
    const time = 1_767_225_600_000
    const id = hex('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf')
    const nonce = hex('000102030405060708090a0b0c0d0e0f1011121314151617')
    const payload = new TextEncoder().encode('{"t":"typing"}')
    const signature = await signer.sign(signalSignedBytes(conv, epoch, time, id, payload))
    const body = sealSignalParts(key, conv, epoch, { device: signer.publicKey, signature, time, id, payload }, nonce)

    // Independently: Node's HKDF, Node's Ed25519, the layout by hand; secretbox is the primitive.
    const k = new Uint8Array(hkdfSync('sha256', key, Buffer.concat([conv, u32(epoch)]), 'fieldchat/v1/signal/key', 32))
    const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed])
    const nodeSig = nodeSign(null, framed('fieldchat/v1/signal/signature', conv, u32(epoch), u64(time), id, payload), createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }))
    expect(Buffer.from(signature)).toEqual(nodeSig)
    const plain = Buffer.alloc(512)
    Buffer.concat([kp.publicKey, nodeSig, u64(time), id, Buffer.from([0, payload.length]), payload]).copy(plain)
    const expected = Buffer.concat([Buffer.from([1]), u32(epoch), nonce, nacl.secretbox(plain, nonce, k)])
    expect(Buffer.from(body)).toEqual(expected)
    expect(body.length).toBe(1 + 4 + 24 + 16 + 512)
    expect(sha(body)).toBe(PINNED)
    const opened = await openSignal((e) => (e === epoch ? key : undefined), conv, body)
    expect(opened.ok && new TextDecoder().decode(opened.value.payload)).toBe('{"t":"typing"}')
  })

  test('[E14] a typing notice and a receipt are the same size; larger payloads take the next bucket; the largest body fits 2 KiB', async () => {
    const a = persona('alice')
    const key = generateEpochKey()
    const conv = randomBytes(16)
    const sizes = await Promise.all([0, 14, 300, 390, 391, 900, MAX_SIGNAL_PAYLOAD].map(async (n) => (await sealSignal(key, conv, 1, a.signer, randomBytes(n))).length))
    expect(sizes).toEqual([557, 557, 557, 557, 1069, 1069, 2045])
    expect(MAX_SIGNAL_BODY).toBe(2045)
  })

  test('[E14] opens for members of the epoch; the device is the signer, and the epoch is read from the body', async () => {
    const a = persona('alice')
    const key = generateEpochKey()
    const conv = randomBytes(16)
    const body = await sealSignal(key, conv, 3, a.signer, new Uint8Array([1, 2, 3]))
    expect(signalEpoch(body)).toBe(3)
    const r = await openSignal((e) => (e === 3 ? key : undefined), conv, body)
    expect(r.ok).toBe(true)
    if (!r.ok) return
    expect(r.value.device).toEqual(a.keys.signPublic)
    expect(r.value.payload).toEqual(new Uint8Array([1, 2, 3]))
    expect(r.value.epoch).toBe(3)
    expect(r.value.id.length).toBe(16)
  })

  test('[C5][E14] the epoch key never seals a signal itself, and every signal draws a fresh nonce', async () => {
    const a = persona('alice')
    const key = generateEpochKey()
    const conv = randomBytes(16)
    const calls: { nonce: string; key: string }[] = []
    const real = nacl.secretbox
    const spy = vi.spyOn(nacl, 'secretbox').mockImplementation((m: Uint8Array, n: Uint8Array, k: Uint8Array) => {
      calls.push({ nonce: Buffer.from(n).toString('hex'), key: Buffer.from(k).toString('hex') })
      return real(m, n, k)
    })
    try {
      for (let i = 0; i < 50; i++) await sealSignal(key, conv, 1, a.signer, new Uint8Array([i]))
    } finally {
      spy.mockRestore()
    }
    expect(calls.length).toBe(50)
    expect(new Set(calls.map((c) => c.nonce)).size).toBe(50)
    expect(calls.every((c) => c.key !== Buffer.from(key).toString('hex'))).toBe(true)
  })
})

describe('[E14][C0] signals: forged, moved or damaged input is a code, never a payload', () => {
  const setup = async () => {
    const alice = persona('alice')
    const key = generateEpochKey()
    const conv = randomBytes(16)
    const body = await sealSignal(key, conv, 2, alice.signer, new TextEncoder().encode('read up to m1'))
    return { alice, key, conv, body, keys: (e: number): EpochKey | undefined => (e === 2 ? key : undefined) }
  }

  test('[E14] C103 without the epoch\'s key; C104 under another key (an old epoch\'s, a removed member\'s); a body moved to another conversation or epoch does not open', async () => {
    const { key, conv, body, keys } = await setup()
    expect(await openSignal(() => undefined, conv, body)).toMatchObject({ ok: false, code: 'C103_NO_KEY', detail: 'epoch 2' })
    expect(await openSignal(() => generateEpochKey(), conv, body)).toMatchObject({ ok: false, code: 'C104_DECRYPT_FAILED' })
    // The key is derived with the conversation and epoch: moved elsewhere, it does not open.
    expect(await openSignal(keys, randomBytes(16), body)).toMatchObject({ ok: false, code: 'C104_DECRYPT_FAILED' })
    const relabelled = body.slice()
    relabelled[4] = 9 // epoch 2 → 9, with the same key offered for it
    expect(await openSignal(() => key, conv, relabelled)).toMatchObject({ ok: false, code: 'C104_DECRYPT_FAILED' })
  })

  test('[E14] every flipped bit, a cut body, another version: refused with a code', async () => {
    const { conv, body, keys } = await setup()
    for (const i of [0, 3, 10, 40, 100, body.length - 1]) {
      const bad = body.slice()
      bad[i]! ^= 1
      const r = await openSignal(keys, conv, bad)
      expect(r.ok).toBe(false)
    }
    expect(await openSignal(keys, conv, body.subarray(0, 20))).toMatchObject({ ok: false, code: 'C100_MALFORMED' })
    expect(await openSignal(keys, conv, body.subarray(0, body.length - 1))).toMatchObject({ ok: false, code: 'C100_MALFORMED' })
    const v2 = body.slice()
    v2[0] = 2
    expect(await openSignal(keys, conv, v2)).toMatchObject({ ok: false, code: 'C108_UNSUPPORTED_VERSION' })
  })

  test('[E14] a member with the epoch key cannot speak for another device: a signature by another key, or over other bytes, is C101', async () => {
    const { alice, key, conv, keys } = await setup()
    const mallory = persona('mallory')
    const payload = new TextEncoder().encode('alice has read everything')
    const id = randomBytes(16)
    const time = Date.now()
    // Mallory claims alice's device but can only sign with her own key.
    const forged = sealSignalParts(key, conv, 2, { device: alice.keys.signPublic, signature: await mallory.signer.sign(signalSignedBytes(conv, 2, time, id, payload)), time, id, payload }, randomBytes(24))
    expect(await openSignal(keys, conv, forged)).toMatchObject({ ok: false, code: 'C101_BAD_SIGNATURE' })
    // Alice's genuine signature on other bytes (another payload) does not carry over.
    const genuine = await alice.signer.sign(signalSignedBytes(conv, 2, time, id, new TextEncoder().encode('typing')))
    const swapped = sealSignalParts(key, conv, 2, { device: alice.keys.signPublic, signature: genuine, time, id, payload }, randomBytes(24))
    expect(await openSignal(keys, conv, swapped)).toMatchObject({ ok: false, code: 'C101_BAD_SIGNATURE' })
    // A small-order device key is refused before any signature is checked ([C1]).
    const small = sealSignalParts(key, conv, 2, { device: new Uint8Array(32).fill(0).map((_, i) => (i === 0 ? 1 : 0)), signature: new Uint8Array(64), time, id, payload }, randomBytes(24))
    expect(await openSignal(keys, conv, small)).toMatchObject({ ok: false, code: 'C107_BAD_KEY' })
  })

  test('[E14] non-zero padding or a length past the end is C106', async () => {
    const { alice, key, conv, keys } = await setup()
    const payload = new Uint8Array([7])
    const id = randomBytes(16)
    const time = Date.now()
    const signature = await alice.signer.sign(signalSignedBytes(conv, 2, time, id, payload))
    // Rebuild the plaintext by hand with a stray byte in the padding.
    const plain = new Uint8Array(512)
    plain.set(alice.keys.signPublic, 0)
    plain.set(signature, 32)
    new DataView(plain.buffer).setBigUint64(96, BigInt(time))
    plain.set(id, 104)
    new DataView(plain.buffer).setUint16(120, 1)
    plain[122] = 7
    plain[500] = 1
    const k = new Uint8Array(hkdfSync('sha256', key, Buffer.concat([conv, u32(2)]), 'fieldchat/v1/signal/key', 32))
    const nonce = randomBytes(24)
    const body = Buffer.concat([Buffer.from([1]), u32(2), nonce, nacl.secretbox(plain, nonce, k)])
    expect(await openSignal(keys, conv, new Uint8Array(body))).toMatchObject({ ok: false, code: 'C106_BAD_PADDING' })
    plain[500] = 0
    new DataView(plain.buffer).setUint16(120, 600)
    const long = Buffer.concat([Buffer.from([1]), u32(2), nonce, nacl.secretbox(plain, nonce, k)])
    expect(await openSignal(keys, conv, new Uint8Array(long))).toMatchObject({ ok: false, code: 'C106_BAD_PADDING' })
  })

  test('[E14][C0] misuse throws: a wrong key or conversation length, an out-of-range epoch, an oversized payload', async () => {
    const a = persona('alice')
    const key = generateEpochKey()
    await expect(sealSignal(new Uint8Array(31) as EpochKey, randomBytes(16), 1, a.signer, new Uint8Array())).rejects.toThrow(CryptoMisuse)
    await expect(sealSignal(key, randomBytes(15), 1, a.signer, new Uint8Array())).rejects.toThrow(CryptoMisuse)
    await expect(sealSignal(key, randomBytes(16), -1, a.signer, new Uint8Array())).rejects.toThrow(CryptoMisuse)
    await expect(sealSignal(key, randomBytes(16), 2 ** 32, a.signer, new Uint8Array())).rejects.toThrow(CryptoMisuse)
    await expect(sealSignal(key, randomBytes(16), 1, a.signer, new Uint8Array(MAX_SIGNAL_PAYLOAD + 1))).rejects.toThrow(CryptoMisuse)
    await expect(openSignal(() => key, randomBytes(3), new Uint8Array(600))).rejects.toThrow(CryptoMisuse)
  })
})

describe('[E14] replays are refused', () => {
  const sig = (device: number, id: number, time: number) => ({ device: new Uint8Array(32).fill(device), id: new Uint8Array(16).fill(id), time })

  test('[E14] the same (device, id) passes once; another device\'s same id is its own', () => {
    const g = new SignalReplayGuard()
    const now = 1_000_000
    expect(g.check(sig(1, 1, now), now).ok).toBe(true)
    expect(g.check(sig(1, 1, now), now + 10)).toMatchObject({ ok: false, code: 'C109_REPLAYED', detail: 'seen' })
    expect(g.check(sig(2, 1, now), now).ok).toBe(true)
  })

  test('[E14] outside the window (either way) is refused: an old signal replayed after its id was forgotten never passes', () => {
    const g = new SignalReplayGuard(60_000)
    const now = 10_000_000
    expect(g.check(sig(1, 1, now - 60_001), now)).toMatchObject({ ok: false, detail: 'time' })
    expect(g.check(sig(1, 2, now + 60_001), now)).toMatchObject({ ok: false, detail: 'time' })
    expect(g.check(sig(1, 3, now), now).ok).toBe(true)
    expect(g.check(sig(1, 3, now), now + 120_000)).toMatchObject({ ok: false, detail: 'time' })
  })

  test('[E14] a full memory fails closed: nothing at or before the time of a forgotten id passes', () => {
    const g = new SignalReplayGuard(60_000, 3)
    const now = 5_000_000
    for (let i = 0; i < 4; i++) expect(g.check(sig(1, i, now + i), now + 10).ok).toBe(true)
    expect(g.size).toBe(3)
    expect(g.check(sig(1, 0, now), now + 10)).toMatchObject({ ok: false, detail: 'time' }) // forgotten, still refused
    expect(g.check(sig(1, 9, now + 5), now + 10).ok).toBe(true)
  })
})

const PINNED = '3b7229772724074dbf50abbecac1f724288885eb94693ef9bf0c600301988f5b'
