import { expect, test } from 'vitest'
import { BacklogPage, framesOf } from '../../sync-server/backlog.js'
import { Device, Room, online, server } from './harness.js'

const alice = new Device('alice')
const bob = new Device('bob')
const stored = (n: number, size: number) => Array.from({ length: n }, (_, i) => ({ sseq: i + 1, bytes: new Uint8Array(size) }))

test('[S5] a backlog page is sized by bytes: it starts at 16, doubles while small (to 500), shrinks to about the target when large', () => {
  const page = new BacklogPage(4 * 1024 * 1024)
  expect(page.size).toBe(16)
  for (const expected of [32, 64, 128, 256, 500, 500]) {
    page.saw(stored(page.size, 300))
    expect(page.size).toBe(expected)
  }
  page.saw(stored(500, 1024 * 1024))
  expect(page.size).toBe(4)
  page.saw(stored(1, 100)) // a short page (the end of the backlog) does not grow it
  expect(page.size).toBe(4)
  expect(framesOf(stored(10, 1024 * 1024).map((e) => ({ env: e.bytes })), 4 * 1024 * 1024).map((f) => f.length)).toEqual([3, 3, 3, 1])
})

test('[S5] a reader catching up on envelopes of nearly 1 MiB gets them all, in order, in frames of at most maxFrameBytes', async () => {
  const maxFrameBytes = 2 * 1024 * 1024
  const srv = server({ limits: { maxFrameBytes } })
  const room = new Room()
  const a = await online(srv, alice, room)
  for (let i = 0; i < 9; i++) {
    const [ack] = await a.ask({ type: 'push', id: i, envelopes: [await alice.envelope(room, room.doc, 'x'.repeat(900_000) + i)] })
    expect(ack).toMatchObject({ type: 'ack', results: [{ sseq: i + 1 }] })
  }
  const b = await online(srv, bob, room)
  const from = b.trace.length
  b.send({ type: 'subscribe', conv: room.conv, doc: room.doc, cursor: 0 })
  await b.next(1, from)
  while (!b.trace.slice(from).some((m) => m.type === 'caught-up')) await b.next(1)
  const frames = b.trace.slice(from).flatMap((m) => (m.type === 'envelopes' ? [m.items] : []))
  expect(frames.flat().map((i) => i.sseq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9])
  for (const items of frames) expect(items.reduce((n, i) => n + i.env.length, 0)).toBeLessThanOrEqual(maxFrameBytes)
  expect(frames.length).toBeGreaterThanOrEqual(5)
})
