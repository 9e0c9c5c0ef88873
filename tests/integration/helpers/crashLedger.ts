import { createHash } from 'node:crypto'
import { hashOfEnvelope, splitEnvelope, toHex } from '../../../crypto/index.js'

/** One envelope a test device sealed, and what the server said and showed about it. */
export interface SealedRecord {
  readonly device: string
  readonly doc: string
  readonly seq: number
  /** [E7] The envelope hash (hex): what the server keys duplicates on. */
  readonly hash: string
  /** SHA-256 of the whole envelope (hex): stored bytes are compared with it, signature included. */
  readonly digest: string
  /** The bytes, kept until the envelope is acknowledged (a resend must be byte-identical). */
  bytes: Uint8Array | undefined
  ackedSseq?: number
  storedSseq?: number
  /** Sent on a connection that ended before its ack: stored or not, nobody knows yet. */
  inDoubt: boolean
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/**
 * The crash test's record of truth, fed by the devices (sealed, acknowledged) and by the store
 * audits (stored). It never trusts one side to check itself: an acknowledged envelope must be
 * stored at the sseq of its ack, every stored envelope must be one a device sealed, with the same
 * bytes, and each document's sseqs run 1..n without a gap (ChangeStore invariant 4).
 */
export class CrashLedger {
  readonly problems: string[] = []
  readonly counts = { sealed: 0, acked: 0, ackedAfterResend: 0, inDoubt: 0, inDoubtFoundStored: 0, duplicateAcks: 0, lost: 0, refusedPushes: 0 }
  private readonly byHash = new Map<string, SealedRecord>()
  private readonly perDoc = new Map<string, SealedRecord[]>()
  /** Per document: the highest sseq audited so far (everything up to it was checked). */
  private readonly cursors = new Map<string, number>()
  private readonly ackedNotAudited = new Set<SealedRecord>()
  /** What the audit from scratch (`restartAudits`) has read so far. */
  private seenAgain: Set<SealedRecord> | undefined
  private onAck: (() => void) | undefined
  private readonly lostRecords = new Set<SealedRecord>()

  problem(text: string): void {
    if (this.problems.length < 50) this.problems.push(text)
  }

  /** `hash` as sealEnvelope gave it ([E7]); what the server reads back is hashed again from its bytes. */
  sealed(device: string, doc: string, seq: number, bytes: Uint8Array, hash: Uint8Array): SealedRecord {
    const rec: SealedRecord = { device, doc, seq, hash: toHex(hash), digest: sha256(bytes), bytes, inDoubt: false }
    this.byHash.set(rec.hash, rec)
    let list = this.perDoc.get(doc)
    if (!list) this.perDoc.set(doc, (list = []))
    list.push(rec)
    this.counts.sealed++
    return rec
  }

  /** A connection ended with `rec` sent and not acknowledged. */
  inDoubt(rec: SealedRecord): void {
    if (rec.inDoubt || rec.ackedSseq !== undefined) return
    rec.inDoubt = true
    this.counts.inDoubt++
  }

  /** Called with every acknowledged envelope (the crash loop kills on the k-th one). */
  watchAcks(fn: (() => void) | undefined): void {
    this.onAck = fn
  }

  acked(rec: SealedRecord, sseq: number): void {
    if (rec.ackedSseq !== undefined) return this.problem(`${rec.device} doc ${rec.doc.slice(0, 6)} seq ${rec.seq}: acknowledged twice (sseq ${rec.ackedSseq}, then ${sseq})`)
    if (rec.storedSseq !== undefined) {
      this.counts.duplicateAcks++
      if (rec.storedSseq !== sseq) this.problem(`${rec.device} doc ${rec.doc.slice(0, 6)} seq ${rec.seq}: stored at sseq ${rec.storedSseq}, acknowledged as ${sseq}`)
    } else this.ackedNotAudited.add(rec)
    rec.ackedSseq = sseq
    rec.bytes = undefined
    this.counts.acked++
    if (rec.inDoubt) this.counts.ackedAfterResend++
    this.onAck?.()
  }

  /** The audit read `bytes` at `sseq` of `doc`, in ascending order from `cursor(doc)`. */
  stored(doc: string, sseq: number, bytes: Uint8Array, label: string): void {
    const expected = (this.cursors.get(doc) ?? 0) + 1
    if (sseq !== expected) this.problem(`${label}: doc ${doc.slice(0, 6)} has sseq ${sseq} where ${expected} was next (a gap or a reorder)`)
    this.cursors.set(doc, sseq)
    const parts = splitEnvelope(bytes)
    const rec = parts ? this.byHash.get(toHex(hashOfEnvelope(parts))) : undefined
    if (!rec) return this.problem(`${label}: doc ${doc.slice(0, 6)} sseq ${sseq} holds an envelope no device sealed`)
    if (rec.doc !== doc || rec.digest !== sha256(bytes)) return this.problem(`${label}: doc ${doc.slice(0, 6)} sseq ${sseq} differs from what ${rec.device} sealed`)
    if (rec.storedSseq !== undefined && rec.storedSseq !== sseq) this.problem(`${label}: ${rec.device} seq ${rec.seq} moved from sseq ${rec.storedSseq} to ${sseq}`)
    if (rec.ackedSseq !== undefined && rec.ackedSseq !== sseq) this.problem(`${label}: ${rec.device} seq ${rec.seq} acknowledged as sseq ${rec.ackedSseq}, stored at ${sseq}`)
    if (rec.storedSseq === undefined && rec.ackedSseq === undefined && rec.inDoubt) this.counts.inDoubtFoundStored++
    rec.storedSseq = sseq
    this.ackedNotAudited.delete(rec)
    this.seenAgain?.add(rec)
  }

  /** An acknowledged envelope the store no longer has (counted once however often it is missed). */
  private lost(rec: SealedRecord): void {
    this.lostRecords.add(rec)
    this.counts.lost = this.lostRecords.size
  }

  /** Where the next audit of `doc` starts (0 after `restartAudits`). */
  cursor(doc: string): number {
    return this.cursors.get(doc) ?? 0
  }

  /** The next audit reads every document from sseq 1 again. */
  restartAudits(): void {
    this.cursors.clear()
    this.seenAgain = new Set()
  }

  /** After an audit of every document: an acknowledged envelope it did not find is lost. */
  endAudit(label: string): void {
    for (const rec of this.ackedNotAudited) {
      this.lost(rec)
      this.problem(`${label}: LOST ${rec.device} doc ${rec.doc.slice(0, 6)} seq ${rec.seq}, acknowledged as sseq ${rec.ackedSseq}`)
    }
    this.ackedNotAudited.clear()
  }

  /** After the final audit from scratch: each document holds exactly what was sealed for it, all acknowledged. */
  checkComplete(label: string): { documents: number; envelopes: number } {
    let envelopes = 0
    for (const [doc, list] of this.perDoc) {
      if (this.cursor(doc) !== list.length) this.problem(`${label}: doc ${doc.slice(0, 6)} holds ${this.cursor(doc)} envelopes, ${list.length} were sealed`)
      for (const rec of list) {
        if (rec.ackedSseq !== undefined && !this.seenAgain?.has(rec)) {
          this.lost(rec)
          this.problem(`${label}: LOST ${rec.device} doc ${doc.slice(0, 6)} seq ${rec.seq}, acknowledged as sseq ${rec.ackedSseq}`)
        } else if (rec.ackedSseq === undefined) this.problem(`${label}: ${rec.device} doc ${doc.slice(0, 6)} seq ${rec.seq} never acknowledged`)
        else if (rec.storedSseq !== rec.ackedSseq) this.problem(`${label}: ${rec.device} doc ${doc.slice(0, 6)} seq ${rec.seq} acknowledged as ${rec.ackedSseq}, stored at ${rec.storedSseq}`)
      }
      envelopes += list.length
    }
    return { documents: this.perDoc.size, envelopes }
  }
}
