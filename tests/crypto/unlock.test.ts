import { createDecipheriv, hkdfSync } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { createHash } from 'node:crypto'
import { CryptoMisuse, generateDeviceKek, kekOf, openMaster, passkeyPrfInput, sealMaster } from '../../crypto/index.js'

/** [R6] A store's master sealed by an unlocker, checked against node:crypto's HKDF and AES-GCM. */
const secret = Uint8Array.from({ length: 32 }, (_, i) => 100 + i)
const master = Uint8Array.from({ length: 32 }, (_, i) => i)

describe('[R6] sealed masters', () => {
  test('[R6] a sealed master opens with node:crypto given HKDF(secret, info naming the kind): u8(1) ‖ nonce(12) ‖ AES-256-GCM, the kind as additional data', async () => {
    const sealed = await sealMaster(await kekOf('passphrase', secret), 'passphrase', master)
    expect(sealed.length).toBe(1 + 12 + 32 + 16)
    expect(sealed[0]).toBe(1)
    const key = new Uint8Array(hkdfSync('sha256', secret, new Uint8Array(32), 'fieldchat/v1/at-rest/kek/passphrase', 32))
    const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 13))
    d.setAAD(Buffer.from('fieldchat/v1/at-rest/sealed-master/passphrase'))
    d.setAuthTag(sealed.subarray(sealed.length - 16))
    expect(new Uint8Array(Buffer.concat([d.update(sealed.subarray(13, sealed.length - 16)), d.final()]))).toEqual(master)
  })

  test('[R6] it opens only under its KEK and its kind; a damaged, truncated or future entry is a code, never a throw', async () => {
    const kek = await kekOf('key', secret)
    const sealed = await sealMaster(kek, 'key', master)
    expect(await openMaster(kek, 'key', sealed)).toEqual({ ok: true, value: master })
    // The same secret under another kind is another KEK, and the kind is bound as additional data.
    expect(await openMaster(await kekOf('passkey', secret), 'key', sealed)).toMatchObject({ ok: false, code: 'C104_DECRYPT_FAILED' })
    expect(await openMaster(kek, 'passkey', sealed)).toMatchObject({ ok: false, code: 'C104_DECRYPT_FAILED' })
    expect(await openMaster(await generateDeviceKek(), 'key', sealed)).toMatchObject({ ok: false, code: 'C104_DECRYPT_FAILED' })
    for (let i = 1; i < sealed.length; i++) {
      const flipped = sealed.slice()
      flipped[i]! ^= 1
      expect((await openMaster(kek, 'key', flipped)).ok).toBe(false)
    }
    expect((await openMaster(kek, 'key', sealed.subarray(0, 40))).ok).toBe(false)
    const future = sealed.slice()
    future[0] = 2
    expect(await openMaster(kek, 'key', future)).toMatchObject({ ok: false })
  })

  test('[R6] a nonce never repeats: the same master sealed twice under one KEK gives two different entries', async () => {
    const kek = await kekOf('key', secret)
    const a = await sealMaster(kek, 'key', master)
    const b = await sealMaster(kek, 'key', master)
    expect(Buffer.from(a.subarray(1, 13)).equals(Buffer.from(b.subarray(1, 13)))).toBe(false)
  })

  test('[R6] a device KEK is a non-extractable WebCrypto key; misuse throws', async () => {
    const kek = await generateDeviceKek()
    expect(kek.extractable).toBe(false)
    expect((await kekOf('key', secret)).extractable).toBe(false)
    await expect(kekOf('key', new Uint8Array(16))).rejects.toThrow(CryptoMisuse)
    await expect(sealMaster(kek, 'key', new Uint8Array(31))).rejects.toThrow(CryptoMisuse)
    expect(() => passkeyPrfInput(new Uint8Array(16))).toThrow(CryptoMisuse)
  })

  test('[R6] the passkey PRF input is a domain-separated hash of the store\'s salt', () => {
    const salt = new Uint8Array(32).fill(7)
    expect(passkeyPrfInput(salt)).toEqual(passkeyPrfInput(salt.slice()))
    expect(passkeyPrfInput(salt)).not.toEqual(new Uint8Array(createHash('sha256').update(salt).digest()))
    expect(passkeyPrfInput(salt).length).toBe(32)
  })
})
