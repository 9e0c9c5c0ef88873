/**
 * npm run bench:at-rest — the cost of encryption at rest ([M28]) on a device's own work, same
 * process, same run: a device offline writes BENCH_MESSAGES one-line messages (every one a
 * local change into the outbox) and stops (the engine's shutdown flushes the documents: counted,
 * since a store that yields to the event loop while sealing lets automerge-repo's throttled saves
 * run inside the loop while a synchronous one leaves them all to this flush), then the store is
 * closed and opened cold (openAtRest with a key file's master, as the CLI does it — HKDF and the
 * check record, no Argon2id —, Messenger.open and the conversation's newest segment), once with
 * the store in clear and once encrypted, after one uncounted warm-up of each, alternating (and in
 * turn first) BENCH_ROUNDS times; and the unlock time of a passphrase store (Argon2id at the
 * chosen parameters). Wall time and CPU time (all threads: WebCrypto's pool too) per phase; the
 * overheads are of the medians, with the range of each round's pair beside them, since the
 * machine is shared. Last line of stdout: JSON.
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
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const OFFLINE = 'ws://127.0.0.1:9/sync' // nothing listens: the device works offline
const master = generateStorageMaster()

/** Wall and CPU milliseconds since the call. */
function clock(): () => { ms: number; cpuMs: number } {
  const t = performance.now()
  const c = process.cpuUsage()
  return () => {
    const d = process.cpuUsage(c)
    return { ms: performance.now() - t, cpuMs: (d.user + d.system) / 1000 }
  }
}

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
    const w = clock()
    for (let i = 0; i < MESSAGES; i++) await m.send(conv, `message ${i} from the field`)
    await m.stop()
    const write = w()
    await store.close()
    const o = clock()
    store = await open()
    m = await Messenger.open({ store, url: OFFLINE, socket: nodeSocket })
    await m.openConversation(conv)
    const coldOpen = o()
    if (m.messages(conv).length === 0) throw new Error('nothing read back')
    await m.stop()
    await store.close()
    return { writesPerSecond: MESSAGES / (write.ms / 1000), coldOpenMs: coldOpen.ms, writeCpuMs: write.cpuMs, coldOpenCpuMs: coldOpen.cpuMs }
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
  console.error(`round ${r + 1}: clear ${round(clearRun.writesPerSecond)} msg/s, open ${round(clearRun.coldOpenMs)} ms; encrypted ${round(encrypted.writesPerSecond)} msg/s, open ${round(encrypted.coldOpenMs)} ms (cpu: writes ${round(clearRun.writeCpuMs)} / ${round(encrypted.writeCpuMs)} ms, open ${round(clearRun.coldOpenCpuMs)} / ${round(encrypted.coldOpenCpuMs)} ms)`)
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const range = (xs: number[]) => [round(Math.min(...xs), 3), round(Math.max(...xs), 3)]
type Side = Awaited<ReturnType<typeof side>>
const summary = (pick: (r: (typeof runs)[number]) => Side) => ({
  writesPerSecond: round(median(runs.map((r) => pick(r).writesPerSecond))),
  coldOpenMs: round(median(runs.map((r) => pick(r).coldOpenMs))),
  writeCpuMs: round(median(runs.map((r) => pick(r).writeCpuMs))),
  coldOpenCpuMs: round(median(runs.map((r) => pick(r).coldOpenCpuMs))),
})
const clear = summary((r) => r.clear)
const encrypted = summary((r) => r.encrypted)
const unlock = round(await unlockMs())
console.log(JSON.stringify({
  messages: MESSAGES,
  rounds: ROUNDS,
  peer: 'the same store in clear (SQLite), same process, alternating',
  clear,
  encrypted,
  overhead: { writes: round(clear.writesPerSecond / encrypted.writesPerSecond - 1, 3), coldOpen: round(encrypted.coldOpenMs / clear.coldOpenMs - 1, 3) },
  overheadPerRound: {
    writes: range(runs.map((r) => r.clear.writesPerSecond / r.encrypted.writesPerSecond - 1)),
    coldOpen: range(runs.map((r) => r.encrypted.coldOpenMs / r.clear.coldOpenMs - 1)),
  },
  cpuOverhead: { writes: round(encrypted.writeCpuMs / clear.writeCpuMs - 1, 3), coldOpen: round(encrypted.coldOpenCpuMs / clear.coldOpenCpuMs - 1, 3) },
  passphraseUnlockMs: unlock,
  argon2id: { mKiB: 19_456, t: 2, p: 1 },
}))
process.exit(0)
