import * as z from 'zod'
import { BATCH_KIND, ZERO_HASH, asEnvelopeHash, sealEnvelope, type EnvelopeAuthors, type EnvelopeHash, type EpochKey } from '../../../crypto/index.js'
import { MAX_KEEP_DAY, idBytes, type ConvId, type DocId } from '../../../protocol/index.js'
import { encodeChanges } from '../documents/payload.js'
import { KEEP_FOREVER, combineKeep } from '../prune/keepDay.js'
import type { LocalStore, WriteOp } from '../storage/LocalStore.js'
import { decodeRecord, encodeRecord } from '../storage/records.js'

/**
 * The outbox: local changes waiting for the server's ack. It is the durability point of a
 * message: `add` resolves only after the change is in local storage, and the UI shows a message
 * as written only then. Reads come from an in-memory mirror loaded once (`load`); every change
 * is written through to storage before the mirror changes, so the hot path costs one write.
 *
 * Invariant 1: a raw record holds changes not yet sealed; it is sealed (with the *current*
 * epoch key) only when a connection is there to push it, so pending work written under an old
 * epoch is encrypted under the new one.
 * Invariant 2: sealing assigns seq = last + 1 and prev = hash of last for (doc, this device's
 * chain of that epoch, crypto [E13]) and writes the envelope, the chain state and the removal of
 * the raw records in one atomic write. Every epoch has its own chain, kept for good: a writer
 * that falls back to an earlier epoch ([T7]) continues that epoch's chain, never reuses a seq.
 * Invariant 3: sealed envelopes are pushed oldest first and removed only on the server's ack.
 * Invariant 4: all sealed envelopes of a document are under one epoch. Sealing under another
 * epoch first takes the unacknowledged ones back (the server refuses them, [S12]: nobody has
 * them) and seals their changes again under the new epoch, in the same atomic write.
 * Invariant 5 ([M71]): every record carries the "keep until" day of its changes (protocol
 * [S56]); an envelope's is that of the changes sealed into it (forever when any is forever, else
 * the latest), and a chain's that of every envelope sealed in it (what a snapshot of it asks
 * for). A record written before days existed has none and reads as forever: never dropped early.
 *
 * Chain records are read per document when first needed (sealing, a snapshot's decision), and at
 * `load` only for documents with something waiting: a device that wrote in 100 segments reads no
 * 100 chain records to open (client/core [M3]). A corrupt one is reported then, and sealing that
 * chain is refused, as before.
 */
export interface RawRecord { readonly key: string[]; readonly changes: Uint8Array[]; readonly msgIds: string[]; readonly keep: number }
export interface SealedRecord { readonly seq: number; readonly epoch: number; readonly env: Uint8Array; readonly msgIds: string[]; readonly changes: Uint8Array[]; readonly keep: number }
interface Chain { seq: number; prev: EnvelopeHash; compacted: number; keep: number }
interface DocQueue { raw: RawRecord[]; sealed: SealedRecord[]; chains: Map<number, Chain> }

const day = z.number().int().nonnegative().max(MAX_KEEP_DAY)
const rawSchema = z.object({ changes: z.array(z.instanceof(Uint8Array)), msgIds: z.array(z.string()), keep: day.optional() })
const sealedSchema = z.object({ env: z.instanceof(Uint8Array), msgIds: z.array(z.string()), changes: z.array(z.instanceof(Uint8Array)), epoch: z.number().int().nonnegative().max(0xffffffff), keep: day.optional() })
const chainSchema = z.object({ seq: z.number().int().nonnegative(), prev: z.instanceof(Uint8Array).refine((b) => b.length === 32), compacted: z.number().int().nonnegative().optional(), keep: day.optional() })

const pad = (n: number) => n.toString().padStart(16, '0')
const chainKey = (conv: ConvId, doc: DocId, epoch: number) => ['chain', conv, doc, pad(epoch)]
/** Envelopes above this payload size are split (the server refuses frames over its limit). */
const MAX_BATCH_BYTES = 512 * 1024
/**
 * Changes queued while the last raw record of a document is below both limits join that record
 * (one rewrite of a small record) instead of adding one: 2,000 messages written offline are 63
 * records to read and open on the next start, not 2,000 ([M28]: each opened record costs).
 */
const MERGE_MAX_CHANGES = 32
const MERGE_MAX_BYTES = 16 * 1024
const bytesOf = (changes: readonly Uint8Array[]) => changes.reduce((n, c) => n + c.length, 0)

export class Outbox {
  private counter = Date.now() * 1000
  private readonly queues = new Map<string, DocQueue>()
  /** Documents whose chain records are read (`readChains`); the others' are read when first needed. */
  private readonly chainsRead = new Set<string>()
  /**
   * Mutations run one at a time, in call order: `add` rewrites the last raw record and `seal`
   * deletes the raw records it took, so two of them interleaved across an await could write a
   * record back without a change, or delete one that a change had just joined.
   */
  private tail: Promise<unknown> = Promise.resolve()
  /** Keys of records that could not be read (set aside, reported; never silently dropped). */
  readonly corrupt: string[] = []

  /**
   * `dropped`: [M71] segments dropped on this device. A change made just before its segment was
   * dropped can reach `add` after `dropDoc` took what was queued: it is refused then, not left
   * queued for a document that is never pushed again (pending for ever).
   */
  constructor(private readonly store: LocalStore, private readonly dropped: (doc: DocId) => boolean = () => false) {}

  async load(): Promise<void> {
    for (const e of await this.store.range(['out', 'raw'])) {
      const rec = decodeRecord(e.value, rawSchema)
      if (rec) this.queue(e.key[2] as ConvId, e.key[3] as DocId).raw.push({ key: e.key, changes: rec.changes, msgIds: rec.msgIds, keep: rec.keep ?? KEEP_FOREVER })
      else this.corrupt.push(e.key.join('/'))
    }
    for (const e of await this.store.range(['out', 'sealed'])) {
      const rec = decodeRecord(e.value, sealedSchema)
      if (rec) this.queue(e.key[2] as ConvId, e.key[3] as DocId).sealed.push({ seq: Number(e.key[4]), ...rec, keep: rec.keep ?? KEEP_FOREVER })
      else this.corrupt.push(e.key.join('/'))
    }
    // The documents with something waiting are pushed (and their acks judged) soon: their chains now.
    for (const id of [...this.queues.keys()]) {
      const [conv, doc] = id.split('/') as [ConvId, DocId]
      await this.readChains(conv, doc)
    }
  }

  /** Reads a document's chain records once (a corrupt one stays unread: seal() refuses that chain rather than reuse a seq). */
  private async readChains(conv: ConvId, doc: DocId): Promise<DocQueue> {
    const q = this.queue(conv, doc)
    const id = `${conv}/${doc}`
    if (this.chainsRead.has(id)) return q
    const entries = await this.store.range(['chain', conv, doc])
    if (this.chainsRead.has(id)) return q // read meanwhile
    for (const e of entries) {
      const rec = decodeRecord(e.value, chainSchema)
      const epoch = Number(e.key[3])
      if (!rec || e.key.length !== 4) this.corrupt.push(e.key.join('/'))
      else if (!q.chains.has(epoch)) q.chains.set(epoch, { seq: rec.seq, prev: asEnvelopeHash(rec.prev), compacted: rec.compacted ?? 0, keep: rec.keep ?? KEEP_FOREVER })
    }
    this.chainsRead.add(id)
    return q
  }

  private queue(conv: ConvId, doc: DocId): DocQueue {
    const id = `${conv}/${doc}`
    let q = this.queues.get(id)
    if (!q) this.queues.set(id, (q = { raw: [], sealed: [], chains: new Map() }))
    return q
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn)
    this.tail = run.catch(() => undefined)
    return run
  }

  /**
   * Durably queues local changes of one document (joining its last raw record while that is
   * small). `keep`: the day they must be kept until ([M71], protocol [S56]); 0, the default, is forever.
   * Rejects for a document dropped on this device (see the constructor).
   */
  add(conv: ConvId, doc: DocId, changes: Uint8Array[], msgIds: string[], keep: number = KEEP_FOREVER): Promise<void> {
    return this.serial(async () => {
      if (this.dropped(doc)) throw new Error('document dropped')
      const q = this.queue(conv, doc)
      const last = q.raw.at(-1)
      const joins = last !== undefined && last.changes.length + changes.length <= MERGE_MAX_CHANGES && bytesOf(last.changes) + bytesOf(changes) <= MERGE_MAX_BYTES
      const rec: RawRecord = joins
        ? { key: last.key, changes: [...last.changes, ...changes], msgIds: [...last.msgIds, ...msgIds], keep: combineKeep(last.keep, keep) }
        : { key: ['out', 'raw', conv, doc, pad(this.counter++)], changes, msgIds, keep }
      await this.store.write([{ key: rec.key, value: encodeRecord({ changes: rec.changes, msgIds: rec.msgIds, keep: rec.keep }) }])
      if (joins) q.raw[q.raw.length - 1] = rec
      else q.raw.push(rec)
    })
  }

  raw(conv: ConvId, doc: DocId): readonly RawRecord[] {
    return this.queue(conv, doc).raw
  }

  sealed(conv: ConvId, doc: DocId): readonly SealedRecord[] {
    return this.queue(conv, doc).sealed
  }

  /** Documents of a conversation with anything queued. */
  pendingDocs(conv: ConvId): DocId[] {
    const out: DocId[] = []
    for (const [id, q] of this.queues) {
      if ((q.raw.length || q.sealed.length) && id.startsWith(`${conv}/`)) out.push(id.slice(conv.length + 1) as DocId)
    }
    return out
  }

  /** Message ids still waiting for an ack, across every conversation. */
  pendingMessageIds(): string[] {
    const ids: string[] = []
    for (const q of this.queues.values()) for (const r of [...q.raw, ...q.sealed]) ids.push(...r.msgIds)
    return ids
  }

  /**
   * Invariants 2 and 4: seals every raw record of `doc` into envelopes of this device's chain for
   * `epoch`, first taking back sealed ones of another epoch that the server has not acknowledged.
   */
  seal(conv: ConvId, doc: DocId, epoch: number, key: EpochKey, authors: EnvelopeAuthors): Promise<void> {
    return this.serial(() => this.sealNow(conv, doc, epoch, key, authors))
  }

  private async sealNow(conv: ConvId, doc: DocId, epoch: number, key: EpochKey, authors: EnvelopeAuthors): Promise<void> {
    const q = await this.readChains(conv, doc)
    const stale = q.sealed.length > 0 && q.sealed[0]!.epoch !== epoch ? q.sealed.slice() : []
    if (q.raw.length === 0 && stale.length === 0) return
    const ck = chainKey(conv, doc, epoch)
    const known = q.chains.get(epoch)
    if (!known && (await this.store.get(ck))) throw new Error('chain record corrupt: refusing to reuse a sequence number')
    let { seq, prev } = known ?? { seq: 0, prev: ZERO_HASH }
    const compacted = known?.compacted ?? 0
    // Invariant 5: a chain not written before starts with nothing to combine.
    let chainKeep: number | undefined = known?.keep
    const author = await authors.forEpoch(idBytes(conv), epoch)
    const taken = [...stale, ...q.raw]
    const ops: WriteOp[] = [
      ...stale.map((r) => ({ key: ['out', 'sealed', conv, doc, pad(r.seq)], value: undefined })),
      ...q.raw.map((r) => ({ key: r.key, value: undefined })),
    ]
    const takenRaw = q.raw.length
    const sealed: SealedRecord[] = []
    let batch: { changes: Uint8Array[]; msgIds: string[]; bytes: number; keep: number | undefined } = { changes: [], msgIds: [], bytes: 0, keep: undefined }
    const flush = async () => {
      if (batch.changes.length === 0) return
      seq += 1
      const header = { kind: BATCH_KIND, conv: idBytes(conv), doc: idBytes(doc), epoch, chain: author.chain, seq, prev } as const
      const env = await sealEnvelope(header, encodeChanges(batch.changes), key, author)
      prev = env.hash
      const keep = batch.keep ?? KEEP_FOREVER
      chainKeep = combineKeep(chainKeep, keep)
      const rec = { seq, epoch, env: env.bytes, msgIds: batch.msgIds, changes: batch.changes, keep }
      ops.push({ key: ['out', 'sealed', conv, doc, pad(seq)], value: encodeRecord({ env: rec.env, msgIds: rec.msgIds, changes: rec.changes, epoch, keep }) })
      sealed.push(rec)
      batch = { changes: [], msgIds: [], bytes: 0, keep: undefined }
    }
    for (const rec of taken) {
      const size = bytesOf(rec.changes)
      if (batch.bytes + size > MAX_BATCH_BYTES) await flush()
      batch.changes.push(...rec.changes)
      batch.msgIds.push(...rec.msgIds)
      batch.bytes += size
      batch.keep = combineKeep(batch.keep, rec.keep) // Invariant 5
    }
    await flush()
    const keep = chainKeep ?? KEEP_FOREVER
    ops.push({ key: ck, value: encodeRecord({ seq, prev, compacted, keep }) })
    await this.store.write(ops)
    q.raw.splice(0, takenRaw)
    q.sealed = stale.length ? sealed : [...q.sealed, ...sealed]
    q.chains.set(epoch, { seq, prev, compacted, keep })
  }

  /**
   * This device's chain head for a document in one epoch (undefined before its first envelope
   * there, or while the document's chain records are unread: none was sealed or waited since opening).
   */
  chain(conv: ConvId, doc: DocId, epoch: number): Readonly<Chain> | undefined {
    return this.queue(conv, doc).chains.get(epoch)
  }

  /** The epochs this device has written `doc` in. */
  epochsOf(conv: ConvId, doc: DocId): number[] {
    return [...this.queue(conv, doc).chains.keys()]
  }

  /** Nothing of this document waits to be sealed or acknowledged. */
  idle(conv: ConvId, doc: DocId): boolean {
    const q = this.queue(conv, doc)
    return q.raw.length === 0 && q.sealed.length === 0
  }

  /** Records that the server holds a snapshot of this device's chain of `epoch` up to `seq` ([E12]). */
  compactedTo(conv: ConvId, doc: DocId, epoch: number, seq: number): Promise<void> {
    return this.serial(async () => {
      const q = await this.readChains(conv, doc)
      const known = q.chains.get(epoch)
      if (!known || seq <= known.compacted) return
      const chain = { ...known, compacted: seq }
      await this.store.write([{ key: chainKey(conv, doc, epoch), value: encodeRecord(chain) }])
      q.chains.set(epoch, chain)
    })
  }

  /**
   * [M71] The document was dropped (the server answered 1206, protocol [S56], or this device
   * pruned it): its raw and sealed records and its chains go, and nothing of it is sealed or
   * pushed again. Returns the message ids that were waiting (no longer pending).
   */
  dropDoc(conv: ConvId, doc: DocId): Promise<string[]> {
    return this.serial(async () => {
      const q = this.queue(conv, doc)
      const ids = [...q.raw, ...q.sealed].flatMap((r) => r.msgIds)
      for (const prefix of [['out', 'raw', conv, doc], ['out', 'sealed', conv, doc], ['chain', conv, doc]]) await this.store.removeRange(prefix)
      this.queues.delete(`${conv}/${doc}`)
      this.chainsRead.delete(`${conv}/${doc}`)
      return ids
    })
  }

  /** Invariant 3: removes envelopes the server acknowledged; returns their message ids. */
  acked(items: readonly { conv: ConvId; doc: DocId; seq: number }[]): Promise<string[]> {
    return this.serial(() => this.ackedNow(items))
  }

  private async ackedNow(items: readonly { conv: ConvId; doc: DocId; seq: number }[]): Promise<string[]> {
    const ops: WriteOp[] = []
    const done: { q: DocQueue; seq: number }[] = []
    const ids: string[] = []
    for (const { conv, doc, seq } of items) {
      const q = this.queue(conv, doc)
      const rec = q.sealed.find((s) => s.seq === seq)
      if (!rec) continue
      ops.push({ key: ['out', 'sealed', conv, doc, pad(seq)], value: undefined })
      done.push({ q, seq })
      ids.push(...rec.msgIds)
    }
    if (ops.length === 0) return []
    await this.store.write(ops)
    for (const { q, seq } of done) q.sealed = q.sealed.filter((s) => s.seq !== seq)
    return ids
  }
}
