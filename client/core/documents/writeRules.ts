import * as A from '@automerge/automerge'
import { bytesEqual } from '../../../crypto/index.js'
import { deviceIdOf } from '../../../protocol/index.js'
import { ClientErrorCode } from '../errors.js'
import { fromHex } from '../../../crypto/index.js'

/**
 * [M20] Write rules: what a change signed by one device may touch. [E10] ties a change to its
 * signer; these rules stop a member from editing what another device wrote (rewriting a
 * message, deleting someone's history, renaming someone), which the CRDT would otherwise merge
 * and show under the original author.
 *
 *   every document   ops on an object created by another device are refused
 *   segment          the root is written only by the shared genesis; the message list takes
 *                    inserts of new message objects and deletions of the signer's own entries
 *   root             `title` (a value), `s:<n>` (a new segment record), `m:<signer's device id>`
 *                    (the signer's own member entry), `x:<device id>` (a removal, admins only);
 *                    no deletions on the root
 *
 * A change must also re-encode to exactly its bytes: Automerge does not verify a change's
 * checksum on decode, and a crafted change can otherwise pass these checks and fail on apply.
 */
export type DocKind = 'root' | 'segment'
export type ChangeVerdict = { ok: true } | { ok: false; code: ClientErrorCode }

const GENESIS_LIST = `1@${'00'.repeat(16)}`
const actorOfId = (id: string | undefined): string | undefined => (id && id.includes('@') ? id.slice(id.indexOf('@') + 1) : undefined)

export function checkChanges(changes: readonly Uint8Array[], signerActor: string, kind: DocKind, admins: ReadonlySet<string> = new Set()): ChangeVerdict {
  const signerBytes = fromHex(signerActor)
  const signerDevice = signerBytes ? deviceIdOf(signerBytes) : undefined
  const memberKey = signerDevice ? `m:${signerDevice}` : undefined
  const isAdmin = !!signerDevice && admins.has(signerDevice)
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
    for (const op of change.ops) {
      if (!opAllowed(op, signerActor, kind, memberKey, isAdmin)) return { ok: false, code: ClientErrorCode.WRITE_REFUSED }
    }
  }
  return { ok: true }
}

/** Decoded ops carry `insert` and `elemId` for list ops at run time; the typings omit them. */
type DecodedOp = A.DecodedChange['ops'][number] & { insert?: boolean; elemId?: string }

function opAllowed(op: DecodedOp, signer: string, kind: DocKind, memberKey: string | undefined, isAdmin: boolean): boolean {
  if (op.obj === '_root') {
    if (kind === 'segment' || op.action === 'del') return false
    if (op.key === 'title') return op.action === 'set'
    if (op.key === memberKey) return op.action === 'makeMap'
    // A removal marker: admins only (the conversation's admin devices, from the invitation).
    if (op.key?.startsWith('x:')) return isAdmin && op.action === 'makeMap'
    return /^s:(0|[1-9][0-9]{0,8})$/.test(op.key ?? '') && op.action === 'makeMap'
  }
  if (kind === 'segment' && op.obj === GENESIS_LIST) {
    if (op.insert) return op.action === 'makeMap'
    return op.action === 'del' && actorOfId(op.elemId) === signer
  }
  return actorOfId(op.obj) === signer
}
