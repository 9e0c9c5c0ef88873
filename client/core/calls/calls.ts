import { randomBytes, toBase64Url } from '../../../crypto/index.js'
import type { ConvId } from '../../../protocol/index.js'
import { ClientError, ClientErrorCode } from '../errors.js'
import { Emitter } from '../events.js'
import type { SignalChannel } from '../presence/channel.js'
import type { SignalPayload } from '../presence/payload.js'
import { GONE_MS, HEARTBEAT_MS, decodeCallMessage, encodeCallMessage, type CallMessage } from './callMessage.js'
import { CallPartAssembler, splitCallMessage } from './parts.js'

/** A call nobody answers stops ringing after this. */
export const RING_MS = 45_000

/** A call holds up to this many devices (a mesh: each sends its media to each other one; client/web [W32]). */
export const MAX_CALL_DEVICES = 8
/** How long a late ICE candidate ([V1] `cand`) may wait for the signal pace before it is dropped. */
export const CANDIDATE_WAIT_MS = 15_000

/** What this device does in a conversation's call. */
export type CallRole = 'ringing' | 'joined' | 'declined'

/** A call as this device sees it: the one of a conversation heard from within {@link GONE_MS}. */
export interface CallView {
  readonly conv: ConvId
  readonly id: string
  readonly video: boolean
  /** This device's clock when it first heard of (or started) the call. */
  readonly since: number
  /** When this device joined; undefined unless joined. */
  readonly joinedAt: number | undefined
  readonly role: CallRole
  /** Other devices in the call, in the order they were heard. */
  readonly peers: readonly string[]
  /** Not joined, and {@link MAX_CALL_DEVICES} devices are in it already: this device cannot join. */
  readonly full: boolean
}

export interface CallEvents extends Record<string, unknown> {
  /** Anything about the conversation's call changed (it began ringing, someone came or went, it ended). */
  call: { conv: ConvId }
  /** This device started a new call (not one it joined): it rings the others. */
  started: { conv: ConvId; call: string; video: boolean; since: number }
  /** A device came into the call this device is in (`joined`) or left it. */
  peer: { conv: ConvId; call: string; device: string; joined: boolean }
  /** An offer or answer for this device, of the offerer's link `link`. */
  sdp: { conv: ConvId; call: string; device: string; link: string; type: 'offer' | 'answer'; sdp: string }
  /** A candidate of link `link` that `device` found after its SDP went. */
  cand: { conv: ConvId; call: string; device: string; link: string; mid: string; candidate: string }
  /** `device` (the answerer) has had no working link with this device for a while: its link `link` ('' for none) is not up. */
  renew: { conv: ConvId; call: string; device: string; link: string }
  /** A device of the call this device is in gave its frame base key for `kid` ([V5]). */
  key: { conv: ConvId; call: string; device: string; kid: number; key: Uint8Array }
  /** A device of the call asks for this device's frame key again ([V5]). */
  ask: { conv: ConvId; call: string; device: string }
  /**
   * The call ended for this device (it left, or everyone else did); `refused`: this device
   * refused it ([V6]: a signal of the conversation failed verification while it rang or ran).
   */
  ended: { conv: ConvId; call: string; video: boolean; since: number; joinedAt: number | undefined; endedAt: number; startedHere: boolean; peersSeen: readonly string[]; refused?: string }
}

export interface CallsDeps {
  readonly channel: Pick<SignalChannel, 'sendSoon' | 'events'>
  /** This device's id. */
  readonly me: string
  /** The conversation's member devices now, this one among them: a call never holds anyone else. */
  readonly memberDevices: (conv: ConvId) => readonly string[]
  readonly now?: () => number
}

interface CallState {
  readonly id: string
  readonly video: boolean
  readonly since: number
  joinedAt: number | undefined
  role: CallRole
  /** device → when last heard. */
  readonly peers: Map<string, number>
  /** Every device heard in the call, and those that declined it. */
  readonly seen: Set<string>
  readonly declined: Set<string>
  /** When this device last answered a newcomer's `here` with its own (at most every 500 ms). */
  answeredAt: number
  /** This device started it (it writes the call's history entry, [V7]). */
  startedHere?: boolean
}

/**
 * [V3] Calls of every conversation, as signals ([V1], [V2]; crypto [E14]): never stored, never
 * queued, relayed to the conversation's joined devices only (protocol [S44]). A device in a call
 * says `here` every {@link HEARTBEAT_MS}; a device not heard for {@link GONE_MS} has left; a call
 * nobody repeats has ended. Two calls started at once in one conversation converge on the one
 * with the smaller id. Media is not here: the web client drives WebRTC from the `peer` and `sdp`
 * events (client/web/calls), and the device with the smaller id offers, so two never glare.
 */
export class Calls {
  readonly events = new Emitter<CallEvents>()
  private readonly calls = new Map<ConvId, CallState>()
  private readonly assembler: CallPartAssembler
  private readonly now: () => number
  private timer: ReturnType<typeof setInterval> | undefined
  private readonly off: () => void

  constructor(private readonly deps: CallsDeps) {
    this.now = deps.now ?? (() => Date.now())
    this.assembler = new CallPartAssembler(this.now)
    const offs = [
      deps.channel.events.on('signal', ({ conv, device, payload }) => {
        if (payload.t !== 'call') return
        const whole = this.assembler.add(device, payload)
        const msg = whole && decodeCallMessage(whole)
        if (msg) this.heard(conv, device, msg)
      }),
      // [V6] Something between the devices altered a signal of this conversation: its call is not trusted.
      deps.channel.events.on('tampered', ({ conv, code }) => {
        const s = this.calls.get(conv)
        if (!s || s.role === 'declined') return
        const wasIn = s.role === 'joined'
        this.end(conv, s, `a call signal failed verification (${code}): something between the devices altered it`)
        if (wasIn) void this.send(conv, { k: 'leave', c: s.id })
      }),
    ]
    this.off = () => offs.forEach((off) => off())
  }

  /** The conversation's call, if one is heard of. */
  view(conv: ConvId): CallView | undefined {
    const s = this.calls.get(conv)
    return s && { conv, id: s.id, video: s.video, since: s.since, joinedAt: s.joinedAt, role: s.role, peers: [...s.peers.keys()], full: s.role !== 'joined' && s.peers.size >= MAX_CALL_DEVICES }
  }

  /** Every conversation with a call heard of. */
  list(): CallView[] {
    return [...this.calls.keys()].map((c) => this.view(c)!)
  }

  /** Starts a call, or joins the one already running in the conversation. */
  async start(conv: ConvId, video: boolean): Promise<CallView> {
    const running = this.calls.get(conv)
    if (running) return this.join(conv)
    const s: CallState = { id: toBase64Url(randomBytes(16)), video, since: this.now(), joinedAt: this.now(), role: 'joined', peers: new Map(), seen: new Set(), declined: new Set(), answeredAt: 0, startedHere: true }
    this.calls.set(conv, s)
    this.changed(conv)
    this.events.emit('started', { conv, call: s.id, video, since: s.since })
    await this.sayHere(conv)
    return this.view(conv)!
  }

  /** Joins the conversation's call (accepts a ringing one); refused when it is full (M573_CALL_FULL). */
  async join(conv: ConvId): Promise<CallView> {
    const s = this.calls.get(conv)
    if (!s) throw new Error('no call in this conversation')
    if (s.role !== 'joined' && s.peers.size >= MAX_CALL_DEVICES) throw new ClientError(ClientErrorCode.CALL_FULL)
    if (s.role !== 'joined') {
      s.role = 'joined'
      s.joinedAt = this.now()
      this.changed(conv)
      for (const device of s.peers.keys()) this.events.emit('peer', { conv, call: s.id, device, joined: true })
    }
    await this.sayHere(conv)
    return this.view(conv)!
  }

  /** Will not answer: the call stops ringing here, and the others are told. */
  async decline(conv: ConvId): Promise<void> {
    const s = this.calls.get(conv)
    if (!s || s.role !== 'ringing') return
    s.role = 'declined'
    this.changed(conv)
    await this.send(conv, { k: 'decline', c: s.id })
  }

  /** Hangs up. */
  async leave(conv: ConvId): Promise<void> {
    const s = this.calls.get(conv)
    if (!s || s.role !== 'joined') return
    const id = s.id
    this.end(conv, s)
    await this.send(conv, { k: 'leave', c: id })
  }

  /** An offer or answer of link `link` for one device of the call this device is in. */
  async sendSdp(conv: ConvId, to: string, link: string, type: 'offer' | 'answer', sdp: string): Promise<boolean> {
    const s = this.calls.get(conv)
    if (!s || s.role !== 'joined') return false
    return this.send(conv, { k: 'sdp', c: s.id, to, l: link, type, sdp })
  }

  /** A candidate of link `link` found after its SDP went, for the one device `to`. */
  async sendCandidate(conv: ConvId, to: string, link: string, mid: string, candidate: string): Promise<boolean> {
    const s = this.calls.get(conv)
    if (!s || s.role !== 'joined') return false
    return this.send(conv, { k: 'cand', c: s.id, to, l: link, m: mid, s: candidate })
  }

  /** Asks the offerer `to` for a new link: this device's link with it (`link`, '' for none) is not up. */
  async sendRenew(conv: ConvId, to: string, link: string): Promise<boolean> {
    const s = this.calls.get(conv)
    if (!s || s.role !== 'joined') return false
    return this.send(conv, { k: 'renew', c: s.id, to, l: link })
  }

  /** [V5] This device's frame base key for `kid`, to every device of the conversation joined now. */
  async sendKey(conv: ConvId, kid: number, key: Uint8Array): Promise<boolean> {
    const s = this.calls.get(conv)
    if (!s || s.role !== 'joined') return false
    return this.send(conv, { k: 'key', c: s.id, kid, key })
  }

  /** [V5] Asks the devices of the call to send their frame keys again. */
  async askKeys(conv: ConvId): Promise<boolean> {
    const s = this.calls.get(conv)
    if (!s || s.role !== 'joined') return false
    return this.send(conv, { k: 'ask', c: s.id })
  }

  /** Drops participants no longer members (a removal, [V4]): their media goes with them. */
  membersChanged(conv: ConvId): void {
    const s = this.calls.get(conv)
    if (!s) return
    const members = new Set(this.deps.memberDevices(conv))
    for (const device of [...s.peers.keys()]) if (!members.has(device)) this.peerGone(conv, s, device)
  }

  /** This device lost the conversation (removed): its call ends here, saying nothing. */
  lost(conv: ConvId): void {
    const s = this.calls.get(conv)
    if (s) this.end(conv, s)
  }

  stop(): void {
    this.off()
    clearInterval(this.timer)
    this.timer = undefined
    for (const [conv, s] of this.calls) if (s.role === 'joined') void this.send(conv, { k: 'leave', c: s.id })
    this.calls.clear()
  }

  private heard(conv: ConvId, device: string, msg: CallMessage): void {
    if (!this.deps.memberDevices(conv).includes(device)) return
    const now = this.now()
    let s = this.calls.get(conv)
    if (msg.k === 'here') {
      // Two calls at once in one conversation: the smaller id is the call; the other ends here.
      if (s && s.id !== msg.c && msg.c < s.id) {
        const wasIn = s.role === 'joined'
        this.end(conv, s)
        s = undefined
        if (wasIn) {
          this.calls.set(conv, { id: msg.c, video: msg.video, since: now, joinedAt: now, role: 'joined', peers: new Map(), seen: new Set(), declined: new Set(), answeredAt: 0 })
          s = this.calls.get(conv)!
        }
      }
      if (s && s.id !== msg.c) return
      if (!s) {
        s = { id: msg.c, video: msg.video, since: now, joinedAt: undefined, role: 'ringing', peers: new Map(), seen: new Set(), declined: new Set(), answeredAt: 0 }
        this.calls.set(conv, s)
      }
      const isNew = !s.peers.has(device)
      s.peers.set(device, now)
      s.seen.add(device)
      this.ensureTimer()
      if (!isNew) return
      this.changed(conv)
      if (s.role === 'joined') {
        this.events.emit('peer', { conv, call: s.id, device, joined: true })
        // The newcomer learns of this device now, not at its next heartbeat.
        if (now - s.answeredAt >= 500) {
          s.answeredAt = now
          void this.sayHere(conv)
        }
      }
      return
    }
    if (!s || s.id !== msg.c) return
    if (msg.k === 'leave' || msg.k === 'decline') {
      if (msg.k === 'decline') s.declined.add(device)
      if (s.peers.has(device)) this.peerGone(conv, s, device)
      else if (msg.k === 'decline') this.allDeclined(conv, s)
      return
    }
    if (s.role !== 'joined') return
    // A key may come before its sender's first `here` does: it is kept by the media until then.
    if (msg.k === 'key') return void this.events.emit('key', { conv, call: s.id, device, kid: msg.kid, key: msg.key })
    if (msg.k === 'ask') return void this.events.emit('ask', { conv, call: s.id, device })
    if (msg.to !== this.deps.me || !s.peers.has(device)) return
    if (msg.k === 'renew') return void this.events.emit('renew', { conv, call: s.id, device, link: msg.l })
    if (msg.k === 'cand') return void this.events.emit('cand', { conv, call: s.id, device, link: msg.l, mid: msg.m, candidate: msg.s })
    this.events.emit('sdp', { conv, call: s.id, device, link: msg.l, type: msg.type, sdp: msg.sdp })
  }

  /** A call nobody joined that every other device declined is over for its caller. */
  private allDeclined(conv: ConvId, s: CallState): void {
    const others = this.deps.memberDevices(conv).filter((d) => d !== this.deps.me)
    if (!s.peers.size && others.length && others.every((d) => s.declined.has(d))) this.end(conv, s)
    else this.changed(conv)
  }

  private peerGone(conv: ConvId, s: CallState, device: string): void {
    s.peers.delete(device)
    if (s.role === 'joined') this.events.emit('peer', { conv, call: s.id, device, joined: false })
    // Nobody else left: the call is over (for a joined device too, as a phone call would be).
    if (!s.peers.size && (s.role !== 'joined' || s.seen.size > 0)) this.end(conv, s)
    else this.changed(conv)
  }

  private end(conv: ConvId, s: CallState, refused?: string): void {
    if (this.calls.get(conv) !== s) return
    this.calls.delete(conv)
    if (s.role === 'joined') for (const device of s.peers.keys()) this.events.emit('peer', { conv, call: s.id, device, joined: false })
    this.events.emit('ended', { conv, call: s.id, video: s.video, since: s.since, joinedAt: s.joinedAt, endedAt: this.now(), startedHere: !!s.startedHere, peersSeen: [...s.seen], ...(refused ? { refused } : {}) })
    this.changed(conv)
    if (!this.calls.size) {
      clearInterval(this.timer)
      this.timer = undefined
    }
  }

  private ensureTimer(): void {
    if (this.timer) return
    this.timer = setInterval(() => this.tick(), HEARTBEAT_MS / 2)
    ;(this.timer as { unref?: () => void }).unref?.()
  }

  /** Heartbeats out; the silent dropped. */
  private tick(): void {
    const now = this.now()
    for (const [conv, s] of [...this.calls]) {
      for (const [device, at] of [...s.peers]) if (now - at > GONE_MS) this.peerGone(conv, s, device)
      if (this.calls.get(conv) !== s) continue
      // Ringing with nobody in it, or rung out unanswered: over.
      if (s.role !== 'joined' && !s.peers.size) this.end(conv, s)
      else if (s.role === 'joined' && !s.seen.size && now - s.since > RING_MS) this.end(conv, s)
      else if (s.role === 'joined' && now - s.answeredAt >= HEARTBEAT_MS - 100) {
        s.answeredAt = now
        void this.sayHere(conv)
      }
    }
  }

  private async sayHere(conv: ConvId): Promise<void> {
    const s = this.calls.get(conv)
    if (!s || s.role !== 'joined') return
    this.ensureTimer()
    await this.send(conv, { k: 'here', c: s.id, video: s.video })
  }

  private async send(conv: ConvId, msg: CallMessage): Promise<boolean> {
    const parts = splitCallMessage(encodeCallMessage(msg), randomBytes(8))
    if (!parts) return false
    // What keeps the call alive and its keys go before an SDP's parts (a newcomer's seven offers would hold up its heartbeat).
    const urgent = msg.k !== 'sdp' && msg.k !== 'cand'
    // A late candidate has no retry of its own: it waits its turn longer rather than be dropped
    // (a receiver ignores one for a link made anew meanwhile). An SDP not sent is sent again.
    const maxWaitMs = msg.k === 'cand' ? CANDIDATE_WAIT_MS : 3_000
    const sent = await Promise.all(parts.map((p) => this.deps.channel.sendSoon(conv, p as SignalPayload, maxWaitMs, urgent)))
    return sent.every((o) => o === 'sent')
  }

  private changed(conv: ConvId): void {
    this.events.emit('call', { conv })
  }
}
