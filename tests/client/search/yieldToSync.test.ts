import { expect, test, vi } from 'vitest'
import { yieldToSync } from '../../../client/core/search/wire.js'

/** [M53] The indexer's pause yields to received frames waiting to be handled, but not for ever. */
test('[M53] a pause returns after a turn when nothing waits to be handled', async () => {
  let calls = 0
  await yieldToSync(() => (calls++, false))
  expect(calls).toBe(1)
})

test('[M53] a pause lasts while received frames wait, and ends once they are handled', async () => {
  let backlog = true
  let done = false
  const pausing = yieldToSync(() => backlog, 60_000).then(() => void (done = true))
  for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 25))
  expect(done).toBe(false)
  backlog = false
  await pausing
  expect(done).toBe(true)
})

test('[M53] a link that stays busy holds a pause for its bound and no longer', async () => {
  vi.useFakeTimers()
  try {
    let done = false
    const pausing = yieldToSync(() => true, 1_000).then(() => void (done = true))
    await vi.advanceTimersByTimeAsync(980)
    expect(done).toBe(false)
    await vi.advanceTimersByTimeAsync(60)
    expect(done).toBe(true)
    await pausing
  } finally {
    vi.useRealTimers()
  }
})
