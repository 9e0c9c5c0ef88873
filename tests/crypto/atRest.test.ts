import { createDecipheriv, createHmac, hkdfSync } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { CryptoMisuse, deriveStorageKeys, generateStorageMaster, hideKeyPart, importStorageMaster, openStored, sealStored, stretchPassphrase, toBase64Url } from '../../crypto/index.js'

/** [R1]–[R3] Records at rest, checked against node:crypto's own HKDF, AES-GCM and HMAC. */
const master = Uint8Array.from({ length: 32 }, (_, i) => i)
const nodeKey = (info: string) => new Uint8Array(hkdfSync('sha256', master, new Uint8Array(32), info, 32))

describe('[R1][R2] sealed records', () => {
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

describe('[R3] hidden key parts', () => {
  test('[R3] base64url of the first 16 bytes of HMAC-SHA-256(name key, part), as node:crypto computes it; another master hides differently', async () => {
    const keys = await deriveStorageKeys(master)
    const expected = toBase64Url(createHmac('sha256', nodeKey('fieldchat/v1/at-rest/name-key')).update('o52he0HMZC9nCEQ6XUjbqw').digest().subarray(0, 16))
    expect(await hideKeyPart(keys, 'o52he0HMZC9nCEQ6XUjbqw')).toBe(expected)
    expect(await hideKeyPart(keys, 'o52he0HMZC9nCEQ6XUjbqw')).toBe(expected)
    expect(await hideKeyPart(await deriveStorageKeys(generateStorageMaster()), 'o52he0HMZC9nCEQ6XUjbqw')).not.toBe(expected)
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
