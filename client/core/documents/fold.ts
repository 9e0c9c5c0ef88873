import type { DeviceId, DocId } from '../../../protocol/index.js'
import { MAX_REACTIONS_PER_DEVICE, type ActionView } from './actions.js'
import type { MessageView } from './model.js'
import { refOf, type MessageRef } from './messageRef.js'

/**
 * [M42][M46][M47] What a message shows beside its own record: reactions and pin state folded in
 * from the action entries of the loaded window, the quote of the message it answers, and whether
 * it mentions this device's person. Pure: every device folds the same entries to the same view.
 */
export interface Reaction {
  readonly emoji: string
  /** Distinct devices that reacted with this emoji. */
  readonly count: number
  /** This device is one of them. */
  readonly mine: boolean
  /** Their names, in the order they reacted (at most MAX_REACTION_NAMES). */
  readonly by: readonly string[]
}
export interface ReplyQuote {
  readonly id: string
  readonly ref: MessageRef
  readonly authorName: string
  /** The start of its text, at most QUOTE_CHARS UTF-16 units ('' when deleted). */
  readonly text: string
  readonly deleted?: true
}
export interface FoldedFields {
  readonly reactions?: readonly Reaction[]
  readonly pinned?: true
  /** When the pin that holds was made. */
  readonly pinnedAt?: number
  readonly replyQuote?: ReplyQuote
  readonly mentionsMe?: true
}
/** A message as `fold` reads it: its record, its author's name, and what the caller knows of it. */
export type Foldable = MessageView & { readonly authorName: string }

export const QUOTE_CHARS = 140
export const MAX_REACTION_NAMES = 20
/** [M46] Pinned messages listed at most. */
export const MAX_PINNED = 20

export interface FoldContext {
  readonly me: DeviceId
  /** What a mention of this device's person may say: the device's hex and the person's user id. */
  readonly myMentions: ReadonlySet<string>
  readonly names: ReadonlyMap<DeviceId, string>
}

/** Entries in one order on every device: (ts, id). */
const byTime = (a: ActionView, b: ActionView): number => a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/**
 * [M15] Which loaded message an entry or a reply names: by (segment, object id) when it says
 * its segment; one written before refs (object id only) names a message only when exactly one
 * loaded message has that id, so it is never attached to two, nor to the wrong one of two.
 */
export function targetResolver<M extends MessageView>(messages: readonly M[]): (id: string, seg: DocId | undefined) => M | undefined {
  const byRef = new Map<string, M>(messages.map((m) => [m.ref, m]))
  const byId = new Map<string, M | null>()
  for (const m of messages) byId.set(m.id, byId.has(m.id) ? null : m)
  return (id, seg) => (seg ? byRef.get(refOf(seg, id)) : (byId.get(id) ?? undefined))
}

export function fold<M extends Foldable>(messages: readonly M[], actions: Iterable<ActionView>, ctx: FoldContext): (M & FoldedFields)[] {
  const resolve = targetResolver(messages)
  const reactions = new Map<string, Map<string, DeviceId[]>>()
  const perDevice = new Map<string, Set<string>>()
  const pins = new Map<string, ActionView>()
  const aimed = [...actions].flatMap((a) => {
    const m = resolve(a.target, a.targetSeg)
    return m ? [{ a, ref: m.ref }] : []
  })
  for (const { a, ref } of aimed.sort((x, y) => byTime(x.a, y.a))) {
    if (a.kind === 'pin') {
      pins.set(ref, a) // the latest (ts, id) holds
      continue
    }
    const key = `${ref} ${a.author}`
    let mine = perDevice.get(key)
    if (!mine) perDevice.set(key, (mine = new Set()))
    // A device counts once per emoji, and for at most MAX_REACTIONS_PER_DEVICE emoji per message.
    if (mine.has(a.emoji) || mine.size >= MAX_REACTIONS_PER_DEVICE) continue
    mine.add(a.emoji)
    let emojis = reactions.get(ref)
    if (!emojis) reactions.set(ref, (emojis = new Map()))
    const devices = emojis.get(a.emoji)
    if (devices) devices.push(a.author)
    else emojis.set(a.emoji, [a.author])
  }
  return messages.map((m) => {
    // [M41] A deleted message is a placeholder: nothing folds into it.
    if (m.deleted) return m
    const out: { -readonly [K in keyof FoldedFields]: FoldedFields[K] } = {}
    const emojis = reactions.get(m.ref)
    if (emojis) out.reactions = [...emojis].map(([emoji, devices]) => reaction(emoji, devices, ctx))
    const pin = pins.get(m.ref)
    if (pin?.kind === 'pin' && pin.on) (out.pinned = true, out.pinnedAt = pin.ts)
    const target = m.replyTo ? resolve(m.replyTo, m.replySeg) : undefined
    if (target) out.replyQuote = quote(target)
    if (m.mentions?.some((x) => ctx.myMentions.has(x))) out.mentionsMe = true
    return Object.keys(out).length ? { ...m, ...out } : m
  })
}

function reaction(emoji: string, devices: readonly DeviceId[], ctx: FoldContext): Reaction {
  const by = devices.slice(0, MAX_REACTION_NAMES).map((d) => ctx.names.get(d) ?? `Device ${d.slice(0, 6)}`)
  return { emoji, count: devices.length, mine: devices.includes(ctx.me), by }
}

function quote(m: Foldable): ReplyQuote {
  if (m.deleted) return { id: m.id, ref: m.ref, authorName: m.authorName, text: '', deleted: true }
  return { id: m.id, ref: m.ref, authorName: m.authorName, text: clip(m.text, QUOTE_CHARS) }
}

/** At most `max` UTF-16 units, never cutting a surrogate pair. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text
  let out = ''
  for (const ch of text) {
    if (out.length + ch.length > max) break
    out += ch
  }
  return out
}

/** [M46] The pinned messages, the most recently pinned first, at most MAX_PINNED. */
export function pinnedOf<M extends FoldedFields>(messages: readonly M[]): M[] {
  return messages.filter((m) => m.pinned).sort((a, b) => (b.pinnedAt ?? 0) - (a.pinnedAt ?? 0)).slice(0, MAX_PINNED)
}
