import {
  BATCH_KIND, EnvelopeAuthors, SNAPSHOT_KIND, ZERO_HASH, capabilityProofBytes, conversationIdOf, createSigner, deriveAdminCapability, deriveCapability, deriveMailboxKey,
  deviceAuthBytes, generateDeviceKeys, generateEpochKey, mailboxProofBytes, rekeyProofBytes, sealEnvelope, type Capability, type DeviceKeys, type EnvelopeHash, type EpochKey,
  type MailboxKey, type Signer,
} from '../../../crypto/index.js'
import { PROTOCOL_VERSION, type Hello, type Join, type Rekey } from '../../../protocol/index.js'
import type { Rng } from '../rng.js'

/**
 * What an authenticated fuzzing device knows of one conversation it created: the epoch key and
 * the capability derived from it, the admin capability, and per document its chain's head. The
 * state moves optimistically (as if every frame were accepted): frames sent out of order or
 * refused then make later ones gaps, broken chains and stale epochs, which is also wanted.
 */
export interface DocChain {
  readonly doc: Uint8Array
  seq: number
  prev: EnvelopeHash
  /** The last envelopes sealed on this chain, for duplicates and equivocation. */
  readonly sealed: { seq: number; bytes: Uint8Array; prev: EnvelopeHash; hash: EnvelopeHash }[]
}

export class ConvState {
  epoch = 0
  key: EpochKey = generateEpochKey()
  cap: Capability
  adminSecret: Uint8Array
  admin: Capability
  readonly docs: DocChain[] = []

  constructor(
    readonly conv: Uint8Array,
    readonly origin: Uint8Array,
    rng: Rng,
  ) {
    this.cap = deriveCapability(this.key, conv, 0)
    this.adminSecret = rng.bytes(32)
    this.admin = deriveAdminCapability(this.adminSecret, conv)
  }

  static create(device: DeviceKeys, rng: Rng): ConvState {
    const origin = rng.bytes(16)
    return new ConvState(conversationIdOf(device.signPublic, origin), origin, rng)
  }

  doc(rng: Rng): DocChain {
    if (this.docs.length === 0 || (this.docs.length < 4 && rng.chance(0.1))) this.docs.push({ doc: rng.bytes(16), seq: 0, prev: ZERO_HASH, sealed: [] })
    return rng.pick(this.docs)
  }
}

/**
 * A device of the fuzzer's pool, reused across episodes (reconnects; mailboxes that fill up): its
 * keys and signers made once, since every new signer costs scalar multiplications the fuzzer's
 * one core would rather spend on frames.
 */
export class DeviceIdentity {
  readonly keys: DeviceKeys = generateDeviceKeys()
  readonly signer: Signer = createSigner(this.keys.signSecret)
  readonly mailboxKey: MailboxKey = deriveMailboxKey(this.keys.signSecret)
  get mailbox(): Uint8Array {
    return this.mailboxKey.address
  }

  /** A valid hello over `challenge` ([S2]: device proof [K3], mailbox proof [K7]); fields may be overridden. */
  async hello(challenge: Uint8Array, over: Partial<Hello> = {}): Promise<Hello> {
    const [proof, mailboxProof] = await Promise.all([
      this.signer.sign(deviceAuthBytes(challenge, this.keys.signPublic)),
      this.mailboxKey.signer.sign(mailboxProofBytes(challenge, this.mailbox)),
    ])
    return { type: 'hello', v: PROTOCOL_VERSION, device: this.keys.signPublic, proof, mailbox: this.mailbox, mailboxProof, ...over }
  }
}

/** One session of a pool device: the chain authors of the conversations it creates in this episode. */
export class FuzzDevice {
  readonly authors: EnvelopeAuthors

  constructor(readonly identity: DeviceIdentity) {
    this.authors = new EnvelopeAuthors(identity.keys.signSecret)
  }

  get keys(): DeviceKeys {
    return this.identity.keys
  }

  get mailbox(): Uint8Array {
    return this.identity.mailbox
  }

  /** The join that registers `c` (its creator, with origin and admin, [S3]) or joins it again. */
  async join(c: ConvState, challenge: Uint8Array, register = true): Promise<Join> {
    const proof = await c.cap.signer.sign(capabilityProofBytes(challenge, c.conv, c.epoch))
    return { type: 'join', conv: c.conv, epoch: c.epoch, cap: c.cap.publicKey, proof, ...(register ? { admin: c.admin.publicKey, origin: c.origin } : {}) }
  }

  /** A valid rotation to `epoch` ([S10]) from `from` (the current epoch unless a conflict is wanted); moves the state. */
  async rekey(c: ConvState, challenge: Uint8Array, epoch: number, from = c.epoch): Promise<Rekey> {
    const key = generateEpochKey()
    const cap = deriveCapability(key, c.conv, epoch)
    const nextAdminSecret = new Uint8Array(c.adminSecret.map((b) => b ^ 0x5a))
    const nextAdmin = deriveAdminCapability(nextAdminSecret, c.conv)
    const proof = await c.admin.signer.sign(rekeyProofBytes(challenge, c.conv, epoch, cap.publicKey, nextAdmin.publicKey))
    const msg: Rekey = { type: 'rekey', conv: c.conv, from, epoch, cap: cap.publicKey, admin: nextAdmin.publicKey, proof }
    Object.assign(c, { epoch, key, cap, adminSecret: nextAdminSecret, admin: nextAdmin })
    return msg
  }

  /** The next envelope of `chain` under the conversation's epoch (or another epoch, or seq), optionally not moving the head. */
  async seal(c: ConvState, chain: DocChain, rng: Rng, over: { epoch?: number; seq?: number; prev?: EnvelopeHash; kind?: 1 | 2; advance?: boolean } = {}): Promise<Uint8Array> {
    const epoch = over.epoch ?? c.epoch
    const author = await this.authors.forEpoch(c.conv, epoch)
    const seq = over.seq ?? chain.seq + 1
    const prev = over.prev ?? chain.prev
    const payload = rng.bytes(rng.chance(0.02) ? rng.int(0, 256 * 1024) : rng.size(3000))
    const sealed = await sealEnvelope({ kind: over.kind ?? BATCH_KIND, conv: c.conv, doc: chain.doc, epoch, chain: author.chain, seq, prev }, payload, c.key, author)
    if (over.advance ?? (over.seq === undefined && over.prev === undefined && over.epoch === undefined)) {
      chain.sealed.push({ seq, bytes: sealed.bytes, prev, hash: sealed.hash })
      if (chain.sealed.length > 8) chain.sealed.shift()
      chain.seq = seq
      chain.prev = sealed.hash
    }
    return sealed.bytes
  }

  /** A snapshot of the chain's head ([S9]): kind 2 at the head's seq with prev = the head's hash. */
  snapshot(c: ConvState, chain: DocChain, rng: Rng): Promise<Uint8Array> {
    return this.seal(c, chain, rng, { kind: SNAPSHOT_KIND, seq: Math.max(1, chain.seq), prev: chain.prev, advance: false })
  }
}
