import { toHex } from '../../crypto/verify.js'
import { MAIL_TTL_DAYS, dayOf, type ChangeStore } from './ChangeStore.js'
import { decoysToDrop, shuffled } from './decoys.js'

type MailPart = Pick<ChangeStore, 'postMail' | 'readMail' | 'readMailItems' | 'deleteMail' | 'mailBodies' | 'mailDepth' | 'expireMail'>

/** [S11] Mailboxes in memory; same invariants 7 and 8 as sqliteMail.ts (see ChangeStore.ts). */
export function memoryMail(): MailPart {
  const bodies = new Map<number, { body: Uint8Array; fanout: number; rows: Map<number, Uint8Array> }>()
  /** Per destination (hex): row id → body id, in ascending id order (ids only grow). */
  const boxes = new Map<string, Map<number, number>>()
  /** Row id → the day it expires. */
  const expiry = new Map<number, number>()
  let nextBody = 1
  let nextId = 1

  return {
    async postMail(to, items, limit, now = Date.now(), decoys = []) {
      const dests = [...to, ...decoys]
      const keys = dests.map(toHex)
      if (new Set(keys).size !== keys.length) throw new Error('postMail: duplicate recipient')
      // Invariant 7: check every mailbox before storing anything (decoys are not limited).
      if (keys.slice(0, to.length).some((k) => (boxes.get(k)?.size ?? 0) + items.length > limit)) return undefined
      const bodyIds = items.map((body) => {
        const id = nextBody++
        bodies.set(id, { body, fanout: dests.length, rows: new Map() })
        return id
      })
      // Rows in random order (ids follow insertion), as sqliteMail.ts.
      const ids: number[][] = keys.map(() => [])
      for (const i of shuffled(keys.length)) {
        const k = keys[i]!
        let box = boxes.get(k)
        if (!box) boxes.set(k, (box = new Map()))
        const mine = box
        ids[i] = bodyIds.map((bodyId) => {
          const id = nextId++
          mine.set(id, bodyId)
          bodies.get(bodyId)!.rows.set(id, dests[i]!)
          expiry.set(id, dayOf(now) + MAIL_TTL_DAYS)
          return id
        })
      }
      return { items: bodyIds, ids }
    },
    async readMail(to, limit) {
      const box = boxes.get(toHex(to)) ?? new Map<number, number>()
      return [...box].slice(0, limit).map(([id, bodyId]) => {
        const b = bodies.get(bodyId)!
        return { id, body: b.body, fanout: b.fanout }
      })
    },
    async readMailItems(to, ids) {
      const box = boxes.get(toHex(to))
      return [...new Set(ids)].sort((a, b) => a - b).slice(0, 1000).flatMap((id) => {
        const b = bodies.get(box?.get(id) ?? 0)
        return b ? [{ id, body: b.body, fanout: b.fanout }] : []
      })
    },
    async deleteMail(to, ids, pools) {
      for (const id of ids) {
        const bodyId = boxes.get(toHex(to))?.get(id)
        if (bodyId === undefined) continue
        remove(toHex(to), id)
        const body = bodies.get(bodyId)
        const pool = body && pools?.(id, body.fanout)
        if (!body || !pool) continue
        for (const d of decoysToDrop([...body.rows].map(([rowId, dest]) => ({ id: rowId, dest })), pool)) remove(toHex(body.rows.get(d)!), d)
      }
    },
    async mailBodies() {
      return bodies.size
    },
    async mailDepth() {
      let rows = 0
      for (const box of boxes.values()) rows += box.size
      return rows
    },
    async expireMail(now) {
      let gone = 0
      for (const [key, box] of [...boxes]) {
        for (const id of [...box.keys()].filter((i) => expiry.get(i)! < dayOf(now))) {
          remove(key, id)
          gone++
        }
      }
      return gone
    },
  }

  function remove(key: string, id: number): void {
    const box = boxes.get(key)
    const bodyId = box?.get(id)
    if (!box || bodyId === undefined) return
    box.delete(id)
    expiry.delete(id)
    if (box.size === 0) boxes.delete(key)
    const body = bodies.get(bodyId)!
    body.rows.delete(id)
    // Invariant 7: the last reference takes the body with it.
    if (body.rows.size === 0) bodies.delete(bodyId)
  }
}
