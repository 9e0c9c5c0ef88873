import * as A from '@automerge/automerge'
import { SEGMENT_LIST, type SegmentEntry } from './model.js'

/** Decoded ops carry `insert` and `elemId` for list ops at run time; the typings omit them. */
type DecodedOp = A.DecodedChange['ops'][number] & { insert?: boolean; elemId?: string; datatype?: string | null }

/** Scalar types an appended record may hold: what the document would show as a plain value. */
const NUMBER_TYPES = new Set(['int', 'uint', 'float64'])

/**
 * [M3b] The entries a segment change adds, read from its own ops, when that is all it does: each
 * entry a map inserted into the segment's list, followed by its fields, each set once to a
 * string, number, boolean or null. The records read as the document would show them (strings as
 * ImmutableString, [M20]). Undefined for anything else (a nested object, an edit, a deletion, a
 * counter or a timestamp, a field set twice): that change is read from the document instead.
 * Only changes that passed the write rules are read here.
 */
export function appendedEntries(change: A.DecodedChange): SegmentEntry[] | undefined {
  const entries: SegmentEntry[] = []
  // Automerge's splice of several records creates their maps first, then the fields of each.
  const created = new Map<string, Record<string, unknown>>()
  const ops = change.ops as DecodedOp[]
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!
    if (op.pred.length) return undefined
    if (op.obj === SEGMENT_LIST && op.insert && op.action === 'makeMap') {
      const id = `${change.startOp + i}@${change.actor}`
      const rec: Record<string, unknown> = {}
      created.set(id, rec)
      entries.push({ id, rec })
      continue
    }
    const rec = created.get(op.obj)
    if (!rec || op.insert || op.action !== 'set' || typeof op.key !== 'string') return undefined
    if (Object.prototype.hasOwnProperty.call(rec, op.key) || op.key === '__proto__') return undefined
    const value = scalar(op)
    if (value === undefined) return undefined
    rec[op.key] = value
  }
  return entries
}

function scalar(op: DecodedOp): unknown {
  const v = op.value as unknown
  if (op.datatype === null || op.datatype === undefined) {
    if (typeof v === 'string') return new A.ImmutableString(v)
    if (typeof v === 'boolean' || v === null) return v
    return undefined
  }
  return NUMBER_TYPES.has(op.datatype) && typeof v === 'number' && Number.isFinite(v) ? v : undefined
}
