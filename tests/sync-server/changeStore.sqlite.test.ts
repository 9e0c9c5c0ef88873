import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { randomBytes } from '../../crypto/verify.js'
import { openSqliteStore } from '../../sync-server/store/sqlite.js'
import { changeStoreContract, world } from './changeStore.contract.js'

const dir = mkdtempSync(join(tmpdir(), 'fieldchat-store-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let n = 0
const freshFile = () => join(dir, `store-${n++}.sqlite`)

changeStoreContract('sqlite (normal)', () => openSqliteStore(freshFile()))
changeStoreContract('sqlite (full)', () => openSqliteStore(freshFile(), { durability: 'full' }))

describe('ChangeStore sqlite persistence', () => {
  test('[S4] invariant 1: envelopes, chain heads, sseq counters and capabilities survive close and reopen', async () => {
    const file = freshFile()
    const w = world()
    const [one, two, three] = w.chain(w.alice, 3)
    const cap = randomBytes(32)

    const first = openSqliteStore(file)
    await first.registerConv(w.conv, cap, 2)
    expect(await first.append([one!, two!])).toEqual([
      { ok: true, sseq: 1, duplicate: false },
      { ok: true, sseq: 2, duplicate: false },
    ])
    await first.close()

    const second = openSqliteStore(file)
    const conv = await second.getConv(w.conv)
    expect(conv && { cap: new Uint8Array(conv.capPublic), epoch: conv.epoch }).toEqual({ cap, epoch: 2 })
    expect((await second.read(w.conv, w.doc, 0, 10)).map((e) => new Uint8Array(e.bytes))).toEqual([one!.bytes, two!.bytes])
    // The duplicate is still recognised, the chain continues from the stored head, sseq from the stored counter.
    expect(await second.append([two!, three!, { ...three!, hash: randomBytes(32) }])).toEqual([
      { ok: true, sseq: 2, duplicate: true },
      { ok: true, sseq: 3, duplicate: false },
      { ok: false, reason: 'equivocation' },
    ])
    // invariant 5 also survives
    expect(await second.append([{ ...w.chain(w.bob, 1)[0]!, conv: randomBytes(16) }])).toEqual([{ ok: false, reason: 'wrong-conv' }])
    await second.close()
  })
})
