import { describe, expect, test } from 'vitest'
import { deriveStorageKeys, generateDeviceKek, generateStorageMaster, importStorageMaster, randomBytes, sealStored, utf8 } from '../../crypto/index.js'
import { AT_REST_META, atRestInfo, changeUnlockers, openAtRest, type AtRestSecret } from '../../client/core/storage/atRest.js'
import { EncryptedStore } from '../../client/core/storage/encryptedStore.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import type { LocalStore } from '../../client/core/storage/LocalStore.js'
import { encodeRecord } from '../../client/core/storage/records.js'

/** [M29] What opens a store, and changing it: the app lock. */
const key: AtRestSecret = { kind: 'key', master: generateStorageMaster() }
const pass = (passphrase: string): AtRestSecret => ({ kind: 'passphrase', passphrase })
const credential = randomBytes(16)
const salt = randomBytes(32)
const prf = randomBytes(32)
const passkey: AtRestSecret = { kind: 'passkey', prf, credential, salt }
const MARK = utf8.encode('MARKER pump 3 is down')

async function filled(secret: AtRestSecret = key): Promise<LocalStore> {
  const inner = createMemoryStore()
  const store = await openAtRest(inner, secret)
  await store.write([{ key: ['conv', 'c1', 'doc'], value: MARK }, { key: ['out', '7'], value: Uint8Array.of(7) }])
  return inner
}

const readBack = async (inner: LocalStore, secret: AtRestSecret) => (await openAtRest(inner, secret)).get(['conv', 'c1', 'doc'])
const locked = (p: Promise<unknown>) => expect(p).rejects.toMatchObject({ code: 'M203_STORE_LOCKED' })

describe('[M29] unlockers', () => {
  test('a new store is keyed by the device: format 2, not locked, and its master is only kept sealed', async () => {
    const inner = await filled()
    expect(await atRestInfo(inner)).toEqual({ format: 2, unlockers: ['key'], locked: false })
    expect(await atRestInfo(createMemoryStore())).toEqual({ format: 'clear', unlockers: [], locked: false })
    expect(await readBack(inner, key)).toEqual(MARK)
    await locked(readBack(inner, { kind: 'key', master: generateStorageMaster() }))
    await locked(readBack(inner, pass('anything at all')))
  })

  test('locking with a passphrase rekeys: the device key and the old master open nothing after, the passphrase opens everything', async () => {
    const inner = await filled()
    const oldMeta = (await inner.get(AT_REST_META))!
    const before = (await inner.range([])).map((e) => e.key.join('/'))
    await changeUnlockers(inner, key, [pass('correct horse battery')], { rekey: true })
    expect(await atRestInfo(inner)).toMatchObject({ format: 2, unlockers: ['passphrase'], locked: true })
    await locked(readBack(inner, key))
    await locked(readBack(inner, pass('wrong horse battery')))
    expect(await readBack(inner, pass('correct horse battery'))).toEqual(MARK)
    expect(await (await openAtRest(inner, pass('correct horse battery'))).get(['out', '7'])).toEqual(Uint8Array.of(7))
    // Every record was sealed again: no stored slot (hidden under the old name key) is left.
    const after = (await inner.range([])).map((e) => e.key.join('/'))
    expect(after.filter((k) => before.includes(k) && !k.startsWith('meta/at-rest') && !k.startsWith('out/'))).toEqual([])
    // A thief who kept the device key and the old key record from before the lock reads nothing.
    await inner.write([{ key: AT_REST_META, value: oldMeta }])
    const stale = await openAtRest(inner, key)
    expect(await stale.range(['conv'])).toEqual([])
    expect(await stale.get(['conv', 'c1', 'doc'])).toBeUndefined()
  })

  test('a passkey and a passphrase side by side: each opens the store, a wrong PRF output does not; the passkey\'s ids are readable before unlock', async () => {
    const inner = await filled()
    await changeUnlockers(inner, key, [passkey, pass('correct horse battery')], { rekey: true })
    const info = await atRestInfo(inner)
    expect(info).toMatchObject({ unlockers: ['passkey', 'passphrase'], locked: true })
    expect(info.passkey).toEqual({ credential, salt })
    expect(await readBack(inner, { kind: 'passkey', prf })).toEqual(MARK)
    expect(await readBack(inner, pass('correct horse battery'))).toEqual(MARK)
    await locked(readBack(inner, { kind: 'passkey', prf: randomBytes(32) }))
  })

  test('changing the passphrase keeps the records as they are and retires the old one; unlocking gives the device key back', async () => {
    const inner = await filled(pass('first passphrase'))
    const records = (await inner.range(['conv'])).map((e) => Buffer.from(e.value).toString('hex'))
    await changeUnlockers(inner, pass('first passphrase'), [pass('second passphrase')])
    expect((await inner.range(['conv'])).map((e) => Buffer.from(e.value).toString('hex'))).toEqual(records)
    await locked(readBack(inner, pass('first passphrase')))
    expect(await readBack(inner, pass('second passphrase'))).toEqual(MARK)
    const device = await generateDeviceKek()
    await changeUnlockers(inner, pass('second passphrase'), [{ kind: 'device', key: device }])
    expect(await atRestInfo(inner)).toMatchObject({ unlockers: ['key'], locked: false })
    expect(await readBack(inner, { kind: 'device', key: device })).toEqual(MARK)
  })

  test('a change needs what opens the store now, and leaves it unchanged otherwise; no unlocker, or two of a kind, is refused', async () => {
    const inner = await filled()
    const snapshot = JSON.stringify(await inner.range([]))
    await locked(changeUnlockers(inner, pass('guess'), [pass('mine now')], { rekey: true }))
    await locked(changeUnlockers(inner, key, []))
    await locked(changeUnlockers(inner, key, [pass('one passphrase'), pass('two passphrase')]))
    expect(JSON.stringify(await inner.range([]))).toBe(snapshot)
  })

  test('a format-1 store (a master used directly; the browser\'s non-extractable one) opens as before and moves to format 2 by a rekey, nothing lost', async () => {
    for (const kind of ['key', 'webcrypto'] as const) {
      const bytes = generateStorageMaster()
      const keys = await deriveStorageKeys(bytes)
      const inner = createMemoryStore()
      await inner.write([{ key: AT_REST_META, value: encodeRecord({ v: 1, check: await sealStored(keys, 'meta\u0000at-rest-check', utf8.encode('fieldchat/v1/at-rest/check')) }) }])
      await new EncryptedStore(inner, keys).write([{ key: ['conv', 'c1', 'doc'], value: MARK }])
      const v1: AtRestSecret = kind === 'key' ? { kind, master: bytes } : { kind, master: await importStorageMaster(bytes) }
      expect(await atRestInfo(inner)).toEqual({ format: 1, unlockers: ['key'], locked: false })
      expect(await readBack(inner, v1)).toEqual(MARK)
      const device = await generateDeviceKek()
      await changeUnlockers(inner, v1, [{ kind: 'device', key: device }])
      expect(await atRestInfo(inner)).toMatchObject({ format: 2 })
      expect(await readBack(inner, { kind: 'device', key: device })).toEqual(MARK)
      await locked(readBack(inner, v1))
    }
  })

  test('a damaged key record is M201 and nothing is overwritten', async () => {
    for (const bad of [Uint8Array.of(0xff), encodeRecord({ v: 2, check: new Uint8Array(40), unlockers: [] }), encodeRecord({ v: 2, check: new Uint8Array(40), unlockers: [{ kind: 'passphrase', kdf: { alg: 'argon2id', salt: new Uint8Array(16), t: 1, m: 1 << 30, p: 1 }, sealed: new Uint8Array(61) }] })]) {
      const inner = await filled()
      await inner.write([{ key: AT_REST_META, value: bad }])
      await expect(openAtRest(inner, key)).rejects.toMatchObject({ code: 'M201_RECORD_CORRUPT' })
      expect(await inner.get(AT_REST_META)).toEqual(bad)
    }
  })
})
