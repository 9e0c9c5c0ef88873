import { expect, test, vi } from 'vitest'
import { FILE_SEALED_CHUNK_BYTES } from '../../../crypto/index.js'
import type { BlobId } from '../../../protocol/index.js'
import type { BlobAccess, BlobClient } from '../../../client/core/files/blobClient.js'
import { EarlyUpload } from '../../../client/core/files/earlyUpload.js'
import { SealedWindow } from '../../../client/core/files/sealedWindow.js'

/** [A2] The newest sealed chunks of a file sent from its path, and the early upload's pace that sealing waits on. */
const chunk = (i: number) => new Uint8Array(FILE_SEALED_CHUNK_BYTES).fill(i & 0xff)
const step = (first: number, count: number) => {
  const out = new Uint8Array(count * FILE_SEALED_CHUNK_BYTES)
  for (let i = 0; i < count; i++) out.set(chunk(first + i), i * FILE_SEALED_CHUNK_BYTES)
  return out
}

test('[A2] a window hands out only ranges it still holds whole, copied; older chunks are gone once overwritten', async () => {
  const tags: number[] = []
  const window = new SealedWindow(8, undefined, { write: async (i) => void tags.push(i), flush: async () => undefined })
  await window.write(0, step(0, 4))
  await window.write(4, step(4, 4))
  const into = new Uint8Array(8 * FILE_SEALED_CHUNK_BYTES)
  expect(window.take(2, 3, into)).toEqual(step(2, 3))
  await window.write(8, step(8, 4))
  // Chunks 0–3 were overwritten by 8–11: a range touching them is not handed out at all.
  expect(window.take(3, 2, into)).toBeUndefined()
  expect(window.take(4, 8, into)).toEqual(step(4, 8))
  expect(window.take(12, 1, into)).toBeUndefined()
  // More than it can hold, or into a buffer too short: never.
  expect(window.take(4, 9, new Uint8Array(9 * FILE_SEALED_CHUNK_BYTES))).toBeUndefined()
  expect(window.take(4, 2, new Uint8Array(FILE_SEALED_CHUNK_BYTES))).toBeUndefined()
  // The tags output saw every step first.
  expect(tags).toEqual([0, 4, 8])
})

test('[A2] sealing waits, before it overwrites, for the chunks the pace names', async () => {
  const asked: number[] = []
  let release: () => void = () => undefined
  const window = new SealedWindow(8, (index) => {
    asked.push(index)
    return index > 0 ? new Promise<void>((r) => (release = r)) : Promise.resolve()
  })
  await window.write(0, step(0, 8))
  let done = false
  const writing = window.write(8, step(8, 4)).then(() => (done = true))
  await new Promise((r) => setTimeout(r, 20))
  // Chunks 0–3 are about to be overwritten: it asked for them to be taken first, and waits.
  expect(asked).toEqual([0, 4])
  expect(done).toBe(false)
  expect(window.take(0, 4, new Uint8Array(4 * FILE_SEALED_CHUNK_BYTES))).toEqual(step(0, 4))
  release()
  await writing
  expect(window.take(8, 4, new Uint8Array(4 * FILE_SEALED_CHUNK_BYTES))).toEqual(step(8, 4))
})

/** A blob client whose PUTs are answered when the test says so. */
function heldClient() {
  const puts: { start: number; count: number; answer: () => void }[] = []
  const client = {
    create: async () => ({ stored: 0, chunks: 64 }),
    put: (_a: BlobAccess, _b: BlobId, start: number, body: Uint8Array) => new Promise((resolve) => puts.push({ start, count: body.length / FILE_SEALED_CHUNK_BYTES, answer: () => resolve({ stored: start + body.length / FILE_SEALED_CHUNK_BYTES, chunks: 64 }) })),
    remove: async () => undefined,
  } as unknown as BlobClient
  return { client, puts }
}

const access = {} as BlobAccess

test('[A2] the early upload\'s pace: chunks are past once they are in a PUT body; it stops holding sealing back when a wait would pass 2 s, or when it ends', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  try {
    const { client, puts } = heldClient()
    const early = new EarlyUpload(client, access, 'b' as BlobId, 64, 64, async (start, count, into) => into.subarray(0, count * FILE_SEALED_CHUNK_BYTES).fill(start), 8)
    await vi.advanceTimersByTimeAsync(0)
    let past = false
    void early.readPast(16).then(() => (past = true))
    early.advance(24 * 65_536)
    await vi.advanceTimersByTimeAsync(0)
    // Two PUTs of 8 went into bodies (0–15): every chunk before 16 is past.
    expect(puts.map((p) => p.start)).toEqual([0, 8])
    expect(past).toBe(true)
    let later = false
    void early.readPast(24).then(() => (later = true))
    await vi.advanceTimersByTimeAsync(1_000)
    expect(later).toBe(false)
    puts[0]!.answer()
    await vi.advanceTimersByTimeAsync(0)
    // The answer let the third PUT (16–23) take its body: 24 is past.
    expect(later).toBe(true)
    // A wait that would last 2 s: the link does not keep pace; from then on nothing waits.
    let slow = false
    void early.readPast(40).then(() => (slow = true))
    await vi.advanceTimersByTimeAsync(1_999)
    expect(slow).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(slow).toBe(true)
    let free = false
    void early.readPast(64).then(() => (free = true))
    await vi.advanceTimersByTimeAsync(0)
    expect(free).toBe(true)
    for (const p of puts) p.answer()
    await early.stop()
  } finally {
    vi.useRealTimers()
  }
})

test('[A2] an early upload that ends (offline: its first request fails) holds nothing back, now or later', async () => {
  const client = { create: async () => Promise.reject(new Error('offline')), put: async () => ({ stored: 0, chunks: 64 }), remove: async () => undefined } as unknown as BlobClient
  const early = new EarlyUpload(client, access, 'b' as BlobId, 64, 64, async (_s, count, into) => into.subarray(0, count * FILE_SEALED_CHUNK_BYTES), 8)
  const waiting = early.readPast(32)
  await early.finished
  await waiting
  await early.readPast(64)
})

test('[A2] a PUT slower than 2 s per PUT sharing the link ends the pace: sealing is no longer held back', async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] })
  try {
    const { client, puts } = heldClient()
    const early = new EarlyUpload(client, access, 'b' as BlobId, 64, 64, async (start, count, into) => into.subarray(0, count * FILE_SEALED_CHUNK_BYTES).fill(start), 8)
    await vi.advanceTimersByTimeAsync(0)
    early.advance(8 * 65_536)
    await vi.advanceTimersByTimeAsync(0)
    expect(puts).toHaveLength(1)
    // Alone on the link, answered after 2.5 s: slow.
    await vi.advanceTimersByTimeAsync(2_500)
    puts[0]!.answer()
    await vi.advanceTimersByTimeAsync(0)
    let free = false
    void early.readPast(60).then(() => (free = true))
    await vi.advanceTimersByTimeAsync(0)
    expect(free).toBe(true)
    await early.stop()
  } finally {
    vi.useRealTimers()
  }
})
