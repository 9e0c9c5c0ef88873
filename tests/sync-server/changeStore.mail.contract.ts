import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { randomBytes } from '../../crypto/verify.js'
import { MAIL_TTL_DAYS, type ChangeStore, type MailItem } from '../../sync-server/store/ChangeStore.js'

/**
 * [S11] Mailboxes: the part of the ChangeStore contract about mail (invariant 7 of
 * sync-server/store/ChangeStore.ts). Run by changeStoreContract for every implementation.
 */
export function mailContract(name: string, open: () => ChangeStore | Promise<ChangeStore>): void {
  describe(`ChangeStore mail contract: ${name}`, () => {
    let store: ChangeStore
    beforeEach(async () => {
      store = await open()
    })
    afterEach(async () => {
      await store.close()
    })

    // Personas: alice posts (an admin rotating keys), the others are recipient devices.
    const alice = randomBytes(32)
    const bob = randomBytes(32)
    const carol = randomBytes(32)
    const dave = randomBytes(32)
    const op = randomBytes(48 * 300)
    const note = randomBytes(100)
    /** Stores may hand back Buffers (sqlite) or Uint8Arrays: compare content only. */
    const plain = (items: MailItem[]) => items.map((m) => ({ id: m.id, body: new Uint8Array(m.body) }))
    const bodiesOf = async (device: Uint8Array) => plain(await store.readMail(device, 1000)).map((m) => m.body)

    test('[S11] invariant 7: one post to three devices is read by each, with its own ids, and each body is stored once', async () => {
      const posted = await store.postMail([bob, carol, dave], [op, note], 1000)
      expect(posted?.items).toHaveLength(2)
      expect(posted?.ids.map((ids) => ids.length)).toEqual([2, 2, 2])
      expect(new Set(posted!.ids.flat()).size).toBe(6)
      for (const [r, device] of [bob, carol, dave].entries()) {
        expect(plain(await store.readMail(device, 1000))).toEqual([
          { id: posted!.ids[r]![0], body: op },
          { id: posted!.ids[r]![1], body: note },
        ])
      }
      expect(await store.readMail(alice, 1000)).toEqual([])
      expect(await store.mailBodies()).toBe(2)
    })

    test('[S11] deleting an item for one device leaves it for the others; the body goes with the last delete', async () => {
      const posted = (await store.postMail([bob, carol, dave], [op], 1000))!
      const [forBob, forCarol, forDave] = posted.ids.map((ids) => ids[0]!)
      await store.deleteMail(bob, [forBob!])
      expect(await bodiesOf(bob)).toEqual([])
      expect(await bodiesOf(carol)).toEqual([op])
      expect(await bodiesOf(dave)).toEqual([op])
      expect(await store.mailBodies()).toBe(1)
      await store.deleteMail(carol, [forCarol!])
      expect(await store.mailBodies()).toBe(1)
      await store.deleteMail(dave, [forDave!])
      expect(await store.mailBodies()).toBe(0)
      // Deleting again is a no-op and does not disturb later mail.
      await store.postMail([bob], [note], 1000)
      await store.deleteMail(dave, [forDave!])
      expect(await bodiesOf(bob)).toEqual([note])
      expect(await store.mailBodies()).toBe(1)
    })

    test('[S11] a device cannot delete items of another device\'s mailbox', async () => {
      const posted = (await store.postMail([bob, carol], [op], 1000))!
      await store.deleteMail(dave, posted.ids.flat())
      await store.deleteMail(bob, [posted.ids[1]![0]!]) // carol's id
      expect(await bodiesOf(bob)).toEqual([op])
      expect(await bodiesOf(carol)).toEqual([op])
      expect(await store.mailBodies()).toBe(1)
    })

    test('[S11] invariant 7: when one recipient\'s mailbox would be full, nothing is stored for anyone', async () => {
      await store.postMail([carol], [note, note, note], 4)
      expect(await store.postMail([bob, carol, dave], [op, op], 4)).toBeUndefined()
      expect(await bodiesOf(bob)).toEqual([])
      expect(await bodiesOf(dave)).toEqual([])
      expect(await store.readMail(carol, 1000)).toHaveLength(3)
      expect(await store.mailBodies()).toBe(3)
      // Exactly at the limit is allowed.
      expect(await store.postMail([bob, carol, dave], [op], 4)).toBeDefined()
      expect(await store.readMail(carol, 1000)).toHaveLength(4)
    })

    test('[S11] a mailbox reads in post order, at most `limit` items', async () => {
      const first = randomBytes(10)
      const second = randomBytes(20)
      const third = randomBytes(30)
      await store.postMail([bob], [first], 1000)
      await store.postMail([bob, carol], [second, third], 1000)
      expect(await bodiesOf(bob)).toEqual([first, second, third])
      expect(plain(await store.readMail(bob, 2)).map((m) => m.body)).toEqual([first, second])
    })

    test('[S11] unread mail expires after MAIL_TTL_DAYS, to the day, with its body; read and fresh mail stays', async () => {
      const day = 86_400_000
      const t0 = Date.UTC(2026, 11, 5, 12)
      const old = (await store.postMail([bob, carol], [op], 1000, t0))!
      const fresh = (await store.postMail([bob], [note], 1000, t0 + 10 * day))!
      expect(await store.expireMail(t0 + MAIL_TTL_DAYS * day)).toBe(0)
      expect(await store.expireMail(t0 + (MAIL_TTL_DAYS + 1) * day)).toBe(2)
      expect(await bodiesOf(bob)).toEqual([note])
      expect(await bodiesOf(carol)).toEqual([])
      expect(await store.mailBodies()).toBe(1)
      expect(old.items).toHaveLength(1)
      await store.deleteMail(bob, fresh.ids[0]!)
      expect(await store.expireMail(t0 + 1000 * day)).toBe(0)
      expect(await store.mailBodies()).toBe(0)
    })

    test('[S11] invariant 8: decoys are never limited, carry the fanout, and leave in step with reads that name their pool', async () => {
      const decoys = Array.from({ length: 5 }, () => randomBytes(32))
      const pool = new Set(decoys.map((d) => Buffer.from(d).toString('hex')))
      // A full decoy destination does not refuse a post: only real mailboxes are limited.
      for (let i = 0; i < 3; i++) expect(await store.postMail([carol], [randomBytes(4)], 1000, undefined, [decoys[0]!])).toBeDefined()
      await store.deleteMail(carol, (await store.readMail(carol, 10)).map((m) => m.id), () => pool)
      expect(await store.mailBodies()).toBe(0)
      const posted = await store.postMail([bob, carol, dave], [note], 1, undefined, decoys)
      expect(posted?.ids).toHaveLength(8)
      expect((await store.readMail(bob, 10)).map((m) => m.fanout)).toEqual([8])
      const left = async () => (await Promise.all(decoys.map((d) => store.readMail(d, 10)))).filter((r) => r.length).length
      await store.deleteMail(bob, posted!.ids[0]!) // no pool: the decoys stay
      expect(await left()).toBe(5)
      await store.deleteMail(carol, posted!.ids[1]!, (id, fanout) => (id === posted!.ids[1]![0] && fanout === 8 ? pool : undefined))
      expect(await left()).toBe(2) // 1 real row left: ceil(5 / 2) = 3 went
      await store.deleteMail(dave, posted!.ids[2]!, () => pool)
      expect(await left()).toBe(0)
      expect(await store.mailBodies()).toBe(0)
    })

    test('[S11] a post naming the same mailbox twice is a programmer error and stores nothing', async () => {
      await expect(store.postMail([bob, carol, bob.slice()], [op], 1000)).rejects.toThrow(/duplicate/)
      expect(await store.readMail(bob, 1000)).toEqual([])
      expect(await store.mailBodies()).toBe(0)
    })
  })
}
