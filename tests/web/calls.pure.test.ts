import { describe, expect, test } from 'vitest'
import { linkQuality, onItsWay } from '../../client/web/calls/callMedia.js'
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
