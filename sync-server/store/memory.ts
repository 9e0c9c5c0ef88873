import { bytesEqual, toHex } from '../../crypto/verify.js'
import type { AppendItem, AppendResult, ChangeStore, StoredConv, StoredEnvelope } from './ChangeStore.js'

/** In-memory store for tests; same invariants as sqlite.ts (see ChangeStore.ts). */
export function openMemoryStore(): ChangeStore {
  const convs = new Map<string, StoredConv>()
  const docs = new Map<string, { conv: Uint8Array; log: (StoredEnvelope & { key: string; hash: Uint8Array })[] }>()
  const heads = new Map<string, { seq: number; hash: Uint8Array }>()
  const bySeq = new Map<string, { sseq: number; hash: Uint8Array }>()

  const appendOne = (item: AppendItem): AppendResult => {
    const docKey = toHex(item.doc)
    const doc = docs.get(docKey)
    if (doc && !bytesEqual(doc.conv, item.conv)) return { ok: false, reason: 'wrong-conv' }
    const deviceKey = `${docKey}/${toHex(item.device)}`
    const existing = bySeq.get(`${deviceKey}/${item.seq}`)
    if (existing) return bytesEqual(existing.hash, item.hash) ? { ok: true, sseq: existing.sseq, duplicate: true } : { ok: false, reason: 'equivocation' }
    const head = heads.get(deviceKey)
    if (item.seq !== (head?.seq ?? 0) + 1) return { ok: false, reason: 'seq-gap' }
    if (head ? !bytesEqual(head.hash, item.prev) : item.prev.some((b) => b !== 0)) return { ok: false, reason: 'chain-broken' }
    const entry = doc ?? { conv: item.conv, log: [] }
    docs.set(docKey, entry)
    const sseq = entry.log.length + 1
    entry.log.push({ sseq, bytes: item.bytes, key: deviceKey, hash: item.hash })
    heads.set(deviceKey, { seq: item.seq, hash: item.hash })
    bySeq.set(`${deviceKey}/${item.seq}`, { sseq, hash: item.hash })
    return { ok: true, sseq, duplicate: false }
  }

  return {
    async getConv(conv) {
      return convs.get(toHex(conv))
    },
    async registerConv(conv, capPublic, epoch) {
      const key = toHex(conv)
      if (!convs.has(key)) convs.set(key, { capPublic, epoch })
      return convs.get(key)!
    },
    async append(items) {
      return items.map(appendOne)
    },
    async read(conv, doc, after, limit) {
      const entry = docs.get(toHex(doc))
      if (!entry || !bytesEqual(entry.conv, conv)) return []
      const log = entry.log
      return log.slice(after, after + limit).map(({ sseq, bytes }) => ({ sseq, bytes }))
    },
    async close() {},
  }
}
