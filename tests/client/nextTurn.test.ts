import { afterEach, expect, test, vi } from 'vitest'
import { nextTurn } from '../../client/core/documents/nextTurn.js'

/** [M14a] A turn of the event loop on each platform's path: after the microtasks queued before it, and after I/O callbacks already due. */
afterEach(() => vi.unstubAllGlobals())

async function order(): Promise<string[]> {
  const seen: string[] = []
  const turn = nextTurn().then(() => seen.push('turn'))
  void Promise.resolve().then(() => seen.push('microtask'))
  await turn
  return seen
}

test('[M14a] Node: setImmediate', async () => {
  expect(await order()).toEqual(['microtask', 'turn'])
})

test('[M14a] a browser: a message to a MessageChannel (no setImmediate)', async () => {
  vi.stubGlobal('setImmediate', undefined)
  expect(await order()).toEqual(['microtask', 'turn'])
})

test('[M14a] elsewhere: a timer', async () => {
  vi.stubGlobal('setImmediate', undefined)
  vi.stubGlobal('MessageChannel', undefined)
  expect(await order()).toEqual(['microtask', 'turn'])
})
