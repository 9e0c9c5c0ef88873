import WebSocket from 'ws'
import {
  BATCH_KIND, EnvelopeAuthors, ZERO_HASH, capabilityProofBytes, conversationIdOf, createSigner, deriveAdminCapability, deriveCapability, deriveMailboxKey, deviceAuthBytes,
  generateDeviceKeys, generateEpochKey, mailboxProofBytes, randomBytes, sealEnvelope, type DeviceKeys, type EnvelopeHash, type EpochKey,
} from '../../crypto/index.js'
import { PROTOCOL_VERSION, decodeServerFrame, encodeFrame, type ClientMessage, type ServerMessage } from '../../protocol/index.js'

/**
 * The protocol as a bench needs it, without the engine: a device that authenticates, creates or
 * joins a conversation, pushes signed envelopes of its own chain and hears live ones. `local`
 * binds the socket to one of 127.0.0.0/8's addresses, so thousands of connections are spread
 * over client addresses as they would be in the field ([S22] counts hellos per address).
 */
export class WireDevice {
  private readonly authors: EnvelopeAuthors
  /** Derived once: a reconnect signs two proofs, nothing more (the bench opens 10,000 connections). */
  private readonly mailbox: ReturnType<typeof deriveMailboxKey>
  private ws!: WebSocket
  private challenge!: Uint8Array
  private waiters: ((m: ServerMessage) => boolean)[] = []
  private head = { seq: 0, hash: ZERO_HASH as EnvelopeHash }
  onMessage: (m: ServerMessage) => void = () => undefined

  /** `keys`: the same keys again is the same device reconnecting. */
  constructor(readonly keys: DeviceKeys = generateDeviceKeys()) {
    this.authors = new EnvelopeAuthors(keys.signSecret)
    this.mailbox = deriveMailboxKey(keys.signSecret)
  }

  async connect(url: string, local?: string): Promise<void> {
    this.ws = new WebSocket(url, { perMessageDeflate: false, ...(local ? { localAddress: local } : {}) })
    this.ws.binaryType = 'arraybuffer'
    this.ws.on('error', () => undefined)
    this.ws.on('message', (data: ArrayBuffer) => {
      const decoded = decodeServerFrame(new Uint8Array(data))
      if (!decoded.ok) return
      this.waiters = this.waiters.filter((w) => !w(decoded.message))
      this.onMessage(decoded.message)
    })
    const challenge = await this.next((m) => m.type === 'challenge')
    if (challenge.type !== 'challenge') throw new Error('no challenge')
    this.challenge = challenge.nonce
    // [S2] the device proof and the mailbox proof ([K3], [K7]) over this connection's challenge.
    const [proof, mailboxProof] = await Promise.all([
      createSigner(this.keys.signSecret).sign(deviceAuthBytes(this.challenge, this.keys.signPublic)),
      this.mailbox.signer.sign(mailboxProofBytes(this.challenge, this.mailbox.address)),
    ])
    this.send({ type: 'hello', v: PROTOCOL_VERSION, device: this.keys.signPublic, proof, mailbox: this.mailbox.address, mailboxProof })
    await this.next((m) => m.type === 'welcome')
  }

  next(match: (m: ServerMessage) => boolean, timeoutMs = 30_000): Promise<ServerMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer')), timeoutMs)
      this.waiters.push((m) => {
        if (m.type === 'error' && m.fatal) return clearTimeout(timer), reject(new Error(`fatal ${m.code}`)), true
        if (!match(m)) return false
        clearTimeout(timer)
        resolve(m)
        return true
      })
    })
  }

  send(msg: ClientMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeFrame(msg))
  }

  get buffered(): number {
    return this.ws.bufferedAmount
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN
  }

  /** Joins `room` (registering it when this device created it) and waits for `joined`. */
  async join(room: WireRoom): Promise<void> {
    const cap = deriveCapability(room.epochKey, room.conv, 0)
    const proof = await cap.signer.sign(capabilityProofBytes(this.challenge, room.conv, 0))
    const creator = room.creator === this
    this.send({ type: 'join', conv: room.conv, epoch: 0, cap: cap.publicKey, proof, ...(creator ? { admin: room.admin, origin: room.origin } : {}) })
    await this.next((m) => m.type === 'joined')
  }

  subscribe(room: WireRoom): Promise<ServerMessage> {
    this.send({ type: 'subscribe', conv: room.conv, doc: room.doc, cursor: 0 })
    return this.next((m) => m.type === 'caught-up')
  }

  /** The next envelope of this device's chain in the room's document. */
  async envelope(room: WireRoom, payload: Uint8Array): Promise<Uint8Array> {
    const author = await this.authors.forEpoch(room.conv, 0)
    const header = { kind: BATCH_KIND, conv: room.conv, doc: room.doc, epoch: 0, chain: author.chain, seq: this.head.seq + 1, prev: this.head.hash } as const
    const sealed = await sealEnvelope(header, payload, room.epochKey, author)
    this.head = { seq: header.seq, hash: sealed.hash }
    return sealed.bytes
  }

  close(): void {
    this.ws.terminate()
  }
}

/** A conversation created by `creator` ([K6]: its id derives from the creator's key and an origin). */
export class WireRoom {
  readonly origin = randomBytes(16)
  readonly doc = randomBytes(16)
  readonly conv: Uint8Array
  readonly admin: Uint8Array
  readonly epochKey: EpochKey = generateEpochKey()
  constructor(readonly creator: WireDevice) {
    this.conv = conversationIdOf(creator.keys.signPublic, this.origin)
    this.admin = deriveAdminCapability(randomBytes(32), this.conv).publicKey
  }
}
