import * as z from 'zod'
import { parseConvId, parseDocId, type ConvId, type DocId } from '../../../protocol/index.js'
import { documentId } from '../documents/docs.js'
import { mailFor } from '../outbox/mailOutbox.js'
import type { Key, LocalStore } from '../storage/LocalStore.js'
import { decodeRecord } from '../storage/records.js'
import type { WipePlan } from './tombstone.js'

/**
 * Every record keyed by a space: `<namespace…>/<space>/…` (client/core/SPEC.md's key table, team/,
 * recovery/). A new kind of record keyed by a space must be listed here, or a wipe leaves it.
 */
const BY_SPACE: readonly Key[] = [
  ['conv'], ['cursor'], ['epoch-seen'], ['msg-epoch'], ['out', 'raw'], ['out', 'sealed'], ['chain'],
  ['team-op'], ['team-box'], ['team-rbox'], ['team-key'], ['team-rekey'], ['verified'], ['org-join'],
  // Files waiting to go out, with their keys ([A2]); their sealed chunks in the spool lose their
  // record and are removed when the uploads load again.
  ['upload'],
  // The chunk tags of files sent from their path, beside their upload's record ([A2]).
  ['upload-tags'],
  // [M50] The search index of the space's messages, and its stale marks.
  ['search'],
  // [M55] This device's delivered/read cursors and the ones it heard from other devices.
  ['read'], ['read-peer'],
  // [M71] Tombstones of segments dropped on this device, and the pruner's verdicts.
  ['dropped'], ['prune'],
  // [M13a] The newest rendered messages of each conversation.
  ['view'],
  // client [Q1]–[Q5] Usage statistics of the organisation: this device's tallies and tokens, and
  // what it kept as the collector.
  ['stats-tally'], ['stats-tok'], ['stats-col'], ['stats-issued'], ['stats-day'], ['stats-gday'], ['stats-dev'], ['stats-devday'], ['stats-shared'], ['stats-share-day'], ['stats-seen'],
]
/** Records that name a document of a space after the space: where the plan's documents are looked up again. */
const DOC_AFTER_SPACE: readonly Key[] = [['cursor'], ['epoch-seen'], ['out', 'raw'], ['out', 'sealed'], ['chain']]

const spaceMeta = z.object({ kind: z.enum(['org', 'group']), org: z.string() })

/**
 * [M30] Deletes everything this device holds for an organisation: its own space and every group
 * of it, their documents (Automerge chunks and markers), outbox and chains, cursors, message
 * epochs, graphs, boxes and keys, remembered verifications, a pending join, and the mail queued
 * for it. Idempotent, so a wipe cut short by a crash is simply run again. The space records go
 * last: until then a re-run finds the organisation's groups from them.
 */
export async function eraseOrg(store: LocalStore, org: ConvId, plan: WipePlan | undefined): Promise<void> {
  const spaces = new Set<ConvId>([org, ...(plan?.spaces ?? [])])
  for (const e of await store.range(['space'])) {
    const meta = decodeRecord(e.value, spaceMeta)
    const space = parseConvId(e.key[1])
    if (space && meta?.org === org) spaces.add(space)
  }
  const docs = new Set<DocId>(plan?.docs ?? [])
  for (const space of spaces) {
    docs.add(space as string as DocId) // the first generation's root shares the space's id ([M24])
    for (const ns of DOC_AFTER_SPACE) {
      for (const e of await store.range([...ns, space])) {
        const doc = parseDocId(e.key[ns.length + 1])
        if (doc) docs.add(doc)
      }
    }
  }
  // Documents first: their records above are what finds them again after a crash.
  for (const doc of docs) {
    await store.removeRange(['am', documentId(doc)])
    await store.removeRange(['doc', doc])
  }
  for (const space of spaces) for (const ns of BY_SPACE) await store.removeRange([...ns, space])
  const mail = await mailFor(store, org)
  if (mail.length) await store.write(mail.map((key) => ({ key, value: undefined })))
  for (const space of spaces) await store.removeRange(['space', space])
}
