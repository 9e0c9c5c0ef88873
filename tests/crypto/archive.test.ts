import { createDecipheriv, createHash, hkdfSync } from 'node:crypto'
import { argon2id } from '@noble/hashes/argon2.js'
import { describe, expect, test } from 'vitest'
import { ARCHIVE_CHUNK_BYTES, ARCHIVE_HEADER_BYTES, CryptoMisuse, readArchiveHeader, sealArchive, unsealArchive } from '../../crypto/index.js'
import { sealArchiveWith } from '../../crypto/archive.js'

/**
 * [R5] Export archives. The vectors go through the seam `sealArchiveWith` (crypto/archive.ts,
 * not exported from crypto/index.ts) with a fixed salt, nonce prefix and small Argon2id
 * parameters; the independent check rebuilds every chunk's key, nonce and additional data with
 * node:crypto (HKDF, AES-256-GCM) from the Argon2id output.
 */
const PASS = 'correct horse battery staple'
const salt = Uint8Array.from({ length: 16 }, (_, i) => i)
const noncePrefix = Uint8Array.from({ length: 7 }, (_, i) => 0xa0 + i)
const small = { t: 1, m: 64, p: 1 }
const fixed = { kdf: small, salt, noncePrefix }
const text = (s: string) => new TextEncoder().encode(s)
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const SEALED_CHUNK = ARCHIVE_CHUNK_BYTES + 16
/** Content of `n` bytes, different in every chunk. */
const content = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 16)) & 0xff)
/** Large byte arrays compared as buffers (vitest's deep equality walks them element by element). */
const opensTo = (r: Awaited<ReturnType<typeof unsealArchive>>, plain: Uint8Array) => r.ok && Buffer.from(r.value).equals(Buffer.from(plain))
const seal = (plain: Uint8Array, passphrase = PASS) => sealArchive(passphrase, plain, small)

describe('[R5] archive vectors', () => {
  test('[R5] vector: a fixed salt, nonce prefix and t=1 m=64 p=1 give exactly these bytes (header 71 ‖ one chunk)', async () => {
    const sealed = await sealArchiveWith(PASS, text('pump 3 is down'), fixed)
    expect(hex(sealed)).toBe(
      '4643415243484956' + '01' + '01' + '01' + '01' + '00000040' + '000102030405060708090a0b0c0d0e0f' + 'a0a1a2a3a4a5a6' +
        '3a422295dbff7a0c5d0c265eeed9eda89c89ca3437c90d082bcf0a0d34be690a' +
        '910781d76f1c76495c4a301bee93ce5600761424e9a94067c00a765e10ac',
    )
    expect(await unsealArchive(PASS, sealed)).toEqual({ ok: true, value: text('pump 3 is down') })
  })

  test('[R5] vector: the empty archive is the header and one empty last chunk (its tag), and opens to zero bytes', async () => {
    const sealed = await sealArchiveWith(PASS, new Uint8Array(0), fixed)
    expect(sealed).toHaveLength(ARCHIVE_HEADER_BYTES + 16)
    expect(hex(sealed.subarray(ARCHIVE_HEADER_BYTES))).toBe('9e8906ae12598b5785f34d6f13b83278')
    const opened = await unsealArchive(PASS, sealed)
    expect(opened).toEqual({ ok: true, value: new Uint8Array(0) })
  })

  test('[R5] vector: 150,000 bytes are three chunks (64 KiB, 64 KiB, the rest), and hash to this', async () => {
    const sealed = await sealArchiveWith(PASS, content(150_000), fixed)
    expect(sealed).toHaveLength(ARCHIVE_HEADER_BYTES + 150_000 + 3 * 16)
    expect(createHash('sha256').update(sealed).digest('hex')).toBe('00c38168b8451ec5f7975b36f1a4ec30b72930dc73abd28625a438196f8e1dd5')
  })

  test('[R5] node:crypto opens it: Argon2id(NFC passphrase) → HKDF(salt = header[0..39], info) → AES-256-GCM, nonce prefix ‖ u32be(i) ‖ last, header as AAD', async () => {
    const plain = content(150_000)
    const sealed = await sealArchiveWith('caf\u00e9 ' + PASS, plain, fixed)
    const header = sealed.subarray(0, ARCHIVE_HEADER_BYTES)
    const master = argon2id(text('caf\u00e9 ' + PASS), salt, { ...small, dkLen: 32 })
    const bound = header.subarray(0, 39)
    const key = Buffer.from(hkdfSync('sha256', master, bound, 'fieldchat/v1/archive/key', 32))
    expect(hex(header.subarray(39))).toBe(Buffer.from(hkdfSync('sha256', master, bound, 'fieldchat/v1/archive/check', 32)).toString('hex'))
    const chunks: Buffer[] = []
    for (let i = 0; i < 3; i++) {
      const body = sealed.subarray(ARCHIVE_HEADER_BYTES + i * SEALED_CHUNK, Math.min(sealed.length, ARCHIVE_HEADER_BYTES + (i + 1) * SEALED_CHUNK))
      const nonce = Buffer.concat([Buffer.from(noncePrefix), Buffer.from([0, 0, 0, i, i === 2 ? 1 : 0])])
      const d = createDecipheriv('aes-256-gcm', key, nonce)
      d.setAAD(header)
      d.setAuthTag(body.subarray(body.length - 16))
      chunks.push(Buffer.concat([d.update(body.subarray(0, body.length - 16)), d.final()]))
    }
    expect(Buffer.concat(chunks).equals(plain)).toBe(true)
    // NFC: the decomposed é is the same passphrase.
    expect(opensTo(await unsealArchive('cafe\u0301 ' + PASS, sealed), plain)).toBe(true)
  })
})

describe('[R5] round trips and fresh randomness', () => {
  test('[R5] every size round-trips, chunk boundaries included; the length is header + content + 16 per chunk', async () => {
    for (const n of [0, 1, ARCHIVE_CHUNK_BYTES - 1, ARCHIVE_CHUNK_BYTES, ARCHIVE_CHUNK_BYTES + 1, 2 * ARCHIVE_CHUNK_BYTES, 200_000]) {
      const plain = content(n)
      const sealed = await seal(plain)
      expect(sealed.length, `${n}`).toBe(ARCHIVE_HEADER_BYTES + n + 16 * Math.max(1, Math.ceil(n / ARCHIVE_CHUNK_BYTES)))
      expect(opensTo(await unsealArchive(PASS, sealed), plain), `${n}`).toBe(true)
    }
  })

  test('[R5][C5] a fresh salt and nonce prefix per archive: the same passphrase and content never seal alike', async () => {
    const [a, b] = [await seal(text('same')), await seal(text('same'))]
    const [ha, hb] = [readArchiveHeader(a), readArchiveHeader(b)]
    if (!ha.ok || !hb.ok) throw new Error('header')
    expect(hex(ha.value.salt)).not.toBe(hex(hb.value.salt))
    expect(hex(ha.value.noncePrefix)).not.toBe(hex(hb.value.noncePrefix))
    expect(hex(a.subarray(ARCHIVE_HEADER_BYTES))).not.toBe(hex(b.subarray(ARCHIVE_HEADER_BYTES)))
  })

  test('[R5] the default parameters are [R4]\'s (t=2, m=19 MiB, p=1), stated in the clear header', async () => {
    const h = readArchiveHeader(await sealArchive(PASS, text('x')))
    expect(h.ok && h.value.kdf).toEqual({ t: 2, m: 19_456, p: 1 })
  })
})

describe('[R5] misuse and hostile files', () => {
  test('[R5] a wrong passphrase is C104 with detail "passphrase", before any chunk is opened', async () => {
    const sealed = await seal(text('pump 3 is down'))
    expect(await unsealArchive('correct horse battery stapler', sealed)).toEqual({ ok: false, code: 'C104_DECRYPT_FAILED', detail: 'passphrase' })
  })

  test('[R5] truncation: at a chunk boundary (the new last chunk was not sealed as last), inside a chunk, inside the header', async () => {
    const sealed = await seal(content(150_000))
    const twoChunks = sealed.subarray(0, ARCHIVE_HEADER_BYTES + 2 * SEALED_CHUNK)
    expect(await unsealArchive(PASS, twoChunks)).toEqual({ ok: false, code: 'C104_DECRYPT_FAILED', detail: 'chunk 1' })
    expect(await unsealArchive(PASS, sealed.subarray(0, sealed.length - 1))).toMatchObject({ ok: false, code: 'C104_DECRYPT_FAILED' })
    expect(await unsealArchive(PASS, sealed.subarray(0, ARCHIVE_HEADER_BYTES + 2 * SEALED_CHUNK + 10))).toEqual({ ok: false, code: 'C100_MALFORMED', detail: 'length' })
    expect(await unsealArchive(PASS, sealed.subarray(0, ARCHIVE_HEADER_BYTES))).toEqual({ ok: false, code: 'C100_MALFORMED', detail: 'length' })
    expect(await unsealArchive(PASS, sealed.subarray(0, 40))).toEqual({ ok: false, code: 'C100_MALFORMED', detail: 'short header' })
    expect(await unsealArchive(PASS, new Uint8Array(0))).toEqual({ ok: false, code: 'C100_MALFORMED' })
  })

  test('[R5] extension: a chunk appended after the last one (or the last one repeated) does not open', async () => {
    const sealed = await seal(content(100_000))
    const last = sealed.subarray(ARCHIVE_HEADER_BYTES + SEALED_CHUNK)
    const first = sealed.subarray(ARCHIVE_HEADER_BYTES, ARCHIVE_HEADER_BYTES + SEALED_CHUNK)
    const extended = new Uint8Array([...sealed.subarray(0, ARCHIVE_HEADER_BYTES + SEALED_CHUNK), ...first, ...last])
    expect(await unsealArchive(PASS, extended)).toEqual({ ok: false, code: 'C104_DECRYPT_FAILED', detail: 'chunk 1' })
  })

  test('[R5] reordering: two full chunks swapped; a chunk moved in from another archive under the same passphrase', async () => {
    const sealed = await seal(content(3 * ARCHIVE_CHUNK_BYTES))
    const at = (b: Uint8Array, i: number) => b.slice(ARCHIVE_HEADER_BYTES + i * SEALED_CHUNK, ARCHIVE_HEADER_BYTES + (i + 1) * SEALED_CHUNK)
    const swapped = sealed.slice()
    swapped.set(at(sealed, 1), ARCHIVE_HEADER_BYTES)
    swapped.set(at(sealed, 0), ARCHIVE_HEADER_BYTES + SEALED_CHUNK)
    expect(await unsealArchive(PASS, swapped)).toEqual({ ok: false, code: 'C104_DECRYPT_FAILED', detail: 'chunk 0' })
    const other = await seal(content(3 * ARCHIVE_CHUNK_BYTES))
    const spliced = sealed.slice()
    spliced.set(at(other, 1), ARCHIVE_HEADER_BYTES + SEALED_CHUNK)
    expect(await unsealArchive(PASS, spliced)).toEqual({ ok: false, code: 'C104_DECRYPT_FAILED', detail: 'chunk 1' })
  })

  test('[R5][C0] any flipped byte is refused with a code, never a throw, never a partial payload', async () => {
    const sealed = await seal(text('pump 3 is down'))
    const codes = new Set<string>()
    for (let i = 0; i < sealed.length; i++) {
      const flipped = sealed.slice()
      flipped[i]! ^= 0x01
      const r = await unsealArchive(PASS, flipped)
      expect(r.ok, `byte ${i}`).toBe(false)
      if (!r.ok) codes.add(`${r.code} ${r.detail ?? ''}`)
    }
    expect([...codes].sort()).toEqual(['C100_MALFORMED kdf', 'C100_MALFORMED not an archive', 'C104_DECRYPT_FAILED chunk 0', 'C104_DECRYPT_FAILED passphrase', 'C108_UNSUPPORTED_VERSION archive v0', 'C108_UNSUPPORTED_VERSION kdf 0'])
  })

  test('[R5] header tampering: parameters, salt, nonce prefix or check changed within bounds read as a wrong passphrase', async () => {
    const sealed = await sealArchiveWith(PASS, text('pump 3 is down'), { ...fixed, kdf: { t: 2, m: 64, p: 1 } })
    const tamper = (offset: number, value: number) => {
      const b = sealed.slice()
      b[offset] = value
      return b
    }
    for (const [what, b] of [['t', tamper(11, 1)], ['m', tamper(15, 72)], ['p', tamper(10, 2)], ['salt', tamper(20, 0xff)], ['prefix', tamper(33, 0)], ['check', tamper(50, 0)]] as const) {
      expect(await unsealArchive(PASS, b), what).toEqual({ ok: false, code: 'C104_DECRYPT_FAILED', detail: 'passphrase' })
    }
    expect(await unsealArchive(PASS, tamper(8, 2))).toEqual({ ok: false, code: 'C108_UNSUPPORTED_VERSION', detail: 'archive v2' })
    expect(await unsealArchive(PASS, tamper(9, 2))).toEqual({ ok: false, code: 'C108_UNSUPPORTED_VERSION', detail: 'kdf 2' })
  })

  test('[R5] absurd Argon2id parameters are refused from the header alone, before any work (4 GiB, 255 passes, 0 lanes …)', async () => {
    const sealed = await seal(text('x'))
    const withKdf = (p: number, t: number, m: number) => {
      const b = sealed.slice()
      b[10] = p
      b[11] = t
      new DataView(b.buffer).setUint32(12, m, false)
      return b
    }
    const absurd: [number, number, number][] = [[1, 2, 4 * 1024 * 1024], [1, 2, 0xffff_ffff], [1, 255, 19_456], [0, 2, 19_456], [255, 1, 65_536], [1, 0, 19_456], [4, 1, 16], [1, 8, 65_536], [1, 2, 65_537]]
    for (const [p, t, m] of absurd) {
      const started = performance.now()
      expect(await unsealArchive(PASS, withKdf(p, t, m)), `p=${p} t=${t} m=${m}`).toEqual({ ok: false, code: 'C100_MALFORMED', detail: 'kdf' })
      expect(performance.now() - started).toBeLessThan(50)
    }
  })

  test('[R5][C0] random bytes, with or without the magic, are a code and never a throw', async () => {
    for (let i = 0; i < 200; i++) {
      const junk = crypto.getRandomValues(new Uint8Array(i * 3))
      if (i % 2) junk.set(text('FCARCHIV\u0001\u0001\u0001\u0001').subarray(0, Math.min(12, junk.length)))
      const r = await unsealArchive(PASS, junk)
      expect(r.ok).toBe(false)
    }
  })

  test('[R5][C0] misuse throws at once: an empty passphrase, content that is not bytes, parameters out of bounds, a short salt or prefix', async () => {
    await expect(sealArchive('', text('x'), small)).rejects.toThrow(CryptoMisuse)
    await expect(unsealArchive('', await seal(text('x')))).rejects.toThrow(CryptoMisuse)
    await expect(sealArchive(PASS, 'x' as unknown as Uint8Array, small)).rejects.toThrow(CryptoMisuse)
    await expect(sealArchive(PASS, text('x'), { t: 1, m: 4 * 1024 * 1024, p: 1 })).rejects.toThrow(CryptoMisuse)
    await expect(sealArchiveWith(PASS, text('x'), { ...fixed, salt: new Uint8Array(8) })).rejects.toThrow(CryptoMisuse)
    await expect(sealArchiveWith(PASS, text('x'), { ...fixed, noncePrefix: new Uint8Array(12) })).rejects.toThrow(CryptoMisuse)
  })
})
