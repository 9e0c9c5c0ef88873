import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { randomBytes } from '../../crypto/verify.js'
import type { AppendItem, ChangeStore } from '../../sync-server/store/ChangeStore.js'
import { world } from './changeStore.contract.js'

/**
 * [S56] Keep-until days and dropped documents (ChangeStore invariants 9 and 10), run by every
 * store from changeStoreContract. A document's fate is observed the only way the server acts on
 * it: whether `dropExpired(today)` drops it.
 */
export function keepContract(name: string, open: () => ChangeStore | Promise<ChangeStore>): void {
  describe(`ChangeStore keep-until contract: ${name}`, () => {
    let store: ChangeStore
    beforeEach(async () => {
      store = await open()
    })
    afterEach(async () => {
      await store.close()
    })

    const keep = (items: AppendItem[], ...days: number[]) => items.map((item, i) => ({ ...item, keep: days[i] ?? days[days.length - 1]! }))
    const count = async (w: ReturnType<typeof world>, doc = w.doc) => (await store.read(w.conv, doc, 0, 1000)).length
    /** The first day on which the document is dropped, probing from `from` (each probe drops for good, so probe ascending). */
    const dropsOn = async (from: number, to: number): Promise<number | undefined> => {
      for (let day = from; day <= to; day++) if ((await store.dropExpired(day)) > 0) return day
      return undefined
    }

    test('[S56] invariant 9: a document whose envelopes all name a day is dropped the day after the latest; the latest wins whatever the order', async () => {
      const w = world()
      // A later day first, then an earlier one from another member: the later stays.
      await store.append(keep(w.chain(w.alice, 2), 20_010, 20_005))
      await store.append(keep(w.chain(w.bob, 1), 20_003))
      expect(await dropsOn(20_000, 20_020)).toBe(20_011)
      expect(await count(w)).toBe(0)
    })

    test('[S56] invariant 9: forever is sticky — after one envelope said 0 (or nothing), no day brings the drop back', async () => {
      const days = w3()
      // 1. The first envelope forever, later ones with days.
      await store.append(keep(days[0]!.chain(days[0]!.alice, 1), 0))
      await store.append(keep(days[0]!.chain(days[0]!.bob, 2), 20_001))
      // 2. A day, then forever in the middle of a batch, then a day again.
      await store.append(keep(days[1]!.chain(days[1]!.alice, 3), 20_001, 0, 20_002))
      // 3. No keep at all (as a client before version 7 pushes), then days.
      await store.append(days[2]!.chain(days[2]!.alice, 1))
      await store.append(keep(days[2]!.chain(days[2]!.bob, 2), 20_001))
      expect(await store.dropExpired(99_999)).toBe(0)
      for (const w of days) expect(await count(w)).toBe(3)
    })

    test('[S56] invariant 9: a repeat, a refused envelope or a snapshot changes nothing', async () => {
      const w = world()
      const [one, two, three] = keep(w.chain(w.alice, 3), 20_001)
      await store.append([one!, two!])
      const refused = [
        { ...one!, keep: 0 }, // a byte-identical repeat
        { ...two!, hash: randomBytes(32), bytes: randomBytes(40), keep: 0 }, // equivocation
        { ...three!, seq: 9, keep: 0 }, // a gap
        { ...three!, prev: randomBytes(32), keep: 0 }, // a broken chain
        { ...three!, conv: randomBytes(16), keep: 0 }, // another conversation
        { ...two!, kind: 2 as const, prev: two!.hash, hash: randomBytes(32), bytes: randomBytes(50), keep: 30_000 }, // a snapshot (acked as a repeat)
      ]
      const results = await store.append(refused)
      expect(results.map((r) => (r.ok ? r.duplicate : r.reason))).toEqual([true, 'equivocation', 'seq-gap', 'chain-broken', 'wrong-conv', true])
      expect(await dropsOn(20_000, 20_010)).toBe(20_002)
    })

    test('[S56] invariant 10: dropExpired drops exactly the documents whose day passed — envelopes and snapshots — and leaves the rest', async () => {
      const w = world()
      const soon = randomBytes(16)
      const later = randomBytes(16)
      const forever = randomBytes(16)
      const other = world() // another conversation, same day
      const mine = keep(w.chain(w.alice, 3, soon), 20_005)
      await store.append(mine)
      // A snapshot of alice's first two envelopes: it goes with the document too.
      await store.append([{ ...mine[1]!, kind: 2, prev: mine[1]!.hash, hash: randomBytes(32), bytes: randomBytes(70) }])
      expect(await store.snapshots(w.conv, soon, 0)).toHaveLength(1)
      await store.append(keep(w.chain(w.alice, 2, later), 20_007))
      await store.append(keep(w.chain(w.alice, 2, forever), 0))
      await store.append(keep(other.chain(other.alice, 1), 20_005))

      expect(await store.dropExpired(20_005)).toBe(0) // "passed" means before today
      expect(await store.dropExpired(20_006)).toBe(2)
      expect(await store.read(w.conv, soon, 0, 100)).toEqual([])
      expect(await store.snapshots(w.conv, soon, 0)).toEqual([])
      expect(await count(other)).toBe(0)
      expect(await count(w, later)).toBe(2)
      expect(await count(w, forever)).toBe(2)
      expect(await store.dropExpired(20_006)).toBe(0) // a tombstone is not dropped again
      expect(await store.dropExpired(20_008)).toBe(1)
      expect(await count(w, later)).toBe(0)
      expect(await count(w, forever)).toBe(2)
    })

    test('[S56] invariant 10: a dropped document stays dropped — old envelopes, new chains, forever and other conversations are all refused, nothing is stored', async () => {
      const w = world()
      const [one, two] = keep(w.chain(w.alice, 2), 20_001)
      await store.append([one!])
      expect(await store.dropExpired(20_002)).toBe(1)
      const results = await store.append([
        one!, // a repeat of a dropped envelope
        two!, // the chain's next one
        ...keep(w.chain(w.bob, 1), 0), // a new chain, forever
        { ...keep(w.chain(w.bob, 1), 30_000)[0]!, conv: randomBytes(16) }, // under another conversation
      ])
      expect(results).toEqual([
        { ok: false, reason: 'dropped' }, { ok: false, reason: 'dropped' }, { ok: false, reason: 'dropped' }, { ok: false, reason: 'wrong-conv' },
      ])
      expect(await count(w)).toBe(0)
      expect(await store.snapshots(w.conv, w.doc, 0)).toEqual([])
      // Other documents of the conversation go on.
      expect((await store.append(keep(w.chain(w.alice, 1, randomBytes(16)), 0)))[0]).toMatchObject({ ok: true, sseq: 1 })
    })
  })
}

const w3 = () => [world(), world(), world()]
