import type { PushStore, PushSubscriptionRecord } from './PushStore.js'

const key = (token: Uint8Array) => Buffer.from(token).toString('hex')

/** [S50] Subscriptions in memory (tests, and a server given a store of its own): gone on restart. */
export function openMemoryPushStore(): PushStore {
  const subs = new Map<string, PushSubscriptionRecord>()
  return {
    async put(token, sub, max) {
      if (!subs.has(key(token)) && subs.size >= max) return 'full'
      subs.set(key(token), sub)
      return 'ok'
    },
    async get(token) {
      return subs.get(key(token))
    },
    async delete(token) {
      subs.delete(key(token))
    },
    async count() {
      return subs.size
    },
    async close() {
      subs.clear()
    },
  }
}
