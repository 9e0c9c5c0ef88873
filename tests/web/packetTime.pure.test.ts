import { describe, expect, test } from 'vitest'
import { askPacketTime, packetTimeOf } from '../../client/web/calls/packetTime.js'

const offer = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'c=IN IP4 0.0.0.0', 'a=rtpmap:111 opus/48000/2', 'a=fingerprint:sha-256 AA:BB', 'm=video 9 UDP/TLS/RTP/SAVPF 96', 'a=rtpmap:96 VP8/90000', ''].join('\r\n')

describe('[W32] audio packet time asked in a group call', () => {
  test('the audio section gains a=ptime at its end; the video section and every other line stay', () => {
    const asked = askPacketTime(offer, 60)
    const lines = asked.split('\r\n')
    expect(lines.indexOf('a=ptime:60')).toBe(lines.indexOf('m=video 9 UDP/TLS/RTP/SAVPF 96') - 1)
    expect(lines.filter((l) => l !== 'a=ptime:60')).toEqual(offer.split('\r\n'))
    expect(asked.endsWith('\r\n')).toBe(true)
  })

  test('a packet time already there is replaced, not doubled; asking twice changes nothing', () => {
    const once = askPacketTime(offer, 60)
    expect(askPacketTime(once, 60)).toBe(once)
    const changed = askPacketTime(once, 40)
    expect(changed.match(/a=ptime:/g)).toHaveLength(1)
    expect(changed).toContain('a=ptime:40')
  })

  test('an audio section last in the SDP, or with \\n line ends, gets it too; an SDP without audio is left as it is', () => {
    const audioOnly = ['v=0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=rtpmap:111 opus/48000/2', ''].join('\r\n')
    expect(askPacketTime(audioOnly, 60)).toBe(['v=0', 'm=audio 9 UDP/TLS/RTP/SAVPF 111', 'a=rtpmap:111 opus/48000/2', 'a=ptime:60', ''].join('\r\n'))
    expect(askPacketTime('v=0\nm=audio 9 X 111\n', 60)).toBe('v=0\nm=audio 9 X 111\na=ptime:60\n')
    const videoOnly = ['v=0', 'm=video 9 UDP/TLS/RTP/SAVPF 96', ''].join('\r\n')
    expect(askPacketTime(videoOnly, 60)).toBe(videoOnly)
  })

  test('the packet time an SDP asks for is read from its audio section: 20 ms when it names none, and a video section\'s is not the audio\'s', () => {
    expect(packetTimeOf(askPacketTime(offer, 60))).toBe(60)
    expect(packetTimeOf(askPacketTime(offer, 40).replaceAll('\r\n', '\n'))).toBe(40)
    expect(packetTimeOf(offer)).toBe(20)
    expect(packetTimeOf(undefined)).toBe(20)
    expect(packetTimeOf('')).toBe(20)
    expect(packetTimeOf(offer.replace('a=rtpmap:96 VP8/90000', 'a=rtpmap:96 VP8/90000\r\na=ptime:60'))).toBe(20)
    expect(packetTimeOf(offer.replace('a=fingerprint:sha-256 AA:BB', 'a=ptime:sixty'))).toBe(20)
    expect(packetTimeOf(offer.replace('a=fingerprint:sha-256 AA:BB', 'a=ptime:99999999'))).toBe(20)
  })
})
