import * as z from 'zod'
import { findEpochKey, openUnder, paddedLength, randomBytes, sealUnder, type BoxSecretKey, type EpochKey } from '../../../crypto/index.js'
import { encodeBoxes, readBoxes, type RotationBoxes } from './rotation.js'
import { recipientBucket } from '../outbox/mailOutbox.js'
import { parseConvId, type ConvId } from '../../../protocol/index.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'
import { boxTag } from './contexts.js'
import { readOp, type Op } from './ops.js'
import type { OpWire, SpaceKind } from './spaces.js'

/**
 * [T13] A membership bundle: the ops a space's devices must learn, posted once to all of them
 * through their mailboxes ([S11]). It is sealed *whole* ([T20]): the space, the organisation,
 * the epoch and every op, the rotation included, are inside one secretbox under a fresh bundle
 * key. What travels in the clear is only what finds that key:
 * - a rotation bundle ('r'): the rotation's member and admin boxes ([L3], padded with decoy boxes
 *   to a bucket) with their ephemeral keys and context tags, and the bundle key wrapped under the
 *   new epoch key and under the new admin key: a device finds its box by trial and unwraps;
 * - a keyed bundle ('k'): the bundle key wrapped under a roster key the recipients hold ([L5]): a
 *   device tries the roster keys it holds.
 * Nothing here is trusted after opening either: the ops still go through signature and resolver
 * checks, and the opened bundle must name the space and epoch its key belongs to.
 */
export interface Bundle {
  readonly space: ConvId
  readonly kind: SpaceKind
  readonly org: ConvId
  /** The epoch whose key sealed it: the rotation's, or the roster's. */
  readonly epoch: number
  /** The rotation first (with its boxes, [T16]), then the other ops. */
  readonly wires: OpWire[]
}

export interface OuterBundle {
  readonly v: 2
  readonly f: 'r' | 'k'
  readonly m?: Boxes
  readonly a?: Boxes
  readonly wm?: Uint8Array
  readonly wa?: Uint8Array
  readonly w?: Uint8Array
  readonly c: Uint8Array
}
interface Boxes { readonly t: Uint8Array; readonly x: Uint8Array; readonly b: Uint8Array[] }

const bytes = z.instanceof(Uint8Array)
const boxesSchema = z.object({ t: bytes.refine((b) => b.length === 32), x: bytes.refine((b) => b.length === 32), b: z.array(bytes).max(10_000) })
const outerSchema = z.object({
  v: z.literal(2),
  f: z.enum(['r', 'k']),
  m: boxesSchema.optional(),
  a: boxesSchema.optional(),
  wm: bytes.optional(),
  wa: bytes.optional(),
  w: bytes.optional(),
  c: bytes,
})
const wire = z.object({ b: bytes, s: bytes.refine((b) => b.length === 64) })
const innerSchema = z.object({
  t: z.literal('team/2'),
  s: z.string().max(64),
  k: z.enum(['org', 'group']),
  o: z.string().max(64),
  e: z.number().int().nonnegative().max(0xffffffff),
  r: wire.optional(),
  c: z.array(wire).max(100_000),
})
const NO_CONTEXT = new Uint8Array(0)

export interface SealBundleInput {
  readonly space: ConvId
  readonly kind: SpaceKind
  readonly org: ConvId
  readonly epoch: number
  /** The roster key of `epoch` (a keyed bundle). */
  readonly key: Uint8Array
  /** A rotation bundle: the rotation, its boxes, and the new epoch and admin keys that wrap the bundle key. */
  readonly rotation?: { op: Op; boxes: RotationBoxes; epochKey: EpochKey; adminKey?: Uint8Array }
  readonly ops: readonly Op[]
}

/** [T13][T20] Seals a bundle whole; a rotation bundle when `rotation` is given, else keyed under `key`. */
export async function sealBundle(b: SealBundleInput): Promise<Uint8Array> {
  const r = b.rotation
  const inner = encodeRecord({
    t: 'team/2', s: b.space, k: b.kind, o: b.org, e: b.epoch,
    ...(r ? { r: { b: r.op.wire.bytes, s: r.op.wire.sig } } : {}),
    c: b.ops.map((op) => ({ b: op.wire.bytes, s: op.wire.sig })),
  })
  const bundleKey = randomBytes(32)
  const c = sealUnder(bundleKey, 'team/bundle', NO_CONTEXT, padded(inner))
  let outer: OuterBundle
  if (r && r.op.body.kind === 'rotate') {
    const body = r.op.body
    const m = { t: boxTag(b.space, body.epoch, 'key'), x: body.ephemeral, b: withDecoys(r.boxes.members) }
    const a = body.admins && r.adminKey ? { t: boxTag(b.space, body.epoch, 'admin'), x: body.admins.ephemeral, b: withDecoys(r.boxes.admins) } : undefined
    outer = {
      v: 2, f: 'r', m, c,
      wm: sealUnder(r.epochKey, 'team/bundle-wrap', m.t, bundleKey),
      ...(a ? { a, wa: sealUnder(r.adminKey!, 'team/bundle-wrap', a.t, bundleKey) } : {}),
    }
  } else {
    outer = { v: 2, f: 'k', w: sealUnder(b.key, 'team/bundle-wrap', NO_CONTEXT, bundleKey), c }
  }
  bundleKey.fill(0)
  return encodeRecord(outer)
}

/** Mail bodies that are bundles parse here; anything else is left to other readers. */
export function parseBundle(body: Uint8Array): OuterBundle | undefined {
  return decodeRecord(body, outerSchema) as OuterBundle | undefined
}

/** A roster key this device holds, for trying keyed bundles. */
export interface HeldRoster { readonly space: ConvId; readonly epoch: number; readonly key: Uint8Array }

/**
 * [T20] Opens a bundle: by trial of this device's box in a rotation bundle, or of the roster keys
 * it holds in a keyed one. Undefined when it does not open, or when what it names inside is not
 * what its key was for (another space or epoch, boxes or ephemeral keys other than the rotation's).
 */
export async function openBundle(outer: OuterBundle, rosters: Iterable<HeldRoster>, boxSecret: BoxSecretKey): Promise<Bundle | undefined> {
  let bundleKey: Uint8Array | undefined
  let heldFor: HeldRoster | undefined
  if (outer.f === 'r' && outer.m && outer.wm) {
    const member = findEpochKey({ ephemeral: outer.m.x, boxes: outer.m.b }, boxSecret, outer.m.t)
    if (member.ok) bundleKey = unwrap(member.value.key, outer.m.t, outer.wm)
    if (!bundleKey && outer.a && outer.wa) {
      const admin = findEpochKey({ ephemeral: outer.a.x, boxes: outer.a.b }, boxSecret, outer.a.t)
      if (admin.ok) bundleKey = unwrap(admin.value.key, outer.a.t, outer.wa)
    }
  } else if (outer.f === 'k' && outer.w) {
    for (const r of rosters) {
      bundleKey = unwrap(r.key, NO_CONTEXT, outer.w)
      if (bundleKey) {
        heldFor = r
        break
      }
    }
  }
  if (!bundleKey) return undefined
  const opened = openUnder(bundleKey, 'team/bundle', NO_CONTEXT, outer.c)
  const inner = opened.ok ? unpadded(opened.value) : undefined
  const rec = inner && decodeRecord(inner, innerSchema)
  const space = rec && parseConvId(rec.s)
  const org = rec && parseConvId(rec.o)
  if (!rec || !space || !org) return undefined
  if (outer.f === 'k') {
    // The roster key that opened it belongs to one space and epoch: the bundle must say so.
    if (heldFor!.space !== space || heldFor!.epoch !== rec.e || rec.r) return undefined
    return { space, kind: rec.k, org, epoch: rec.e, wires: rec.c }
  }
  const rotation = rec.r && (await readOp(rec.r.b, rec.r.s))
  const body = rotation?.body
  if (!rotation || body?.kind !== 'rotate' || body.epoch !== rec.e || rotation.space !== space) return undefined
  // The boxes and tags in the clear must be this rotation's: real boxes first, decoys after.
  const m = outer.m!
  if (!sameBytes(m.t, boxTag(space, body.epoch, 'key')) || !sameBytes(m.x, body.ephemeral)) return undefined
  if (body.admins && outer.a && (!sameBytes(outer.a.t, boxTag(space, body.epoch, 'admin')) || !sameBytes(outer.a.x, body.admins.ephemeral))) return undefined
  const boxes = { members: m.b.slice(0, body.boxes.count), admins: outer.a?.b.slice(0, body.admins?.boxes.count ?? 0) ?? [] }
  const x = encodeBoxes(boxes)
  if (!readBoxes(x, body)) return undefined
  return { space, kind: rec.k, org, epoch: rec.e, wires: [{ b: rec.r!.b, s: rec.r!.s, x }, ...rec.c] }
}

function unwrap(key: Uint8Array, context: Uint8Array, wrapped: Uint8Array): Uint8Array | undefined {
  const r = openUnder(key, 'team/bundle-wrap', context, wrapped)
  return r.ok && r.value.length === 32 ? r.value : undefined
}

/** [T20] Real boxes first, then random 48-byte decoys up to the recipient bucket ([M27]: at least 8, powers of two, at most 10,000). */
function withDecoys(boxes: readonly Uint8Array[]): Uint8Array[] {
  const bucket = Math.max(boxes.length, recipientBucket(boxes.length))
  return [...boxes, ...Array.from({ length: bucket - boxes.length }, () => randomBytes(48))]
}

/** Bytes a rotation's boxes take in a bundle's clear part, decoys included. */
export function rotationBoxBytes(boxes: RotationBoxes): number {
  const padded = (n: number) => Math.max(n, recipientBucket(n)) * (48 + 2)
  return padded(boxes.members.length) + padded(boxes.admins.length)
}

/** The inner record padded to a size bucket ([E5]'s buckets): u32 length ‖ record ‖ zeros. */
function padded(inner: Uint8Array): Uint8Array {
  const out = new Uint8Array(paddedLength(4 + inner.length))
  new DataView(out.buffer).setUint32(0, inner.length, false)
  out.set(inner, 4)
  return out
}

function unpadded(plain: Uint8Array): Uint8Array | undefined {
  if (plain.length < 4) return undefined
  const n = new DataView(plain.buffer, plain.byteOffset, plain.byteLength).getUint32(0, false)
  return 4 + n <= plain.length ? plain.subarray(4, 4 + n) : undefined
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i])

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
