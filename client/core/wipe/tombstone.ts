import * as z from 'zod'
import { parseConvId, parseDocId, type ConvId, type DocId } from '../../../protocol/index.js'
import type { Entry, WriteOp } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'

/** [M30] Why this device wiped an organisation: its own device was removed, or its person. */
export type WipeReason = 'device-removed' | 'person-removed'

/** [M30] What this device deleted, and why, as the app shows it. */
export interface WipedOrg {
  readonly org: ConvId
  readonly name: string
  /** When this device learned of the removal (ms since the epoch). */
  readonly time: number
  readonly reason: WipeReason
  /** A conversation started outside any organisation (a one-space organisation). */
  readonly conversation: boolean
  /** The person closed the notice. */
  readonly dismissed: boolean
  /** The deletion began and has not finished: it is finished on the next open. */
  readonly pending: boolean
}

/**
 * What a pending wipe deletes, written with the tombstone before anything is deleted: the spaces
 * (the organisation and its groups) and the documents they had on this device. Dropped once done.
 */
export interface WipePlan {
  readonly spaces: readonly ConvId[]
  readonly docs: readonly DocId[]
}

export const WIPED = 'wiped'
export const tombstoneKey = (org: ConvId): string[] => [WIPED, org]

const id = z.string().min(1).max(64)
const schema = z.object({
  v: z.literal(1),
  name: z.string().max(200),
  time: z.number(),
  reason: z.enum(['device-removed', 'person-removed']),
  conversation: z.literal(true).optional(),
  dismissed: z.literal(true).optional(),
  plan: z.object({ spaces: z.array(id).max(100_000), docs: z.array(id).max(1_000_000) }).optional(),
})

/** A stored tombstone with its plan while it is pending. */
export interface Tombstone extends WipedOrg {
  readonly plan?: WipePlan
}

/** Parses a stored tombstone; undefined for anything else (set aside, never acted on). */
export function readTombstone(e: Entry): Tombstone | undefined {
  const org = parseConvId(e.key[1])
  const rec = org && e.key.length === 2 ? decodeRecord(e.value, schema) : undefined
  if (!org || !rec) return undefined
  // Ids are parsed like any stored input: one that is not an id names nothing to delete.
  const plan = rec.plan && { spaces: rec.plan.spaces.flatMap((s) => parseConvId(s) ?? []), docs: rec.plan.docs.flatMap((d) => parseDocId(d) ?? []) }
  return { org, name: rec.name, time: rec.time, reason: rec.reason, conversation: !!rec.conversation, dismissed: !!rec.dismissed, pending: !!plan, ...(plan ? { plan } : {}) }
}

/** The write that stores `t`: pending with its plan, or done (no plan). */
export function writeTombstone(t: Omit<WipedOrg, 'pending'>, plan?: WipePlan): WriteOp {
  const value = {
    v: 1, name: t.name, time: t.time, reason: t.reason,
    ...(t.conversation ? { conversation: true } : {}),
    ...(t.dismissed ? { dismissed: true } : {}),
    ...(plan ? { plan: { spaces: [...plan.spaces], docs: [...plan.docs] } } : {}),
  }
  return { key: tombstoneKey(t.org), value: encodeRecord(value) }
}
