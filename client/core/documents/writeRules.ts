import * as A from '@automerge/automerge'
import { toHex } from '../../../crypto/index.js'
import { ClientErrorCode } from '../errors.js'
import { SEGMENT_LIST, type SegmentEntry } from './model.js'
import { appendedEntries } from './appendedEntries.js'

/**
 * [M20] Write rules: what a change signed by one device may touch. [E10] ties a change to its
 * signer; these rules stop a member from editing what another device wrote (rewriting a
 * message, deleting someone's history, renaming someone), which the CRDT would otherwise merge
 * and show under the original author.
 *
 *   every document   ops on an object created by another device are refused
 *   segment          the root is written only by the shared genesis; the message list takes
 *                    inserts of new message objects and deletions of the signer's own entries
 *   root             `s:<n>` (a new segment record) only; no deletions on the root. Names,
 *                    members and admins come from the space's signed graph ([T1]), never from
 *                    a document
 *
 * A change must also be an uncompressed change chunk whose checksum is right: Automerge does not
 * verify a change's checksum on decode (it does on apply), and a crafted change could otherwise
 * pass these checks and fail on apply. The checksum is the first four bytes of the SHA-256 the
 * decoder computes anyway (the change's hash), so checking it costs nothing; re-encoding the
 * decoded change to compare bytes, as before, was a third of the check's time.
 */
export type DocKind = 'root' | 'segment'
/**
 * `created`: ids (`counter@actor`) of the message objects the changes create, for [M26]'s re-check.
 * `appended`: the entries they add, when that is all they do ([M3b], appendedEntries.ts).
 */
export type ChangeVerdict = { ok: true; created: string[]; appended?: SegmentEntry[] } | { ok: false; code: ClientErrorCode }

const actorOfId = (id: string | undefined): string | undefined => (id && id.includes('@') ? id.slice(id.indexOf('@') + 1) : undefined)

export function checkChanges(changes: readonly Uint8Array[], signerActor: string, kind: DocKind): ChangeVerdict {
  const created: string[] = []
  let appended: SegmentEntry[] | undefined = kind === 'segment' ? [] : undefined
  for (const bytes of changes) {
    let change: A.DecodedChange
    try {
      change = A.decodeChange(bytes)
      if (!checksumHolds(bytes, change.hash)) return { ok: false, code: ClientErrorCode.CHANGE_UNREADABLE }
    } catch {
      return { ok: false, code: ClientErrorCode.CHANGE_UNREADABLE }
    }
    // [E10] the author is the signer.
    if (change.actor !== signerActor) return { ok: false, code: ClientErrorCode.ACTOR_MISMATCH }
    for (const [i, op] of (change.ops as DecodedOp[]).entries()) {
      if (!opAllowed(op, signerActor, kind)) return { ok: false, code: ClientErrorCode.WRITE_REFUSED }
      // An op's id is (startOp + its index)@actor: a message object inserted into the list.
      if (kind === 'segment' && op.obj === SEGMENT_LIST && op.insert) created.push(`${change.startOp + i}@${change.actor}`)
    }
    if (appended) {
      const entries = appendedEntries(change)
      if (entries) appended.push(...entries)
      else appended = undefined
    }
  }
  return { ok: true, created, ...(appended ? { appended } : {}) }
}

/**
 * A change chunk is the magic bytes (4), a checksum (4), the chunk type (1: an uncompressed
 * change) and its length and contents; the checksum is the first four bytes of the SHA-256 of
 * type, length and contents, which is the change's hash.
 */
const MAGIC = [0x85, 0x6f, 0x4a, 0x83]
const CHANGE_CHUNK = 1

function checksumHolds(bytes: Uint8Array, hash: string | undefined | null): boolean {
  if (bytes.length < 9 || bytes[8] !== CHANGE_CHUNK || MAGIC.some((b, i) => bytes[i] !== b)) return false
  if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) return false
  return toHex(bytes.subarray(4, 8)) === hash.slice(0, 8)
}

/** Decoded ops carry `insert` and `elemId` for list ops at run time; the typings omit them. */
type DecodedOp = A.DecodedChange['ops'][number] & { insert?: boolean; elemId?: string }

function opAllowed(op: DecodedOp, signer: string, kind: DocKind): boolean {
  if (op.obj === '_root') {
    if (kind === 'segment' || op.action === 'del') return false
    return /^s:(0|[1-9][0-9]{0,8})$/.test(op.key ?? '') && op.action === 'makeMap'
  }
  if (kind === 'segment' && op.obj === SEGMENT_LIST) {
    if (op.insert) return op.action === 'makeMap'
    return op.action === 'del' && actorOfId(op.elemId) === signer
  }
  return actorOfId(op.obj) === signer
}
