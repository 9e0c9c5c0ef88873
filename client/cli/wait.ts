import type { Messenger, MessengerEvents } from '../core/messenger.js'
import { CliError, CliErrorCode } from './errors.js'

/** Resolves when the engine is online with nothing pending; rejects after `timeoutMs`. */
export function waitForSync(messenger: Messenger, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => messenger.status.connection === 'online' && messenger.status.pending === 0
    if (done()) return resolve()
    const timer = setTimeout(() => {
      off()
      reject(new Error(`not in sync after ${timeoutMs / 1000}s (${messenger.status.connection}, ${messenger.status.pending} pending)`))
    }, timeoutMs)
    const off = messenger.events.on('status', () => {
      if (!done()) return
      clearTimeout(timer)
      off()
      resolve()
    })
  })
}

/**
 * Mailbox items (team bundles, join requests, key mail) this device has not handed to the
 * server yet. The Messenger has no accessor for its mail queue, so this reads it through the
 * team's dependencies, read-only. `status.pending` counts only messages, not mail.
 */
export async function queuedMail(messenger: Messenger): Promise<number> {
  return (await messenger.team.core.deps.mailOut.list()).length
}

const ACTIVITY: (keyof MessengerEvents)[] = ['status', 'conversations', 'messages', 'access', 'waiting']

/**
 * Resolves once the device is online, with no message pending, no mail queued, and nothing
 * happening for `quietMs`; rejects with C300 after `timeoutMs`.
 *
 * Why the quiet time: the server sends a device's mailbox right after `welcome`, before it
 * answers any `join` (it handles a connection's frames in order), so a device with at least one
 * conversation is not `online` before its mailbox is handled. A device with none (a fresh
 * invitee) can be `online` a moment before that frame is handled; handling it emits events, and
 * the quiet time lets them start. Callers that know what they wait for (`org accept`) also
 * check for it.
 */
export function waitForDelivery(messenger: Messenger, timeoutMs: number, quietMs = 200): Promise<void> {
  let lastActivity = Date.now()
  const offs = ACTIVITY.map((e) => messenger.events.on(e, () => (lastActivity = Date.now())))
  const deadline = Date.now() + timeoutMs
  const run = async (): Promise<void> => {
    for (;;) {
      const { connection, pending } = messenger.status
      const mail = await queuedMail(messenger)
      if (connection === 'online' && pending === 0 && mail === 0 && Date.now() - lastActivity >= quietMs) return
      if (Date.now() > deadline) {
        throw new CliError(CliErrorCode.NOT_IN_SYNC, `not in sync after ${Math.round(timeoutMs / 1000)}s (${connection}, ${pending} messages and ${mail} mail items not delivered)`, { connection, pending, mail })
      }
      await sleep(50)
    }
  }
  return run().finally(() => offs.forEach((off) => off()))
}

/** Polls `check` until it holds (true) or `timeoutMs` passes (false). */
export async function waitUntil(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) return false
    await sleep(50)
  }
  return true
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
