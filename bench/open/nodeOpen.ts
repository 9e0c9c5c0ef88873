/**
 * One cold open in a fresh process (bench/open/main.ts starts one per measurement): the CLI's
 * store opened, then the engine, then the conversation, until its newest 50 messages are readable.
 */
import { Messenger } from '../../client/core/messenger.js'
import { nodeSocket } from '../../client/node/socket.js'
import { parseConvId, type ConvId } from '../../protocol/index.js'
import { startProfile } from '../profile.js'
import { monotonicMs, serve } from '../procs.js'
import { openCliStore } from './cliStore.js'

export interface OpenTiming {
  /**
   * The measure: opening the engine (`Messenger.opening`) → the newest 50 messages readable: the
   * saved newest view painted while the engine loads (client/core [M13b], what the app shows at
   * launch), else `messages(conv)` once open (the saved view while the documents load, [M13a], or
   * the loaded window).
   */
  readonly engineMs: number
  /** Messenger.open → openConversation resolved: the window (newest segment) loaded. */
  readonly loadedMs: number
  /** The store's own opening (SQLite, at-rest key) before that. */
  readonly storeMs: number
  /** The part of engineMs spent in Messenger.open (the rest: openConversation and listing). */
  readonly messengerOpenMs: number
  /** This process's CPU time (user + system, all threads) over the measure: steadier than wall time on a shared machine. Node only. */
  readonly cpuMs?: number
  /** [M13b] Until the saved view was readable (`Messenger.opening().preview`), when it held 50. */
  readonly previewMs?: number
  readonly listed: number
  readonly newestText: string
}

/** When `messages(conv)` first held at least 50 (at a `messages` event of the opening). */
function newestReadable(messenger: Messenger, conv: ConvId): { at(): number | undefined; text(): string | undefined } {
  let at: number | undefined
  let text: string | undefined
  const off = messenger.events.on('messages', (e) => {
    const list = e.conv === conv && at === undefined ? messenger.messages(conv) : []
    if (list.length < 50) return
    at = monotonicMs()
    text = list.at(-1)!.text
    off()
  })
  return { at: () => (off(), at), text: () => text }
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
    const opening = Messenger.opening({ store, url: 'ws://127.0.0.1:9/sync', socket: nodeSocket })
    // [M13b] The saved newest view, painted read-only while the engine loads (as the app does).
    let previewAt: number | undefined
    let previewText: string | undefined
    const preview = opening.preview(c).then((list) => {
      if (list && list.length >= 50) (previewAt = monotonicMs()), (previewText = list.at(-1)!.text)
    })
    const messenger = await opening.messenger
    const opened = monotonicMs()
    await preview
    const newest = newestReadable(messenger, c)
    await messenger.openConversation(c)
    const list = messenger.messages(c)
    const t3 = monotonicMs()
    const t2 = previewAt ?? newest.at() ?? t3
    const cpu = process.cpuUsage(cpu0)
    await profiling?.stop(profile as string)
    if (list.length < 50) throw new Error(`only ${list.length} messages readable after opening`)
    await messenger.stop()
    await store.close()
    return { engineMs: t2 - t1, loadedMs: t3 - t1, storeMs: t1 - t0, messengerOpenMs: opened - t1, cpuMs: (cpu.user + cpu.system) / 1000, listed: list.length, newestText: previewText ?? newest.text() ?? list.at(-1)!.text, ...(previewAt !== undefined ? { previewMs: previewAt - t1 } : {}) }
  },
})
