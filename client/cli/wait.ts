import type { Messenger, MessengerEvents } from '../core/messenger.js'
import { CliError, CliErrorCode } from './errors.js'

/**
 * Mailbox items (team bundles, join requests) this device has not handed to the
 * server yet (`status.pending` counts them together with undelivered messages).
 */
export function queuedMail(messenger: Messenger): number {
  return messenger.queuedMail
}

const ACTIVITY: (keyof MessengerEvents)[] = ['status', 'conversations', 'messages', 'access', 'waiting']

/**
 * Resolves once the device is online, with no mail queued (and, with `messages`, no message
 * pending), and nothing happening for `quietMs`; rejects with C300 after `timeoutMs`. Team
 * commands leave `messages` off: a message stuck in some conversation is not theirs to wait for.
 *
 * Why the quiet time: the server sends a device's mailbox right after `welcome`, before it
 * answers any `join` (it handles a connection's frames in order), so a device with at least one
 * conversation is not `online` before its mailbox is handled. A device with none (a fresh
 * invitee) can be `online` a moment before that frame is handled; handling it emits events, and
 * the quiet time lets them start. Callers that know what they wait for (`org accept`) also
 * check for it. `until`: once online with the mailbox handled, the wait ends as soon as it holds
 * (the caller knows what it waits for), without the quiet time.
 */
export function waitForDelivery(messenger: Messenger, timeoutMs: number, opts: { messages?: boolean; quietMs?: number; until?: () => boolean } = {}): Promise<void> {
  const quietMs = opts.quietMs ?? 200
  let lastActivity = Date.now()
  const offs = ACTIVITY.map((e) => messenger.events.on(e, () => (lastActivity = Date.now())))
  const deadline = Date.now() + timeoutMs
  const run = async (): Promise<void> => {
    for (;;) {
      const { connection, pending } = messenger.status
      const mail = queuedMail(messenger)
      const messages = Math.max(0, pending - mail)
      if (connection === 'online' && mail === 0 && (!opts.messages || messages === 0) && Date.now() - lastActivity >= quietMs) return
      // What the caller waits for is here, and what waited for this device was handed over: no quiet time.
      if (connection === 'online' && mail === 0 && opts.until?.()) return
      if (Date.now() > deadline) {
        const what = opts.messages ? `${messages} messages and ${mail} mail items` : `${mail} mail items`
        throw new CliError(CliErrorCode.NOT_IN_SYNC, `not in sync after ${(timeoutMs / 1000).toFixed(1)}s (${connection}, ${what} not delivered)`, { connection, messages, mail })
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
