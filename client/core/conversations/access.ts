import type { ConvId } from '../../../protocol/index.js'

export interface AccessDeps {
  /** Is this a team space whose signed graph still lists this device? */
  readonly memberByGraph: (conv: ConvId) => boolean
  readonly rejoin: (conv: ConvId) => void
  readonly emitAccess: (conv: ConvId, lost: boolean) => void
  readonly emitWaiting: (conv: ConvId) => void
}

/**
 * [T10][M23] Whether this device may still read a conversation. A removal known from a signed op
 * (or the server's refusal of a space whose graph this device does not hold) is "lost". The
 * server refusing a space whose graph still lists this device is a rotation that has not reached it: it is retried
 * (five times, from 200 ms) and then shown as *waiting for key*, never as a removal — and still
 * asked again, every 30 s at most, for as long as it is refused: the rotation that is missing may
 * be the server's, not this device's (after concurrent admin changes a member can hold the healed
 * epoch before an admin has rekeyed the server to it, and no rotation would reach it again to
 * end the wait).
 */
/** The longest wait between two joins of a refused space. */
const MAX_RETRY_MS = 30_000

export class AccessState {
  private readonly lost = new Set<ConvId>()
  private readonly refused = new Map<ConvId, number>()
  private readonly keyMissing = new Set<ConvId>()

  constructor(private readonly deps: AccessDeps) {}

  isLost(conv: ConvId): boolean {
    return this.lost.has(conv)
  }

  isKeyMissing(conv: ConvId): boolean {
    return this.keyMissing.has(conv)
  }

  setLost(conv: ConvId, lost: boolean): void {
    if (lost === this.lost.has(conv)) return
    if (lost) this.lost.add(conv)
    else this.lost.delete(conv)
    this.deps.emitAccess(conv, lost)
  }

  /** The engine's word: the server accepted (lost = false) or refused this device's capability. */
  onServer(conv: ConvId, lost: boolean): void {
    if (!lost || !this.deps.memberByGraph(conv)) {
      this.refused.delete(conv)
      if (this.keyMissing.delete(conv)) this.deps.emitWaiting(conv)
      return this.setLost(conv, lost)
    }
    const tries = (this.refused.get(conv) ?? 0) + 1
    this.refused.set(conv, tries)
    // Asked again only while still refused: an acceptance or a removal meanwhile ends it.
    const again = setTimeout(() => this.refused.has(conv) && !this.lost.has(conv) && this.deps.rejoin(conv), Math.min(MAX_RETRY_MS, 100 * 2 ** tries))
    ;(again as { unref?: () => void }).unref?.()
    if (tries <= 5) return
    // Shown as the conversation's waiting state (with Retry), which clears itself once the
    // rotation arrives — not as an alert that would outlive it.
    if (!this.keyMissing.has(conv)) {
      this.keyMissing.add(conv)
      this.deps.emitWaiting(conv)
    }
  }

  /** "Retry" on a conversation waiting for its key: start the attempts again. */
  retry(conv: ConvId): boolean {
    if (!this.keyMissing.has(conv)) return false
    this.refused.set(conv, 0)
    return true
  }
}
