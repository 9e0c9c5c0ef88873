import { toHex } from '../../crypto/verify.js'
import { MAIL_TTL_DAYS, dayOf, type ChangeStore } from './ChangeStore.js'

type MailPart = Pick<ChangeStore, 'postMail' | 'readMail' | 'deleteMail' | 'mailBodies' | 'expireMail'>

/** [S11] Mailboxes in memory; same invariant 7 as sqliteMail.ts (see ChangeStore.ts). */
export function memoryMail(): MailPart {
  const bodies = new Map<number, { body: Uint8Array; refs: number }>()
  /** Per mailbox address (hex): mailbox id → body id, in ascending id order (ids only grow). */
  const boxes = new Map<string, Map<number, number>>()
  /** Mailbox id → the day it expires. */
  const expiry = new Map<number, number>()
  let nextBody = 1
  let nextId = 1

  return {
    async postMail(to, items, limit, now = Date.now()) {
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
          expiry.set(id, dayOf(now) + MAIL_TTL_DAYS)
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
      remove(toHex(to), ids)
    },
    async mailBodies() {
      return bodies.size
    },
    async expireMail(now) {
      let gone = 0
      for (const [key, box] of [...boxes]) {
        const old = [...box.keys()].filter((id) => expiry.get(id)! < dayOf(now))
        gone += old.length
        remove(key, old)
      }
      return gone
    },
  }

  function remove(key: string, ids: readonly number[]): void {
    const box = boxes.get(key)
    if (!box) return
    for (const id of ids) {
      const bodyId = box.get(id)
      if (bodyId === undefined) continue
      box.delete(id)
      expiry.delete(id)
      const body = bodies.get(bodyId)!
      // Invariant 7: the last reference takes the body with it.
      if (--body.refs === 0) bodies.delete(bodyId)
    }
    if (box.size === 0) boxes.delete(key)
  }
}
