import * as z from 'zod'
import { readOp } from '../team/ops.js'
import type { Spaces } from '../team/spaces.js'
import type { ConvId } from '../../../protocol/index.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'
import type { WriteOp } from '../storage/LocalStore.js'

/**
 * [M32] The recovery blob's content (sealed by crypto [R7] before it leaves the device): the
 * person's name, the recovery device's private keys sealed under the recovery key, and for each
 * space of the person's organisations its membership ops as received (signed; checked again on
 * restore), the rotation boxes sealed to the recovery device, and the epoch keys the person's
 * device holds (so that epochs of a group without history from before the recovery device was
 * added open too). Documents and messages are not in it: the restored device syncs them from the
 * server like any member device.
 */
const bytes = (max: number) => z.instanceof(Uint8Array).refine((b) => b.length <= max)
const boxPair = z.tuple([z.number().int().min(0).max(100_000), bytes(4096)])
const spaceSchema = z.object({
  space: z.string().min(1).max(64),
  kind: z.enum(['org', 'group']),
  org: z.string().min(1).max(64),
  ops: z.array(z.object({ b: bytes(1 << 20), s: bytes(64) })).max(100_000),
  boxes: z.array(z.object({ op: z.string().regex(/^[0-9a-f]{64}$/), m: boxPair.optional(), a: boxPair.optional() })).max(100_000),
  /** Epoch keys the person's device holds, for the epochs the recovery device was no recipient of (a group without history before it was added). */
  keys: z.array(z.tuple([z.number().int().nonnegative(), z.instanceof(Uint8Array).refine((b) => b.length === 32)])).max(100_000),
})
const contentSchema = z.object({ v: z.literal(1), name: z.string().min(1).max(64), device: bytes(1024), spaces: z.array(spaceSchema).max(10_000) })
export type RecoveryContent = z.infer<typeof contentSchema>

/** The content for the spaces of the organisations this device's person is in. */
export async function recoveryContent(spaces: Spaces, name: string, sealedDevice: Uint8Array, orgs: readonly ConvId[]): Promise<Uint8Array> {
  const wanted = new Set(orgs)
  const out: unknown[] = []
  for (const space of spaces.list()) {
    const meta = spaces.meta(space)
    if (!meta || !wanted.has(meta.org)) continue
    const ops = spaces.graph(space).order().map((op) => ({ b: op.wire.bytes, s: op.wire.sig }))
    const boxes = (await spaces.recoveryBoxes(space)).map((b) => ({ op: b.op, ...(b.m ? { m: [b.m[0], b.m[1]] as [number, Uint8Array] } : {}), ...(b.a ? { a: [b.a[0], b.a[1]] as [number, Uint8Array] } : {}) }))
    const keys = [...spaces.keysOf(space).keys].map(([epoch, key]) => [epoch, key])
    out.push({ space, kind: meta.kind, org: meta.org, ops, boxes, keys })
  }
  return encodeRecord({ v: 1, name, device: sealedDevice, spaces: out })
}

/** At most this many ops are checked on a restore (each an Ed25519 verification): a 4 MiB blob of honest ops holds fewer. */
export const MAX_RESTORED_OPS = 50_000

export function readRecoveryContent(plain: Uint8Array): RecoveryContent | undefined {
  const content = decodeRecord(plain, contentSchema)
  if (!content || content.spaces.reduce((n, s) => n + s.ops.length, 0) > MAX_RESTORED_OPS) return undefined
  return content
}

/**
 * The records a restored device starts from: each space's meta, its ops (only those that parse,
 * verify and belong to the space) and the recovery device's boxes as this device's own.
 */
export async function restoredRecords(content: RecoveryContent): Promise<WriteOp[]> {
  const ops: WriteOp[] = []
  for (const s of content.spaces) {
    ops.push({ key: ['space', s.space], value: encodeRecord({ kind: s.kind, org: s.org }) })
    for (const w of s.ops) {
      const op = await readOp(w.b, w.s)
      if (op && op.space === s.space) ops.push({ key: ['team-op', s.space, op.id], value: encodeRecord({ b: w.b, s: w.s }) })
    }
    for (const [epoch, key] of s.keys) ops.push({ key: ['team-key', s.space, String(epoch)], value: key })
    for (const b of s.boxes) ops.push({ key: ['team-box', s.space, b.op], value: encodeRecord({ ...(b.m ? { m: b.m } : {}), ...(b.a ? { a: b.a } : {}) }) })
  }
  return ops
}

/** The organisation ids of a content, for what the restore reports. */
export const orgsOf = (content: RecoveryContent): ConvId[] => [...new Set(content.spaces.map((s) => s.org as ConvId))]
