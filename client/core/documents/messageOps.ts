import * as A from '@automerge/automerge'
import type { ActionRecord } from './actions.js'
import type { EditRecord } from './messageFields.js'
import { messageList, type MessageRecord, type SegmentDoc } from './model.js'

/**
 * [M40]–[M42] The changes behind message actions, as Automerge change functions on a segment.
 * Each writes only what [M20] lets its signer write: its own message record (edit, delete), a
 * new entry in the list (react, pin), or the deletion of its own entries (taking a reaction
 * back). The Messenger checks authorship first; the receivers' write rules check it again.
 */

/** The list index of the entry with object id `id`, or -1 (`hint`: where it was a moment ago). */
export function indexOfEntry(list: readonly unknown[], id: string, hint = -1): number {
  const at = (i: number) => {
    const rec = list[i]
    return rec && typeof rec === 'object' ? A.getObjectId(rec) : null
  }
  if (hint >= 0 && hint < list.length && at(hint) === id) return hint
  for (let i = list.length - 1; i >= 0; i--) if (at(i) === id) return i
  return -1
}

/** Where a message record is in a document (found before a change, checked again inside it). */
export function locate(doc: A.Doc<SegmentDoc>, id: string): number {
  return indexOfEntry(messageList(doc), id)
}

function recordIn(d: SegmentDoc, id: string, hint: number): MessageRecord {
  const i = indexOfEntry(d.messages, id, hint)
  // The caller found it in the same document a moment before: gone now is a programmer error.
  if (i < 0) throw new Error(`message ${id} is not in this segment`)
  return d.messages[i]!
}

/** [M40] An edit: the replaced text is appended to `edits` with the edit's time, then the text is set. */
export function editChange(id: string, hint: number, text: string, ts: number): A.ChangeFn<SegmentDoc> {
  return (d) => {
    const rec = recordIn(d, id, hint)
    const before: EditRecord = { text: new A.ImmutableString(rec.text.val ?? String(rec.text)), ts }
    if (Array.isArray(rec.edits)) rec.edits.push(before)
    else rec.edits = [before]
    rec.text = new A.ImmutableString(text)
  }
}

/**
 * [M41] Delete for everyone: the record keeps its id, time and what it answers; its text becomes
 * '' and its files, edits, mentions and verdicts go, so no device's document state holds them.
 */
export function deleteChange(id: string, hint: number, ts: number): A.ChangeFn<SegmentDoc> {
  return (d) => {
    const rec = recordIn(d, id, hint)
    rec.deleted = ts
    rec.text = new A.ImmutableString('')
    for (const key of ['files', 'edits', 'mentions', 'verdicts', 'fwd'] as const) if (key in rec) delete rec[key]
  }
}

/** [M42] A new reaction or pin entry. */
export function addEntry(entry: ActionRecord): A.ChangeFn<SegmentDoc> {
  return (d) => void d.messages.push(entry as unknown as MessageRecord)
}

/** [M42] Deletes entries (this device's own, found a moment before by id), last first. */
export function removeEntries(ids: readonly string[]): A.ChangeFn<SegmentDoc> {
  return (d) => {
    const at = ids.map((id) => indexOfEntry(d.messages, id)).filter((i) => i >= 0).sort((a, b) => b - a)
    for (const i of at) d.messages.splice(i, 1)
  }
}
