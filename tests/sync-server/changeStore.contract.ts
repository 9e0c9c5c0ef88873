import { afterEach, beforeEach, describe, expect, test } from 'vitest'
import { randomBytes } from '../../crypto/verify.js'
import type { AppendItem, ChangeStore } from '../../sync-server/store/ChangeStore.js'
import { mailContract } from './changeStore.mail.contract.js'
import { keepContract } from './changeStore.keep.contract.js'

/**
 * The contract every ChangeStore runs (invariants 1–7 of sync-server/store/ChangeStore.ts; the
 * mailbox part, invariant 7, is in changeStore.mail.contract.ts).
 * Items here are opaque: the store sees only public header fields and a hash the server computed.
 */
export function changeStoreContract(name: string, open: () => ChangeStore | Promise<ChangeStore>): void {
  describe(`ChangeStore contract: ${name}`, () => {
    let store: ChangeStore
    beforeEach(async () => {
      store = await open()
    })
    afterEach(async () => {
      await store.close()
    })

    const sseqs = async (conv: Uint8Array, doc: Uint8Array) => (await store.read(conv, doc, 0, 1000)).map((e) => e.sseq)

    test('[S4] invariant 3: a device chain appends from seq 1 with a zero prev, each prev the previous hash', async () => {
      const w = world()
      const chain = w.chain(w.alice, 3)
      expect(await store.append(chain)).toEqual([ok(1), ok(2), ok(3)])
      expect(bytes(await store.read(w.conv, w.doc, 0, 10))).toEqual(chain.map((c) => c.bytes))
    })

    test('[S4] invariant 2: a byte-identical repeat is acked with the stored sseq and stores nothing new', async () => {
      const w = world()
      const [one, two] = w.chain(w.alice, 2)
      await store.append([one!, two!])
      expect(await store.append([one!])).toEqual([{ ok: true, sseq: 1, duplicate: true }])
      expect(await store.append([two!, two!])).toEqual([{ ok: true, sseq: 2, duplicate: true }, { ok: true, sseq: 2, duplicate: true }])
      expect(await sseqs(w.conv, w.doc)).toEqual([1, 2])
    })

    test('[S4] invariant 2: a repeat inside one batch is idempotent too', async () => {
      const w = world()
      const [one] = w.chain(w.alice, 1)
      expect(await store.append([one!, one!])).toEqual([ok(1), { ok: true, sseq: 1, duplicate: true }])
    })

    test('[S4] invariant 2: a different envelope at a stored (doc, chain, seq) is equivocation, and the first one stays', async () => {
      const w = world()
      const [one] = w.chain(w.alice, 1)
      await store.append([one!])
      const rival = { ...one!, hash: randomBytes(32), bytes: randomBytes(40) }
      expect(await store.append([rival])).toEqual([{ ok: false, reason: 'equivocation' }])
      expect(bytes(await store.read(w.conv, w.doc, 0, 10))).toEqual([one!.bytes])
    })

    test('[S4] invariant 3: a first envelope with seq 2 is a gap; a skipped seq is a gap', async () => {
      const w = world()
      const [one, two, three] = w.chain(w.alice, 3)
      expect(await store.append([two!])).toEqual([{ ok: false, reason: 'seq-gap' }])
      await store.append([one!])
      expect(await store.append([three!])).toEqual([{ ok: false, reason: 'seq-gap' }])
      expect(await store.append([two!, three!])).toEqual([ok(2), ok(3)])
    })

    test('[S4] invariant 3: a wrong prev breaks the chain (at seq 1: any non-zero prev)', async () => {
      const w = world()
      const [one, two] = w.chain(w.alice, 2)
      expect(await store.append([{ ...one!, prev: randomBytes(32) }])).toEqual([{ ok: false, reason: 'chain-broken' }])
      await store.append([one!])
      expect(await store.append([{ ...two!, prev: randomBytes(32) }])).toEqual([{ ok: false, reason: 'chain-broken' }])
      expect(await store.append([two!])).toEqual([ok(2)])
    })

    test('[S4] invariant 3: a refused envelope does not move the chain head', async () => {
      const w = world()
      const [one, two] = w.chain(w.alice, 2)
      await store.append([one!])
      await store.append([{ ...one!, hash: randomBytes(32) }, { ...two!, seq: 3 }, { ...two!, prev: randomBytes(32) }])
      expect(await store.append([two!])).toEqual([ok(2)])
    })

    test('[S4] invariant 3: chains are per (document, chain)', async () => {
      const w = world()
      const otherDoc = randomBytes(16)
      const a = w.chain(w.alice, 2)
      const b = w.chain(w.bob, 2)
      const aElsewhere = w.chain(w.alice, 1, otherDoc)
      expect(await store.append([a[0]!, b[0]!, aElsewhere[0]!, b[1]!, a[1]!])).toEqual([ok(1), ok(2), ok(1), ok(3), ok(4)])
    })

    test('[S4] results come back in input order; a refused item does not block the rest of the batch', async () => {
      const w = world()
      const [one, two] = w.chain(w.alice, 2)
      const [bobOne] = w.chain(w.bob, 1)
      expect(await store.append([two!, one!, bobOne!, two!])).toEqual([{ ok: false, reason: 'seq-gap' }, ok(1), ok(2), ok(3)])
    })

    test('[S4] invariant 4: sseq starts at 1 per document, increases by one across chains, and is never reused', async () => {
      const w = world()
      const otherDoc = randomBytes(16)
      const [a1, a2] = w.chain(w.alice, 2)
      const [b1] = w.chain(w.bob, 1)
      const [o1] = w.chain(w.alice, 1, otherDoc)
      expect(await store.append([a1!])).toEqual([ok(1)])
      expect(await store.append([{ ...b1!, seq: 5 }])).toEqual([{ ok: false, reason: 'seq-gap' }])
      expect(await store.append([b1!, o1!, a2!])).toEqual([ok(2), ok(1), ok(3)])
      expect(await sseqs(w.conv, w.doc)).toEqual([1, 2, 3])
      expect(await sseqs(w.conv, otherDoc)).toEqual([1])
    })

    test('[S4] invariant 5: a document belongs to the conversation of its first envelope', async () => {
      const w = world()
      const [one, two] = w.chain(w.alice, 2)
      await store.append([one!])
      const otherConv = randomBytes(16)
      expect(await store.append([{ ...two!, conv: otherConv }])).toEqual([{ ok: false, reason: 'wrong-conv' }])
      const [bobOne] = w.chain(w.bob, 1)
      expect(await store.append([{ ...bobOne!, conv: otherConv }])).toEqual([{ ok: false, reason: 'wrong-conv' }])
      expect(await store.append([two!])).toEqual([ok(2)])
    })

    test('[S5] invariant 5: read under another conversation returns nothing', async () => {
      const w = world()
      await store.append(w.chain(w.alice, 2))
      expect(await store.read(randomBytes(16), w.doc, 0, 10)).toEqual([])
      expect(await store.read(w.conv, randomBytes(16), 0, 10)).toEqual([])
    })

    test('[S5] read pages ascending by sseq after a cursor, at most limit items', async () => {
      const w = world()
      const chain = w.chain(w.alice, 7)
      await store.append(chain)
      expect((await store.read(w.conv, w.doc, 0, 3)).map((e) => e.sseq)).toEqual([1, 2, 3])
      expect((await store.read(w.conv, w.doc, 3, 3)).map((e) => e.sseq)).toEqual([4, 5, 6])
      expect((await store.read(w.conv, w.doc, 6, 3)).map((e) => e.sseq)).toEqual([7])
      expect(await store.read(w.conv, w.doc, 7, 3)).toEqual([])
      expect(await store.read(w.conv, w.doc, 100, 3)).toEqual([])
      expect(bytes(await store.read(w.conv, w.doc, 4, 1))).toEqual([chain[4]!.bytes])
    })

    test('[S3] registerConv keeps the first capability and epoch; getConv reports it', async () => {
      const conv = randomBytes(16)
      const cap = randomBytes(32)
      expect(await store.getConv(conv)).toBeUndefined()
      expect(plainConv(await store.registerConv(conv, cap, 3))).toEqual({ capPublic: cap, epoch: 3 })
      expect(plainConv(await store.registerConv(conv, randomBytes(32), 4))).toEqual({ capPublic: cap, epoch: 3 })
      expect(plainConv(await store.getConv(conv))).toEqual({ capPublic: cap, epoch: 3 })
      expect(await store.getConv(randomBytes(16))).toBeUndefined()
    })

    test('[S10] rekeyConv swaps only from the epoch given: of two rotations from one epoch, one wins; an unknown conversation is not created', async () => {
      const conv = randomBytes(16)
      await store.registerConv(conv, randomBytes(32), 3, randomBytes(32))
      const [capA, capB, admin] = [randomBytes(32), randomBytes(32), randomBytes(32)]
      const results = await Promise.all([store.rekeyConv(conv, capA, 4, admin, 3), store.rekeyConv(conv, capB, 5, admin, 3)])
      expect(results.filter(Boolean)).toHaveLength(1)
      const now = await store.getConv(conv)
      expect(results[0] ? { epoch: 4, cap: capA } : { epoch: 5, cap: capB }).toEqual({ epoch: now?.epoch, cap: new Uint8Array(now!.capPublic) })
      expect(await store.rekeyConv(conv, randomBytes(32), 9, admin, 3)).toBe(false)
      const unknown = randomBytes(16)
      expect(await store.rekeyConv(unknown, randomBytes(32), 1, admin, 0)).toBe(false)
      expect(await store.getConv(unknown)).toBeUndefined()
    })

    test('[S9] invariant 6: a snapshot ending at a stored envelope prunes that chain\'s envelopes it covers, not others\'', async () => {
      const w = world()
      const mine = w.chain(w.alice, 3)
      const theirs = w.chain(w.bob, 2)
      await store.append([mine[0]!, theirs[0]!, mine[1]!, theirs[1]!, mine[2]!])
      const snapshot = { ...mine[1]!, kind: 2 as const, prev: mine[1]!.hash, hash: randomBytes(32), bytes: randomBytes(99) }
      expect(await store.append([snapshot])).toEqual([{ ok: true, sseq: 3, duplicate: true }])
      expect(await sseqs(w.conv, w.doc)).toEqual([2, 4, 5]) // alice 1 and 2 pruned; bob and alice 3 stay
      expect((await store.snapshots(w.conv, w.doc, 0)).map((b) => Buffer.from(b))).toEqual([Buffer.from(snapshot.bytes)])
      expect(await store.snapshots(w.conv, w.doc, 3)).toEqual([]) // a reader past sseq 3 needs no snapshot
      expect(await store.snapshots(randomBytes(16), w.doc, 0)).toEqual([])
      // A pruned envelope sent again is a repeat, not a gap; the chain goes on after the head.
      expect((await store.append([mine[0]!]))[0]).toMatchObject({ ok: true, duplicate: true })
      expect((await store.append(w.chain(w.alice, 1)))[0]).toMatchObject({ ok: true, sseq: 6 })
    })

    test('[S9] invariant 6: a snapshot whose prev is not the stored envelope at its seq is refused and prunes nothing', async () => {
      const w = world()
      const mine = w.chain(w.alice, 2)
      await store.append(mine)
      const lying = { ...mine[1]!, kind: 2 as const, prev: randomBytes(32), hash: randomBytes(32), bytes: randomBytes(50) }
      const beyond = { ...mine[1]!, kind: 2 as const, seq: 9, prev: mine[1]!.hash, hash: randomBytes(32), bytes: randomBytes(50) }
      expect(await store.append([lying, beyond])).toEqual([{ ok: false, reason: 'chain-broken' }, { ok: false, reason: 'chain-broken' }])
      expect(await sseqs(w.conv, w.doc)).toEqual([1, 2])
      expect(await store.snapshots(w.conv, w.doc, 0)).toEqual([])
    })

    test('[S4] invariant 1: an append has resolved before anything reads it; an empty append is a no-op', async () => {
      const w = world()
      const pending = store.append(w.chain(w.alice, 1))
      expect(await pending).toEqual([ok(1)])
      expect(await sseqs(w.conv, w.doc)).toEqual([1])
      expect(await store.append([])).toEqual([])
    })
  })
  mailContract(name, open)
  keepContract(name, open)
}

/** Builds device chains the way the server derives AppendItems from envelope headers. */
export function world() {
  const conv = randomBytes(16)
  const doc = randomBytes(16)
  const alice = randomBytes(32)
  const bob = randomBytes(32)
  const heads = new Map<string, { seq: number; hash: Uint8Array }>()
  return {
    conv,
    doc,
    alice,
    bob,
    /** The next `n` envelopes of `device` in `forDoc`, continuing any chain made before. */
    chain(device: Uint8Array, n: number, forDoc = doc): AppendItem[] {
      const key = Buffer.from(forDoc).toString('hex') + Buffer.from(device).toString('hex')
      const out: AppendItem[] = []
      for (let i = 0; i < n; i++) {
        const head = heads.get(key) ?? { seq: 0, hash: new Uint8Array(32) }
        const item = { kind: 1 as const, conv, doc: forDoc, chain: device, seq: head.seq + 1, prev: head.hash, hash: randomBytes(32), bytes: randomBytes(64 + i) }
        heads.set(key, { seq: item.seq, hash: item.hash })
        out.push(item)
      }
      return out
    },
  }
}

const ok = (sseq: number) => ({ ok: true, sseq, duplicate: false })
/** Stores may hand back Buffers (sqlite) or Uint8Arrays: compare content only. */
const bytes = (items: { bytes: Uint8Array }[]) => items.map((e) => new Uint8Array(e.bytes))
const plainConv = (c: { capPublic: Uint8Array; epoch: number } | undefined) => c && { capPublic: new Uint8Array(c.capPublic), epoch: c.epoch }
