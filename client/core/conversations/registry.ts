import * as z from 'zod'
import { asEpochKey, bytesEqual, type EpochKey } from '../../../crypto/index.js'
import type { ConvId, DocId } from '../../../protocol/index.js'
import type { LocalStore } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'

/**
 * Conversations this device belongs to, with their epoch keys and per-document sync cursors.
 * Kept only in local storage: the server never sees a member list or a key.
 */
export interface ConversationRecord {
  readonly conv: ConvId
  readonly title: string
  readonly epoch: number
  readonly keys: ReadonlyMap<number, EpochKey>
  readonly joinedAt: number
  /** Admins only: the secret of the conversation's admin capability ([K4]). */
  readonly adminSecret?: Uint8Array
  /** The current epoch is not yet registered on the server: rekey on the next connection ([S10]). */
  readonly rekeyPending?: boolean
  /** An organisation or group conversation: membership and keys come from its graph ([T13]). */
  readonly space?: { readonly kind: 'org' | 'group'; readonly org: ConvId }
  /** [T7] No epoch is safe to write under yet (a healing rotation is due): changes stay queued. */
  readonly hold?: boolean
  /** The epoch the server last confirmed (`joined`): a rekey rotates from it ([S10]). */
  readonly serverEpoch?: number
  /** Conversations this device created: the origin its id derives from, to register it ([S3], [K6]). */
  readonly origin?: Uint8Array
}

const convSchema = z.object({
  v: z.literal(1),
  title: z.string(),
  epoch: z.number().int().nonnegative(),
  keys: z.array(z.object({ epoch: z.number().int().nonnegative(), key: z.instanceof(Uint8Array).refine((b) => b.length === 32) })),
  joinedAt: z.number(),
  adminSecret: z.instanceof(Uint8Array).refine((b) => b.length === 32).optional(),
  rekeyPending: z.boolean().optional(),
  space: z.object({ kind: z.enum(['org', 'group']), org: z.string().max(64) }).optional(),
  hold: z.boolean().optional(),
  serverEpoch: z.number().int().nonnegative().optional(),
  origin: z.instanceof(Uint8Array).refine((b) => b.length === 16).optional(),
})
const cursorSchema = z.number().int().nonnegative()

export class Registry {
  private readonly convs = new Map<ConvId, ConversationRecord>()
  private readonly cursors = new Map<string, number>()
  /** [S12] Per document: the newest epoch seen in its stream, saved with its cursor. */
  private readonly seen = new Map<string, number>()
  /** Keys of records that failed to decode, set aside for the person to see ([M201]). */
  readonly corrupt: string[] = []
  /** [M71] `conv/doc` of documents dropped in this session: a frame in flight moves no cursor of theirs. */
  private readonly forgotten = new Set<string>()

  constructor(private readonly store: LocalStore) {}

  async load(): Promise<void> {
    for (const e of await this.store.range(['conv'])) {
      const rec = decodeRecord(e.value, convSchema)
      const conv = e.key[1] as ConvId
      if (!rec) {
        this.corrupt.push(e.key.join('/'))
        continue
      }
      const keys = new Map(rec.keys.map((k) => [k.epoch, asEpochKey(k.key)] as const))
      if (!keys.has(rec.epoch)) {
        this.corrupt.push(e.key.join('/'))
        continue
      }
      this.stored.set(conv, e.value)
      this.convs.set(conv, {
        conv, title: rec.title, epoch: rec.epoch, keys, joinedAt: rec.joinedAt,
        ...(rec.adminSecret ? { adminSecret: rec.adminSecret } : {}),
        ...(rec.rekeyPending ? { rekeyPending: true } : {}),
        ...(rec.space ? { space: { kind: rec.space.kind, org: rec.space.org as ConvId } } : {}),
        ...(rec.hold ? { hold: true } : {}),
        ...(rec.serverEpoch !== undefined ? { serverEpoch: rec.serverEpoch } : {}),
        ...(rec.origin ? { origin: rec.origin } : {}),
      })
    }
    for (const e of await this.store.range(['cursor'])) {
      const cursor = decodeRecord(e.value, cursorSchema)
      if (cursor !== undefined) this.cursors.set(`${e.key[1]}/${e.key[2]}`, cursor)
    }
    for (const e of await this.store.range(['epoch-seen'])) {
      const epoch = decodeRecord(e.value, cursorSchema)
      if (epoch !== undefined) this.seen.set(`${e.key[1]}/${e.key[2]}`, epoch)
    }
  }

  list(): ConversationRecord[] {
    return [...this.convs.values()].sort((a, b) => a.joinedAt - b.joinedAt)
  }

  get(conv: ConvId): ConversationRecord | undefined {
    return this.convs.get(conv)
  }

  async put(rec: ConversationRecord): Promise<void> {
    const keys = [...rec.keys].map(([epoch, key]) => ({ epoch, key }))
    const extra = {
      ...(rec.adminSecret ? { adminSecret: rec.adminSecret } : {}),
      ...(rec.rekeyPending ? { rekeyPending: true } : {}),
      ...(rec.space ? { space: rec.space } : {}),
      ...(rec.hold ? { hold: true } : {}),
      ...(rec.serverEpoch !== undefined ? { serverEpoch: rec.serverEpoch } : {}),
      ...(rec.origin ? { origin: rec.origin } : {}),
    }
    const value = encodeRecord({ v: 1, title: rec.title, epoch: rec.epoch, keys, joinedAt: rec.joinedAt, ...extra })
    // Unchanged (every space's record is updated as the team loads, at every start): not written again.
    const before = this.stored.get(rec.conv)
    if (!before || !bytesEqual(before, value)) {
      await this.store.write([{ key: ['conv', rec.conv], value }])
      this.stored.set(rec.conv, value)
    }
    this.convs.set(rec.conv, rec)
  }

  private updates: Promise<unknown> = Promise.resolve()
  /** Each record as it is in the store (a wipe, the only other writer, replaces this registry). */
  private readonly stored = new Map<ConvId, Uint8Array>()

  /**
   * Read-modify-write of one conversation's record, serialised with every other update, so two
   * concurrent changes (a rotation being confirmed while another is recorded) never lose one.
   */
  update(conv: ConvId, change: (rec: ConversationRecord) => ConversationRecord): Promise<ConversationRecord | undefined> {
    const run = this.updates.then(async () => {
      const rec = this.convs.get(conv)
      if (!rec) return undefined
      const next = change(rec)
      await this.put(next)
      return next
    })
    this.updates = run.catch(() => undefined)
    return run
  }

  cursor(conv: ConvId, doc: DocId): number {
    return this.cursors.get(`${conv}/${doc}`) ?? 0
  }

  /** Cursors only move forward, and are written only after the documents are saved (see engine). */
  /** [S12] The newest epoch seen in a document's stream up to its cursor, if recorded. */
  newestEpoch(conv: ConvId, doc: DocId): number | undefined {
    return this.seen.get(`${conv}/${doc}`)
  }

  /** Cursors (only forward), each with the newest epoch seen below it when given. */
  async saveCursors(entries: readonly { conv: ConvId; doc: DocId; cursor: number; epoch?: number }[]): Promise<void> {
    const moved = entries.filter((e) => e.cursor > this.cursor(e.conv, e.doc) && !this.forgotten.has(`${e.conv}/${e.doc}`))
    const ops = moved.flatMap((e) => [
      { key: ['cursor', e.conv, e.doc], value: encodeRecord(e.cursor) },
      ...(e.epoch !== undefined ? [{ key: ['epoch-seen', e.conv, e.doc], value: encodeRecord(e.epoch) }] : []),
    ])
    if (ops.length === 0) return
    await this.store.write(ops)
    for (const e of moved) {
      this.cursors.set(`${e.conv}/${e.doc}`, e.cursor)
      if (e.epoch !== undefined) this.seen.set(`${e.conv}/${e.doc}`, e.epoch)
    }
  }

  /** [M71] A document dropped on this device: its cursor and newest epoch go, and are never saved again. */
  async forgetDoc(conv: ConvId, doc: DocId): Promise<void> {
    const id = `${conv}/${doc}`
    this.forgotten.add(id)
    this.cursors.delete(id)
    this.seen.delete(id)
    await this.store.write([{ key: ['cursor', conv, doc], value: undefined }, { key: ['epoch-seen', conv, doc], value: undefined }])
  }
}

