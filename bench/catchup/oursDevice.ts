/**
 * A device of ours for bench:catchup (a worker process) with its store kept in `dir`, so a later
 * process opens the same device: the writer, the reader before it goes offline, and the reader
 * reconnecting (`catchUp`, timed).
 */
import { join } from 'node:path'
import { waitForDelivery } from '../../client/cli/wait.js'
import { Messenger } from '../../client/core/messenger.js'
import { openSqliteLocalStore } from '../../client/node/sqliteStore.js'
import { nodeSocket } from '../../client/node/socket.js'
import { parseConvId, type ConvId } from '../../protocol/index.js'
import { startProfile } from '../profile.js'
import { monotonicMs, serve } from '../procs.js'

const [url, name, dir] = process.argv.slice(2) as [string, string, string]
const t0 = monotonicMs()
const store = openSqliteLocalStore(join(dir, 'device.sqlite'))
const messenger = await Messenger.open({ store, url, socket: nodeSocket })
const openMs = monotonicMs() - t0
await messenger.createIdentity(name)

const convs = (list: unknown): ConvId[] =>
  (list as unknown[]).map((c) => {
    const conv = parseConvId(c)
    if (!conv) throw new Error(`not a conversation id: ${String(c)}`)
    return conv
  })
const admitted = (conv: ConvId) => messenger.conversations().some((c) => c.conv === conv && c.members === 2)
const others = (conv: ConvId) => messenger.messages(conv).filter((m) => !m.mine).length

serve({
  async create({ count }) {
    messenger.start()
    const out: { conv: ConvId; link: string }[] = []
    for (let i = 0; i < (count as number); i++) {
      const conv = await messenger.createConversation(`catch-up ${i}`)
      out.push({ conv, link: (await messenger.invite(conv, 'http://bench')).link })
    }
    return out
  },
  /** Answers every invitation, then waits until the writer's device has admitted this one everywhere (not timed). */
  async join({ links }) {
    messenger.start()
    const joined: ConvId[] = []
    for (const link of links as string[]) joined.push((await messenger.join(link)).org)
    while (!joined.every(admitted)) await new Promise((r) => setTimeout(r, 50))
    await waitForDelivery(messenger, 120_000)
    return joined
  },
  /** `perConv` messages in each conversation (concurrent sends), then waits until the server has them all. */
  async write({ convs: list, perConv }) {
    const start = monotonicMs()
    for (const conv of convs(list)) {
      await Promise.all(Array.from({ length: perConv as number }, (_, i) => messenger.send(conv, `catch-up message ${i} in ${conv.slice(0, 6)}: the road to the clinic is open again`)))
    }
    await waitForDelivery(messenger, 30 * 60_000, { messages: true })
    return { ms: monotonicMs() - start }
  },
  /**
   * The device comes back: from `start` (the socket opens) until every conversation lists
   * `perConv` messages from the other device. Counted on `added` events; confirmed by listing.
   */
  async catchUp({ convs: list, perConv, profile }) {
    const all = convs(list)
    const expected = all.length * (perConv as number)
    let arrived = 0
    let check: (() => void) | undefined
    // Where the wait goes: until the first message, then the rest.
    let firstAt = NaN
    messenger.events.on('added', ({ messages }) => {
      for (const m of messages) if (m.author !== messenger.identity!.deviceId) arrived++
      if (arrived && Number.isNaN(firstAt)) firstAt = monotonicMs()
      if (arrived >= expected) check?.()
    })
    const profiling = typeof profile === 'string' ? await startProfile() : undefined
    const cpu0 = process.cpuUsage()
    const start = monotonicMs()
    const done = new Promise<void>((resolve) => {
      check = () => {
        if (all.every((c) => others(c) >= (perConv as number))) resolve()
        else setTimeout(() => check!(), 10)
      }
    })
    messenger.start()
    await done
    const catchUpMs = monotonicMs() - start
    const cpu = process.cpuUsage(cpu0)
    await profiling?.stop(profile as string)
    return { catchUpMs, cpuMs: (cpu.user + cpu.system) / 1000, firstMs: firstAt - start, openMs, readable: all.reduce((n, c) => n + others(c), 0) }
  },
  async close() {
    await messenger.stop()
    await store.close()
    setTimeout(() => process.exit(0), 10)
    return null
  },
})
