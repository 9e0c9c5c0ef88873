/**
 * The device that writes the long conversation for bench/open (a worker process): a CLI-style
 * store, online through the real server, sending in batches of concurrent sends; at each size
 * the engine is stopped, the store closed and its file copied (main.ts opens the copies).
 */
import { copyFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { Messenger } from '../../client/core/messenger.js'
import type { LocalStore } from '../../client/core/storage/LocalStore.js'
import { nodeSocket } from '../../client/node/socket.js'
import { waitForDelivery } from '../../client/cli/wait.js'
import { parseConvId, type ConvId } from '../../protocol/index.js'
import { monotonicMs, serve } from '../procs.js'
import { messageText, openCliStore } from './cliStore.js'

const BATCH = 1000
const [url, dir] = process.argv.slice(2) as [string, string]
const file = join(dir, 'device.sqlite')
const keyHex = randomBytes(32).toString('hex')
let store: LocalStore
let messenger: Messenger
let conv: ConvId | undefined
let written = 0

async function up(): Promise<void> {
  store = await openCliStore(file, keyHex)
  messenger = await Messenger.open({ store, url, socket: nodeSocket })
  await messenger.createIdentity('Writer')
  messenger.start()
}

async function down(): Promise<void> {
  await messenger.stop()
  await store.close()
}

serve({
  async init() {
    await up()
    conv = await messenger.createConversation('Long conversation')
    return { conv, keyHex }
  },
  /** Writes messages until the conversation holds `to`, then waits until the server has them all. */
  async fill({ to }) {
    const start = monotonicMs()
    const c = parseConvId(conv)
    if (!c) throw new Error('init first')
    while (written < (to as number)) {
      const n = Math.min(BATCH, (to as number) - written)
      await Promise.all(Array.from({ length: n }, (_, i) => messenger.send(c, messageText(written + i))))
      written += n
    }
    await waitForDelivery(messenger, 30 * 60_000, { messages: true })
    return { ms: monotonicMs() - start }
  },
  /** The store as a device would leave it on exit: engine stopped, file closed; then copied to `dest`. */
  async snapshot({ dest }) {
    await down()
    for (const suffix of ['', '-wal', '-shm']) if (existsSync(file + suffix)) copyFileSync(file + suffix, (dest as string) + suffix)
    await up()
    return null
  },
  async stop() {
    await down()
    setTimeout(() => process.exit(0), 10)
    return null
  },
})
