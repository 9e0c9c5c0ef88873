import { FRAME_SLOTS, generateFrameBaseKey, randomBytes, toBase64Url } from '../../../crypto/index.js'
import type { ConvId } from '../../../protocol/index.js'
import type { Calls } from '../../core/calls/calls.js'
import { DEFAULT_PACKET_TIME_MS, GROUP_PACKET_TIME_MS, askPacketTime, packetTimeOf } from './packetTime.js'

/** How a link to one other device of the call is doing. */
export type PeerState = 'connecting' | 'connected' | 'reconnecting' | 'failed'

/** [W36] A link's quality from its statistics: round trip and packets lost over the last 2 s. */
export type LinkQuality = 'good' | 'fair' | 'poor'

export interface PeerMedia {
  readonly device: string
  readonly state: PeerState
  readonly stream: MediaStream | undefined
  readonly quality: LinkQuality | undefined
}

/** good: under 150 ms and 2% lost; fair: under 400 ms and 8%; poor beyond. */
export function linkQuality(rttMs: number | undefined, lost: number, received: number): LinkQuality | undefined {
  if (rttMs === undefined && lost + received === 0) return undefined
  const loss = lost + received > 0 ? lost / (lost + received) : 0
  const rtt = rttMs ?? 0
  return rtt < 150 && loss < 0.02 ? 'good' : rtt < 400 && loss < 0.08 ? 'fair' : 'poor'
}

export interface CallMediaDeps {
  readonly calls: Pick<Calls, 'sendSdp' | 'sendCandidate' | 'sendRenew' | 'sendKey' | 'askKeys' | 'events'>
  readonly conv: ConvId
  readonly call: string
  readonly video: boolean
  /** This device's id: of two devices the smaller offers ([V3]). */
  readonly me: string
  /** The deployment's TURN servers with a fresh credential, or none (protocol [S55]). */
  readonly iceServers: () => Promise<RTCIceServer[]>
  /** Anything shown changed. */
  readonly changed: () => void
  /** The camera or microphone could not be opened, or a link failed for good. */
  readonly problem: (message: string) => void
}

/** Candidates gathered for at most this long before an SDP goes with what it has, if it has a UDP one... */
const GATHER_MS = 3_000
/**
 * ...and, with none yet (a starved machine), this long for the first UDP one: an SDP without
 * candidates connects nothing, and one with TCP candidates only (a busy page gathers its UDP ones
 * seconds late) hung in `new` in CI until the link was made anew, 20 s and more later, when the
 * late candidates sent after it were dropped by the signal pace. After this it goes as it is.
 */
const GATHER_FIRST_MS = 10_000
/**
 * A link disconnected this long is restarted (ICE restart): a change of network. Not sooner: a
 * busy device answers ICE's checks late, and its links go `disconnected` for a few seconds and
 * come back by themselves; restarted after 2 s, a starved mesh renegotiated them over and over.
 */
const RESTART_AFTER_MS = 5_000
/** A restart that did not bring the link back is tried again after this. */
const RETRY_RESTART_MS = 6_000
/**
 * An offer without an answer this long after it went is made again (and so on until one comes):
 * an offer or answer can be lost — signals are never queued, and a device joining a full mesh
 * sends many at its signal pace — and a link whose SDP never arrived would otherwise wait for
 * ever in its first state. Each wait without an answer doubles the next (up to a minute), so a
 * slow answer is not outrun by offers. Once an answer came, ICE's own states drive restarts.
 */
const ANSWER_WAIT_MS = 10_000
/** An offer that could not go at all (paced, or the link down) is made again after this. */
const OFFER_AGAIN_MS = 1_000
/**
 * A link not up for this long — never connected, or down and not brought back by ICE restarts —
 * is made anew by its offerer: a new RTCPeerConnection under a new link id ([V1]), which the
 * answerer follows. Whatever was lost or went wrong on the way (an SDP without candidates, a
 * signal lost, the other side having dropped and made its link again), a link comes back.
 */
const REMAKE_AFTER_MS = 20_000
/**
 * Each time a link is made anew without having come up, the offerer waits twice as long before
 * the next (up to 8×): on a starved machine a link is slow, not lost, and making it anew again
 * and again (a certificate, a DTLS handshake, an SDP each way) would starve it further.
 */
const MAX_PATIENCE = 8
/**
 * A link on its way ({@link onItsWay}: answered and connecting) is given this many times its
 * deadline (within MAX_PATIENCE) before it is made anew: on a starved machine (nine pages on two
 * cores, a CI host shared with others) ICE and DTLS take tens of seconds, and a link made anew in
 * the middle starts them again, for every link at once. ICE says itself when it cannot connect
 * (`failed`, then an ICE restart), and an answerer whose side is lost asks ([V1] `renew`).
 */
const ON_ITS_WAY_PATIENCE = 3
/**
 * The answerer's side of that: its link not up for this long (no offer came, or ICE does not
 * connect), it asks the offerer for a new one (`renew`, [V1]), then again after twice as long, up
 * to RENEW_MAX_MS. The offerer may not know: it may have answered nothing it heard of.
 */
const RENEW_AFTER_MS = 6_000
const RENEW_MAX_MS = 30_000
/** A renew this soon after the offerer made its link anew is not followed: that link's offer is on its way. */
const RENEW_QUIET_MS = 4_000
/** An offer out without an answer is sent again as it is (no new link, no new gathering) at most this often. */
const RESEND_MS = 3_000
/**
 * A link connected but receiving nothing this long, from a side whose SDP says it sends sound, is
 * not up either (a sender that lost its way): made anew like one that never connected.
 */
const SILENT_MS = 10_000
/** Link ids of a device made anew: offers for them arriving late are not followed. */
const KEEP_RETIRED = 16
/** Candidates found after a link's SDP went are sent on their own ([V1] `cand`), at most this many per SDP... */
const LATE_CANDIDATES = 8
/** ...and those come before their SDP is taken are kept, at most this many per device. */
const KEEP_EARLY_CANDIDATES = 16
/** [W32] A call's size holds this long before its links are negotiated again for its packet time (a link made anew leaves and comes back). */
const PACKET_SETTLE_MS = 3_000
/** ...at most this often per link, and at most PACKET_TRIES times while the other side asks otherwise (it sees another call: a link of it missing). */
const PACKET_ASK_EVERY_MS = 10_000
const PACKET_TRIES = 3
/** A new key is used this long after it was sent, so that the others have it first ([V5]). */
const SWITCH_AFTER_MS = 500
/** Receivers are given this many of a sender's latest keys. */
const KEEP_KEYS = 4

interface Peer {
  readonly pc: RTCPeerConnection
  /** The offerer's id of this link ([V1]): made with it by the offerer, taken from its first offer by the answerer. */
  link: string | undefined
  /** When this link was made, and since when it is not up (undefined while connected). */
  readonly madeAt: number
  downSince: number | undefined
  /** The answerer's next renew is due after this wait, counted from `renewedAt`. */
  renewWaitMs: number
  renewedAt: number
  /** Its negotiation failed: the offerer makes it anew at its next look. */
  broken: boolean
  /** Links made anew in a row with this device without one coming up (the offerer's patience doubles with each). */
  readonly remakes: number
  /** The offerer is making an offer for it now (gathering, waiting for its pace). */
  offering: boolean
  /** When its last offer went, and whether it was ever up. */
  offeredAt: number
  wasUp: boolean
  /** The candidates of the last SDP this side sent (undefined before one went), and how many were sent after it. */
  sentCandidates: Set<string> | undefined
  lateSent: number
  /** When it last received a packet (its statistics, every 2 s), and when it was first seen connected. */
  heardAt: number
  connectedAt: number | undefined
  state: PeerState
  stream: MediaStream | undefined
  restartTimer: ReturnType<typeof setTimeout> | undefined
  /** The offerer's wait for the answer to its last offer, and how long it is (ANSWER_WAIT_MS, doubling). */
  answerTimer: ReturnType<typeof setTimeout> | undefined
  answerWaitMs: number
  /** Answers and offers of one link are handled in order. */
  turn: Promise<void>
  /** Ports of this link's frame transforms ([W33]). */
  readonly senders: MessagePort[]
  readonly receivers: MessagePort[]
  quality: LinkQuality | undefined
  /** Packets lost and received at the last look (for the next one's difference). */
  counted: { lost: number; received: number }
  /** [W32] The packet time this side's last SDP of it asked for; the one the call needed at the last look, since when, and the offers made for it. */
  askedPacketMs: number
  packetWant: number
  packetSince: number
  packetAskedAt: number
  packetTries: number
}

/**
 * [W32] The media of the call this device is in: the camera and microphone, and one
 * RTCPeerConnection per other device (a mesh), driven by the engine's `peer` and `sdp` events
 * (client/core [V3]). The device with the smaller id offers; the other answers. SDPs go whole,
 * their candidates gathered into them. A link that drops is restarted by its offerer (ICE
 * restart) and shows "reconnecting" meanwhile. [W33] Every frame is sealed end to end on top of
 * DTLS-SRTP (crypto [X2]): this device's key goes to everyone in the call, and a new one is made
 * whenever someone leaves.
 */
export class CallMedia {
  private readonly peers = new Map<string, Peer>()
  private local: MediaStream | undefined
  private ice: Promise<RTCIceServer[]> | undefined
  private stopped = false
  private readonly offs: (() => void)[]
  /** The camera and microphone, opened at once: links are made only after (their tracks go on them). */
  private readonly ready: Promise<void>
  muted = false
  cameraOff = false
  /** [W33] Frame encryption: the worker running every transform, this device's key, the others'. */
  private readonly worker: Worker
  private own = { kid: 1, key: generateFrameBaseKey(), slots: 0 }
  private readonly keysOf = new Map<string, { kid: number; key: Uint8Array }[]>()
  private answeredAskAt = 0
  private askedAt = 0
  private switchTimer: ReturnType<typeof setTimeout> | undefined
  private readonly statsTimer: ReturnType<typeof setInterval>
  private keyTimer: ReturnType<typeof setTimeout> | undefined
  /** Per device, link ids made anew ([V1]): a late offer of one is not followed. */
  private readonly retired = new Map<string, string[]>()
  /** Per device, candidates that came before the SDP of their link was taken. */
  private readonly early = new Map<string, { link: string; mid: string; candidate: string }[]>()
  /** Per device, negotiations that failed one after the other (reported once there are three). */
  private readonly failures = new Map<string, number>()

  constructor(private readonly deps: CallMediaDeps) {
    this.offs = [
      deps.calls.events.on('peer', (p) => {
        if (p.conv !== deps.conv || p.call !== deps.call) return
        if (p.joined) void this.peerJoined(p.device)
        else this.peerLeft(p.device)
      }),
      deps.calls.events.on('sdp', (s) => {
        if (s.conv !== deps.conv || s.call !== deps.call) return
        void this.sdp(s.device, s.link, s.type, s.sdp)
      }),
      deps.calls.events.on('cand', (c) => {
        if (c.conv !== deps.conv || c.call !== deps.call) return
        this.candidateHeard(c.device, c.link, c.mid, c.candidate)
      }),
      deps.calls.events.on('renew', (r) => {
        if (r.conv !== deps.conv || r.call !== deps.call) return
        void this.renewAsked(r.device, r.link)
      }),
      deps.calls.events.on('key', (k) => {
        if (k.conv !== deps.conv || k.call !== deps.call) return
        this.keyHeard(k.device, k.kid, k.key)
      }),
      deps.calls.events.on('ask', (k) => {
        if (k.conv !== deps.conv || k.call !== deps.call || Date.now() - this.answeredAskAt < 500) return
        this.answeredAskAt = Date.now()
        void this.sendOwnKey()
      }),
    ]
    this.worker = new Worker(new URL('./frameWorker.ts', import.meta.url), { type: 'module' })
    this.statsTimer = setInterval(() => {
      this.watch()
      void this.lookAtLinks()
    }, 2_000)
    this.ready = this.open()
    void this.sendOwnKey()
  }

  /** Opens the camera (for a video call) and microphone. */
  private async open(): Promise<void> {
    try {
      this.local = await navigator.mediaDevices.getUserMedia({ audio: true, video: this.deps.video })
    } catch (err) {
      this.deps.problem(`The ${this.deps.video ? 'camera or microphone' : 'microphone'} could not be opened (${(err as Error).name}).`)
      this.local = new MediaStream()
    }
    if (this.stopped) this.local.getTracks().forEach((t) => t.stop())
    this.deps.changed()
  }

  get localStream(): MediaStream | undefined {
    return this.local
  }

  get peerList(): PeerMedia[] {
    return [...this.peers].map(([device, p]) => ({ device, state: p.state, stream: p.stream, quality: p.quality }))
  }

  /** Every link, for statistics (frames decoded, audio energy, round trip). */
  connections(): RTCPeerConnection[] {
    return [...this.peers.values()].map((p) => p.pc)
  }

  setMuted(muted: boolean): void {
    this.muted = muted
    this.local?.getAudioTracks().forEach((t) => (t.enabled = !muted))
    this.deps.changed()
  }

  setCameraOff(off: boolean): void {
    this.cameraOff = off
    this.local?.getVideoTracks().forEach((t) => (t.enabled = !off))
    this.deps.changed()
  }

  /** The camera's track is replaced on every link (switch camera, share the screen). */
  async replaceVideo(track: MediaStreamTrack): Promise<void> {
    const old = this.local?.getVideoTracks()[0]
    for (const p of this.peers.values()) {
      const sender = p.pc.getSenders().find((s) => s.track?.kind === 'video')
      await sender?.replaceTrack(track)
    }
    if (this.local && old) {
      this.local.removeTrack(old)
      old.stop()
      this.local.addTrack(track)
    }
    track.enabled = !this.cameraOff
    this.deps.changed()
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.switchTimer)
    clearTimeout(this.keyTimer)
    clearInterval(this.statsTimer)
    this.offs.forEach((off) => off())
    for (const device of [...this.peers.keys()]) this.peerLeft(device)
    this.local?.getTracks().forEach((t) => t.stop())
    this.worker.terminate()
  }

  /** [W36] Each link's quality from its statistics, every 2 s. */
  private async lookAtLinks(): Promise<void> {
    let changed = false
    for (const p of this.peers.values()) {
      let rtt: number | undefined
      let lost = 0
      let received = 0
      const stats = await p.pc.getStats().catch(() => undefined)
      stats?.forEach((s: { type: string; state?: string; nominated?: boolean; currentRoundTripTime?: number; packetsLost?: number; packetsReceived?: number }) => {
        if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated && s.currentRoundTripTime !== undefined) rtt = s.currentRoundTripTime * 1000
        if (s.type === 'inbound-rtp') (lost += s.packetsLost ?? 0), (received += s.packetsReceived ?? 0)
      })
      const q = p.state === 'connected' ? linkQuality(rtt, Math.max(0, lost - p.counted.lost), Math.max(0, received - p.counted.received)) : undefined
      if (received > p.counted.received) p.heardAt = Date.now()
      p.counted = { lost, received }
      if (q !== p.quality) (p.quality = q), (changed = true)
    }
    if (changed && !this.stopped) this.deps.changed()
  }

  /** [V5] This device's current key, to everyone in the call now (a newcomer among them). */
  private sendOwnKey(): Promise<boolean> {
    return this.deps.calls.sendKey(this.deps.conv, this.own.kid, this.own.key)
  }

  /**
   * [V5] A new key (someone left or was removed, or the slots of this KID are used up): sent
   * first, used by every sender transform {@link SWITCH_AFTER_MS} later. Whoever left has never
   * been given it.
   */
  private rotate(): void {
    if (this.stopped) return
    this.own = { kid: this.own.kid + 1, key: generateFrameBaseKey(), slots: 0 }
    const now = this.own
    clearTimeout(this.switchTimer)
    const send = async (tries: number): Promise<void> => {
      // Not sent (offline, or re-joining after a rotation): tried again; a receiver that still lacks it asks ([V5]).
      if (this.own !== now || this.stopped) return
      if (!(await this.sendOwnKey()) && tries > 1) return void setTimeout(() => void send(tries - 1), 300)
      this.switchTimer = setTimeout(() => {
        if (this.own !== now) return
        for (const p of this.peers.values()) for (const port of p.senders) this.giveSender(port)
      }, SWITCH_AFTER_MS)
    }
    void send(10)
  }

  /** The sender transform on `port` seals under this device's current key, in a slot of its own (crypto [X2]). */
  private giveSender(port: MessagePort): void {
    if (this.own.slots >= FRAME_SLOTS) return this.rotate()
    port.postMessage({ send: { kid: this.own.kid, key: this.own.key, slot: this.own.slots++ } })
  }

  private keyHeard(device: string, kid: number, key: Uint8Array): void {
    const list = this.keysOf.get(device) ?? []
    if (list.some((k) => k.kid === kid)) return
    list.push({ kid, key })
    list.sort((a, b) => a.kid - b.kid)
    this.keysOf.set(device, list.slice(-KEEP_KEYS))
    for (const port of this.peers.get(device)?.receivers ?? []) port.postMessage({ keys: this.keysOf.get(device) })
  }

  private transformSender(peer: Peer, sender: RTCRtpSender): void {
    const { port1, port2 } = new MessageChannel()
    sender.transform = new RTCRtpScriptTransform(this.worker, { role: 'send', port: port2 }, [port2])
    peer.senders.push(port1)
    this.giveSender(port1)
  }

  private transformReceiver(peer: Peer, device: string, receiver: RTCRtpReceiver): void {
    const { port1, port2 } = new MessageChannel()
    receiver.transform = new RTCRtpScriptTransform(this.worker, { role: 'receive', port: port2 }, [port2])
    peer.receivers.push(port1)
    // Frames under a key not given (its signal lost): ask again, at most once a second.
    port1.onmessage = (e: MessageEvent<{ missing?: boolean }>) => {
      if (!e.data.missing || Date.now() - this.askedAt < 1_000) return
      this.askedAt = Date.now()
      void this.deps.calls.askKeys(this.deps.conv)
    }
    const keys = this.keysOf.get(device)
    if (keys) port1.postMessage({ keys })
  }

  private iceServers(): Promise<RTCIceServer[]> {
    return (this.ice ??= this.deps.iceServers().catch(() => []))
  }

  private async peerJoined(device: string): Promise<void> {
    if (this.stopped || this.peers.has(device)) return
    // The newcomer needs this device's key; it goes to everyone in the call (sealed under the
    // conversation's epoch), once for several newcomers heard together.
    clearTimeout(this.keyTimer)
    this.keyTimer = setTimeout(() => void this.sendOwnKey(), 200)
    const peer = await this.connect(device)
    if (peer && this.deps.me < device) this.enqueue(peer, () => this.offer(device, peer, false))
  }

  private peerLeft(device: string): void {
    if (!this.drop(device)) return
    this.keysOf.delete(device)
    this.retired.delete(device)
    this.early.delete(device)
    this.failures.delete(device)
    this.deps.changed()
    // Whoever left must not read what is sent from now on.
    if (!this.stopped) this.rotate()
  }

  /** Closes the link with `device`, if there is one (its id retired: a late offer of it is not followed). */
  private drop(device: string, only?: Peer, retire = true): boolean {
    const p = this.peers.get(device)
    if (!p || (only && p !== only)) return false
    clearTimeout(p.restartTimer)
    clearTimeout(p.answerTimer)
    p.pc.close()
    this.peers.delete(device)
    if (p.link && retire) this.retired.set(device, [...(this.retired.get(device) ?? []), p.link].slice(-KEEP_RETIRED))
    return true
  }

  /**
   * The offerer makes its link with `device` anew ([V1]): a new RTCPeerConnection under a new id,
   * and its offer. The person in the call stays, and keeps their frame keys.
   */
  private async remake(device: string, old: Peer): Promise<void> {
    if (this.stopped || !this.drop(device, old)) return
    const peer = await this.connect(device, 'reconnecting', old.wasUp ? 0 : old.remakes + 1)
    if (peer && this.deps.me < device) this.enqueue(peer, () => this.offer(device, peer, false))
  }

  /**
   * Every 2 s: a link not up for long is made anew by its offerer ({@link REMAKE_AFTER_MS}, at
   * once when its negotiation failed), and asked for anew by its answerer ({@link RENEW_AFTER_MS}).
   */
  private watch(): void {
    if (this.stopped) return
    const now = Date.now()
    for (const [device, p] of this.peers) {
      const connected = p.pc.connectionState === 'connected'
      // Since when it is connected this time (a reconnect starts it again: the packets it missed while down are no silence).
      p.connectedAt = connected ? (p.connectedAt ?? now) : undefined
      // Silence counts from when the link came up: a link slow to connect has heard nothing yet.
      const silent = connected && now - Math.max(p.heardAt, p.connectedAt ?? now) >= SILENT_MS && sendsSound(p.pc.remoteDescription?.sdp)
      if (connected && !silent) {
        p.wasUp = true
        p.downSince = undefined
        p.renewWaitMs = RENEW_AFTER_MS
        this.failures.delete(device)
        if (this.deps.me < device) this.keepPacketTime(device, p, now)
        continue
      }
      p.downSince ??= now
      const down = now - p.downSince
      if (this.deps.me < device) {
        const deadline = REMAKE_AFTER_MS * Math.min(MAX_PATIENCE, patience(p) * (onItsWay(p.pc) ? ON_ITS_WAY_PATIENCE : 1))
        if (p.broken || p.pc.connectionState === 'closed' || down >= deadline) void this.remake(device, p)
      } else if (down >= p.renewWaitMs && now - p.renewedAt >= p.renewWaitMs) {
        p.renewedAt = now
        p.renewWaitMs = Math.min(RENEW_MAX_MS, p.renewWaitMs * 2)
        void this.deps.calls.sendRenew(this.deps.conv, device, p.link ?? '')
      }
    }
  }

  /**
   * [V1] The answerer `device` has had no working link with this device for a while, on its link
   * `link` ('' for none). An offer being made goes by itself. Our offer still unanswered here:
   * if it does not have it (another link, none), it is sent again as it is; if it has it, its
   * answer was lost, and it is offered again (ICE restart, same link). A link still connecting
   * here (ICE checks, the DTLS handshake: slow on a starved machine) is left to this side's own
   * deadline ({@link REMAKE_AFTER_MS}, longer on its way: {@link ON_ITS_WAY_PATIENCE}): made anew
   * on every renew, it would never finish. Otherwise — the link was negotiated, or up, and on its
   * side it is down — the link is made anew.
   */
  private async renewAsked(device: string, link: string): Promise<void> {
    const p = this.peers.get(device)
    if (this.stopped || !(this.deps.me < device)) return
    if (!p) return void this.peerJoined(device)
    const now = Date.now()
    if (p.offering || now - p.madeAt < RENEW_QUIET_MS * patience(p)) return
    if (p.pc.signalingState !== 'have-local-offer' || (p.wasUp && link !== p.link)) {
      // This link, still connecting here, or up here for less time than silence takes to tell: the answerer's side is on its way.
      const state = p.pc.connectionState
      if (link === p.link && (state === 'connecting' || (state === 'connected' && now - (p.connectedAt ?? now) < SILENT_MS))) return
      return this.remake(device, p)
    }
    if (now - p.offeredAt < RESEND_MS || !p.pc.localDescription) return
    if (link === p.link) return this.enqueue(p, () => this.offer(device, p, true))
    p.offeredAt = now
    await this.deps.calls.sendSdp(this.deps.conv, device, p.link!, 'offer', this.sdpOf(p))
  }

  /** [W32] The audio packet time the call needs now: longer packets while it has more than two people. */
  private packetTime(): number {
    return this.peers.size > 1 ? GROUP_PACKET_TIME_MS : DEFAULT_PACKET_TIME_MS
  }

  /** The SDP `peer` sends: its local description, asking for the packet time the call needs. */
  private sdpOf(peer: Peer): string {
    const sdp = peer.pc.localDescription!.sdp
    peer.askedPacketMs = this.packetTime()
    return peer.askedPacketMs === DEFAULT_PACKET_TIME_MS ? sdp : askPacketTime(sdp, peer.askedPacketMs)
  }

  /**
   * [W32] A link up, whose offerer this device is: when what either side last asked for differs
   * from the packet time the call now needs (it grew past two people, or shrank to two), and the
   * call's size has held for {@link PACKET_SETTLE_MS}, the link is negotiated again (no ICE
   * restart: the media carries on), and the answer brings the other side's ask. While only the
   * other side asks otherwise, it is offered again at most {@link PACKET_TRIES} times.
   */
  private keepPacketTime(device: string, p: Peer, now: number): void {
    if (p.offering || p.restartTimer || p.pc.signalingState !== 'stable') return
    const want = this.packetTime()
    if (p.packetWant !== want) {
      p.packetWant = want
      p.packetSince = now
      p.packetTries = 0
    }
    const theirs = packetTimeOf(p.pc.remoteDescription?.sdp)
    if (p.askedPacketMs === want && theirs === want) return
    if (now - p.packetSince < PACKET_SETTLE_MS || now - p.packetAskedAt < PACKET_ASK_EVERY_MS) return
    if (p.askedPacketMs === want && p.packetTries >= PACKET_TRIES) return
    p.packetAskedAt = now
    if (p.askedPacketMs === want) p.packetTries++
    this.enqueue(p, () => this.offer(device, p, false))
  }

  /** An SDP of `peer` goes now: candidates found from now on go after it, on their own. */
  private sentSdp(peer: Peer): void {
    peer.sentCandidates = new Set(candidateLines(peer.pc.localDescription?.sdp ?? ''))
    peer.lateSent = 0
  }

  /**
   * [V1] A candidate found after this link's SDP went (a starved browser finds its UDP ones
   * seconds late; an SDP with TCP host candidates alone connects nothing): sent on its own.
   */
  private lateCandidate(device: string, peer: Peer, found: RTCIceCandidate | null): void {
    const line = found?.candidate
    if (!line || !peer.sentCandidates || !peer.link || this.peers.get(device) !== peer || this.stopped) return
    if (peer.sentCandidates.has(line) || peer.lateSent >= LATE_CANDIDATES) return
    peer.sentCandidates.add(line)
    peer.lateSent++
    void this.deps.calls.sendCandidate(this.deps.conv, device, peer.link, found.sdpMid ?? '', line)
  }

  /** [V1] The other side's late candidate: added to its link once that link's SDP is taken, kept until then. */
  private candidateHeard(device: string, link: string, mid: string, candidate: string): void {
    const p = this.peers.get(device)
    if (p && p.link === link && p.pc.remoteDescription) return this.addCandidate(p, mid, candidate)
    const list = [...(this.early.get(device) ?? []), { link, mid, candidate }]
    this.early.set(device, list.slice(-KEEP_EARLY_CANDIDATES))
  }

  /** Candidates kept for `peer`'s link, added now that its SDP is taken. */
  private takeEarly(device: string, peer: Peer): void {
    const list = this.early.get(device)
    if (!list) return
    this.early.set(device, list.filter((c) => c.link !== peer.link))
    for (const c of list) if (c.link === peer.link) this.addCandidate(peer, c.mid, c.candidate)
  }

  /** In the link's turn, after its descriptions; a candidate it cannot take (another ICE generation, a bad line) is let go. */
  private addCandidate(peer: Peer, mid: string, candidate: string): void {
    peer.turn = peer.turn.then(() => peer.pc.addIceCandidate({ candidate, sdpMid: mid || null }).catch(() => undefined))
  }

  private async connect(device: string, state: PeerState = 'connecting', remakes = 0): Promise<Peer | undefined> {
    await this.ready
    const iceServers = await this.iceServers()
    if (this.stopped) return undefined
    const existing = this.peers.get(device)
    if (existing) return existing
    const pc = new RTCPeerConnection({ iceServers })
    const now = Date.now()
    const peer: Peer = {
      pc,
      link: this.deps.me < device ? toBase64Url(randomBytes(8)) : undefined,
      madeAt: now,
      downSince: now,
      renewWaitMs: RENEW_AFTER_MS,
      renewedAt: now,
      broken: false,
      remakes,
      offering: false,
      offeredAt: 0,
      wasUp: false,
      sentCandidates: undefined,
      lateSent: 0,
      heardAt: now,
      connectedAt: undefined,
      state,
      stream: undefined,
      restartTimer: undefined,
      answerTimer: undefined,
      answerWaitMs: ANSWER_WAIT_MS,
      turn: Promise.resolve(),
      senders: [],
      receivers: [],
      quality: undefined,
      counted: { lost: 0, received: 0 },
      askedPacketMs: DEFAULT_PACKET_TIME_MS,
      packetWant: DEFAULT_PACKET_TIME_MS,
      packetSince: now,
      packetAskedAt: 0,
      packetTries: 0,
    }
    this.peers.set(device, peer)
    // [W33] Every frame sent is sealed by its transform, every frame received opened.
    for (const track of this.local?.getTracks() ?? []) this.transformSender(peer, pc.addTrack(track, this.local!))
    // A voice call still receives no video; a video call receives both even if this side has no camera.
    if (!this.local?.getAudioTracks().length) pc.addTransceiver('audio', { direction: 'recvonly' })
    if (this.deps.video && !this.local?.getVideoTracks().length) pc.addTransceiver('video', { direction: 'recvonly' })
    for (const t of pc.getTransceivers()) this.transformReceiver(peer, device, t.receiver)
    pc.ontrack = (e) => {
      if (!e.receiver.transform) this.transformReceiver(peer, device, e.receiver)
      peer.stream = e.streams[0] ?? new MediaStream([e.track])
      this.deps.changed()
    }
    pc.onicecandidate = (e) => this.lateCandidate(device, peer, e.candidate)
    pc.oniceconnectionstatechange = () => {
      if (this.peers.get(device) !== peer) return
      const s = pc.iceConnectionState
      if (s === 'connected' || s === 'completed') {
        clearTimeout(peer.restartTimer)
        peer.restartTimer = undefined
        peer.state = 'connected'
      } else if (s === 'disconnected' || s === 'failed') {
        peer.state = 'reconnecting'
        // The offerer restarts ICE (a new network path); the other side waits for its offer.
        if (s === 'failed') {
          clearTimeout(peer.restartTimer)
          peer.restartTimer = undefined
        }
        this.scheduleRestart(device, peer, s === 'failed' ? 0 : RESTART_AFTER_MS)
      }
      this.deps.changed()
    }
    this.deps.changed()
    return peer
  }

  /** An ICE restart by the offerer in `delay`, and again every RETRY_RESTART_MS until the link is up (the path may still be down). */
  private scheduleRestart(device: string, peer: Peer, delay: number): void {
    if (!(this.deps.me < device) || peer.restartTimer) return
    peer.restartTimer = setTimeout(() => {
      peer.restartTimer = undefined
      const s = peer.pc.iceConnectionState
      if (this.stopped || this.peers.get(device) !== peer || s === 'connected' || s === 'completed') return
      this.enqueue(peer, () => this.offer(device, peer, true))
      this.scheduleRestart(device, peer, RETRY_RESTART_MS)
    }, delay)
  }

  /**
   * Work on one link's negotiation, in order. One that fails leaves the link to be made anew (the
   * offerer at its next look; the answerer drops it and asks): said to the person only when it
   * failed three times running with one device.
   */
  private enqueue(peer: Peer, work: () => Promise<void>): void {
    peer.turn = peer.turn.then(work).catch((err: unknown) => {
      const device = [...this.peers].find(([, p]) => p === peer)?.[0]
      if (this.stopped || !device) return
      const failures = (this.failures.get(device) ?? 0) + 1
      this.failures.set(device, failures)
      if (failures === 3) this.deps.problem(`The call's connection could not be set up (${(err as Error).message}).`)
      if (this.deps.me < device) peer.broken = true
      else {
        // Its link id is not retired: the same offer, sent again on its renew, may go through now.
        this.drop(device, peer, false)
        void this.connect(device, 'reconnecting')
      }
    })
  }

  private async offer(device: string, peer: Peer, restart: boolean): Promise<void> {
    peer.offering = true
    // Candidates of this offer's gathering go in it, not after the last SDP as late ones.
    peer.sentCandidates = undefined
    try {
      preferSealableVideo(peer.pc)
      const offer = await peer.pc.createOffer(restart ? { iceRestart: true } : {})
      await peer.pc.setLocalDescription(offer)
      await gathered(peer.pc)
      if (this.peers.get(device) !== peer) return
      this.sentSdp(peer)
      const sent = await this.deps.calls.sendSdp(this.deps.conv, device, peer.link!, 'offer', this.sdpOf(peer))
      peer.offeredAt = Date.now()
      this.awaitAnswer(device, peer, sent ? peer.answerWaitMs : OFFER_AGAIN_MS)
    } finally {
      peer.offering = false
    }
  }

  /** No answer to the offer within `delay` (it or its answer was lost, or it could not go): offered again. */
  private awaitAnswer(device: string, peer: Peer, delay: number): void {
    clearTimeout(peer.answerTimer)
    peer.answerTimer = setTimeout(() => {
      peer.answerTimer = undefined
      // An ICE restart under way offers again by itself (every RETRY_RESTART_MS): not twice.
      if (this.stopped || this.peers.get(device) !== peer || peer.pc.signalingState !== 'have-local-offer' || peer.restartTimer) return
      peer.answerWaitMs = Math.min(60_000, peer.answerWaitMs * 2)
      this.enqueue(peer, () => this.offer(device, peer, true))
    }, delay)
  }

  private async sdp(device: string, link: string, type: 'offer' | 'answer', sdp: string): Promise<void> {
    if (type === 'offer') {
      // Only the device with the smaller id offers: an offer from the other way round is not followed.
      if (!(device < this.deps.me) || this.retired.get(device)?.includes(link)) return
      let peer = await this.connect(device)
      // An offer for another link than this one's: the offerer made its link anew, so is this one.
      while (peer && peer.link !== undefined && peer.link !== link) {
        this.drop(device, peer)
        peer = await this.connect(device, 'reconnecting')
      }
      if (!peer) return
      peer.link = link
      const answerer = peer
      this.enqueue(answerer, async () => {
        answerer.sentCandidates = undefined
        await answerer.pc.setRemoteDescription({ type: 'offer', sdp })
        this.takeEarly(device, answerer)
        preferSealableVideo(answerer.pc)
        await answerer.pc.setLocalDescription(await answerer.pc.createAnswer())
        await gathered(answerer.pc)
        if (this.peers.get(device) !== answerer) return
        this.sentSdp(answerer)
        await this.deps.calls.sendSdp(this.deps.conv, device, link, 'answer', this.sdpOf(answerer))
        // Its renew counts from this answer: the offerer needs time to take it, and ICE to connect.
        if (answerer.pc.connectionState !== 'connected') answerer.downSince = Date.now()
      })
      return
    }
    const peer = this.peers.get(device)
    // An answer for a link made anew since is not this link's.
    if (!peer || !(this.deps.me < device) || peer.link !== link) return
    this.enqueue(peer, async () => {
      if (peer.pc.signalingState !== 'have-local-offer') return
      clearTimeout(peer.answerTimer)
      peer.answerWaitMs = ANSWER_WAIT_MS
      await peer.pc.setRemoteDescription({ type: 'answer', sdp })
      this.takeEarly(device, peer)
      // Its deadline counts from this answer: ICE and DTLS need their time.
      if (peer.pc.connectionState !== 'connected') peer.downSince = Date.now()
    })
  }
}

/**
 * [W33] Video codecs whose packetiser reads nothing of the frame's payload beyond what the frame
 * transform leaves readable: VP8 (its first 10 or 3 bytes) and VP9, with their retransmission
 * and redundancy. H.264 and AV1 packetisers parse the bitstream (NAL units, OBUs), which is
 * sealed: a call that negotiated them would show no picture (Safari prefers H.264).
 */
const SEALABLE_VIDEO = new Set(['video/vp8', 'video/vp9', 'video/rtx', 'video/red', 'video/ulpfec'])

function preferSealableVideo(pc: RTCPeerConnection): void {
  const all = typeof RTCRtpReceiver.getCapabilities === 'function' ? RTCRtpReceiver.getCapabilities('video')?.codecs : undefined
  if (!all) return
  const codecs = all.filter((c) => SEALABLE_VIDEO.has(c.mimeType.toLowerCase()))
  codecs.sort((a, b) => Number(b.mimeType.toLowerCase() === 'video/vp8') - Number(a.mimeType.toLowerCase() === 'video/vp8'))
  for (const t of pc.getTransceivers()) {
    if (t.receiver.track.kind !== 'video' || typeof t.setCodecPreferences !== 'function') continue
    try {
      t.setCodecPreferences(codecs)
    } catch {
      // A browser that refuses the list keeps its own order.
    }
  }
}

/** The candidate lines of an SDP, as `RTCIceCandidate.candidate` has them. */
function candidateLines(sdp: string): string[] {
  return [...sdp.matchAll(/^a=(candidate:.*?)\r?$/gm)].map((m) => m[1]!)
}

/** Both SDPs taken and the link connecting (ICE checking, or ICE through and DTLS under way): not lost, only slow. A failed DTLS (connection `failed`) is not. */
export function onItsWay(pc: Pick<RTCPeerConnection, 'signalingState' | 'remoteDescription' | 'iceConnectionState' | 'connectionState'>): boolean {
  if (pc.signalingState !== 'stable' || !pc.remoteDescription || pc.connectionState !== 'connecting') return false
  return pc.iceConnectionState === 'checking' || pc.iceConnectionState === 'connected' || pc.iceConnectionState === 'completed'
}

/** How much longer than at first the offerer waits for a link made anew `remakes` times in a row. */
function patience(p: Peer): number {
  return Math.min(MAX_PATIENCE, 2 ** p.remakes)
}

/** Whether an SDP (the other side's) sends sound: its audio section is sendrecv or sendonly. */
function sendsSound(sdp: string | undefined): boolean {
  const audio = sdp?.split(/\r?\nm=/).find((section) => section.startsWith('audio') || section.startsWith('m=audio'))
  return !!audio && /^a=(sendrecv|sendonly)\s*$/m.test(audio)
}

/**
 * Resolves once ICE gathering is complete, or after GATHER_MS if a UDP or relayed candidate was
 * found, or — none by then — at the first one, at the latest GATHER_FIRST_MS after it began (then
 * with whatever it has). What is found later goes on its own ([V1] `cand`: a starved Chromium can
 * hand out its TCP candidates alone for seconds, and two sides with TCP host candidates only stay
 * `new`).
 */
export function gathered(pc: Pick<RTCPeerConnection, 'iceGatheringState' | 'localDescription' | 'addEventListener' | 'removeEventListener'>): Promise<void> {
  // Right after an ICE restart's description the state still reads `complete` (the last
  // gathering's) while the description holds none of the new candidates: not gathered yet.
  if (pc.iceGatheringState === 'complete' && candidateLines(pc.localDescription?.sdp ?? '').length) return Promise.resolve()
  const found = () => /^a=candidate:\S+ \d+ udp |^a=candidate:.* typ relay/im.test(pc.localDescription?.sdp ?? '')
  return new Promise((resolve) => {
    let waited = false
    const timer = setTimeout(() => ((waited = true), found() && done()), GATHER_MS)
    const last = setTimeout(done, GATHER_FIRST_MS)
    function done() {
      clearTimeout(timer)
      clearTimeout(last)
      pc.removeEventListener('icegatheringstatechange', check)
      pc.removeEventListener('icecandidate', check)
      resolve()
    }
    function check() {
      if (pc.iceGatheringState === 'complete' || (waited && found())) done()
    }
    pc.addEventListener('icegatheringstatechange', check)
    pc.addEventListener('icecandidate', check)
  })
}
