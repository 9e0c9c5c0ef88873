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

const pause = () => new Promise<void>((r) => setTimeout(r, 0))

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
    pause,
  })
}
