import type { ConvId } from '../../../protocol/index.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { eraseOrg } from './erase.js'
import { WIPED, readTombstone, writeTombstone, type Tombstone, type WipePlan, type WipedOrg } from './tombstone.js'

/** Unread mail lives 90 days on the server (protocol [S11]): late mail of a wiped organisation may come until then. */
const LATE_MAIL_MS = 90 * 24 * 3600_000

/**
 * [M30] Organisations this device wiped after learning that it was removed from them, kept as
 * small tombstones (`wiped/<org>`: name, time, reason) so the app can say what happened.
 *
 * Invariant 1 (crash-safety): the tombstone, marked pending and naming what to delete, is durable
 * before anything is deleted; it is marked done only after everything is. A pending tombstone is
 * finished before the store is read for anything else (`Messenger.open`), so a crash at any point
 * of a wipe ends in the same place as a wipe that ran through.
 */
export class RemoteWipes {
  private readonly byOrg = new Map<ConvId, Tombstone>()

  constructor(private readonly store: LocalStore) {}

  async load(): Promise<void> {
    for (const e of await this.store.range([WIPED])) {
      const t = readTombstone(e)
      if (t) this.byOrg.set(t.org, t)
    }
  }

  /** Wiped organisations, oldest first (their plans left out). */
  list(): WipedOrg[] {
    return [...this.byOrg.values()].sort((a, b) => a.time - b.time).map(shown)
  }

  has(org: ConvId): boolean {
    return this.byOrg.has(org)
  }

  isPending(org: ConvId): boolean {
    return !!this.byOrg.get(org)?.pending
  }

  /** Step 1: the tombstone, pending, with what to delete. Nothing is deleted yet. */
  async begin(t: Omit<WipedOrg, 'pending' | 'dismissed'>, plan: WipePlan): Promise<void> {
    const next = { ...t, dismissed: false }
    await this.store.write([writeTombstone(next, plan)])
    this.byOrg.set(t.org, { ...next, pending: true, plan })
  }

  /**
   * Steps 2 and 3 for every pending tombstone: delete, then mark done. Returns those finished now,
   * each with the spaces its plan named (to close what shows them).
   */
  async finishPending(): Promise<{ wiped: WipedOrg; spaces: readonly ConvId[] }[]> {
    const done: { wiped: WipedOrg; spaces: readonly ConvId[] }[] = []
    for (const t of [...this.byOrg.values()]) {
      if (!t.pending) continue
      await eraseOrg(this.store, t.org, t.plan)
      const finished = { ...shown(t), pending: false }
      await this.store.write([writeTombstone(finished)])
      this.byOrg.set(t.org, finished)
      done.push({ wiped: finished, spaces: [t.org, ...(t.plan?.spaces ?? []).filter((s) => s !== t.org)] })
    }
    return done
  }

  /** The person closed the notice: the tombstone stays (the CLI and the list still tell), unflagged. */
  async dismiss(org: ConvId): Promise<void> {
    const t = this.byOrg.get(org)
    if (!t || t.dismissed) return
    const next = { ...t, dismissed: true }
    await this.store.write([writeTombstone(next, t.plan)])
    this.byOrg.set(org, next)
  }

  /** A wipe recent enough that late mail of its organisation may still arrive. */
  recent(now = Date.now()): boolean {
    for (const t of this.byOrg.values()) if (now - t.time < LATE_MAIL_MS) return true
    return false
  }
}

/** A tombstone as the app sees it: without its plan. */
function shown(t: Tombstone): WipedOrg {
  return { org: t.org, name: t.name, time: t.time, reason: t.reason, conversation: t.conversation, dismissed: t.dismissed, pending: t.pending }
}
