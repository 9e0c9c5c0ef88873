import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Messenger } from '../../../client/core/messenger.js'
import { openSqliteLocalStore } from '../../../client/node/sqliteStore.js'
import { nodeSocket } from '../../../client/node/socket.js'
import type { SocketFactory } from '../../../client/core/sync/transport.js'
import type { LocalStore } from '../../../client/core/storage/LocalStore.js'
import type { Spool } from '../../../client/core/files/spool.js'
import type { HybridClock } from '../../../client/core/documents/hlc.js'
import type { MessengerOptions } from '../../../client/core/messengerTypes.js'

/** A persona: a Node device with its own SQLite store, as the CLI runs it. */
export interface Persona {
  readonly name: string
  readonly messenger: Messenger
  readonly store: LocalStore
  readonly file: string
  readonly problems: string[]
}

export async function persona(name: string, url: string, options: { socket?: SocketFactory; file?: string; segmentCapacity?: number; snapshotEvery?: number; bundleBytes?: number; spool?: Spool; uploadPutChunks?: number; clock?: HybridClock; search?: MessengerOptions['search']; reopenFile?: MessengerOptions['reopenFile']; app?: MessengerOptions['app']; statsTiming?: MessengerOptions['statsTiming'] } = {}): Promise<Persona> {
  const file = options.file ?? join(mkdtempSync(join(tmpdir(), `fieldchat-${name}-`)), 'device.sqlite')
  const store = openSqliteLocalStore(file)
  const messenger = await Messenger.open({ store, url, socket: options.socket ?? nodeSocket, backoff: { initialMs: 100, maxMs: 1000 }, heartbeatMs: 2000, segmentCapacity: options.segmentCapacity, snapshotEvery: options.snapshotEvery, bundleBytes: options.bundleBytes, uploadBackoff: { baseMs: 100, maxMs: 1000 }, ...(options.spool ? { spool: options.spool } : {}), ...(options.uploadPutChunks ? { uploadPutChunks: options.uploadPutChunks } : {}), ...(options.clock ? { clock: options.clock } : {}), ...(options.search ? { search: options.search } : {}), ...(options.reopenFile ? { reopenFile: options.reopenFile } : {}), ...(options.app ? { app: options.app } : {}), ...(options.statsTiming ? { statsTiming: options.statsTiming } : {}) })
  if (!messenger.identity) await messenger.createIdentity(name)
  const problems: string[] = []
  messenger.events.on('problem', (p) => problems.push(`${p.code} ${p.detail ?? ''}`))
  return { name, messenger, store, file, problems }
}

export async function closePersona(p: Persona): Promise<void> {
  await p.messenger.stop()
  await p.store.close()
}

/**
 * Polls until `check` returns true (messages arrive asynchronously). A minute by default: a
 * multi-device scenario that takes 3 s alone has taken over 30 s on the 2-core CI machine while
 * Chromium tests ran beside it; a wait is not a timing assertion. `what` may be a function: it is
 * called on a timeout, so the error can say the state things were left in.
 */
export async function until(check: () => boolean | Promise<boolean>, what: string | (() => string), timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

export const texts = (p: Persona, conv: Parameters<Messenger['messages']>[0]) => p.messenger.messages(conv).map((m) => m.text)
