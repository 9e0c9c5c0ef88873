/**
 * A device of the automerge-repo peer for bench:catchup (a worker process): WebSocket client,
 * NodeFS storage in `dir` when given (the reader, so a later process is the same device), none
 * otherwise (the writer; the observer that confirms the server holds everything).
 */
import { ImmutableString, Repo, type AutomergeUrl, type DocHandle } from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import { NodeFSStorageAdapter } from '@automerge/automerge-repo-storage-nodefs'
import { startProfile } from '../profile.js'
import { monotonicMs, serve } from '../procs.js'

interface Chat { messages: { id: ImmutableString; author: ImmutableString; text: ImmutableString; ts: number }[] }
const [url, name, dir] = process.argv.slice(2) as [string, string, string | undefined]
const t0 = monotonicMs()
// automerge-repo's WebSocket client throws a socket's error event (a reset as a peer process
// goes): the device carries on, as its adapter reconnects.
process.on('uncaughtException', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'ECONNRESET') throw err
  console.error(`${name}: ${err.message} (ignored)`)
})
const storage = dir ? new NodeFSStorageAdapter(dir) : undefined
// The reconnecting reader opens its storage first and goes online in `catchUp`.
const offlineFirst = process.env.BENCH_PEER_OFFLINE_FIRST === '1'
const repo = new Repo({ ...(storage ? { storage } : {}), network: offlineFirst ? [] : [new WebSocketClientAdapter(url)] })
let counter = 0

/** Messages in a document (the reader and the observer write none: all are the writer's). */
const count = (h: DocHandle<Chat>) => h.doc()?.messages?.length ?? 0

/** Resolves when the handles hold `expected` messages in all. */
function arrivals(handles: DocHandle<Chat>[], expected: number): Promise<void> {
  return new Promise((resolve) => {
    const counts = handles.map(count)
    const check = () => counts.reduce((a, b) => a + b, 0) >= expected && resolve()
    handles.forEach((h, i) => h.on('change', ({ doc }) => ((counts[i] = doc.messages?.length ?? 0), check())))
    check()
  })
}

serve({
  create({ count }) {
    return Array.from({ length: count as number }, () => repo.create<Chat>({ messages: [] }).url)
  },
  async find({ urls }) {
    await Promise.all((urls as AutomergeUrl[]).map((u) => repo.find<Chat>(u)))
    return null
  },
  /** `perConv` changes per document, in one synchronous loop (sync never awaited). */
  async write({ urls, perConv }) {
    for (const u of urls as AutomergeUrl[]) {
      const h = await repo.find<Chat>(u)
      for (let i = 0; i < (perConv as number); i++) {
        h.change((d) => void d.messages.push({ id: new ImmutableString(`${name}-${counter++}`), author: new ImmutableString(name), text: new ImmutableString(`catch-up message ${i}: the road to the clinic is open again`), ts: Date.now() }))
      }
    }
    return null
  },
  /** Waits until the documents hold `expected` messages in all (from the server). */
  async watch({ urls, expected }) {
    await arrivals(await Promise.all((urls as AutomergeUrl[]).map((u) => repo.find<Chat>(u))), expected as number)
    return null
  },
  /** The reader comes back: documents loaded from its storage, then the socket opens (timed from there). */
  async catchUp({ urls, expected, profile }) {
    const handles = await Promise.all((urls as AutomergeUrl[]).map((u) => repo.find<Chat>(u)))
    const openMs = monotonicMs() - t0
    const profiling = typeof profile === 'string' ? await startProfile() : undefined
    const cpu0 = process.cpuUsage()
    const start = monotonicMs()
    const done = arrivals(handles, expected as number)
    let firstAt = NaN
    for (const h of handles) h.once('change', () => (firstAt = Number.isNaN(firstAt) ? monotonicMs() : firstAt))
    repo.networkSubsystem.addNetworkAdapter(new WebSocketClientAdapter(url))
    await done
    const catchUpMs = monotonicMs() - start
    const cpu = process.cpuUsage(cpu0)
    await profiling?.stop(profile as string)
    return { catchUpMs, cpuMs: (cpu.user + cpu.system) / 1000, firstMs: firstAt - start, openMs, readable: handles.reduce((n, h) => n + count(h), 0) }
  },
  async close() {
    await repo.shutdown()
    setTimeout(() => process.exit(0), 10)
    return null
  },
})
