import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Messenger } from '../../client/core/messenger.js'
import { HybridClock } from '../../client/core/documents/hlc.js'
import { openSqliteLocalStore } from '../../client/node/sqliteStore.js'
import { nodeSocket } from '../../client/node/socket.js'
import type { ConvId } from '../../protocol/index.js'
import { until } from '../integration/helpers/clients.js'

/**
 * A Node device (SQLite, as the CLI runs it) whose wall clock the test sets: it writes messages
 * "yesterday" or "three days ago" for the date separators and list times, or thousands of them
 * for the virtualised list. Its hybrid clock never goes back, so write the oldest first, before
 * it has seen newer messages.
 */
export interface ClockBot {
  readonly messenger: Messenger
  /** The time its next message gets (ms); undefined: the real clock. */
  at(ts: number | undefined): void
  /** Answers a conversation invitation and waits until it is let in (the inviter's page must be open). */
  join(link: string): Promise<ConvId>
  close(): Promise<void>
}

export async function clockBot(name: string, serverUrl: string, options: { segmentCapacity?: number } = {}): Promise<ClockBot> {
  let fixed: number | undefined
  const store = openSqliteLocalStore(join(mkdtempSync(join(tmpdir(), `fieldchat-bot-${name}-`)), 'device.sqlite'))
  const messenger = await Messenger.open({
    store,
    url: `${serverUrl.replace('http', 'ws')}/sync`,
    socket: nodeSocket,
    clock: new HybridClock(() => fixed ?? Date.now()),
    backoff: { initialMs: 100, maxMs: 1000 },
    heartbeatMs: 2000,
    ...(options.segmentCapacity ? { segmentCapacity: options.segmentCapacity } : {}),
  })
  await messenger.createIdentity(name)
  messenger.start()
  return {
    messenger,
    at: (ts) => void (fixed = ts),
    async join(link) {
      const { org } = await messenger.join(link)
      await until(() => messenger.team.isMember(org) && !messenger.waitingForKey(org), `${name} is let in`, 60_000)
      await messenger.openConversation(org)
      return org
    },
    async close() {
      await messenger.stop()
      await store.close()
    },
  }
}
