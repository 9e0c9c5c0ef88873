import { toHex } from '../../crypto/verify.js'
import type { ChangeStore } from './ChangeStore.js'

type MailPart = Pick<ChangeStore, 'postMail' | 'readMail' | 'deleteMail' | 'mailBodies'>

/** [S11] Mailboxes in memory; same invariant 7 as sqliteMail.ts (see ChangeStore.ts). */
export function memoryMail(): MailPart {
  const bodies = new Map<number, { body: Uint8Array; refs: number }>()
  /** Per mailbox address (hex): mailbox id → body id, in ascending id order (ids only grow). */
  const boxes = new Map<string, Map<number, number>>()
  let nextBody = 1
  let nextId = 1

  return {
    async postMail(to, items, limit) {
      const keys = to.map(toHex)
      if (new Set(keys).size !== keys.length) throw new Error('postMail: duplicate recipient')
      // Invariant 7: check every mailbox before storing anything.
      if (keys.some((k) => (boxes.get(k)?.size ?? 0) + items.length > limit)) return undefined
      const bodyIds = items.map((body) => {
        const id = nextBody++
        bodies.set(id, { body, refs: keys.length })
        return id
      })
      const ids = keys.map((k) => {
        let box = boxes.get(k)
        if (!box) boxes.set(k, (box = new Map()))
        const mine = box
        return bodyIds.map((bodyId) => {
          const id = nextId++
          mine.set(id, bodyId)
          return id
        })
      })
      return { items: bodyIds, ids }
    },
    async readMail(to, limit) {
      const box = boxes.get(toHex(to)) ?? new Map<number, number>()
      return [...box].slice(0, limit).map(([id, bodyId]) => {
        return { id, body: bodies.get(bodyId)!.body }
      })
    },
    async deleteMail(to, ids) {
      const box = boxes.get(toHex(to))
      if (!box) return
      for (const id of ids) {
        const bodyId = box.get(id)
        if (bodyId === undefined) continue
        box.delete(id)
        const body = bodies.get(bodyId)!
        // Invariant 7: the last reference takes the body with it.
        if (--body.refs === 0) bodies.delete(bodyId)
      }
      if (box.size === 0) boxes.delete(toHex(to))
    },
    async mailBodies() {
      return bodies.size
    },
  }
}
