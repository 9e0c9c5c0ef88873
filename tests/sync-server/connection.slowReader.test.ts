import { describe, expect, test } from 'vitest'
import { ErrorCode } from '../../protocol/index.js'
import { Device, server } from './harness.js'

/**
 * [S6] Issue 9, defect 3: the send buffer was unbounded (16 subscribers that never read grew the
 * server from 114 MiB to 2.6 GiB). A peer whose unsent bytes pass maxBufferedBytes is closed with
 * SLOW_READER, fatal; it resumes from its cursor when it reconnects (the store keeps everything).
 */
describe('[S6] a reader that falls behind is let go', () => {
  test('past the limit, the next frame for it closes it with SLOW_READER (4007), nothing more is queued', async () => {
    const srv = server({ limits: { maxBufferedBytes: 1024 } })
    const alice = new Device('alice')
    const peer = srv.connect()
    await alice.hello(peer)
    // The peer stops reading: ws counts what it could not hand to the kernel.
    peer.socket.bufferedAmount = 10_000
    await peer.ask({ type: 'ping', t: 1 }, 2)
    expect(peer.types().slice(-2)).toEqual(['pong', `error:${ErrorCode.SLOW_READER}:fatal`])
    expect(peer.socket.closed?.code).toBe(4000 + (ErrorCode.SLOW_READER % 1000))
    const after = peer.trace.length
    peer.send({ type: 'ping', t: 2 })
    await new Promise((r) => setTimeout(r, 50))
    expect(peer.trace.length).toBe(after)
  })

  test('under the limit nothing happens', async () => {
    const srv = server({ limits: { maxBufferedBytes: 1024 } })
    const alice = new Device('alice')
    const peer = srv.connect()
    await alice.hello(peer)
    peer.socket.bufferedAmount = 500
    await peer.ask({ type: 'ping', t: 1 })
    expect(peer.socket.closed).toBeUndefined()
  })
})
