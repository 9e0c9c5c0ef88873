import * as z from 'zod'
import { bytesEqual } from '../../../crypto/index.js'
import type { ConvId } from '../../../protocol/index.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'
import type { DisplayMessage } from './displayMessage.js'

/** [M13a] Messages kept: a phone screen's worth and more. */
export const NEWEST_VIEW = 50
/** [M13a] A conversation's view is saved this long after its last change (and at stop): busy conversations are listed once a second at most. */
const SAVE_DELAY_MS = 1000

const KEY = 'view'

/**
 * The record is this device's own output, under the store's at-rest AEAD: the fields every row
 * reads are checked, the rest (files, reactions, quotes, as `messages()` made them) kept as they
 * are. A record that does not parse is not used (the conversation paints once its window loads).
 */
const rowSchema = z
  .object({
    id: z.string(),
    ref: z.string(),
    tag: z.string(),
    segment: z.string(),
    author: z.string(),
    ts: z.number(),
    text: z.string(),
    authorName: z.string(),
    mine: z.boolean(),
    pending: z.boolean(),
    exp: z.number().optional(),
  })
  .passthrough()
const viewSchema = z.object({ v: z.literal(1), m: z.array(rowSchema).max(NEWEST_VIEW) })

/** [M13a] The saved view of `conv` as stored (expired messages still in it), or undefined when there is none or it does not parse. */
export async function readSavedView(store: LocalStore, conv: ConvId): Promise<{ messages: DisplayMessage[]; bytes: Uint8Array } | undefined> {
  const bytes = await store.get([KEY, conv])
  if (!bytes) return undefined
  const rec = decodeRecord(bytes, viewSchema)
  return rec ? { messages: rec.m as unknown as DisplayMessage[], bytes } : undefined
}

export interface NewestViewDeps {
  readonly store: LocalStore
  /** The conversation's messages as `messages()` lists them, when its window is loaded; else undefined. */
  readonly list: (conv: ConvId) => readonly DisplayMessage[] | undefined
}

/**
 * [M13a] A small cache of each conversation's newest rendered messages (`view/<conv>`), so that
 * opening a conversation paints before any of its documents is loaded. It is written from the
 * loaded window a moment after it changes (and at stop), read when a conversation opens, and
 * shown only until the window is loaded. What expired since is left out when it is read; a
 * message deleted for everyone, edited or hidden leaves it with the next save.
 */
export class NewestViews {
  private readonly timers = new Map<ConvId, ReturnType<typeof setTimeout>>()
  /** What was last written, per conversation: an unchanged view is not written again. */
  private readonly written = new Map<ConvId, Uint8Array>()
  private stopped = false

  constructor(private readonly deps: NewestViewDeps) {}

  /** The saved view of `conv` (what expired since is left out where it is shown); undefined when there is none (or it does not parse). */
  async read(conv: ConvId): Promise<DisplayMessage[] | undefined> {
    const saved = await readSavedView(this.deps.store, conv)
    if (!saved) return undefined
    this.written.set(conv, saved.bytes)
    return saved.messages
  }

  /** The window of `conv` changed: its view is saved a moment later. */
  touched(conv: ConvId): void {
    if (this.stopped || this.timers.has(conv)) return
    this.timers.set(conv, setTimeout(() => void this.save(conv), SAVE_DELAY_MS))
  }

  /** Saves what is waiting (stop, or a test). */
  async flush(): Promise<void> {
    const convs = [...this.timers.keys()]
    for (const conv of convs) await this.save(conv)
  }

  async stop(): Promise<void> {
    await this.flush()
    this.stopped = true
  }

  /** [M71][M30] The conversation's history changed under it (a segment dropped): its view goes. */
  async forget(conv: ConvId): Promise<void> {
    clearTimeout(this.timers.get(conv))
    this.timers.delete(conv)
    this.written.delete(conv)
    await this.deps.store.write([{ key: [KEY, conv], value: undefined }])
  }

  private async save(conv: ConvId): Promise<void> {
    clearTimeout(this.timers.get(conv))
    this.timers.delete(conv)
    const list = this.deps.list(conv)
    if (!list) return
    const bytes = encodeRecord({ v: 1, m: list.slice(-NEWEST_VIEW) })
    const before = this.written.get(conv)
    if (before && bytesEqual(before, bytes)) return
    this.written.set(conv, bytes)
    await this.deps.store.write([{ key: [KEY, conv], value: bytes }])
  }
}

