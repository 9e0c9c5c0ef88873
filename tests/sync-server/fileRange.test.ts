import { mkdtempSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from 'vitest'
import { randomBytes } from '../../crypto/verify.js'
import { fileRange } from '../../sync-server/blobs/fileRange.js'

const dir = mkdtempSync(join(tmpdir(), 'fieldchat-file-range-'))
const content = randomBytes(40_000)
const path = join(dir, 'blob')
writeFileSync(path, content)

test('[B7] any range in pieces of at most the piece size, each copied before the next is asked for, equals the file\'s bytes', async () => {
  for (const [start, end, piece] of [[0, 10_000, 1024], [1, 9_999, 1000], [5000, 5001, 64], [0, 10_000, 20_000], [4096, 8192, 4096]] as const) {
    const parts: Buffer[] = []
    for await (const p of fileRange(await open(path, 'r'), start, end, piece)) {
      expect(p.length).toBeLessThanOrEqual(piece)
      parts.push(Buffer.from(p))
    }
    expect(Buffer.concat(parts).equals(Buffer.from(content.subarray(start, end))), `${start}-${end}/${piece}`).toBe(true)
  }
})

test('[B7] two buffers take turns: piece k + 2 reuses piece k\'s memory (a reader keeping a piece copies it)', async () => {
  const pieces: Uint8Array[] = []
  for await (const p of fileRange(await open(path, 'r'), 0, 36_000, 9000)) pieces.push(p)
  expect(pieces[0]!.buffer).toBe(pieces[2]!.buffer)
  expect(pieces[1]!.buffer).toBe(pieces[3]!.buffer)
  expect(pieces[0]!.buffer).not.toBe(pieces[1]!.buffer)
})

test('[B7] a reader that stops early closes the file (after the read running ahead); a file shorter than claimed throws', async () => {
  const handle = await open(path, 'r')
  for await (const _ of fileRange(handle, 0, 10_000, 100)) break
  await expect(handle.stat()).rejects.toThrow()
  const short = await open(path, 'r')
  const read = async () => {
    for await (const _ of fileRange(short, 39_000, 42_000, 4096)) void _
  }
  await expect(read()).rejects.toThrow('shorter')
  await expect(short.stat()).rejects.toThrow()
})
