import { bytesEqual, toHex } from '../../crypto/verify.js'
import type { AppendItem, AppendResult, ChangeStore, StoredConv, StoredEnvelope } from './ChangeStore.js'
import { memoryMail } from './memoryMail.js'

/** In-memory store for tests; same invariants as sqlite.ts (see ChangeStore.ts). */
export function openMemoryStore(): ChangeStore {
  const convs = new Map<string, StoredConv>()
  const docs = new Map<string, { conv: Uint8Array; last: number; log: (StoredEnvelope & { key: string; seq: number; hash: Uint8Array })[] }>()
  const heads = new Map<string, { seq: number; hash: Uint8Array }>()
  const bySeq = new Map<string, { sseq: number; hash: Uint8Array }>()
  const snaps = new Map<string, { seq: number; coversSseq: number; bytes: Uint8Array; doc: string }>()
  /** [S56] Keep-until days of documents that have one (absent: forever), and tombstones: doc → conv. */
  const keeps = new Map<string, { conv: Uint8Array; day: number }>()
  const dropped = new Map<string, Uint8Array>()
  /** Only checkWritable looks at it ([S7]): the other methods keep working on the maps after close. */
  let closed = false

  const appendOne = (item: AppendItem): AppendResult => {
    const docKey = toHex(item.doc)
    const doc = docs.get(docKey)
    if (doc && !bytesEqual(doc.conv, item.conv)) return { ok: false, reason: 'wrong-conv' }
    const gone = dropped.get(docKey)
    if (gone) return bytesEqual(gone, item.conv) ? { ok: false, reason: 'dropped' } : { ok: false, reason: 'wrong-conv' }
    const deviceKey = `${docKey}/${toHex(item.chain)}`
    const snap = snaps.get(deviceKey)
    if (item.kind === 2) {
      if (!doc) return { ok: false, reason: 'chain-broken' }
      if (snap && snap.seq >= item.seq) return { ok: true, sseq: snap.coversSseq, duplicate: true }
      const head = bySeq.get(`${deviceKey}/${item.seq}`)
      if (!head || !bytesEqual(head.hash, item.prev)) return { ok: false, reason: 'chain-broken' }
      snaps.set(deviceKey, { seq: item.seq, coversSseq: head.sseq, bytes: item.bytes, doc: docKey })
      doc.log = doc.log.filter((e) => !(e.key === deviceKey && e.seq <= item.seq))
      return { ok: true, sseq: head.sseq, duplicate: true }
    }
    if (snap && item.seq <= snap.seq) return { ok: true, sseq: snap.coversSseq, duplicate: true }
    const existing = bySeq.get(`${deviceKey}/${item.seq}`)
    if (existing) return bytesEqual(existing.hash, item.hash) ? { ok: true, sseq: existing.sseq, duplicate: true } : { ok: false, reason: 'equivocation' }
    const head = heads.get(deviceKey)
    if (item.seq !== (head?.seq ?? 0) + 1) return { ok: false, reason: 'seq-gap' }
    if (head ? !bytesEqual(head.hash, item.prev) : item.prev.some((b) => b !== 0)) return { ok: false, reason: 'chain-broken' }
    const entry = doc ?? { conv: item.conv, last: 0, log: [] }
    docs.set(docKey, entry)
    const sseq = ++entry.last
    entry.log.push({ sseq, bytes: item.bytes, key: deviceKey, seq: item.seq, hash: item.hash })
    heads.set(deviceKey, { seq: item.seq, hash: item.hash })
    bySeq.set(`${deviceKey}/${item.seq}`, { sseq, hash: item.hash })
    // Invariant 9: a day only moves later; keep 0 is forever for good (no entry).
    const keep = item.keep ?? 0
    const kept = keeps.get(docKey)
    if (keep === 0) keeps.delete(docKey)
    else if (!doc) keeps.set(docKey, { conv: item.conv, day: keep })
    else if (kept) kept.day = Math.max(kept.day, keep)
    return { ok: true, sseq, duplicate: false }
  }
  /** Invariant 10: everything of the document goes; its tombstone stays. */
  const drop = (docKey: string, conv: Uint8Array) => {
    docs.delete(docKey)
    keeps.delete(docKey)
    dropped.set(docKey, conv)
    for (const map of [heads, bySeq, snaps]) for (const key of [...map.keys()]) if (key.startsWith(`${docKey}/`)) map.delete(key)
  }

  return {
    async getConv(conv) {
      return convs.get(toHex(conv))
    },
    async registerConv(conv, capPublic, epoch, admin) {
      const key = toHex(conv)
      if (!convs.has(key)) convs.set(key, admin ? { capPublic, epoch, admin } : { capPublic, epoch })
      return convs.get(key)!
    },
    async rekeyConv(conv, capPublic, epoch, admin, from) {
      const key = toHex(conv)
      if (convs.get(key)?.epoch !== from) return false
      convs.set(key, { capPublic, epoch, admin })
      return true
    },
    async append(items) {
      return items.map(appendOne)
    },
    async read(conv, doc, after, limit) {
      const entry = docs.get(toHex(doc))
      if (!entry || !bytesEqual(entry.conv, conv)) return []
      return entry.log.filter((e) => e.sseq > after).slice(0, limit).map(({ sseq, bytes }) => ({ sseq, bytes }))
    },
    async snapshots(conv, doc, after) {
      const docKey = toHex(doc)
      const entry = docs.get(docKey)
      if (!entry || !bytesEqual(entry.conv, conv)) return []
      return [...snaps.values()].filter((s) => s.doc === docKey && s.coversSseq > after).sort((a, b) => a.coversSseq - b.coversSseq).map((s) => s.bytes)
    },
    ...memoryMail(),
    async dropExpired(today) {
      const expired = [...keeps.entries()].filter(([, k]) => k.day < today)
      for (const [docKey, k] of expired) drop(docKey, k.conv)
      return expired.length
    },
    async checkWritable() {
      if (closed) throw new Error('store closed')
    },
    async close() {
      closed = true
    },
  }
}
