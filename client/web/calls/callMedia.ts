import { FRAME_SLOTS, generateFrameBaseKey } from '../../../crypto/index.js'
import type { ConvId } from '../../../protocol/index.js'
import type { Calls } from '../../core/calls/calls.js'

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
  readonly calls: Pick<Calls, 'sendSdp' | 'sendKey' | 'askKeys' | 'events'>
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

/** Candidates gathered for at most this long before an SDP goes with what it has. */
const GATHER_MS = 3_000
/** A link disconnected this long is restarted (ICE restart): a change of network. */
const RESTART_AFTER_MS = 2_000
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
/** A new key is used this long after it was sent, so that the others have it first ([V5]). */
const SWITCH_AFTER_MS = 500
/** Receivers are given this many of a sender's latest keys. */
const KEEP_KEYS = 4

interface Peer {
  readonly pc: RTCPeerConnection
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

  constructor(private readonly deps: CallMediaDeps) {
    this.offs = [
      deps.calls.events.on('peer', (p) => {
        if (p.conv !== deps.conv || p.call !== deps.call) return
        if (p.joined) void this.peerJoined(p.device)
        else this.peerLeft(p.device)
      }),
      deps.calls.events.on('sdp', (s) => {
        if (s.conv !== deps.conv || s.call !== deps.call) return
        void this.sdp(s.device, s.type, s.sdp)
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
    this.statsTimer = setInterval(() => void this.lookAtLinks(), 2_000)
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
    // The newcomer needs this device's key; it is sent to everyone in the call (sealed under the conversation's epoch).
    void this.sendOwnKey()
    const peer = await this.connect(device)
    if (peer && this.deps.me < device) this.enqueue(peer, () => this.offer(device, peer, false))
  }

  private peerLeft(device: string): void {
    const p = this.peers.get(device)
    if (!p) return
    clearTimeout(p.restartTimer)
    clearTimeout(p.answerTimer)
    p.pc.close()
    this.peers.delete(device)
    this.keysOf.delete(device)
    this.deps.changed()
    // Whoever left must not read what is sent from now on.
    if (!this.stopped) this.rotate()
  }

  private async connect(device: string): Promise<Peer | undefined> {
    await this.ready
    const iceServers = await this.iceServers()
    if (this.stopped) return undefined
    const existing = this.peers.get(device)
    if (existing) return existing
    const pc = new RTCPeerConnection({ iceServers })
    const peer: Peer = { pc, state: 'connecting', stream: undefined, restartTimer: undefined, answerTimer: undefined, answerWaitMs: ANSWER_WAIT_MS, turn: Promise.resolve(), senders: [], receivers: [], quality: undefined, counted: { lost: 0, received: 0 } }
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
    pc.oniceconnectionstatechange = () => {
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

  private enqueue(peer: Peer, work: () => Promise<void>): void {
    peer.turn = peer.turn.then(work).catch((err: unknown) => this.deps.problem(`The call's connection could not be set up (${(err as Error).message}).`))
  }

  private async offer(device: string, peer: Peer, restart: boolean): Promise<void> {
    preferSealableVideo(peer.pc)
    const offer = await peer.pc.createOffer(restart ? { iceRestart: true } : {})
    await peer.pc.setLocalDescription(offer)
    await gathered(peer.pc)
    if (this.peers.get(device) !== peer) return
    const sent = await this.deps.calls.sendSdp(this.deps.conv, device, 'offer', peer.pc.localDescription!.sdp)
    this.awaitAnswer(device, peer, sent ? peer.answerWaitMs : OFFER_AGAIN_MS)
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

  private async sdp(device: string, type: 'offer' | 'answer', sdp: string): Promise<void> {
    if (type === 'offer') {
      // Only the device with the smaller id offers: an offer from the other way round is not followed.
      if (!(device < this.deps.me)) return
      const peer = await this.connect(device)
      if (!peer) return
      this.enqueue(peer, async () => {
        await peer.pc.setRemoteDescription({ type: 'offer', sdp })
        preferSealableVideo(peer.pc)
        await peer.pc.setLocalDescription(await peer.pc.createAnswer())
        await gathered(peer.pc)
        if (this.peers.get(device) === peer) await this.deps.calls.sendSdp(this.deps.conv, device, 'answer', peer.pc.localDescription!.sdp)
      })
      return
    }
    const peer = this.peers.get(device)
    if (!peer || !(this.deps.me < device)) return
    this.enqueue(peer, async () => {
      if (peer.pc.signalingState !== 'have-local-offer') return
      clearTimeout(peer.answerTimer)
      peer.answerWaitMs = ANSWER_WAIT_MS
      await peer.pc.setRemoteDescription({ type: 'answer', sdp })
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

/** Resolves once ICE gathering is complete, or after GATHER_MS with what was found. */
function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(done, GATHER_MS)
    function done() {
      clearTimeout(timer)
      pc.removeEventListener('icegatheringstatechange', check)
      resolve()
    }
    function check() {
      if (pc.iceGatheringState === 'complete') done()
    }
    pc.addEventListener('icegatheringstatechange', check)
  })
}
