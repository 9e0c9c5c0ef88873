import { concat, toHex, writeU32 } from '../bytes.js'
import { CryptoMisuse } from '../errors.js'
import { deriveKey, frame } from '../hash.js'
import { parseSignPublicKey, type SignPublicKey, type SignSecretKey } from '../keys.js'
import { createSigner, signKeyPairFromSeed, verifySignature, type Signer } from '../sign.js'
import { CERT_BYTES } from './header.js'

/**
 * [E13] Sealed sender. An author writes a conversation's envelopes in one epoch under a *chain
 * key*: an Ed25519 pair derived (HKDF) from the device's signing seed, the conversation and the
 * epoch. Its public half is the header's `chain`: the server checks signatures and hash chains
 * against it, but cannot tell which device it belongs to, nor link it to the same device's
 * chains in other epochs or conversations (that needs the device's secret). Inside the
 * ciphertext, a *certificate* — the device key and its signature over (conversation, epoch,
 * chain) — tells readers who the author is; it is made once per conversation and epoch.
 */
export interface ChainAuthor {
  /** The conversation and epoch this chain key and certificate are for. */
  readonly conv: Uint8Array
  readonly epoch: number
  /** The author's device (what readers learn from the certificate). */
  readonly device: SignPublicKey
  /** The chain key's public half: the header's `chain`. */
  readonly chain: SignPublicKey
  /** Signs envelopes with the chain key ([E3]). */
  readonly signer: Signer
  /** device(32) ‖ signature(64): travels inside the ciphertext ([E5]). */
  readonly cert: Uint8Array
}

const DOMAIN_CHAIN_KEY = 'fieldchat/v1/envelope/chain-key'
const DOMAIN_CERT = 'fieldchat/v1/envelope/chain-cert'

/** Chain authors of one device, made once per (conversation, epoch) and kept. */
export class EnvelopeAuthors {
  private readonly device: Signer
  private readonly made = new Map<string, Promise<ChainAuthor>>()

  constructor(private readonly signSecret: SignSecretKey) {
    if (signSecret.length !== 64) throw new CryptoMisuse('SignSecretKey must be 64 bytes')
    this.device = createSigner(signSecret)
  }

  get publicKey(): SignPublicKey {
    return this.device.publicKey
  }

  forEpoch(conv: Uint8Array, epoch: number): Promise<ChainAuthor> {
    if (conv.length !== 16) throw new CryptoMisuse('conversation id must be 16 bytes')
    if (!Number.isInteger(epoch) || epoch < 0 || epoch > 0xffffffff) throw new CryptoMisuse('epoch must be a 32-bit unsigned integer')
    const id = `${toHex(conv)}/${epoch}`
    let author = this.made.get(id)
    if (!author) {
      author = this.make(conv, epoch)
      this.made.set(id, author)
      // A failed signing is not remembered: the next call tries again.
      author.catch(() => this.made.delete(id))
    }
    return author
  }

  private async make(conv: Uint8Array, epoch: number): Promise<ChainAuthor> {
    const seed = deriveKey(this.signSecret.subarray(0, 32), DOMAIN_CHAIN_KEY, concat(conv, u32(epoch)))
    const pair = signKeyPairFromSeed(seed)
    seed.fill(0)
    const chain = pair.publicKey
    const signature = await this.device.sign(certBytes(conv, epoch, chain))
    return { conv: conv.slice(), epoch, device: this.device.publicKey, chain, signer: createSigner(pair.secretKey), cert: concat(this.device.publicKey, signature) }
  }
}

function certBytes(conv: Uint8Array, epoch: number, chain: Uint8Array): Uint8Array {
  return frame(DOMAIN_CERT, [conv, u32(epoch), chain])
}

const checked = new Map<string, Promise<SignPublicKey | undefined>>()
const MAX_CHECKED = 4096

/**
 * [E13] The device a certificate names, if its signature over (conversation, epoch, chain)
 * verifies and the device key passes [C1]; undefined otherwise. Verdicts are cached: one check
 * per chain, not per envelope.
 */
export function certifiedDevice(cert: Uint8Array, conv: Uint8Array, epoch: number, chain: Uint8Array): Promise<SignPublicKey | undefined> {
  if (cert.length !== CERT_BYTES) return Promise.resolve(undefined)
  const id = `${toHex(cert)}/${toHex(conv)}/${epoch}/${toHex(chain)}`
  let verdict = checked.get(id)
  if (!verdict) {
    if (checked.size >= MAX_CHECKED) checked.clear()
    const device = parseSignPublicKey(cert.slice(0, 32))
    verdict = device
      ? verifySignature(certBytes(conv, epoch, chain), cert.subarray(32), device).then((ok) => (ok ? device : undefined))
      : Promise.resolve(undefined)
    checked.set(id, verdict)
  }
  return verdict
}

function u32(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new CryptoMisuse('epoch must be a 32-bit unsigned integer')
  const b = new Uint8Array(4)
  writeU32(new DataView(b.buffer), 0, n)
  return b
}
