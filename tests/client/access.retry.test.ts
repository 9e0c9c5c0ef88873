import { afterEach, expect, test, vi } from 'vitest'
import { AccessState } from '../../client/core/conversations/access.js'
import type { ConvId } from '../../protocol/index.js'

/**
 * [M23] A space the server refuses while its graph still lists this device is waiting for a key,
 * never removed, and is asked for again for as long as it is refused: after concurrent admin
 * changes a member can hold the healed epoch before an admin has rekeyed the server to it, and
 * no rotation reaches the member again to end the wait. (Seen as a message left pending for good
 * in org.integration's two-admins test when the server's rekey came after the first five tries.)
 */
afterEach(() => void vi.useRealTimers())

test('refused past the first five tries: waiting for key, asked again every 30 s at most until accepted, then no more', () => {
  vi.useFakeTimers()
  const conv = 'c' as ConvId
  const joins: number[] = []
  const waiting: ConvId[] = []
  const lost: boolean[] = []
  const access: AccessState = new AccessState({
    memberByGraph: () => true,
    rejoin: () => void joins.push(Date.now()),
    emitAccess: (_c, l) => void lost.push(l),
    emitWaiting: (c) => void waiting.push(c),
  })
  const start = Date.now()
  // The server refuses each join the retries send, ten times over.
  for (let i = 0; i < 10; i++) {
    access.onServer(conv, true)
    vi.advanceTimersToNextTimer()
  }
  expect(joins).toHaveLength(10)
  expect(waiting).toEqual([conv]) // told once
  expect(access.isKeyMissing(conv)).toBe(true)
  expect(lost).toEqual([]) // never "removed"
  const gaps = joins.map((t, i) => t - (i ? joins[i - 1]! : start))
  expect(Math.max(...gaps)).toBeLessThanOrEqual(30_000)
  expect(gaps.at(-1)).toBe(30_000)
  // The rekey reached the server: the next join is accepted, and no more are sent.
  access.onServer(conv, true)
  access.onServer(conv, false)
  vi.advanceTimersByTime(120_000)
  expect(joins).toHaveLength(10)
  expect(access.isKeyMissing(conv)).toBe(false)
})

test('a removal known meanwhile ends the retries', () => {
  vi.useFakeTimers()
  const conv = 'c' as ConvId
  let joins = 0
  const access = new AccessState({ memberByGraph: () => true, rejoin: () => void joins++, emitAccess: () => {}, emitWaiting: () => {} })
  access.onServer(conv, true)
  access.setLost(conv, true)
  vi.advanceTimersByTime(120_000)
  expect(joins).toBe(0)
})
