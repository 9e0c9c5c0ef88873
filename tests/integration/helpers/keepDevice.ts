import {
  BATCH_KIND, EnvelopeAuthors, ZERO_HASH, capabilityProofBytes, conversationIdOf, deriveAdminCapability, deriveCapability, generateDeviceKeys, generateEpochKey, randomBytes, sealEnvelope,
  type DeviceKeys, type EnvelopeHash, type EpochKey,
} from '../../../crypto/index.js'
import type { PushResult, ServerMessage } from '../../../protocol/index.js'
import { dayOf } from '../../../sync-server/store/ChangeStore.js'
import { rawClient, type RawClient } from './rawClient.js'

/**
 * [S56] A modified client for keep-until tests: it creates a conversation, seals real signed
 * envelopes (crypto [E3], [E13]) and pushes them with whatever `keep` a test names, over a real
 * socket to a real server. Survives server restarts: `connect` again with the same device.
 */
export class KeepDevice {
  readonly keys: DeviceKeys = generateDeviceKeys()
  readonly origin = randomBytes(16)
  readonly conv = conversationIdOf(this.keys.signPublic, this.origin)
  readonly epochKey: EpochKey = generateEpochKey()
  private readonly adminSecret = randomBytes(32)
  private readonly authors = new EnvelopeAuthors(this.keys.signSecret)
  private readonly heads = new Map<string, { seq: number; hash: EnvelopeHash }>()
  private client: RawClient | undefined
  private nextId = 1

  /** Connects, says hello and joins (the first join registers the conversation, [S3]). */
  async connect(url: string): Promise<RawClient> {
    const c = await rawClient(url, this.keys)
    await c.hello()
    const cap = deriveCapability(this.epochKey, this.conv, 0)
    const proof = await cap.signer.sign(capabilityProofBytes(c.challenge, this.conv, 0))
    c.send({ type: 'join', conv: this.conv, epoch: 0, cap: cap.publicKey, proof, admin: deriveAdminCapability(this.adminSecret, this.conv).publicKey, origin: this.origin })
    await c.next('joined')
    this.client = c
    return c
  }

  get socket(): RawClient {
    if (!this.client) throw new Error('not connected')
    return this.client
  }

  /** The next envelope of this device's chain in `doc`, sealing `plaintext`. */
  async seal(doc: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array> {
    const key = Buffer.from(doc).toString('hex')
    const head = this.heads.get(key) ?? { seq: 0, hash: ZERO_HASH }
    const author = await this.authors.forEpoch(this.conv, 0)
    const sealed = await sealEnvelope({ kind: BATCH_KIND, conv: this.conv, doc, epoch: 0, chain: author.chain, seq: head.seq + 1, prev: head.hash }, plaintext, this.epochKey, author)
    this.heads.set(key, { seq: head.seq + 1, hash: sealed.hash })
    return sealed.bytes
  }

  /** Pushes and returns the ack's results. */
  async push(envelopes: Uint8Array[], keep?: number[]): Promise<PushResult[]> {
    const id = this.nextId++
    this.socket.send({ type: 'push', id, envelopes, ...(keep ? { keep } : {}) })
    for (;;) {
      const ack = await this.socket.next('ack')
      if (ack.id === id) return ack.results
    }
  }

  /** Subscribes and returns this document's frames up to and including its `caught-up`. */
  async subscribe(doc: Uint8Array, cursor: number): Promise<ServerMessage[]> {
    const from = this.socket.received.length
    this.socket.send({ type: 'subscribe', conv: this.conv, doc, cursor })
    const ofDoc = (m: ServerMessage) => 'doc' in m && Buffer.from(m.doc).equals(Buffer.from(doc))
    for (;;) {
      const caught = await this.socket.next('caught-up')
      if (ofDoc(caught)) return this.socket.received.slice(from).filter((m) => ofDoc(m) || m.type === 'error')
    }
  }

  close(): void {
    this.client?.socket.close()
    this.client = undefined
  }
}

/** Today as the server counts it ([S56]: days since 1970-01-01 UTC). */
export const today = (now = Date.now()): number => dayOf(now)
