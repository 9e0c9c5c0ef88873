import * as z from 'zod'
import { ZERO_HASH, asEnvelopeHash, sealEnvelope, type EnvelopeHash, type EpochKey, type Signer } from '../../crypto/index.js'
import { idBytes, type ConvId, type DocId } from '../../protocol/index.js'
import { encodeChanges } from './payload.js'
import type { LocalStore, WriteOp } from './storage/LocalStore.js'
import { decodeRecord, encodeRecord } from './storage/records.js'

/**
 * The outbox: local changes waiting for the server's ack. It is the durability point of a
 * message: `add` resolves only after the change is in local storage, and the UI shows a message
 * as written only then.
 *
 * Invariant 1: a raw record holds changes not yet sealed; it is sealed (with the *current*
 * epoch key) only when a connection is there to push it, so pending work written under an old
 * epoch is encrypted under the new one.
 * Invariant 2: sealing assigns seq = last + 1 and prev = hash of last for (doc, this device) and
 * writes the envelope, the chain state and the removal of the raw records in one atomic write.
 * Invariant 3: sealed envelopes are pushed oldest first and removed only on the server's ack.
 */
export interface RawRecord { readonly seqKey: string; readonly changes: Uint8Array[]; readonly msgIds: string[] }
export interface SealedRecord { readonly seq: number; readonly env: Uint8Array; readonly msgIds: string[] }

const rawSchema = z.object({ changes: z.array(z.instanceof(Uint8Array)), msgIds: z.array(z.string()) })
const sealedSchema = z.object({ env: z.instanceof(Uint8Array), msgIds: z.array(z.string()) })
const chainSchema = z.object({ seq: z.number().int().nonnegative(), prev: z.instanceof(Uint8Array).refine((b) => b.length === 32) })

const pad = (n: number) => n.toString().padStart(16, '0')
/** Envelopes above this payload size are split (the server refuses frames over its limit). */
const MAX_BATCH_BYTES = 512 * 1024

export class Outbox {
  private counter = Date.now() * 1000

  constructor(private readonly store: LocalStore) {}

  /** Durably queues local changes of one document. */
  async add(conv: ConvId, doc: DocId, changes: Uint8Array[], msgIds: string[]): Promise<void> {
    const key = ['out', 'raw', conv, doc, pad(this.counter++)]
    await this.store.write([{ key, value: encodeRecord({ changes, msgIds }) }])
  }

  async raw(conv: ConvId, doc?: DocId): Promise<RawRecord[]> {
    const entries = await this.store.range(doc ? ['out', 'raw', conv, doc] : ['out', 'raw', conv])
    const out: RawRecord[] = []
    for (const e of entries) {
      const rec = decodeRecord(e.value, rawSchema)
      if (rec) out.push({ seqKey: e.key.join('/'), ...rec })
    }
    return out
  }

  async sealed(conv: ConvId, doc: DocId): Promise<SealedRecord[]> {
    const entries = await this.store.range(['out', 'sealed', conv, doc])
    return entries.flatMap((e) => {
      const rec = decodeRecord(e.value, sealedSchema)
      return rec ? [{ seq: Number(e.key[4]), ...rec }] : []
    })
  }

  /** Documents of a conversation with anything queued. */
  async pendingDocs(conv: ConvId): Promise<DocId[]> {
    const docs = new Set<DocId>()
    for (const kind of ['raw', 'sealed']) for (const e of await this.store.range(['out', kind, conv])) docs.add(e.key[3] as DocId)
    return [...docs]
  }

  /** Message ids still waiting for an ack, across every conversation. */
  async pendingMessageIds(): Promise<string[]> {
    const ids: string[] = []
    for (const e of await this.store.range(['out'])) {
      const rec = decodeRecord(e.value, z.object({ msgIds: z.array(z.string()) }).loose())
      if (rec) ids.push(...rec.msgIds)
    }
    return ids
  }

  /** Invariant 2: seals every raw record of `doc` into envelopes under the given epoch. */
  async seal(conv: ConvId, doc: DocId, epoch: number, key: EpochKey, signer: Signer): Promise<SealedRecord[]> {
    const entries = await this.store.range(['out', 'raw', conv, doc])
    if (entries.length === 0) return []
    const chainKey = ['chain', conv, doc]
    const chainBytes = await this.store.get(chainKey)
    const chain = chainBytes ? decodeRecord(chainBytes, chainSchema) : { seq: 0, prev: ZERO_HASH as Uint8Array }
    if (!chain) throw new Error('chain record corrupt') // never reuse a seq: refuse to seal rather than guess
    let { seq } = chain
    let prev = asEnvelopeHash(chain.prev)
    const ops: WriteOp[] = []
    const sealed: SealedRecord[] = []
    let batch: { changes: Uint8Array[]; msgIds: string[]; bytes: number } = { changes: [], msgIds: [], bytes: 0 }
    const flush = async () => {
      if (batch.changes.length === 0) return
      seq += 1
      const header = { v: 1 as const, conv: idBytes(conv), doc: idBytes(doc), epoch, device: signer.publicKey, seq, prev }
      const env = await sealEnvelope(header, encodeChanges(batch.changes), key, signer)
      prev = env.hash
      ops.push({ key: ['out', 'sealed', conv, doc, pad(seq)], value: encodeRecord({ env: env.bytes, msgIds: batch.msgIds }) })
      sealed.push({ seq, env: env.bytes, msgIds: batch.msgIds })
      batch = { changes: [], msgIds: [], bytes: 0 }
    }
    for (const e of entries) {
      ops.push({ key: e.key, value: undefined })
      const rec = decodeRecord(e.value, rawSchema)
      if (!rec) continue // unreadable raw record: its changes are also in the document itself
      const size = rec.changes.reduce((n, c) => n + c.length, 0)
      if (batch.bytes + size > MAX_BATCH_BYTES) await flush()
      batch.changes.push(...rec.changes)
      batch.msgIds.push(...rec.msgIds)
      batch.bytes += size
    }
    await flush()
    ops.push({ key: chainKey, value: encodeRecord({ seq, prev }) })
    await this.store.write(ops)
    return sealed
  }

  /** Invariant 3: removes an envelope the server acknowledged. */
  async acked(conv: ConvId, doc: DocId, seq: number): Promise<string[]> {
    const key = ['out', 'sealed', conv, doc, pad(seq)]
    const bytes = await this.store.get(key)
    if (!bytes) return []
    await this.store.write([{ key, value: undefined }])
    return decodeRecord(bytes, sealedSchema)?.msgIds ?? []
  }

  /** Every queued change of a document (raw and sealed-unacked), to re-apply after a crash. */
  async unackedChanges(conv: ConvId, doc: DocId): Promise<Uint8Array[]> {
    return (await this.raw(conv, doc)).flatMap((r) => r.changes)
  }
}

export type { EnvelopeHash }
