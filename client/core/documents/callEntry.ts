import * as A from '@automerge/automerge'
import { z } from 'zod'
import type { DeviceId, DocId } from '../../../protocol/index.js'
import { creatorOfId, entryAt, type SegmentDoc, type SegmentEntry } from './model.js'

/**
 * [V7] A call in the conversation's history: an entry of its own in a segment's list, like a
 * timer change ([M65]): `{ id, ts, kind: 'call', video, dur, with }`, written by the device that
 * started the call when the call ends for it — `dur` the seconds it lasted for that device (0:
 * nobody answered), `with` the devices that joined. Any member's device could write one; it is
 * read with zod and its author is the device whose change created it ([M15]).
 * A ring (`{ id, ts, kind: 'ring', video }`) is written by that device when it starts the call,
 * so that a device whose app is closed can ring once a push wakes it: a ring from the same author
 * with the same `ts` as a call entry is that call, over.
 */
export interface CallRecord { id: A.ImmutableString; ts: number; kind: 'call'; video: boolean; dur: number; with: A.ImmutableString[] }
export interface RingRecord { id: A.ImmutableString; ts: number; kind: 'ring'; video: boolean }

export interface CallEntryView {
  readonly id: string
  readonly segment: DocId
  readonly author: DeviceId
  /** When the call started. */
  readonly ts: number
  readonly video: boolean
  /** Seconds; 0: nobody answered. */
  readonly dur: number
  readonly with: readonly DeviceId[]
  /** A ring: the call's start, written when it began (dur 0, with none). */
  readonly ring?: true
}

/** A call of more than a day, or with more devices than a mesh holds many times over, is not one a device wrote. */
const MAX_SECONDS = 86_400
const MAX_WITH = 64
const DEVICE = /^[A-Za-z0-9_-]{43}$/

const stringOf = (v: unknown): unknown => (v instanceof A.ImmutableString ? v.val : v)
const callSchema = z.object({
  id: z.preprocess(stringOf, z.string().min(1).max(64)),
  ts: z.number().nonnegative().finite(),
  kind: z.literal('call'),
  video: z.boolean(),
  dur: z.number().int().min(0).max(MAX_SECONDS),
  with: z.array(z.preprocess(stringOf, z.string().regex(DEVICE))).max(MAX_WITH),
})

const ringSchema = z.object({ id: z.preprocess(stringOf, z.string().min(1).max(64)), ts: z.number().nonnegative().finite(), kind: z.literal('ring'), video: z.boolean() })

/** The call entry (or ring) at `index`; undefined for anything else and for anything malformed. */
export function readCallEntry(doc: A.Doc<SegmentDoc>, segment: DocId, index: number): CallEntryView | undefined {
  const entry = entryAt(doc, index)
  return entry && readCallRecord(entry, segment)
}

export function readCallRecord({ id, rec }: SegmentEntry, segment: DocId): CallEntryView | undefined {
  const kind = rec && typeof rec === 'object' ? (rec as { kind?: unknown }).kind : undefined
  const author = creatorOfId(id)
  if (kind === 'ring') {
    const ring = ringSchema.safeParse({ ...(rec as object) })
    return ring.success && author ? { id, segment, author, ts: ring.data.ts, video: ring.data.video, dur: 0, with: [], ring: true } : undefined
  }
  if (!rec || typeof rec !== 'object' || kind !== 'call') return undefined
  const parsed = callSchema.safeParse({ ...(rec as object), with: [...((rec as { with?: unknown[] }).with ?? [])] })
  if (!parsed.success || !author) return undefined
  return { id, segment, author, ts: parsed.data.ts, video: parsed.data.video, dur: parsed.data.dur, with: parsed.data.with as DeviceId[] }
}

/** "12 min", "45 s", "1 h 5 min". */
export function callLength(seconds: number): string {
  if (seconds < 60) return `${seconds} s`
  const minutes = Math.round(seconds / 60)
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h${minutes % 60 ? ` ${minutes % 60} min` : ''}`
}

/**
 * [V7] The line a person reads: "Missed video call from Ann" (nobody answered, or they were not
 * in it), "Video call, not answered" (their own call nobody answered), or "Video call, 12 min:
 * Ann, Bo".
 */
export function callLine(e: CallEntryView, opts: { mine: boolean; wasIn: boolean; authorName: string; names: readonly string[] }): string {
  const kind = e.video ? 'video call' : 'voice call'
  const Kind = kind[0]!.toUpperCase() + kind.slice(1)
  if (!e.dur) return opts.mine ? `${Kind}, not answered` : `Missed ${kind} from ${opts.authorName}`
  if (!opts.mine && !opts.wasIn) return `Missed ${kind} from ${opts.authorName}`
  return `${Kind}, ${callLength(e.dur)}: ${[opts.authorName, ...opts.names].join(', ')}`
}
