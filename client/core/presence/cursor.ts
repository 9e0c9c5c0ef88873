import * as z from 'zod'

/**
 * [M55] A cursor: the (ts, id) of a message, in display order ([M14]). A message is at or before
 * a cursor when (ts, id) ≤ (cursor.ts, cursor.id).
 */
export interface Cursor {
  readonly ts: number
  readonly id: string
}

/** A device's two cursors in one conversation: the newest message from others it has received, and read. */
export interface Cursors {
  readonly d?: Cursor
  readonly r?: Cursor
}

/** Message ids are Automerge object ids (`counter@actor`, 64 hex): bounded well below this. */
export const cursorSchema = z.object({ ts: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER), id: z.string().min(1).max(100) }).strict()
export const cursorsSchema = z.object({ d: cursorSchema.optional(), r: cursorSchema.optional() }).strict()

export function compareCursor(a: Cursor, b: Cursor): number {
  return a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

export function atOrBefore(m: Cursor, c: Cursor | undefined): boolean {
  return !!c && compareCursor(m, c) <= 0
}

/** The later of two cursors (cursors only move forward). */
export function later(a: Cursor | undefined, b: Cursor | undefined): Cursor | undefined {
  if (!a) return b
  if (!b) return a
  return compareCursor(a, b) >= 0 ? a : b
}

/** Both cursors moved to the later of where they were and `to`. */
export function advance(was: Cursors, to: Cursors): Cursors {
  const d = later(was.d, to.d)
  const r = later(was.r, to.r)
  return { ...(d ? { d } : {}), ...(r ? { r } : {}) }
}

export const sameCursors = (a: Cursors, b: Cursors): boolean => sameCursor(a.d, b.d) && sameCursor(a.r, b.r)

export const sameCursor = (a: Cursor | undefined, b: Cursor | undefined): boolean => (!a && !b) || (!!a && !!b && compareCursor(a, b) === 0)

/** The newest of `messages` (display order) that `accept` takes, as a cursor. */
export function newestOf<M extends Cursor>(messages: readonly M[], accept: (m: M) => boolean): Cursor | undefined {
  let best: Cursor | undefined
  for (const m of messages) if (accept(m) && (!best || compareCursor(m, best) > 0)) best = { ts: m.ts, id: m.id }
  return best
}
