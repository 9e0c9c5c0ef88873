import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deriveStorageKeys, generateStorageMaster, openStored } from '../crypto/index.js'
import { EncryptedStore } from '../client/core/storage/encryptedStore.js'
import { openSqliteLocalStore } from '../client/node/sqliteStore.js'
const dir = mkdtempSync(join(tmpdir(), 'q-'))
const inner = openSqliteLocalStore(join(dir, 'e.sqlite'))
const clear = openSqliteLocalStore(join(dir, 'c.sqlite'))
const keys = await deriveStorageKeys(generateStorageMaster())
const store = new EncryptedStore(inner, keys)
const val = new Uint8Array(260).fill(3)
const ops = Array.from({ length: 2000 }, (_, i) => ({ key: ['out', 'raw', 'Zm9vYmFyYmF6cXV1eDEyMw', 'YmF6cXV1eDEyM2Zvb2Jhcg', String(1e15 + i)], value: val }))
await store.write(ops); await clear.write(ops)
const slot = await store.slotOf(['out', 'raw'])
const rows = await inner.range(slot)
const slots = rows.map((e) => e.key.join('\u0000'))
async function t(name: string, f: () => unknown, n = 40) {
  for (let i = 0; i < 5; i++) await f()
  const xs: number[] = []
  for (let i = 0; i < n; i++) { const t0 = performance.now(); await f(); xs.push(performance.now() - t0) }
  xs.sort((a, b) => a - b)
  console.log(name.padEnd(28), 'best', xs[0]!.toFixed(2), 'median', xs[n >> 1]!.toFixed(2), 'ms /2000')
}
await t('clear range', () => clear.range(['out', 'raw']))
await t('inner range', () => inner.range(slot))
await t('store range', () => store.range(['out', 'raw']))
await t('openStored Promise.all', () => Promise.all(rows.map((e, i) => openStored(keys, slots[i]!, e.value))))
let k = 0
await t('clear 200 writes', async () => { for (let i = 0; i < 200; i++) await clear.write([{ key: ['out', 'raw', 'Zm9vYmFyYmF6cXV1eDEyMw', 'YmF6cXV1eDEyM2Zvb2Jhcg', String(2e15 + k++)], value: val }]) }, 10)
await t('store 200 writes', async () => { for (let i = 0; i < 200; i++) await store.write([{ key: ['out', 'raw', 'Zm9vYmFyYmF6cXV1eDEyMw', 'YmF6cXV1eDEyM2Zvb2Jhcg', String(2e15 + k++)], value: val }]) }, 10)
process.exit(0)
