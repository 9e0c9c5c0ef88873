import { useAtRestBackend } from '../../crypto/atRestNode.js'
import { createCipheriv, createHash } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import {
  CryptoErrorCode, CryptoMisuse, FILE_CHUNK_BYTES, FILE_SEALED_CHUNK_BYTES, asFileKey, contentHasher, createFileOpener, createFileResealer, createFileSealer, fileChunkAad, fileChunkCount,
  fileChunkNonce, fileFillerChunk, generateFileSecret, parseFileSecret, type FileBinding, type FileSecret,
} from '../../crypto/index.js'

/**
 * [F1]–[F5] Files sealed in chunks for the blob store. The independent check rebuilds every
 * chunk with node:crypto's AES-256-GCM from the rule's nonce and additional data.
 */
const key = asFileKey(Uint8Array.from({ length: 32 }, (_, i) => i))
const noncePrefix = Uint8Array.from({ length: 7 }, (_, i) => 0xa0 + i)
const fixed: FileSecret = { key, noncePrefix }
const blob = Uint8Array.from({ length: 16 }, (_, i) => 0x10 + i)
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const content = (n: number, salt = 0) => Uint8Array.from({ length: n }, (_, i) => (i * 7 + salt + (i >> 16)) & 0xff)
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b))

async function sealAll(secret: FileSecret, binding: FileBinding, plain: Uint8Array): Promise<Uint8Array[]> {
  const sealer = await createFileSealer(secret, binding)
  const out: Uint8Array[] = []
  for (let i = 0; i < sealer.chunks; i++) out.push(await sealer.seal(i, plain.subarray(i * FILE_CHUNK_BYTES, (i + 1) * FILE_CHUNK_BYTES)))
  return out
}

async function openAll(secret: FileSecret, binding: FileBinding, sealed: Uint8Array[]) {
  const opener = await createFileOpener(secret, binding)
  const parts: Uint8Array[] = []
  for (let i = 0; i < opener.chunks; i++) {
    const r = await opener.open(i, sealed[i]!)
    if (!r.ok) return r
    parts.push(r.value)
  }
  return { ok: true as const, value: Buffer.concat(parts) }
}

/** node:crypto's AES-256-GCM over a padded chunk: an independent implementation of [F1]/[F2]. */
function independentSeal(plainPadded: Uint8Array, index: number, last: boolean, binding: FileBinding, k = key): Uint8Array {
  const c = createCipheriv('aes-256-gcm', k, fileChunkNonce(noncePrefix, index, last))
  c.setAAD(fileChunkAad(binding))
  return Buffer.concat([c.update(plainPadded), c.final(), c.getAuthTag()])
}

describe('[F1] sealing and opening', () => {
  test.each([0, 1, FILE_CHUNK_BYTES - 1, FILE_CHUNK_BYTES, FILE_CHUNK_BYTES + 1, 3 * FILE_CHUNK_BYTES + 17])('[F1] %i bytes round-trip; every sealed chunk is exactly 65,552 bytes', async (n) => {
    const plain = content(n)
    const binding = { blob, size: n }
    const sealed = await sealAll(fixed, binding, plain)
    expect(sealed).toHaveLength(fileChunkCount(n))
    for (const s of sealed) expect(s).toHaveLength(FILE_SEALED_CHUNK_BYTES)
    const opened = await openAll(fixed, binding, sealed)
    expect(opened.ok && same(opened.value, plain)).toBe(true)
  })

  test('[F1] vector: node:crypto AES-256-GCM with nonce prefix ‖ u32be(i) ‖ last and the [F2] additional data gives the same chunks', async () => {
    const n = FILE_CHUNK_BYTES + 100
    const plain = content(n)
    const binding = { blob, size: n }
    const sealed = await sealAll(fixed, binding, plain)
    expect(hex(sealed[0]!)).toBe(hex(independentSeal(plain.subarray(0, FILE_CHUNK_BYTES), 0, false, binding)))
    const lastPadded = new Uint8Array(FILE_CHUNK_BYTES)
    lastPadded.set(plain.subarray(FILE_CHUNK_BYTES))
    expect(hex(sealed[1]!)).toBe(hex(independentSeal(lastPadded, 1, true, binding)))
    expect(hex(fileChunkNonce(noncePrefix, 258, true))).toBe('a0a1a2a3a4a5a6' + '00000102' + '01')
    // frame(domain, [blob, u64be(size)]): every part length-prefixed ([C2]).
    expect(hex(fileChunkAad(binding))).toBe('00000017' + Buffer.from('fieldchat/v1/file/chunk').toString('hex') + '00000010' + hex(blob) + '00000008' + '0000000000010064')
    expect(createHash('sha256').update(Buffer.concat(sealed)).digest('hex')).toBe(createHash('sha256').update(Buffer.concat([independentSeal(plain.subarray(0, FILE_CHUNK_BYTES), 0, false, binding), independentSeal(lastPadded, 1, true, binding)])).digest('hex'))
  })

  test('[F3] two secrets are never the same; a secret from a message parses only at exact lengths', () => {
    const a = generateFileSecret()
    const b = generateFileSecret()
    expect(same(a.key, b.key)).toBe(false)
    expect(same(a.noncePrefix, b.noncePrefix)).toBe(false)
    expect(parseFileSecret(a.key, a.noncePrefix)).toBeDefined()
    expect(parseFileSecret(a.key.subarray(0, 31), a.noncePrefix)).toBeUndefined()
    expect(parseFileSecret(a.key, new Uint8Array(8))).toBeUndefined()
    expect(parseFileSecret('k' as unknown as Uint8Array, a.noncePrefix)).toBeUndefined()
  })

  test('[F3] property: within a file every chunk has its own nonce (index and last flag)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), (chunks) => {
        const seen = new Set<string>()
        for (let i = 0; i < chunks; i++) seen.add(hex(fileChunkNonce(noncePrefix, i, i === chunks - 1)))
        return seen.size === chunks
      }),
    )
  })
})

describe('[F2] what an attacker holding the chunks cannot do unnoticed', () => {
  const n = 3 * FILE_CHUNK_BYTES
  const binding = { blob, size: n }
  const plain = content(n)

  test('[F2] reordered chunks: chunk 1 given as chunk 0 does not open (C104 chunk 0)', async () => {
    const s = await sealAll(fixed, binding, plain)
    expect(await openAll(fixed, binding, [s[1]!, s[0]!, s[2]!])).toEqual({ ok: false, code: CryptoErrorCode.DECRYPT_FAILED, detail: 'chunk 0' })
  })

  test('[F2] truncated: the file cut after chunk 1, with its size claimed smaller, does not open (last flag and size are bound)', async () => {
    const s = await sealAll(fixed, binding, plain)
    const cut = { blob, size: 2 * FILE_CHUNK_BYTES }
    expect(await openAll(fixed, cut, s.slice(0, 2))).toEqual({ ok: false, code: CryptoErrorCode.DECRYPT_FAILED, detail: 'chunk 0' })
    const opener = await createFileOpener(fixed, cut)
    expect(await opener.open(1, s[1]!)).toEqual({ ok: false, code: CryptoErrorCode.DECRYPT_FAILED, detail: 'chunk 1' })
  })

  test('[F2] one flipped bit anywhere in a chunk: C104 for that chunk, nothing returned', async () => {
    const s = await sealAll(fixed, binding, plain)
    for (const at of [0, 1000, FILE_SEALED_CHUNK_BYTES - 1]) {
      const bad = s.map((c) => Uint8Array.from(c))
      bad[2]![at]! ^= 0x01
      expect(await openAll(fixed, binding, bad)).toEqual({ ok: false, code: CryptoErrorCode.DECRYPT_FAILED, detail: 'chunk 2' })
    }
  })

  test('[F2] chunks swapped in from another file (other key, or same key under another blob id) do not open', async () => {
    const s = await sealAll(fixed, binding, plain)
    const other = generateFileSecret()
    const t = await sealAll(other, binding, content(n, 3))
    expect(await openAll(fixed, binding, [s[0]!, t[1]!, s[2]!])).toEqual({ ok: false, code: CryptoErrorCode.DECRYPT_FAILED, detail: 'chunk 1' })
    const elsewhere = await sealAll({ key, noncePrefix }, { blob: new Uint8Array(16), size: n }, plain)
    expect(await openAll(fixed, binding, [s[0]!, elsewhere[1]!, s[2]!])).toEqual({ ok: false, code: CryptoErrorCode.DECRYPT_FAILED, detail: 'chunk 1' })
  })

  test('[F2] a chunk of the wrong length is C100; the wrong key is C104', async () => {
    const s = await sealAll(fixed, binding, plain)
    const opener = await createFileOpener(fixed, binding)
    expect(await opener.open(0, s[0]!.subarray(0, 100))).toEqual({ ok: false, code: CryptoErrorCode.MALFORMED, detail: 'chunk 0 length' })
    expect(await (await createFileOpener(generateFileSecret(), binding)).open(0, s[0]!)).toEqual({ ok: false, code: CryptoErrorCode.DECRYPT_FAILED, detail: 'chunk 0' })
  })

  test('[F4] a last chunk whose padding is not zero (sealed by a hostile sender with the right key) is C106', async () => {
    const small = { blob, size: 10 }
    const padded = content(FILE_CHUNK_BYTES, 1)
    const forged = independentSeal(padded, 0, true, small)
    expect(await (await createFileOpener(fixed, small)).open(0, forged)).toEqual({ ok: false, code: CryptoErrorCode.BAD_PADDING, detail: 'chunk 0' })
  })

  test('[F4] a filler chunk is random bytes of a sealed chunk length', () => {
    const a = fileFillerChunk()
    expect(a).toHaveLength(FILE_SEALED_CHUNK_BYTES)
    expect(same(a, fileFillerChunk())).toBe(false)
  })
})

describe('[C0] misuse throws at once', () => {
  test('[F3] sealing one index twice throws (the nonce would seal two contents)', async () => {
    const sealer = await createFileSealer(generateFileSecret(), { blob, size: 10 })
    await sealer.seal(0, content(10))
    await expect(sealer.seal(0, content(10))).rejects.toThrow(CryptoMisuse)
  })

  test('[C0] wrong content length, index out of range, bad blob id, bad size, bad key', async () => {
    const sealer = await createFileSealer(generateFileSecret(), { blob, size: FILE_CHUNK_BYTES + 1 })
    await expect(sealer.seal(0, content(10))).rejects.toThrow(CryptoMisuse)
    await expect(sealer.seal(1, content(2))).rejects.toThrow(CryptoMisuse)
    await expect(sealer.seal(2, content(1))).rejects.toThrow(CryptoMisuse)
    await expect(sealer.seal(-1, content(1))).rejects.toThrow(CryptoMisuse)
    await expect(createFileSealer(generateFileSecret(), { blob: new Uint8Array(15), size: 1 })).rejects.toThrow(CryptoMisuse)
    await expect(createFileSealer(generateFileSecret(), { blob, size: -1 })).rejects.toThrow(CryptoMisuse)
    await expect(createFileSealer(generateFileSecret(), { blob, size: 1.5 })).rejects.toThrow(CryptoMisuse)
    expect(() => asFileKey(new Uint8Array(31))).toThrow(CryptoMisuse)
    const opener = await createFileOpener(generateFileSecret(), { blob, size: 1 })
    await expect(opener.open(1, new Uint8Array(FILE_SEALED_CHUNK_BYTES))).rejects.toThrow(CryptoMisuse)
  })
})

describe('[F3] sealing again from the file, checked against the first sealing', () => {
  const binding = { blob, size: 2 * FILE_CHUNK_BYTES + 100 }
  const tagOf = (sealed: Uint8Array) => sealed.subarray(FILE_CHUNK_BYTES)

  test('[F3] the same content sealed again is the very same chunk, on both backends and into a buffer', async () => {
    const plain = content(binding.size)
    const first = await sealAll(fixed, binding, plain)
    for (const backend of ['auto', 'webcrypto'] as const) {
      useAtRestBackend(backend)
      try {
        const resealer = await createFileResealer(fixed, binding)
        for (let i = 0; i < 3; i++) {
          const piece = plain.subarray(i * FILE_CHUNK_BYTES, (i + 1) * FILE_CHUNK_BYTES)
          expect(hex((await resealer.reseal(i, piece, tagOf(first[i]!)))!)).toBe(hex(first[i]!))
          const into = new Uint8Array(FILE_SEALED_CHUNK_BYTES)
          expect(await resealer.reseal(i, piece, tagOf(first[i]!), into)).toBe(into)
          expect(hex(into)).toBe(hex(first[i]!))
          // Any number of times: equal output is no second use of the nonce.
          expect(hex((await resealer.reseal(i, piece, tagOf(first[i]!)))!)).toBe(hex(first[i]!))
        }
      } finally {
        useAtRestBackend('auto')
      }
    }
  })

  test('[F3] a changed content (one bit, the last chunk one byte shorter\'s padding, another chunk\'s bytes) is refused and the buffer wiped: the second ciphertext never leaves', async () => {
    const plain = content(binding.size)
    const first = await sealAll(fixed, binding, plain)
    const resealer = await createFileResealer(fixed, binding)
    const flipped = Uint8Array.from(plain.subarray(0, FILE_CHUNK_BYTES))
    flipped[12_345]! ^= 0x08
    const into = new Uint8Array(FILE_SEALED_CHUNK_BYTES).fill(0xee)
    expect(await resealer.reseal(0, flipped, tagOf(first[0]!), into)).toBeUndefined()
    expect(into.every((b) => b === 0)).toBe(true)
    // Chunk 1's content at index 0, and chunk 0's tag asked for at index 1: both refused.
    expect(await resealer.reseal(0, plain.subarray(FILE_CHUNK_BYTES, 2 * FILE_CHUNK_BYTES), tagOf(first[0]!))).toBeUndefined()
    expect(await resealer.reseal(1, plain.subarray(FILE_CHUNK_BYTES, 2 * FILE_CHUNK_BYTES), tagOf(first[0]!))).toBeUndefined()
    const lastChanged = Uint8Array.from(plain.subarray(2 * FILE_CHUNK_BYTES))
    lastChanged[99] = lastChanged[99]! ^ 1
    expect(await resealer.reseal(2, lastChanged, tagOf(first[2]!))).toBeUndefined()
    // Another secret's resealer does not reproduce the tag either.
    const other = await createFileResealer(generateFileSecret(), binding)
    expect(await other.reseal(0, plain.subarray(0, FILE_CHUNK_BYTES), tagOf(first[0]!))).toBeUndefined()
  })

  test('[C0] a tag of another length, an index out of range or a wrong content length is misuse', async () => {
    const resealer = await createFileResealer(fixed, binding)
    await expect(resealer.reseal(0, content(FILE_CHUNK_BYTES), new Uint8Array(15))).rejects.toThrow(CryptoMisuse)
    await expect(resealer.reseal(3, content(100), new Uint8Array(16))).rejects.toThrow(CryptoMisuse)
    await expect(resealer.reseal(2, content(101), new Uint8Array(16))).rejects.toThrow(CryptoMisuse)
  })
})

describe('[F1] sealing into a caller\'s buffer', () => {
  test('[F1] both backends write the same bytes into `into` as into a new buffer; a buffer of another length is misuse and spends no index', async () => {
    const n = FILE_CHUNK_BYTES + 5
    const binding = { blob, size: n }
    const plain = content(n)
    const expected = await sealAll(fixed, binding, plain)
    for (const backend of ['auto', 'webcrypto'] as const) {
      useAtRestBackend(backend)
      try {
        const sealer = await createFileSealer(fixed, binding)
        await expect(sealer.seal(0, plain.subarray(0, FILE_CHUNK_BYTES), new Uint8Array(FILE_SEALED_CHUNK_BYTES - 1))).rejects.toThrow(CryptoMisuse)
        const into = new Uint8Array(2 * FILE_SEALED_CHUNK_BYTES).fill(0xee)
        for (const i of [0, 1]) {
          const slot = into.subarray(i * FILE_SEALED_CHUNK_BYTES, (i + 1) * FILE_SEALED_CHUNK_BYTES)
          expect(await sealer.seal(i, plain.subarray(i * FILE_CHUNK_BYTES, Math.min(n, (i + 1) * FILE_CHUNK_BYTES)), slot)).toBe(slot)
          expect(hex(slot), `${backend} chunk ${i}`).toBe(hex(expected[i]!))
        }
      } finally {
        useAtRestBackend('auto')
      }
    }
  })
})

describe('[F5] content hash', () => {
  test('[F5] the plain SHA-256 of the content, fed in pieces, equals sha256sum of the whole', () => {
    const h = contentHasher()
    h.update(new TextEncoder().encode('a'))
    h.update(new TextEncoder().encode('bc'))
    expect(hex(h.digest())).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
    const big = content(200_000)
    const g = contentHasher()
    for (let i = 0; i < big.length; i += 65_536) g.update(big.subarray(i, i + 65_536))
    expect(hex(g.digest())).toBe(createHash('sha256').update(big).digest('hex'))
  })
})

describe('[F1][F5] both backends: node:crypto on this thread, WebCrypto elsewhere', () => {
  test('[F1][F5] the Node path and the WebCrypto path seal the same bytes, open each other\'s, and hash alike', async () => {
    const n = 2 * FILE_CHUNK_BYTES + 99
    const plain = content(n)
    const binding = { blob, size: n }
    const viaNode = await sealAll(fixed, binding, plain)
    const h1 = contentHasher()
    h1.update(plain)
    useAtRestBackend('webcrypto')
    try {
      const viaWeb = await sealAll(fixed, binding, plain)
      expect(viaWeb.map(hex)).toEqual(viaNode.map(hex))
      const opened = await openAll(fixed, binding, viaNode)
      expect(opened.ok && same(opened.value, plain)).toBe(true)
      const bad = viaNode.map((c) => Uint8Array.from(c))
      bad[1]![5]! ^= 1
      expect(await openAll(fixed, binding, bad)).toEqual({ ok: false, code: CryptoErrorCode.DECRYPT_FAILED, detail: 'chunk 1' })
      const h2 = contentHasher()
      h2.update(plain)
      expect(hex(h2.digest())).toBe(hex(h1.digest()))
    } finally {
      useAtRestBackend('auto')
    }
    const back = await openAll(fixed, binding, viaNode)
    expect(back.ok && same(back.value, plain)).toBe(true)
  })
})
