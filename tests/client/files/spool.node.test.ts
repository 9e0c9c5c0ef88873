import { mkdtempSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { FILE_SEALED_CHUNK_BYTES, randomBytes } from '../../../crypto/index.js'
import { memorySpool, type Spool } from '../../../client/core/files/spool.js'
import { nodeSpool } from '../../../client/node/fileSpool.js'

const chunk = () => randomBytes(FILE_SEALED_CHUNK_BYTES)
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b))

/** [A2] Every spool: what is written (in any interleaving of entries) is read back whole, and removed entries are gone. */
describe.each([
  ['memory', () => memorySpool()],
  ['node files', () => nodeSpool(join(mkdtempSync(join(tmpdir(), 'fieldchat-spool-')), 'spool'))],
] as [string, () => Spool][])('[A2] spool (%s)', (_, make) => {
  test('[A2] two entries written at once, interleaved and out of step, read back chunk for chunk; remove and list', async () => {
    const spool = make()
    const a = Array.from({ length: 37 }, chunk)
    const b = Array.from({ length: 21 }, chunk)
    await Promise.all([
      (async () => { for (const [i, c] of a.entries()) await spool.write('tagA.0', i, c) })(),
      (async () => { for (const [i, c] of b.entries()) await spool.write('tagB.0', i, c) })(),
    ])
    await Promise.all([spool.flush('tagA.0'), spool.flush('tagB.0')])
    expect(same(await spool.read('tagA.0', 0, 37), Buffer.concat(a))).toBe(true)
    expect(same(await spool.read('tagB.0', 5, 16), Buffer.concat(b.slice(5, 21)))).toBe(true)
    expect((await spool.list()).sort()).toEqual(['tagA.0', 'tagB.0'])
    await spool.remove('tagA.0')
    expect(await spool.list()).toEqual(['tagB.0'])
    await expect(spool.read('tagA.0', 0, 1)).rejects.toThrow()
  })

  test('[A2] runs of several chunks mixed with single chunks; a run\'s buffer is refilled once the next call has returned (two buffers taking turns, as sealing does)', async () => {
    const spool = make()
    const all = Array.from({ length: 40 }, chunk)
    const buffers = [new Uint8Array(16 * FILE_SEALED_CHUNK_BYTES), new Uint8Array(16 * FILE_SEALED_CHUNK_BYTES)]
    await spool.write('r.0', 0, all[0]!)
    let turn = 0
    for (const [from, to] of [[1, 17], [17, 33], [33, 39]] as const) {
      const buf = buffers[turn++ & 1]!.subarray(0, (to - from) * FILE_SEALED_CHUNK_BYTES)
      buf.set(Buffer.concat(all.slice(from, to)))
      await spool.write('r.0', from, buf)
    }
    await spool.write('r.0', 39, all[39]!)
    // Both buffers scribbled over after the last call: nothing in flight may still read them.
    for (const b of buffers) b.fill(0xaa)
    await expect(spool.write('r.0', 40, new Uint8Array(FILE_SEALED_CHUNK_BYTES + 1))).rejects.toThrow()
    await spool.flush('r.0')
    expect(same(await spool.read('r.0', 0, 40), Buffer.concat(all))).toBe(true)
    // Read into a caller's buffer (longer than needed): the result holds exactly the chunks.
    const into = new Uint8Array(20 * FILE_SEALED_CHUNK_BYTES).fill(1)
    expect(same(await spool.read('r.0', 3, 17, into), Buffer.concat(all.slice(3, 20)))).toBe(true)
  })

  test('[A2] a read sees chunks written but not yet flushed', async () => {
    const spool = make()
    const c = Array.from({ length: 3 }, chunk)
    for (const [i, x] of c.entries()) await spool.write('t.1', i, x)
    expect(same(await spool.read('t.1', 1, 2), Buffer.concat(c.slice(1)))).toBe(true)
  })
})

test('[A2] the node spool keeps one file per entry, chunk i at i × 65,552', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'fieldchat-spool-')), 'spool')
  const spool = nodeSpool(dir)
  for (let i = 0; i < 20; i++) await spool.write('x.0', i, chunk())
  await spool.flush('x.0')
  expect(readdirSync(dir)).toEqual(['x.0'])
})
