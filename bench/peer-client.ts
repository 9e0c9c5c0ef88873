/** A device of the peer system: automerge-repo with its WebSocket client adapter, no storage. */
import { ImmutableString, Repo, type AutomergeUrl, type DocHandle } from '@automerge/automerge-repo'
import { WebSocketClientAdapter } from '@automerge/automerge-repo-network-websocket'
import { emit, monotonicMs, serve } from './procs.js'

interface Chat { messages: { id: ImmutableString; author: ImmutableString; text: ImmutableString; ts: number }[] }
const [url, name] = process.argv.slice(2) as [string, string]
const repo = new Repo({ network: [new WebSocketClientAdapter(url)] })
let handle: DocHandle<Chat> | undefined
let expected = 0
let seen = 0
let counter = 0

function watch(h: DocHandle<Chat>): void {
  let known = h.doc().messages.length
  h.on('change', ({ doc }) => {
    const now = monotonicMs()
    const list = doc.messages
    for (let i = known; i < list.length; i++) {
      const m = list[i]!
      if (m.author.toString() === name) continue
      seen++
      const text = m.text.toString()
      if (text.startsWith('paced ')) emit('arrived', { text, at: now })
    }
    known = list.length
    if (expected && seen >= expected) {
      emit('all', { at: now, seen })
      expected = 0
    }
  })
}

function message(text: string) {
  return { id: new ImmutableString(`${name}-${counter++}`), author: new ImmutableString(name), text: new ImmutableString(text), ts: Date.now() }
}

serve({
  async create() {
    handle = repo.create<Chat>({ messages: [] })
    watch(handle)
    return { conv: handle.url, link: handle.url }
  },
  async join({ link }) {
    handle = await repo.find<Chat>(link as AutomergeUrl)
    watch(handle)
    return { conv: handle.url }
  },
  expect({ count }) {
    seen = 0
    expected = count as number
    return null
  },
  async burst({ count }) {
    const start = monotonicMs()
    for (let i = 0; i < (count as number); i++) {
      handle!.change((d) => void d.messages.push(message(`burst message ${i} from the field`)))
      await new Promise((r) => setImmediate(r))
    }
    return { start, loopMs: monotonicMs() - start }
  },
  /** A bot or an import: `count` changes in one synchronous loop, sync never awaited in between. */
  botBurst({ count }) {
    const start = monotonicMs()
    for (let i = 0; i < (count as number); i++) handle!.change((d) => void d.messages.push(message(`bot message ${i} from the field`)))
    return { start, loopMs: monotonicMs() - start }
  },
  async paced({ count, gapMs, from = 0 }) {
    const sentAt: Record<string, number> = {}
    for (let i = 0; i < (count as number); i++) {
      const text = `paced ${(from as number) + i}`
      sentAt[text] = monotonicMs()
      handle!.change((d) => void d.messages.push(message(text)))
      await new Promise((r) => setTimeout(r, gapMs as number))
    }
    return sentAt
  },
  async stop() {
    await repo.shutdown()
    setTimeout(() => process.exit(0), 10)
    return null
  },
})
