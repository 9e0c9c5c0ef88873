import * as A from '@automerge/automerge'
import { bytesEqual } from '../../../crypto/index.js'
import { ClientErrorCode } from '../errors.js'

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
 * A change must also re-encode to exactly its bytes: Automerge does not verify a change's
 * checksum on decode, and a crafted change can otherwise pass these checks and fail on apply.
 */
export type DocKind = 'root' | 'segment'
/** `created`: ids (`counter@actor`) of the message objects the changes create, for [M26]'s re-check. */
export type ChangeVerdict = { ok: true; created: string[] } | { ok: false; code: ClientErrorCode }

const GENESIS_LIST = `1@${'00'.repeat(16)}`
const actorOfId = (id: string | undefined): string | undefined => (id && id.includes('@') ? id.slice(id.indexOf('@') + 1) : undefined)

export function checkChanges(changes: readonly Uint8Array[], signerActor: string, kind: DocKind): ChangeVerdict {
  const created: string[] = []
  for (const bytes of changes) {
    let change: A.DecodedChange
    try {
      change = A.decodeChange(bytes)
      if (!bytesEqual(A.encodeChange(change), bytes)) return { ok: false, code: ClientErrorCode.CHANGE_UNREADABLE }
    } catch {
      return { ok: false, code: ClientErrorCode.CHANGE_UNREADABLE }
    }
    // [E10] the author is the signer.
    if (change.actor !== signerActor) return { ok: false, code: ClientErrorCode.ACTOR_MISMATCH }
    for (const [i, op] of (change.ops as DecodedOp[]).entries()) {
      if (!opAllowed(op, signerActor, kind)) return { ok: false, code: ClientErrorCode.WRITE_REFUSED }
      // An op's id is (startOp + its index)@actor: a message object inserted into the list.
      if (kind === 'segment' && op.obj === GENESIS_LIST && op.insert) created.push(`${change.startOp + i}@${change.actor}`)
    }
  }
  return { ok: true, created }
}

/** Decoded ops carry `insert` and `elemId` for list ops at run time; the typings omit them. */
type DecodedOp = A.DecodedChange['ops'][number] & { insert?: boolean; elemId?: string }

function opAllowed(op: DecodedOp, signer: string, kind: DocKind): boolean {
  if (op.obj === '_root') {
    if (kind === 'segment' || op.action === 'del') return false
    return /^s:(0|[1-9][0-9]{0,8})$/.test(op.key ?? '') && op.action === 'makeMap'
  }
  if (kind === 'segment' && op.obj === GENESIS_LIST) {
    if (op.insert) return op.action === 'makeMap'
    return op.action === 'del' && actorOfId(op.elemId) === signer
  }
  return actorOfId(op.obj) === signer
}
