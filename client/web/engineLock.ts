/**
 * Only one tab runs the engine: two engines on one IndexedDB would both seal outbox records and
 * could reuse sequence numbers (outbox Invariant 2). The first tab holds a Web Lock for its
 * lifetime; a later tab waits for it and takes over by itself when the first one closes. The
 * service worker takes it too, for the few seconds of a push wake's sync (client/web/sw, [M62]).
 */
export const ENGINE_LOCK = 'fieldchat-engine'

/** Resolves once this tab holds the lock; calls `onWaiting` if another tab has it. */
export function acquireEngineLock(onWaiting: () => void): Promise<void> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined
  if (!locks) return Promise.resolve() // no Web Locks (very old browser): nothing to coordinate with
  return new Promise((resolve, reject) => {
    // The callback's promise never settles, so the lock is released only when the tab goes away.
    const hold = (): Promise<never> => {
      resolve()
      return new Promise<never>(() => {})
    }
    locks
      .request(ENGINE_LOCK, { ifAvailable: true }, (lock) => {
        if (lock) return hold()
        onWaiting()
        locks.request(ENGINE_LOCK, hold).catch(reject)
        return undefined
      })
      .catch(reject)
  })
}
