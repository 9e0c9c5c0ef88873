import { describe, expect, test } from 'vitest'
import { CryptoMisuse, FRAME_SLOTS, createFrameSealer, deriveFrameKey, frameHeader, generateFrameBaseKey, openFrame, readFrameHeader, sealFrameAt, type FrameKey } from '../../crypto/index.js'

/** [X2] SFrame (RFC 9605), cipher suite AES_128_GCM_SHA256_128: the RFC's vectors, and misuse. */
const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)))
const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')

describe('[X2] vectors (RFC 9605 test vectors, sframe-wg/sframe test-vectors.json)', () => {
  test('headers: KID and CTR in the config byte below 8, in minimal big-endian bytes above', () => {
    const cases: [number, number, string][] = [
      [0, 0, '00'], [0, 1, '01'], [0, 255, '08ff'], [0, 256, '090100'], [0, 65536, '0a010000'], [0, 2 ** 48 - 1, '0dffffffffffff'],
      [1, 0, '10'], [1, 255, '18ff'], [255, 0, '80ff'], [255, 256, '89ff0100'], [256, 0, '900100'], [65535, 1, '91ffff'],
      [65536, 255, 'a8010000ff'], [16777216, 0, 'b001000000'], [4294967296, 16777216, 'cb010000000001000000'], [291, 17767, '9901234567'],
    ]
    for (const [kid, ctr, encoded] of cases) {
      expect(toHex(frameHeader(kid, ctr)), `${kid}/${ctr}`).toBe(encoded)
      expect(readFrameHeader(hex(encoded + 'aabb'))).toEqual({ kid, ctr, length: encoded.length / 2 })
    }
    // Cut short, or past what a JavaScript number holds exactly: no header.
    expect(readFrameHeader(hex('0a0100'))).toBeUndefined()
    expect(readFrameHeader(new Uint8Array(0))).toBeUndefined()
    expect(readFrameHeader(hex('0fffffffffffffffff'))).toBeUndefined()
    // 2^53 − 1 is read; 2^53 and 2^53 + 1 (which a float would round to 2^53) are not.
    expect(readFrameHeader(hex('0e1fffffffffffff'))).toEqual({ kid: 0, ctr: Number.MAX_SAFE_INTEGER, length: 8 })
    expect(readFrameHeader(hex('0e20000000000000'))).toBeUndefined()
    expect(readFrameHeader(hex('0e20000000000001'))).toBeUndefined()
  })

  test('cipher suite 4: KID 291, CTR 17767, metadata "IETF SFrame WG": key, salt, nonce and ciphertext', async () => {
    const key = await deriveFrameKey(hex('000102030405060708090a0b0c0d0e0f'), 291)
    expect(toHex(key.salt)).toBe('75234edefe07819026751816')
    const metadata = hex('4945544620534672616d65205747')
    const pt = hex('64726166742d696574662d736672616d652d656e63')
    const sealed = await sealFrameAt(key, 17767, metadata, pt)
    // Our frame carries the metadata before SFrame's ciphertext (header ‖ ct), which is the RFC's.
    expect(toHex(sealed.subarray(0, metadata.length))).toBe(toHex(metadata))
    expect(toHex(sealed.subarray(metadata.length))).toBe('9901234567b7412c2513a1b66dbb48841bbaf17f598751176ad847681a69c6d0b091c07018ce4adb34eb')
    const opened = await openFrame((kid) => (kid === 291 ? key : undefined), sealed, metadata.length)
    expect(opened).toEqual({ ok: true, value: new Uint8Array([...metadata, ...pt]) })
  })
})

describe('[X2] the nonce and header by division, against a BigInt reference', () => {
  const bigHeader = (kid: number, ctr: number): string => {
    const min = (n: number) => BigInt(n).toString(16).padStart(Math.ceil(BigInt(n).toString(16).length / 2) * 2, '0')
    const k = kid < 8 ? '' : min(kid)
    const c = ctr < 8 ? '' : min(ctr)
    const config = (kid < 8 ? kid << 4 : 0x80 | ((k.length / 2 - 1) << 4)) | (ctr < 8 ? ctr : 0x08 | (c.length / 2 - 1))
    return config.toString(16).padStart(2, '0') + k + c
  }
  const ctrs = [0, 1, 7, 8, 255, 256, 65535, 2 ** 32, 2 ** 48 - 1, 2 ** 48, 2 ** 48 + 1, 31 * 2 ** 48 + 12345, Number.MAX_SAFE_INTEGER]

  test('headers for every size of KID and CTR up to 2^53 − 1 equal the reference, and read back', () => {
    for (const kid of [0, 7, 8, 291, 2 ** 40 + 3, Number.MAX_SAFE_INTEGER]) {
      for (const ctr of ctrs) {
        const h = frameHeader(kid, ctr)
        expect(toHex(h), `${kid}/${ctr}`).toBe(bigHeader(kid, ctr))
        expect(readFrameHeader(h)).toEqual({ kid, ctr, length: h.length })
      }
    }
  })

  test('a frame sealed at a large CTR (slot 31, past 2^48) is AES-GCM under salt XOR u64(CTR), computed with BigInt here', async () => {
    const key = await deriveFrameKey(hex('000102030405060708090a0b0c0d0e0f'), 291)
    const raw = hex('64726166742d696574662d736672616d652d656e63')
    for (const ctr of ctrs) {
      const sealed = await sealFrameAt(key, ctr, hex('aa'), raw)
      const nonce = new Uint8Array(key.salt)
      const c = new Uint8Array(8)
      new DataView(c.buffer).setBigUint64(0, BigInt(ctr))
      for (let i = 0; i < 8; i++) nonce[4 + i]! ^= c[i]!
      const header = hex(bigHeader(291, ctr))
      const ct = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: new Uint8Array([...header, 0xaa]), tagLength: 128 }, key.key, raw))
      expect(toHex(sealed), `ctr ${ctr}`).toBe('aa' + toHex(header) + toHex(ct))
    }
  })
})

describe('[X2] frames', () => {
  const frame = Uint8Array.from({ length: 1200 }, (_, i) => (i * 7) & 255)
  const pair = async (kid = 5): Promise<FrameKey> => deriveFrameKey(generateFrameBaseKey(), kid)

  test('a frame round-trips with its metadata readable; every changed byte, another key, a rewritten KID or CTR, a cut frame is refused', async () => {
    const key = await pair()
    const sealer = createFrameSealer(key, 3)
    const sealed = await sealer.seal(frame, 10)
    expect(sealed.subarray(0, 10)).toEqual(frame.subarray(0, 10))
    expect(sealed.length).toBe(frame.length + 16 + readFrameHeader(sealed.subarray(10))!.length)
    const keyOf = (kid: number) => (kid === key.kid ? key : undefined)
    expect(await openFrame(keyOf, sealed, 10)).toEqual({ ok: true, value: frame })
    for (const at of [0, 9, 10, 11, 40, sealed.length - 1]) {
      const bad = sealed.slice()
      bad[at]! ^= 1
      const r = await openFrame(keyOf, bad, 10)
      expect(r.ok, `byte ${at}`).toBe(false)
    }
    const other = await pair()
    expect(await openFrame(() => other, sealed, 10)).toMatchObject({ ok: false, code: 'C104_DECRYPT_FAILED' })
    expect(await openFrame(() => undefined, sealed, 10)).toMatchObject({ ok: false, code: 'C103_NO_KEY' })
    expect(await openFrame(keyOf, sealed.subarray(0, 20), 10)).toMatchObject({ ok: false, code: 'C100_MALFORMED' })
    // The metadata length the receiver assumes is part of what is authenticated.
    expect(await openFrame(keyOf, sealed, 3)).toMatchObject({ ok: false })
  })

  test('nonces never repeat: CTRs of one sealer count up, slots of one KID never meet, and two sealings of one frame differ', async () => {
    const key = await pair()
    const a = createFrameSealer(key, 0)
    const b = createFrameSealer(key, 1)
    const ctrs: number[] = []
    for (let i = 0; i < 5; i++) ctrs.push(readFrameHeader((await a.seal(frame, 1)).subarray(1))!.ctr)
    for (let i = 0; i < 5; i++) ctrs.push(readFrameHeader((await b.seal(frame, 1)).subarray(1))!.ctr)
    expect(new Set(ctrs).size).toBe(10)
    expect(ctrs.slice(0, 5)).toEqual([0, 1, 2, 3, 4])
    expect(ctrs[5]).toBe(2 ** 48)
    expect(toHex(await a.seal(frame, 1))).not.toBe(toHex(await a.seal(frame, 1)))
  })

  test('misuse is refused at once: a wrong key length, a bad KID, a slot out of range', async () => {
    await expect(deriveFrameKey(new Uint8Array(32), 1)).rejects.toBeInstanceOf(CryptoMisuse)
    await expect(deriveFrameKey(new Uint8Array(16), -1)).rejects.toBeInstanceOf(CryptoMisuse)
    const key = await pair()
    expect(() => createFrameSealer(key, FRAME_SLOTS)).toThrow(CryptoMisuse)
    expect(() => createFrameSealer(key, -1)).toThrow(CryptoMisuse)
    expect(() => frameHeader(1.5, 0)).toThrow(CryptoMisuse)
  })
})
