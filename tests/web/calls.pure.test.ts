import { describe, expect, test, vi } from 'vitest'
import { gathered, linkQuality, onItsWay } from '../../client/web/calls/callMedia.js'
import { callDuration } from '../../client/web/calls/duration.js'
import { callLength, callLine, type CallEntryView } from '../../client/core/documents/callEntry.js'
import type { DeviceId, DocId } from '../../protocol/index.js'

describe('[W32][W36][V7] what a call shows', () => {
  test('[W36] a link\'s quality from its round trip and the packets lost since the last look', () => {
    expect(linkQuality(undefined, 0, 0)).toBeUndefined()
    expect(linkQuality(20, 0, 500)).toBe('good')
    expect(linkQuality(180, 0, 500)).toBe('fair')
    expect(linkQuality(20, 20, 480)).toBe('fair')
    expect(linkQuality(450, 0, 500)).toBe('poor')
    expect(linkQuality(20, 60, 440)).toBe('poor')
  })

  test('[W32] a link on its way (answered, ICE checking or DTLS under way) is told from one stuck or lost', () => {
    const remote = { type: 'answer', sdp: 'v=0' } as RTCSessionDescription
    const link = (signalingState: RTCSignalingState, iceConnectionState: RTCIceConnectionState, connectionState: RTCPeerConnectionState, remoteDescription: RTCSessionDescription | null = remote) =>
      onItsWay({ signalingState, iceConnectionState, connectionState, remoteDescription })
    expect(link('stable', 'checking', 'connecting')).toBe(true)
    expect(link('stable', 'connected', 'connecting')).toBe(true)
    // Not yet answered, never started, lost, failed, or up: the usual deadline (or none).
    expect(link('have-local-offer', 'checking', 'connecting')).toBe(false)
    expect(link('stable', 'new', 'new')).toBe(false)
    expect(link('stable', 'checking', 'connecting', null)).toBe(false)
    expect(link('stable', 'disconnected', 'disconnected')).toBe(false)
    expect(link('stable', 'failed', 'failed')).toBe(false)
    // DTLS failed (it does not recover), then an answered ICE restart checks again: not on its way.
    expect(link('stable', 'checking', 'failed')).toBe(false)
    expect(link('stable', 'connected', 'connected')).toBe(false)
  })

  test('[W32] an ICE restart\'s SDP waits for its new candidates: the state still reading `complete` from the last gathering is not taken for done', async () => {
    vi.useFakeTimers()
    try {
      const listeners = new Set<() => void>()
      const pc = {
        iceGatheringState: 'complete' as RTCIceGatheringState,
        localDescription: { type: 'offer', sdp: 'v=0\r\na=ice-ufrag:new\r\n' } as RTCSessionDescription,
        addEventListener: (_: string, f: () => void) => void listeners.add(f),
        removeEventListener: (_: string, f: () => void) => void listeners.delete(f),
      }
      let done = false
      const waiting = gathered(pc as unknown as RTCPeerConnection).then(() => (done = true))
      await vi.advanceTimersByTimeAsync(100)
      expect(done).toBe(false)
      // The restart's gathering: a UDP candidate, then complete.
      pc.iceGatheringState = 'gathering'
      pc.localDescription = { type: 'offer', sdp: `${pc.localDescription.sdp}a=candidate:1 1 udp 2122260223 192.0.2.7 50000 typ host\r\n` } as RTCSessionDescription
      listeners.forEach((f) => f())
      await vi.advanceTimersByTimeAsync(100)
      expect(done).toBe(false)
      pc.iceGatheringState = 'complete'
      listeners.forEach((f) => f())
      await waiting
      expect(done).toBe(true)
      // A first gathering already complete, its candidates in the description: at once.
      await gathered(pc as unknown as RTCPeerConnection)
      // None ever (no network): it goes as it is after 10 s, never waits for ever.
      const none = { ...pc, iceGatheringState: 'complete' as RTCIceGatheringState, localDescription: { type: 'offer', sdp: 'v=0\r\n' } as RTCSessionDescription }
      let gone = false
      void gathered(none as unknown as RTCPeerConnection).then(() => (gone = true))
      await vi.advanceTimersByTimeAsync(9_900)
      expect(gone).toBe(false)
      await vi.advanceTimersByTimeAsync(200)
      expect(gone).toBe(true)
    } finally {
      vi.useRealTimers()
    }
  })

  test('[W32] the duration reads mm:ss, then h:mm:ss', () => {
    expect(callDuration(0)).toBe('00:00')
    expect(callDuration(65_400)).toBe('01:05')
    expect(callDuration(3_725_000)).toBe('1:02:05')
  })

  test('[V7] the line of a call: missed, not answered, or how long and who', () => {
    const e = (dur: number, video = true): CallEntryView => ({ id: '1@a', segment: 's' as DocId, author: 'A'.repeat(43) as DeviceId, ts: 0, video, dur, with: [] })
    expect(callLine(e(0), { mine: true, wasIn: false, authorName: 'Ann', names: [] })).toBe('Video call, not answered')
    expect(callLine(e(0, false), { mine: false, wasIn: false, authorName: 'Ann', names: [] })).toBe('Missed voice call from Ann')
    expect(callLine(e(720), { mine: false, wasIn: false, authorName: 'Ann', names: ['Bo'] })).toBe('Missed video call from Ann')
    expect(callLine(e(720), { mine: false, wasIn: true, authorName: 'Ann', names: ['Bo'] })).toBe('Video call, 12 min: Ann, Bo')
    expect([callLength(45), callLength(3900)]).toEqual(['45 s', '1 h 5 min'])
  })
})
