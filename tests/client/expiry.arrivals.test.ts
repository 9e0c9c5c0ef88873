import { afterEach, expect, test, vi } from 'vitest'
import { Expiry } from '../../client/core/documents/expiry.js'
import type { MessageView } from '../../client/core/documents/model.js'
import type { ConvId, DeviceId, DocId } from '../../protocol/index.js'
import type { MessageRef } from '../../client/core/documents/messageRef.js'

/**
 * [M67] After a scan only the arrivals are looked at (Expiry.added), not every loaded window:
 * an arrival that expires before the armed timer brings the timer forward, one that arrived
 * expired is reported at once, and one that expires later leaves the sooner timer as it is.
 */
afterEach(() => void vi.useRealTimers())

const conv = 'conv' as ConvId
const seg = 'seg' as DocId
const msg = (id: string, exp?: number): MessageView => ({ id, ref: `${seg}.${id}` as MessageRef, tag: id, segment: seg, author: 'other' as DeviceId, ts: 0, text: id, ...(exp === undefined ? {} : { exp }) })

function world() {
  const views: MessageView[] = []
  const gone: string[] = []
  const expiry = new Expiry({
    conversations: () => [conv],
    views: () => views,
    actions: () => [],
    orgMax: () => undefined,
    now: () => Date.now(),
    me: 'me' as DeviceId,
    removeOwn: async () => {},
    expired: (_c, list) => void gone.push(...list.map((m) => m.id)),
  })
  const arrive = (...ms: MessageView[]) => (views.push(...ms), expiry.added(conv, ms))
  return { expiry, gone, arrive }
}

test('an arrival expiring before the armed timer brings it forward; a later one does not delay it', async () => {
  vi.useFakeTimers()
  const { expiry, gone, arrive } = world()
  const t0 = Date.now()
  arrive(msg('late', t0 + 60_000))
  arrive(msg('soon', t0 + 1_000))
  arrive(msg('later', t0 + 120_000), msg('never'))
  await vi.advanceTimersByTimeAsync(1_000)
  expect(gone).toEqual(['soon'])
  await vi.advanceTimersByTimeAsync(59_000)
  expect(gone).toEqual(['soon', 'late'])
  await vi.advanceTimersByTimeAsync(60_000)
  expect(gone).toEqual(['soon', 'late', 'later'])
  expiry.stop()
})

test('an arrival that is already expired is reported at once', async () => {
  vi.useFakeTimers()
  const { expiry, gone, arrive } = world()
  arrive(msg('fresh', Date.now() + 60_000), msg('stale', Date.now() - 1))
  await vi.advanceTimersByTimeAsync(0)
  expect(gone).toEqual(['stale'])
  expiry.stop()
})
