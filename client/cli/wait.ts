import type { Messenger } from '../core/messenger.js'

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
