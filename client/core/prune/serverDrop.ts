import type { ConvId, DeviceId, DocId } from '../../../protocol/index.js'
import type { DocStore } from '../documents/docs.js'
import { expiryOf, isExpired } from '../documents/expiry.js'
import type { HybridClock } from '../documents/hlc.js'
import type { MessageLog } from '../documents/messageLog.js'
import type { MessageView, SegmentDoc } from '../documents/model.js'
import { dropSegment, type DropDeps } from './dropSegment.js'
import { readEntries } from './entries.js'

export interface ServerDropDeps {
  readonly drop: DropDeps
  readonly docs: Pick<DocStore, 'doc'>
  readonly log: Pick<MessageLog, 'write' | 'timers'>
  readonly clock: HybridClock
  readonly me: DeviceId
  readonly orgMax: (conv: ConvId) => number | undefined
}

/**
 * [M71] The server answered 1206 for a segment (protocol [S56]): it dropped the segment once every
 * envelope's keep-until day had passed, so what it held had expired, but this device's changes
 * written into it since (a message sent into the newest segment of a conversation that stayed quiet
 * past its timer) were refused with it. The segment is dropped here too; this device's messages in
 * those refused changes that have not expired are written again into the conversation's writable
 * segment (a new one: a dropped segment takes no writes), with their tag, time and content, after
 * a copy of the timer when the timer that held lived in the dropped segment. Resolves with the
 * message ids that are gone for good (no longer pending).
 */
export async function onServerDrop(deps: ServerDropDeps, conv: ConvId, doc: DocId, refused: readonly string[]): Promise<string[]> {
  const ids = new Set(refused)
  const d = await deps.docs.doc<SegmentDoc>(doc)
  const now = deps.clock.wallNow()
  const orgMax = deps.orgMax(conv)
  const again = d ? readEntries(d, doc).messages.filter((m) => m.author === deps.me && ids.has(m.tag) && !m.deleted && !isExpired(expiryOf(m, orgMax), now)) : []
  const timer = deps.log.timers.current(conv)
  for (const id of await dropSegment(deps.drop, conv, doc)) ids.add(id)
  if (timer && timer.segment === doc) await deps.log.timers.restore(conv, timer).catch(() => undefined)
  for (const m of again) {
    // Written again, it is pending again (under the same tag) until the server has it.
    const written = await deps.log.write(conv, rewrite(m)).then(() => true, () => false)
    if (written) ids.delete(m.tag)
  }
  return [...ids]
}

function rewrite(m: MessageView): Parameters<MessageLog['write']>[1] {
  return {
    text: m.text, tag: m.tag, ts: m.ts,
    ...(m.replyRef ?? m.replyTo ? { replyTo: m.replyRef ?? m.replyTo } : {}),
    ...(m.files?.length ? { files: m.files } : {}),
    ...(m.verdicts?.length ? { verdicts: m.verdicts } : {}),
    ...(m.mentions?.length ? { mentions: m.mentions } : {}),
    ...(m.fwd ? { fwd: true } : {}),
  }
}
