/** How many damaged envelopes are remembered; the set starts over beyond it (bounded memory). */
const REMEMBERED_MAX = 256

/**
 * [M33] Damaged envelopes this device was sent. The server checks every envelope's layout and
 * signature ([E2], [E3]) before it stores it, so one that fails them here was changed on the way
 * (a faulty hop: the connection is dropped and the envelope fetched again) — or the server holds
 * it that way (its disk, or a server breaking [S4]). Random damage differs from one fetch to the
 * next; the same damaged bytes twice mean they are stored so, and fetching again cannot help:
 * the second time the envelope is skipped as [M9] says, so one bad record cannot stop a document.
 * The fingerprint only tells repeats apart; it protects nothing, so a fast non-cryptographic hash
 * over the bytes is enough.
 */
export class DamageMemory {
  private readonly seen = new Set<string>()

  /** Records `env`; true if these exact bytes were recorded before. */
  repeat(env: Uint8Array): boolean {
    const print = fingerprint(env)
    if (this.seen.has(print)) return true
    if (this.seen.size >= REMEMBERED_MAX) this.seen.clear()
    this.seen.add(print)
    return false
  }
}

/** FNV-1a (32 bits) and the length. */
function fingerprint(bytes: Uint8Array): string {
  let h = 0x811c9dc5
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193)
  return `${bytes.length}:${(h >>> 0).toString(16)}`
}
