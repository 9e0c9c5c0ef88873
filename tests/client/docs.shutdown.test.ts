import { expect, test } from 'vitest'
import { DocStore } from '../../client/core/documents/docs.js'
import { createMemoryStore } from '../../client/core/storage/memory.js'
import type { LocalStore } from '../../client/core/storage/LocalStore.js'
import type { DocId } from '../../protocol/index.js'

/**
 * automerge-repo's shutdown flushes but leaves its throttled saves scheduled; one firing after the
 * store closed rejected unhandled and ended the process (seen in bench:at-rest). After shutdown,
 * writes are dropped (the flush wrote the same documents), and nothing is lost.
 */
test('a save automerge-repo left scheduled does not write to a closed store, and the flushed document reads back', async () => {
  const inner = createMemoryStore()
  let closed = false
  const writesAfterClose: string[] = []
  const store: LocalStore = {
    get: (k) => inner.get(k),
    range: (p) => inner.range(p),
    removeRange: (p) => (closed ? Promise.reject(new Error('closed')) : inner.removeRange(p)),
    close: async () => void (closed = true),
    write: (ops) => {
      if (closed) {
        writesAfterClose.push(ops.map((o) => o.key.join('/')).join(','))
        return Promise.reject(new Error('the database connection is not open'))
      }
      return inner.write(ops)
    },
  }
  const unhandled: unknown[] = []
  const onUnhandled = (e: unknown) => unhandled.push(e)
  process.on('unhandledRejection', onUnhandled)
  try {
    const docs = new DocStore(store, 'aa'.repeat(16))
    const id = 'AAAAAAAAAAAAAAAAAAAAAA' as DocId
    for (let i = 0; i < 5; i++) await docs.change<{ n?: number }>(id, [(d) => void (d.n = i)])
    await docs.shutdown()
    // A change arriving as the engine stops (a late frame handled after the flush) schedules a
    // save that would fire after the store closed.
    await docs.change<{ n?: number }>(id, [(d) => void (d.n = 5)]).catch(() => undefined)
    await store.close()
    await new Promise((r) => setTimeout(r, 400)) // past automerge-repo's 100 ms save throttle
    expect(unhandled).toEqual([])
    expect(writesAfterClose).toEqual([])
    const again = new DocStore(inner, 'aa'.repeat(16))
    expect((await again.doc<{ n?: number }>(id))?.n).toBeGreaterThanOrEqual(4)
    await again.shutdown()
  } finally {
    process.off('unhandledRejection', onUnhandled)
  }
})
