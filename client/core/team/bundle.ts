import * as z from 'zod'
import { openUnder, sealUnder, type BoxSecretKey } from '../../../crypto/index.js'
import { encodeBoxes, openRotation, readBoxes, type RotationBoxes } from './rotation.js'
import { parseConvId, type ConvId } from '../../../protocol/index.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'
import { boxContext } from './contexts.js'
import { readOp, type Op } from './ops.js'
import type { OpWire, SpaceKind } from './spaces.js'

/**
 * [T13] A membership bundle: the ops a space's devices must learn, posted once to all of them
 * through their mailboxes ([S11]). The ops are sealed under an epoch key of the space ([L5]);
 * a rotation travels beside them in the clear (its boxes are the secret part), so a device that
 * did not hold any key yet finds its box by trial ([L3]), then opens the ops.
 */
export interface Bundle {
  readonly space: ConvId
  readonly kind: SpaceKind
  readonly org: ConvId
  /** The epoch whose key seals `ops`. */
  readonly epoch: number
  readonly rotation?: OpWire
  readonly ops: Uint8Array
}

const wire = z.object({ b: z.instanceof(Uint8Array), s: z.instanceof(Uint8Array).refine((b) => b.length === 64), x: z.instanceof(Uint8Array).optional() })
const schema = z.object({
  t: z.literal('team/1'),
  s: z.string().max(64),
  k: z.enum(['org', 'group']),
  o: z.string().max(64),
  e: z.number().int().nonnegative().max(0xffffffff),
  r: wire.optional(),
  c: z.instanceof(Uint8Array),
})
const opsSchema = z.array(wire).max(100_000)

/** Seals ops under the roster key of `epoch` ([T13]); a rotation rides beside them. */
export async function sealBundle(b: { space: ConvId; kind: SpaceKind; org: ConvId; epoch: number; key: Uint8Array; rotation?: { op: Op; boxes: RotationBoxes }; ops: readonly Op[] }): Promise<Uint8Array> {
  const plain = encodeRecord(b.ops.map((op) => ({ b: op.wire.bytes, s: op.wire.sig })))
  const c = sealUnder(b.key, 'team/bundle', boxContext(b.space, b.epoch, 'bundle'), plain)
  const r = b.rotation && { b: b.rotation.op.wire.bytes, s: b.rotation.op.wire.sig, x: encodeBoxes(b.rotation.boxes) }
  return encodeRecord({ t: 'team/1', s: b.space, k: b.kind, o: b.org, e: b.epoch, ...(r ? { r } : {}), c })
}

/** Mail bodies that are bundles parse here; anything else is left to other readers. */
export function parseBundle(body: Uint8Array): Bundle | undefined {
  const rec = decodeRecord(body, schema)
  const space = rec && parseConvId(rec.s)
  const org = rec && parseConvId(rec.o)
  if (!rec || !space || !org) return undefined
  return { space, kind: rec.k, org, epoch: rec.e, ...(rec.r ? { rotation: rec.r } : {}), ops: rec.c }
}

/**
 * Opens a bundle with a key this device holds for its epoch, or else with the key in its
 * rotation's boxes. Returns the op wires (rotation first), or undefined when it does not open.
 * Nothing here is trusted yet: the ops still go through signature and resolver checks.
 */
export async function openBundle(bundle: Bundle, rosterFor: (epoch: number) => Uint8Array | undefined, boxSecret: BoxSecretKey): Promise<OpWire[] | undefined> {
  let key = rosterFor(bundle.epoch)
  const rotation = bundle.rotation && (await readOp(bundle.rotation.b, bundle.rotation.s))
  const boxes = rotation?.body.kind === 'rotate' && bundle.rotation?.x ? readBoxes(bundle.rotation.x, rotation.body) : undefined
  if (!key && boxes && rotation?.body.kind === 'rotate' && rotation.body.epoch === bundle.epoch && rotation.space === bundle.space) {
    key = openRotation(bundle.space, rotation.body, boxes, boxSecret).roster
  }
  if (!key) return undefined
  const opened = openUnder(key, 'team/bundle', boxContext(bundle.space, bundle.epoch, 'bundle'), bundle.ops)
  const ops = opened.ok ? decodeRecord(opened.value, opsSchema) : undefined
  if (!ops) return undefined
  return [...(bundle.rotation ? [bundle.rotation] : []), ...ops]
}

/** Bytes of ops per bundle part: well under the 1 MiB mail item limit ([S11]) after sealing. */
export const BUNDLE_BYTES = 768 * 1024

/** Ops in order, cut into parts of at most `bytes` (at least one op each; one empty part for none). */
export function inParts(ops: readonly Op[], bytes: number): Op[][] {
  const parts: Op[][] = [[]]
  let size = 0
  for (const op of ops) {
    const n = op.wire.bytes.length + op.wire.sig.length + 16
    if (size + n > bytes && parts[parts.length - 1]!.length) {
      parts.push([])
      size = 0
    }
    parts[parts.length - 1]!.push(op)
    size += n
  }
  return parts
}
