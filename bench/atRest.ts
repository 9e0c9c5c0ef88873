/**
 * npm run bench:at-rest — the cost of encryption at rest ([M28]) on a device's own work, same
 * process, same run: a device offline writes BENCH_MESSAGES one-line messages (every one a
 * local change into the outbox), then the store is closed and opened cold (Messenger.open and
 * the conversation's newest segment), once with the store in clear and once encrypted (a key
 * file's master, the CLI's default), after one uncounted warm-up of each, alternating (and in turn
 * first) BENCH_ROUNDS times; and the unlock time of a
 * passphrase store (Argon2id at the chosen parameters). Last line of stdout: JSON.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateStorageMaster } from '../crypto/index.js'
import { Messenger } from '../client/core/messenger.js'
import { openAtRest } from '../client/core/storage/atRest.js'
import type { LocalStore } from '../client/core/storage/LocalStore.js'
import { openSqliteLocalStore } from '../client/node/sqliteStore.js'
import { nodeSocket } from '../client/node/socket.js'
import { round } from './procs.js'

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 2000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const OFFLINE = 'ws://127.0.0.1:9/sync' // nothing listens: the device works offline
const master = generateStorageMaster()

async function side(encrypted: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-at-rest-'))
  const open = async (): Promise<LocalStore> => {
    const sqlite = openSqliteLocalStore(join(dir, 'device.sqlite'))
    return encrypted ? openAtRest(sqlite, { kind: 'key', master }) : sqlite
  }
  try {
    let store = await open()
    let m = await Messenger.open({ store, url: OFFLINE, socket: nodeSocket })
    await m.createIdentity('Bench')
    const conv = await m.createConversation('bench')
    await m.openConversation(conv)
    const t0 = performance.now()
    for (let i = 0; i < MESSAGES; i++) await m.send(conv, `message ${i} from the field`)
    const writeMs = performance.now() - t0
    await m.stop()
    await store.close()
    const t1 = performance.now()
    store = await open()
    m = await Messenger.open({ store, url: OFFLINE, socket: nodeSocket })
    await m.openConversation(conv)
    const coldOpenMs = performance.now() - t1
    if (m.messages(conv).length === 0) throw new Error('nothing read back')
    await m.stop()
    await store.close()
    return { writesPerSecond: MESSAGES / (writeMs / 1000), coldOpenMs }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function unlockMs(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-at-rest-pass-'))
  try {
    const first = await openAtRest(openSqliteLocalStore(join(dir, 'device.sqlite')), { kind: 'passphrase', passphrase: 'correct horse battery staple' })
    await first.close()
    const t = performance.now()
    const again = await openAtRest(openSqliteLocalStore(join(dir, 'device.sqlite')), { kind: 'passphrase', passphrase: 'correct horse battery staple' })
    const ms = performance.now() - t
    await again.close()
    return ms
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const runs: { clear: Awaited<ReturnType<typeof side>>; encrypted: Awaited<ReturnType<typeof side>> }[] = []
// A warm-up of each (not counted): the first run pays for compiling the engine and Automerge.
await side(false)
await side(true)
for (let r = 0; r < ROUNDS; r++) {
  // Alternating, and in turn first, so a noisy moment of the machine falls on both.
  const clear = r % 2 === 0 ? await side(false) : undefined
  const encrypted = await side(true)
  const clearRun = clear ?? (await side(false))
  runs.push({ clear: clearRun, encrypted })
  console.error(`round ${r + 1}: clear ${round(clearRun.writesPerSecond)} msg/s, open ${round(clearRun.coldOpenMs)} ms; encrypted ${round(encrypted.writesPerSecond)} msg/s, open ${round(encrypted.coldOpenMs)} ms`)
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const clear = { writesPerSecond: round(median(runs.map((r) => r.clear.writesPerSecond))), coldOpenMs: round(median(runs.map((r) => r.clear.coldOpenMs))) }
const encrypted = { writesPerSecond: round(median(runs.map((r) => r.encrypted.writesPerSecond))), coldOpenMs: round(median(runs.map((r) => r.encrypted.coldOpenMs))) }
const unlock = round(await unlockMs())
console.log(JSON.stringify({
  messages: MESSAGES,
  rounds: ROUNDS,
  peer: 'the same store in clear (SQLite), same process, alternating',
  clear,
  encrypted,
  overhead: { writes: round(1 - encrypted.writesPerSecond / clear.writesPerSecond, 3), coldOpen: round(encrypted.coldOpenMs / clear.coldOpenMs - 1, 3) },
  passphraseUnlockMs: unlock,
  argon2id: { mKiB: 19_456, t: 2, p: 1 },
}))
process.exit(0)
