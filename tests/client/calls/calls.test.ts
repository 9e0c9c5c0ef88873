import { afterEach, describe, expect, test, vi } from 'vitest'
import type { ConvId, DeviceId } from '../../../protocol/index.js'
import { Emitter } from '../../../client/core/events.js'
import { Calls, MAX_CALL_DEVICES, RING_MS } from '../../../client/core/calls/calls.js'
import { ClientErrorCode } from '../../../client/core/errors.js'
import { GONE_MS, HEARTBEAT_MS, decodeCallMessage, encodeCallMessage } from '../../../client/core/calls/callMessage.js'
import { CallPartAssembler, MAX_PARTS, PART_BYTES, splitCallMessage, type CallPart } from '../../../client/core/calls/parts.js'
import type { ChannelEvents, SendOutcome } from '../../../client/core/presence/channel.js'
import type { SignalPayload } from '../../../client/core/presence/payload.js'

/**
 * [V1]–[V3] Call signalling between devices joined to one conversation, over a stand-in for the
 * signal channel that relays each part to the others at once (as the server does, [S45]).
 */
const CONV = 'c'.repeat(22) as ConvId
/** A link id ([V1]). */
const LINK = 'L'.repeat(11)
const dev = (n: number) => String(n).repeat(43) as DeviceId

function network(count: number, members: () => string[] = () => Array.from({ length: count }, (_, i) => dev(i + 1)), later = false) {
  const channels = Array.from({ length: count }, () => new Emitter<ChannelEvents>())
  const sent: { from: number; payload: SignalPayload }[] = []
  const calls = channels.map(
    (events, i) =>
      new Calls({
        me: dev(i + 1),
        memberDevices: () => members(),
        channel: {
          events,
          sendSoon: async (_conv, payload): Promise<SendOutcome> => {
            sent.push({ from: i, payload })
            const relay = () => channels.forEach((other, j) => j !== i && other.emit('signal', { conv: CONV, device: dev(i + 1), payload }))
            if (later) setTimeout(relay, 1)
            else relay()
            return 'sent'
          },
        },
      }),
  )
  return { calls, sent, channels }
}

afterEach(() => vi.useRealTimers())

describe('[V1][V2] call messages and their parts', () => {
  test('an SDP of a few KiB goes in parts and comes back whole, in any order; inconsistent parts are dropped', () => {
    const sdp = 'v=0\r\n' + 'a=candidate:1 1 udp 2122260223 192.168.1.20 53211 typ host\r\n'.repeat(80)
    const bytes = encodeCallMessage({ k: 'sdp', c: 'A'.repeat(22), to: dev(2), l: LINK, type: 'offer', sdp })
    const parts = splitCallMessage(bytes, new Uint8Array(8).fill(7))!
    expect(parts.length).toBeGreaterThan(1)
    const a = new CallPartAssembler()
    const reversed = [...parts].reverse()
    reversed.slice(0, -1).forEach((p) => expect(a.add('d', p)).toBeUndefined())
    expect(decodeCallMessage(a.add('d', reversed.at(-1)!)!)).toMatchObject({ k: 'sdp', sdp })
    // The same message id from another device is another message; a part count that changes drops it.
    expect(a.add('e', parts[0]!)).toBeUndefined()
    expect(a.add('e', { ...parts[1]!, n: parts[1]!.n + 1 })).toBeUndefined()
    expect(a.waiting).toBe(0)
    // A short part in the middle is not one a device made.
    expect(a.add('f', { ...parts[0]!, b: parts[0]!.b.subarray(0, 10) })).toBeUndefined()
    expect(a.waiting).toBe(0)
  })

  test('too long for MAX_PARTS is not sent; the assembler holds a bounded number of messages and forgets old ones', () => {
    expect(splitCallMessage(new Uint8Array(PART_BYTES * MAX_PARTS + 1), new Uint8Array(8))).toBeUndefined()
    let now = 0
    const a = new CallPartAssembler(() => now)
    const part = (id: number): CallPart => ({ t: 'call', m: new Uint8Array(8).fill(id), i: 0, n: 2, b: new Uint8Array(PART_BYTES) })
    for (let i = 0; i < 100; i++) a.add('d', part(i))
    expect(a.waiting).toBe(32)
    now = 11_000
    a.add('d', part(200))
    expect(a.waiting).toBe(1)
  })

  test('what a peer sends is parsed: unknown kinds, bad ids, oversized SDPs are refused', () => {
    const c = 'A'.repeat(22)
    for (const bad of [{ k: 'here', c, video: 'yes' }, { k: 'ring', c }, { k: 'here', c: 'short', video: true }, { k: 'sdp', c, to: 'x', l: LINK, type: 'offer', sdp: 'v=0' }, { k: 'sdp', c, to: dev(1), l: LINK, type: 'pranswer', sdp: 'v=0' }, { k: 'sdp', c, to: dev(1), l: LINK, type: 'offer', sdp: 'x'.repeat(12_001) }, { k: 'sdp', c, to: dev(1), type: 'offer', sdp: 'v=0' }, { k: 'sdp', c, to: dev(1), l: 'short', type: 'offer', sdp: 'v=0' }, { k: 'renew', c, to: dev(1) }, { k: 'renew', c, to: dev(1), l: 'L'.repeat(12) }, { k: 'renew', c, to: 'x', l: '' }, { k: 'cand', c, to: dev(1), l: LINK, m: '0', s: 'a=candidate:1' }, { k: 'cand', c, to: dev(1), l: LINK, m: '0', s: `candidate:${'1'.repeat(600)}` }, { k: 'cand', c, to: dev(1), l: '', m: '0', s: 'candidate:1' }, { k: 'leave', c, extra: 1 }]) {
      expect(decodeCallMessage(encodeCallMessage(bad as never)), JSON.stringify(bad).slice(0, 80)).toBeUndefined()
    }
    for (const good of [{ k: 'renew', c, to: dev(1), l: '' }, { k: 'renew', c, to: dev(1), l: LINK }, { k: 'sdp', c, to: dev(1), l: LINK, type: 'answer', sdp: 'v=0' }, { k: 'cand', c, to: dev(1), l: LINK, m: '0', s: 'candidate:1 1 udp 2122260223 10.0.0.2 53211 typ host' }] as const) {
      expect(decodeCallMessage(encodeCallMessage(good))).toEqual(good)
    }
  })
})

describe('[V3] calls', () => {
  test('a call rings the others; one joins; both see each other; SDPs reach only the device named; hanging up ends it for both', async () => {
    const { calls } = network(3)
    const [ann, bruno, cleo] = calls as [Calls, Calls, Calls]
    const peers: string[] = []
    const sdps: { who: string; device: string; type: string; link: string }[] = []
    ann.events.on('peer', (p) => peers.push(`ann ${p.joined ? '+' : '-'}${p.device.slice(0, 1)}`))
    bruno.events.on('peer', (p) => peers.push(`bruno ${p.joined ? '+' : '-'}${p.device.slice(0, 1)}`))
    for (const [who, c] of [['ann', ann], ['bruno', bruno], ['cleo', cleo]] as const) c.events.on('sdp', (s) => sdps.push({ who, device: s.device, type: s.type, link: s.link }))
    const renews: { who: string; device: string; link: string }[] = []
    for (const [who, c] of [['ann', ann], ['bruno', bruno], ['cleo', cleo]] as const) c.events.on('renew', (r) => renews.push({ who, device: r.device, link: r.link }))

    const started = await ann.start(CONV, true)
    expect(started).toMatchObject({ role: 'joined', video: true, peers: [] })
    expect(bruno.view(CONV)).toMatchObject({ id: started.id, role: 'ringing', peers: [dev(1)] })
    expect(cleo.view(CONV)).toMatchObject({ role: 'ringing' })

    await bruno.join(CONV)
    await new Promise((r) => setTimeout(r, 10))
    expect(ann.view(CONV)!.peers).toEqual([dev(2)])
    expect(bruno.view(CONV)!.peers).toEqual([dev(1)])
    expect(peers.sort()).toEqual(['ann +2', 'bruno +1'])

    await ann.sendSdp(CONV, dev(2), LINK, 'offer', 'v=0\r\n')
    await bruno.sendSdp(CONV, dev(1), LINK, 'answer', 'v=0\r\n')
    expect(sdps).toEqual([{ who: 'bruno', device: dev(1), type: 'offer', link: LINK }, { who: 'ann', device: dev(2), type: 'answer', link: LINK }])
    // [V1] The answerer asks the offerer for a new link: only the device named hears it, with the link it has ('' for none).
    await bruno.sendRenew(CONV, dev(1), '')
    await bruno.sendRenew(CONV, dev(1), LINK)
    expect(renews).toEqual([{ who: 'ann', device: dev(2), link: '' }, { who: 'ann', device: dev(2), link: LINK }])
    // Cleo is not in the call: she can ask nothing of it.
    expect(await cleo.sendRenew(CONV, dev(1), '')).toBe(false)
    // [V1] A candidate found after the SDP went reaches the device named, with its link and media section.
    const cands: string[] = []
    for (const [who, c] of [['ann', ann], ['bruno', bruno], ['cleo', cleo]] as const) c.events.on('cand', (e) => cands.push(`${who} ${e.device.slice(0, 1)} ${e.link} ${e.mid} ${e.candidate}`))
    await bruno.sendCandidate(CONV, dev(1), LINK, '0', 'candidate:1 1 udp 2122260223 10.0.0.2 53211 typ host')
    expect(cands).toEqual([`ann 2 ${LINK} 0 candidate:1 1 udp 2122260223 10.0.0.2 53211 typ host`])

    await cleo.decline(CONV)
    expect(cleo.view(CONV)).toMatchObject({ role: 'declined' })
    expect(ann.view(CONV)!.peers).toEqual([dev(2)])

    const ended: string[] = []
    bruno.events.on('ended', () => ended.push('bruno'))
    await ann.leave(CONV)
    expect(ann.view(CONV)).toBeUndefined()
    expect(bruno.view(CONV)).toBeUndefined()
    expect(ended).toEqual(['bruno'])
    calls.forEach((c) => c.stop())
  })

  test('a device that goes silent is dropped after GONE_MS; a call rung out unanswered ends; a 1:1 call declined ends for the caller', async () => {
    vi.useFakeTimers()
    const { calls } = network(2)
    const [ann, bruno] = calls as [Calls, Calls]
    await ann.start(CONV, false)
    await bruno.join(CONV)
    expect(ann.view(CONV)!.peers).toEqual([dev(2)])
    // Bruno's device goes away without a word: no more heartbeats.
    bruno.events.on('call', () => undefined)
    ;(bruno as unknown as { send: () => Promise<boolean> }).send = async () => true
    await vi.advanceTimersByTimeAsync(GONE_MS + HEARTBEAT_MS)
    expect(ann.view(CONV)).toBeUndefined()
    calls.forEach((c) => c.stop())

    const two = network(2)
    const [a2, b2] = two.calls as [Calls, Calls]
    await a2.start(CONV, true)
    expect(b2.view(CONV)!.role).toBe('ringing')
    await vi.advanceTimersByTimeAsync(RING_MS + HEARTBEAT_MS)
    expect(a2.view(CONV)).toBeUndefined()
    two.calls.forEach((c) => c.stop())

    const three = network(2)
    const [a3, b3] = three.calls as [Calls, Calls]
    await a3.start(CONV, true)
    await b3.decline(CONV)
    expect(a3.view(CONV)).toBeUndefined()
    three.calls.forEach((c) => c.stop())
  })

  test('two calls started at once converge on the smaller id; a non-member\'s signal is ignored; a removed device is dropped', async () => {
    let members = [dev(1), dev(2), dev(3)]
    const { calls } = network(3, () => members, true)
    const [ann, bruno, cleo] = calls as [Calls, Calls, Calls]
    const [a, b] = await Promise.all([ann.start(CONV, true), bruno.start(CONV, true)])
    expect(a.id).not.toBe(b.id)
    const winner = a.id < b.id ? a.id : b.id
    await new Promise((r) => setTimeout(r, 20))
    expect(ann.view(CONV)!.id).toBe(winner)
    expect(bruno.view(CONV)!.id).toBe(winner)
    expect(ann.view(CONV)!.role).toBe('joined')
    expect(bruno.view(CONV)!.role).toBe('joined')
    expect(ann.view(CONV)!.peers).toEqual([dev(2)])
    await cleo.join(CONV)
    await new Promise((r) => setTimeout(r, 20))
    expect([...ann.view(CONV)!.peers].sort()).toEqual([dev(2), dev(3)])

    // Cleo is removed: the others drop her at once.
    members = [dev(1), dev(2)]
    ann.membersChanged(CONV)
    expect(ann.view(CONV)!.peers).toEqual([dev(2)])
    // And her signals are no longer heard.
    await cleo.leave(CONV)
    await cleo.start(CONV, true)
    await new Promise((r) => setTimeout(r, 20))
    expect(ann.view(CONV)!.peers).toEqual([dev(2)])
    calls.forEach((c) => c.stop())
  })

  test('[V3] a call holds up to MAX_CALL_DEVICES: the ninth device sees it full and cannot join (M573_CALL_FULL); when one leaves, it can', async () => {
    const { calls } = network(MAX_CALL_DEVICES + 1)
    const [first, ...rest] = calls as [Calls, ...Calls[]]
    const ninth = rest.at(-1)!
    await first.start(CONV, false)
    for (const c of rest.slice(0, -1)) {
      expect(c.view(CONV)!.full).toBe(false)
      await c.join(CONV)
    }
    await new Promise((r) => setTimeout(r, 10))
    expect(first.view(CONV)!.peers).toHaveLength(MAX_CALL_DEVICES - 1)
    expect(first.view(CONV)!.full).toBe(false)
    expect(ninth.view(CONV)).toMatchObject({ role: 'ringing', full: true })
    expect(ninth.view(CONV)!.peers).toHaveLength(MAX_CALL_DEVICES)
    await expect(ninth.join(CONV)).rejects.toMatchObject({ code: ClientErrorCode.CALL_FULL })
    await expect(ninth.start(CONV, false)).rejects.toMatchObject({ code: ClientErrorCode.CALL_FULL })
    expect(ninth.view(CONV)!.role).toBe('ringing')
    expect(first.view(CONV)!.peers).toHaveLength(MAX_CALL_DEVICES - 1)

    await rest[0]!.leave(CONV)
    expect(ninth.view(CONV)!.full).toBe(false)
    await ninth.join(CONV)
    await new Promise((r) => setTimeout(r, 10))
    expect(first.view(CONV)!.peers).toContain(dev(MAX_CALL_DEVICES + 1))
    calls.forEach((c) => c.stop())
  })
})
