/**
 * One cold open in a fresh process (bench/open/main.ts starts one per measurement): the CLI's
 * store opened, then the engine, then the conversation, until its newest 50 messages are readable.
 */
import { Messenger } from '../../client/core/messenger.js'
import { nodeSocket } from '../../client/node/socket.js'
import { parseConvId } from '../../protocol/index.js'
import { startProfile } from '../profile.js'
import { monotonicMs, serve } from '../procs.js'
import { openCliStore } from './cliStore.js'

export interface OpenTiming {
  /** Messenger.open → openConversation → messages(conv) holds ≥ 50 (the measure). */
  readonly engineMs: number
  /** The store's own opening (SQLite, at-rest key) before that. */
  readonly storeMs: number
  /** The part of engineMs spent in Messenger.open (the rest: openConversation and listing). */
  readonly messengerOpenMs: number
  /** This process's CPU time (user + system, all threads) over the measure: steadier than wall time on a shared machine. Node only. */
  readonly cpuMs?: number
  readonly listed: number
  readonly newestText: string
}

serve({
  async open({ file, keyHex, conv, profile }): Promise<OpenTiming> {
    const c = parseConvId(conv)
    if (!c) throw new Error('no conversation id')
    // The profile, when asked for, covers exactly the measured region.
    const profiling = typeof profile === 'string' ? await startProfile() : undefined
    const cpu0 = process.cpuUsage()
    const t0 = monotonicMs()
    const store = await openCliStore(file as string, keyHex as string)
    const t1 = monotonicMs()
    // Never started: the measure is local; the address is never dialled.
    const messenger = await Messenger.open({ store, url: 'ws://127.0.0.1:9/sync', socket: nodeSocket })
    const opened = monotonicMs()
    await messenger.openConversation(c)
    const list = messenger.messages(c)
    const t2 = monotonicMs()
    const cpu = process.cpuUsage(cpu0)
    await profiling?.stop(profile as string)
    if (list.length < 50) throw new Error(`only ${list.length} messages readable after opening`)
    await messenger.stop()
    await store.close()
    return { engineMs: t2 - t1, storeMs: t1 - t0, messengerOpenMs: opened - t1, cpuMs: (cpu.user + cpu.system) / 1000, listed: list.length, newestText: list.at(-1)!.text }
  },
})
