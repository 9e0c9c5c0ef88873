import { createDecipheriv, createHmac, hkdfSync } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  CryptoMisuse,
  atRestBackend,
  deriveStorageKeys,
  generateStorageMaster,
  hideKeyPart,
  hideKeyPartNow,
  importStorageMaster,
  openStored,
  openStoredNow,
  sealStored,
  sealStoredNow,
  stretchPassphrase,
  toBase64Url,
  useAtRestBackend,
} from '../../crypto/index.js'

/**
 * [R1]–[R3] Records at rest, checked against node:crypto's own HKDF, AES-GCM and HMAC, on both
 * paths: node:crypto on the keys' native handles (Node's default) and WebCrypto (the browser's).
 */
const master = Uint8Array.from({ length: 32 }, (_, i) => i)
const nodeKey = (info: string) => new Uint8Array(hkdfSync('sha256', master, new Uint8Array(32), info, 32))

for (const backend of ['node', 'webcrypto'] as const) {
  describe(`[R1][R2] sealed records (${backend})`, () => {
    beforeAll(() => useAtRestBackend(backend === 'node' ? 'auto' : 'webcrypto'))
    afterAll(() => useAtRestBackend('auto'))

    test('[R2] the path under test is the one named', () => {
      expect(atRestBackend()).toBe(backend)
    })

    test('[R1][R2] a record opens with node:crypto given the HKDF key: u8(1) ‖ nonce(12) ‖ AES-256-GCM, the slot as additional data', async () => {
      const keys = await deriveStorageKeys(master)
      const sealed = await sealStored(keys, 'conv\u0000x', new TextEncoder().encode('pump 3 is down'))
      expect(sealed[0]).toBe(1)
      const d = createDecipheriv('aes-256-gcm', nodeKey('fieldchat/v1/at-rest/record-key'), sealed.subarray(1, 13))
      d.setAAD(Buffer.concat([Buffer.from('fieldchat/v1/at-rest/record'), Buffer.of(0), Buffer.from('conv\u0000x')]))
      d.setAuthTag(sealed.subarray(sealed.length - 16))
      expect(Buffer.concat([d.update(sealed.subarray(13, sealed.length - 16)), d.final()]).toString()).toBe('pump 3 is down')
    })

    test('[R2] it opens only in its slot, under its keys, whole; a bad version or length is a code, never a throw', async () => {
      const keys = await deriveStorageKeys(master)
      const other = await deriveStorageKeys(generateStorageMaster())
      const sealed = await sealStored(keys, 'a', Uint8Array.of(1, 2, 3))
      expect(await openStored(keys, 'a', sealed)).toEqual({ ok: true, value: Uint8Array.of(1, 2, 3) })
      expect(await openStored(keys, 'b', sealed)).toMatchObject({ ok: false, code: 'C104_DECRYPT_FAILED' })
      expect(await openStored(other, 'a', sealed)).toMatchObject({ ok: false, code: 'C104_DECRYPT_FAILED' })
      for (let i = 1; i < sealed.length; i++) {
        const flipped = sealed.slice()
        flipped[i]! ^= 1
        expect((await openStored(keys, 'a', flipped)).ok).toBe(false)
      }
      expect(await openStored(keys, 'a', Uint8Array.of(2, ...sealed.subarray(1)))).toMatchObject({ ok: false, code: 'C108_UNSUPPORTED_VERSION' })
      expect(await openStored(keys, 'a', sealed.subarray(0, 28))).toMatchObject({ ok: false, code: 'C100_MALFORMED' })
    })

    test('[R2][C5] no nonce repeats under a key: 2,000 seals of the same record in the same slot', async () => {
      const keys = await deriveStorageKeys(master)
      const nonces = new Set<string>()
      for (let i = 0; i < 2000; i++) nonces.add(Buffer.from((await sealStored(keys, 'a', Uint8Array.of(7))).subarray(1, 13)).toString('hex'))
      expect(nonces.size).toBe(2000)
    })

    test('[R1] a master kept as a non-extractable key gives the same keys, and cannot be read back', async () => {
      const kept = await importStorageMaster(master)
      expect(kept.extractable).toBe(false)
      await expect(crypto.subtle.exportKey('raw', kept)).rejects.toThrow()
      const sealed = await sealStored(await deriveStorageKeys(kept), 'a', Uint8Array.of(5))
      expect(await openStored(await deriveStorageKeys(master), 'a', sealed)).toEqual({ ok: true, value: Uint8Array.of(5) })
      const { aead, mac } = await deriveStorageKeys(master)
      expect([aead.extractable, mac.extractable]).toEqual([false, false])
    })

    test('[R1][C0] a master of the wrong length is misuse', async () => {
      await expect(deriveStorageKeys(new Uint8Array(31))).rejects.toThrow(CryptoMisuse)
      expect(() => importStorageMaster(new Uint8Array(33))).toThrow(CryptoMisuse)
    })
  })

  describe(`[R3] hidden key parts (${backend})`, () => {
    beforeAll(() => useAtRestBackend(backend === 'node' ? 'auto' : 'webcrypto'))
    afterAll(() => useAtRestBackend('auto'))

    test('[R3] base64url of the first 16 bytes of HMAC-SHA-256(name key, part), as node:crypto computes it; another master hides differently', async () => {
      const keys = await deriveStorageKeys(master)
      const expected = toBase64Url(createHmac('sha256', nodeKey('fieldchat/v1/at-rest/name-key')).update('o52he0HMZC9nCEQ6XUjbqw').digest().subarray(0, 16))
      expect(await hideKeyPart(keys, 'o52he0HMZC9nCEQ6XUjbqw')).toBe(expected)
      expect(await hideKeyPart(keys, 'o52he0HMZC9nCEQ6XUjbqw')).toBe(expected)
      expect(await hideKeyPart(await deriveStorageKeys(generateStorageMaster()), 'o52he0HMZC9nCEQ6XUjbqw')).not.toBe(expected)
    })
  })
}

describe('[R2][R3] the node:crypto path and the WebCrypto path are one construction', () => {
  afterAll(() => useAtRestBackend('auto'))
  const on = async <T>(backend: 'auto' | 'webcrypto', f: () => Promise<T>): Promise<T> => {
    useAtRestBackend(backend)
    try {
      return await f()
    } finally {
      useAtRestBackend('auto')
    }
  }

  test('[R2] each reads what the other sealed, and refuses what the other would refuse', async () => {
    const keys = await deriveStorageKeys(master)
    const plain = new TextEncoder().encode('generator 2 needs diesel')
    const byNode = await on('auto', () => sealStored(keys, 'out\u0000raw\u0000x', plain))
    const byWeb = await on('webcrypto', () => sealStored(keys, 'out\u0000raw\u0000x', plain))
    expect(byNode.length).toBe(byWeb.length)
    expect(await on('webcrypto', () => openStored(keys, 'out\u0000raw\u0000x', byNode))).toEqual({ ok: true, value: plain })
    expect(await on('auto', () => openStored(keys, 'out\u0000raw\u0000x', byWeb))).toEqual({ ok: true, value: plain })
    for (const backend of ['auto', 'webcrypto'] as const) {
      expect(await on(backend, () => openStored(keys, 'out\u0000raw\u0000y', byNode))).toMatchObject({ ok: false, code: 'C104_DECRYPT_FAILED' })
      const cut = Uint8Array.of(...byWeb.subarray(0, byWeb.length - 1)) // a tag one byte short never opens
      expect(await on(backend, () => openStored(keys, 'out\u0000raw\u0000x', cut))).toMatchObject({ ok: false, code: 'C104_DECRYPT_FAILED' })
    }
  })

  test('[R2] records sealed and opened at once (calls in flight together) each open only in their own slot', async () => {
    const keys = await deriveStorageKeys(master)
    const slots = Array.from({ length: 50 }, (_, i) => `out\u0000raw\u0000${'x'.repeat(i * 7)}\u0000${i}`)
    for (const backend of ['auto', 'webcrypto'] as const) {
      const sealed = await on(backend, () => Promise.all(slots.map((slot, i) => sealStored(keys, slot, Uint8Array.of(i)))))
      const opened = await on(backend, () => Promise.all(slots.map((slot, i) => openStored(keys, slot, sealed[i]!))))
      expect(opened).toEqual(slots.map((_, i) => ({ ok: true, value: Uint8Array.of(i) })))
      const swapped = await on(backend, () => Promise.all(slots.map((slot, i) => openStored(keys, slot, sealed[(i + 1) % slots.length]!))))
      expect(swapped.every((r) => !r.ok)).toBe(true)
    }
  })

  test('[R2][R3] the answers without a wait: given in Node, the same as the awaited ones; WebCrypto\'s path has none but for a malformed record', async () => {
    const keys = await deriveStorageKeys(master)
    const sealed = sealStoredNow(keys, 'a', Uint8Array.of(4, 2))!
    expect(sealed[0]).toBe(1)
    expect(openStoredNow(keys, 'a', sealed)).toEqual({ ok: true, value: Uint8Array.of(4, 2) })
    expect(openStoredNow(keys, 'b', sealed)).toMatchObject({ ok: false, code: 'C104_DECRYPT_FAILED' })
    expect(await openStored(keys, 'a', sealed)).toEqual({ ok: true, value: Uint8Array.of(4, 2) })
    expect(sealStoredNow(keys, 'a', Uint8Array.of(4, 2))!.subarray(1, 13)).not.toEqual(sealed.subarray(1, 13)) // a fresh nonce each call
    expect(hideKeyPartNow(keys, 'conv-7')).toBe(await hideKeyPart(keys, 'conv-7'))
    useAtRestBackend('webcrypto')
    try {
      expect([sealStoredNow(keys, 'a', Uint8Array.of(1)), openStoredNow(keys, 'a', sealed), hideKeyPartNow(keys, 'conv-7')]).toEqual([undefined, undefined, undefined])
      expect(openStoredNow(keys, 'a', sealed.subarray(0, 20))).toMatchObject({ ok: false, code: 'C100_MALFORMED' })
    } finally {
      useAtRestBackend('auto')
    }
  })

  test('[R3] both hide a part the same way', async () => {
    const keys = await deriveStorageKeys(master)
    expect(await on('auto', () => hideKeyPart(keys, 'K3tW9xYzQ0abcdefghijkl'))).toBe(await on('webcrypto', () => hideKeyPart(keys, 'K3tW9xYzQ0abcdefghijkl')))
  })

  test('[R1][R2] a key WebCrypto would refuse (no decrypt usage, another size) is refused on the node:crypto path too', async () => {
    const keys = await deriveStorageKeys(master)
    const sealed = await sealStored(keys, 'a', Uint8Array.of(1))
    const sealOnly = await crypto.subtle.importKey('raw', new Uint8Array(32).fill(9), 'AES-GCM', false, ['encrypt'])
    const short = await crypto.subtle.importKey('raw', new Uint8Array(16).fill(9), 'AES-GCM', false, ['encrypt', 'decrypt'])
    expect(await openStored({ ...keys, aead: sealOnly }, 'a', sealed)).toMatchObject({ ok: false, code: 'C104_DECRYPT_FAILED' })
    const openOnly = await crypto.subtle.importKey('raw', new Uint8Array(32).fill(9), 'AES-GCM', false, ['decrypt'])
    await expect(sealStored({ ...keys, aead: openOnly }, 'a', Uint8Array.of(1))).rejects.toThrow()
    // A 128-bit key is not this construction: it stays on WebCrypto (AES-128-GCM), never AES-256 over a short key.
    const byShort = await sealStored({ ...keys, aead: short }, 'a', Uint8Array.of(1))
    expect(await on('webcrypto', () => openStored({ ...keys, aead: short }, 'a', byShort))).toEqual({ ok: true, value: Uint8Array.of(1) })
  })
})

describe('[R4] passphrases', () => {
  test('[R4] NFC first (a composed and a decomposed é are one passphrase), a different salt or passphrase gives another master; a bad salt is misuse', () => {
    const salt = new Uint8Array(16).fill(3)
    const small = { t: 1, m: 64, p: 1 }
    const a = stretchPassphrase('caf\u00e9 au lait', salt, small)
    expect(a).toHaveLength(32)
    expect(stretchPassphrase('cafe\u0301 au lait', salt, small)).toEqual(a)
    expect(stretchPassphrase('cafe au lait', salt, small)).not.toEqual(a)
    expect(stretchPassphrase('caf\u00e9 au lait', new Uint8Array(16).fill(4), small)).not.toEqual(a)
    expect(() => stretchPassphrase('x', new Uint8Array(8), small)).toThrow(CryptoMisuse)
  })
})
