import { idBytes, type ConvId } from '../../../protocol/index.js'
import { toHex } from '../../../crypto/index.js'
import type { Registry } from '../conversations/registry.js'
import type { Identity } from '../identity.js'
import type { Parts } from '../parts.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { SearchIndex } from './searchIndex.js'
import { readSegmentMessages } from './segmentReader.js'

export interface SearchHost {
  readonly store: LocalStore
  readonly registry: Registry
  readonly identity: Identity
  readonly titleOf: (conv: ConvId) => string
  /** How long a changed segment waits before its record is saved (default 1 s). */
  readonly saveDelayMs?: number
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
/** [M53] The longest one pause of the indexer waits for received frames to be handled. */
export const YIELD_MAX_MS = 1000

/**
 * [M53] A pause of the indexer: a turn of the event loop, and while the engine has received
 * frames waiting (a catch-up's backlog) up to YIELD_MAX_MS more, so indexing never competes with
 * making messages readable, yet is never held off for long by a link that stays busy.
 */
export async function yieldToSync(receiving: () => boolean, maxMs = YIELD_MAX_MS): Promise<void> {
  await sleep(0)
  for (const until = Date.now() + maxMs; receiving() && Date.now() < until; ) await sleep(20)
}

/** The search index over the Messenger's parts: what it reads, whom it names, what it hides. */
export function makeSearch(parts: Parts, host: SearchHost): SearchIndex {
  const { docs, segs, team, epochs } = parts
  const me = host.identity.deviceId
  return new SearchIndex({
    store: host.store,
    conversations: () => host.registry.list().map((r) => r.conv),
    segmentsOf: (conv) => segs.segmentsOf(conv),
    titleOf: host.titleOf,
    nameOf: (conv, device) => team.deviceNames(conv).get(device) ?? `Device ${device.slice(0, 6)}`,
    read: (seg) => readSegmentMessages(docs, host.store, seg, segs),
    prepare: async (convs) => {
      for (const conv of convs) await epochs.load(conv)
    },
    // [M26] as messageLog.ts lists messages: one whose author was found not to be a member device
    // of the epoch it was written under is not shown, so it is not found either.
    visible: (conv, seg, m) => {
      if (m.author === me) return true
      const epoch = epochs.epochOf(conv, seg, m.id)
      return epoch === undefined || team.memberOfEpoch(conv, epoch, toHex(idBytes(m.author))) !== false
    },
    touchDelayMs: host.saveDelayMs ?? 1000,
    pause: () => yieldToSync(() => parts.engine.receiving()),
  })
}
