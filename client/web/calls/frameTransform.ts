import { CryptoErrorCode, createFrameSealer, deriveFrameKey, openFrame, type FrameKey, type FrameSealer } from '../../../crypto/index.js'

/** What the page tells a transform on its port: a sender's key and slot, or a receiver's sender's keys. */
export interface FrameKeysMessage {
  readonly send?: { readonly kid: number; readonly key: Uint8Array; readonly slot: number }
  readonly keys?: readonly { readonly kid: number; readonly key: Uint8Array }[]
}

/** Receivers keep this many of their sender's KIDs. */
const KEEP_KIDS = 4

/**
 * [W33] One frame transform's keys and its per-frame rule, apart from the worker that runs it (so
 * that Node tests can attack it). Fail closed: a sender without a key gives nothing to send, never
 * the frame in the clear; a receiver gives only what opened, and says when a frame came under a
 * KID it was not given (`missing`), so that the page asks again.
 */
export class FrameTransform {
  private sealer: FrameSealer | undefined
  private readonly keys = new Map<number, FrameKey>()
  private turn: Promise<void> = Promise.resolve()

  constructor(readonly role: 'send' | 'receive') {}

  /** Takes the page's message; keys are derived in the order the messages came. */
  give(m: FrameKeysMessage): Promise<void> {
    this.turn = this.turn.then(async () => {
      if (m.send) this.sealer = createFrameSealer(await deriveFrameKey(m.send.key, m.send.kid), m.send.slot)
      for (const k of m.keys ?? []) {
        if (this.keys.has(k.kid)) continue
        this.keys.set(k.kid, await deriveFrameKey(k.key, k.kid))
        while (this.keys.size > KEEP_KIDS) this.keys.delete(Math.min(...this.keys.keys()))
      }
    })
    return this.turn
  }

  /** The frame to pass on (sealed or opened), or none: dropped, and `missing` when its KID was not given. */
  async frame(bytes: Uint8Array, metadataBytes: number): Promise<{ out?: Uint8Array; missing?: true }> {
    if (this.role === 'send') return this.sealer ? { out: await this.sealer.seal(bytes, metadataBytes) } : {}
    const opened = await openFrame((kid) => this.keys.get(kid), bytes, metadataBytes)
    if (opened.ok) return { out: opened.value }
    return opened.code === CryptoErrorCode.NO_KEY ? { missing: true } : {}
  }
}
