/** One device of ours in its own process (bench/sync.ts drives it over IPC). */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Messenger } from '../client/core/messenger.js'
import { openSqliteLocalStore } from '../client/node/sqliteStore.js'
import { nodeSocket } from '../client/node/socket.js'
import type { ConvId } from '../protocol/index.js'
import { emit, monotonicMs, serve } from './procs.js'
import { startProfile, type Profiling } from './profile.js'

/**
 * BENCH_REGION_PROF=DIR: CPU profiles of the measured phases alone: the writer's paced messages
 * after the warm-up and its bot burst loop, the reader from `expect` to the last arrival.
 */
const regionDir = process.env.BENCH_REGION_PROF
if (regionDir) mkdirSync(regionDir, { recursive: true })
let readerProfile: Profiling | undefined

const [url, name] = process.argv.slice(2) as [string, string]
const dir = mkdtempSync(join(tmpdir(), `bench-${name}-`))
const store = openSqliteLocalStore(join(dir, 'device.sqlite'))
const messenger = await Messenger.open({ store, url, socket: nodeSocket })
await messenger.createIdentity(name)
messenger.start()

let expected = 0
let seen = 0
messenger.events.on('added', ({ messages }) => {
  const now = monotonicMs()
  for (const m of messages) {
    if (m.author === messenger.identity!.deviceId) continue
    seen++
    if (m.text.startsWith('paced ')) emit('arrived', { text: m.text, at: now })
  }
  if (expected && seen >= expected) {
    emit('all', { at: now, seen })
    expected = 0
    void readerProfile?.stop(join(regionDir!, `${name}-reader-${seen}-${Date.now()}.cpuprofile`))
    readerProfile = undefined
  }
})

serve({
  async create() {
    const conv = await messenger.createConversation('bench')
    return { conv, link: (await messenger.invite(conv, 'http://bench')).link }
  },
  /** Answers the invitation, then waits until A's device admits this one (not timed). */
  async join({ link }) {
    const { org: conv } = await messenger.join(link as string)
    while (!messenger.conversations().some((c) => c.conv === conv && c.members === 2)) await new Promise((r) => setTimeout(r, 20))
    await messenger.openConversation(conv)
    return { conv }
  },
  async expect({ count }) {
    seen = 0
    expected = count as number
    if (regionDir && (count as number) >= 100) readerProfile = await startProfile()
    return null
  },
  /** Writes `count` messages, one change each, yielding to the event loop between them. */
  async burst({ conv, count }) {
    const start = monotonicMs()
    for (let i = 0; i < (count as number); i++) {
      await messenger.send(conv as ConvId, `burst message ${i} from the field`)
      await new Promise((r) => setImmediate(r))
    }
    return { start, loopMs: monotonicMs() - start }
  },
  /**
   * A bot or an import: `count` sends issued at once, none awaited before the next (the engine
   * may commit concurrent sends together); resolves when every one is in the outbox.
   */
  async botBurst({ conv, count }) {
    const profile = regionDir ? await startProfile() : undefined
    const start = monotonicMs()
    const sends: Promise<unknown>[] = []
    for (let i = 0; i < (count as number); i++) sends.push(messenger.send(conv as ConvId, `bot message ${i} from the field`))
    await Promise.all(sends)
    const loopMs = monotonicMs() - start
    await profile?.stop(join(regionDir!, `${name}-writer-${Date.now()}.cpuprofile`))
    return { start, loopMs }
  },
  async paced({ conv, count, gapMs, from = 0 }) {
    const profile = regionDir && from ? await startProfile() : undefined
    const sentAt: Record<string, number> = {}
    for (let i = 0; i < (count as number); i++) {
      const text = `paced ${(from as number) + i}`
      sentAt[text] = monotonicMs()
      await messenger.send(conv as ConvId, text)
      await new Promise((r) => setTimeout(r, gapMs as number))
    }
    await profile?.stop(join(regionDir!, `${name}-writer-paced-${Date.now()}.cpuprofile`))
    return sentAt
  },
  async stop() {
    await messenger.stop()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
    setTimeout(() => process.exit(0), 10)
    return null
  },
})
