import { createServer } from 'node:net'
import { Messenger, type MessengerOptions } from '../../../client/core/messenger.js'
import type { LocalStore } from '../../../client/core/storage/LocalStore.js'
import { createMemoryStore } from '../../../client/core/storage/memory.js'
import { nodeSocket } from '../../../client/node/socket.js'

/** A device for client tests: a Messenger on a memory store, with the problems it reported. */
export interface Device {
  readonly name: string
  readonly messenger: Messenger
  readonly store: LocalStore
  readonly problems: { code: string; detail?: string }[]
}

export async function device(name: string, url: string, options: Partial<MessengerOptions> & { store?: LocalStore } = {}): Promise<Device> {
  const store = options.store ?? createMemoryStore()
  const messenger = await Messenger.open({ socket: nodeSocket, backoff: { initialMs: 50, maxMs: 500 }, heartbeatMs: 1000, ...options, store, url })
  if (!messenger.identity) await messenger.createIdentity(name)
  const problems: Device['problems'] = []
  messenger.events.on('problem', (p) => problems.push(p))
  return { name, messenger, store, problems }
}

/** A ws:// URL on 127.0.0.1 where nothing listens (the port was free a moment ago). */
export async function closedUrl(): Promise<string> {
  const port = await new Promise<number>((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const address = s.address()
      const p = typeof address === 'object' && address ? address.port : 0
      s.close(() => resolve(p))
    })
  })
  return `ws://127.0.0.1:${port}/sync`
}

/** A copy of everything in `store` at this instant: what a crash would leave on disk. */
export async function snapshot(store: LocalStore): Promise<LocalStore> {
  const copy = createMemoryStore()
  await copy.write((await store.range([])).map((e) => ({ key: e.key, value: e.value })))
  return copy
}

/** Polls until `check` holds (deliveries are asynchronous). */
export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
