import * as A from '@automerge/automerge'
import { describe, expect, test } from 'vitest'
import { generateFileSecret, randomBytes } from '../../../crypto/index.js'
import { blobIdOf, paddedChunkCount } from '../../../protocol/index.js'
import { cleanName, fileRecord, readFileRecord, readFileRecords, safeName, type FileRef } from '../../../client/core/files/ref.js'

const ref = (over: Partial<FileRef> = {}): FileRef => ({
  blob: blobIdOf(randomBytes(16)), secret: generateFileSecret(), name: 'valve.jpg', type: 'image/jpeg', size: 200_000,
  chunks: paddedChunkCount(4), sha256: 'ab'.repeat(32), thumb: 'AAAA', width: 640, height: 480, ...over,
})

/** A record as a receiver reads it: through an Automerge document, as it arrives. */
function roundTrip(record: unknown): unknown {
  const doc = A.change(A.init<{ f: unknown }>(), (d) => void (d.f = record))
  return A.load<{ f: unknown }>(A.save(doc)).f
}

describe('[A1] file refs inside messages', () => {
  test('[A1] a ref survives the document and parses back whole', () => {
    const r = ref()
    const back = readFileRecord(roundTrip(fileRecord(r)))
    expect(back).toBeDefined()
    expect(back!.blob).toBe(r.blob)
    expect(Buffer.from(back!.secret.key).equals(Buffer.from(r.secret.key))).toBe(true)
    expect({ ...back, secret: undefined }).toEqual({ ...r, secret: undefined })
  })

  test('[A1] a hostile record is refused whole: bad lengths, an unpadded count, a count that does not hold the size, a path as name, a huge thumbnail', () => {
    const good = fileRecord(ref())
    const bad: Record<string, unknown>[] = [
      { ...good, k: new A.ImmutableString('AAAA') },
      { ...good, n: new A.ImmutableString('') },
      { ...good, b: new A.ImmutableString('not-a-blob') },
      { ...good, chunks: 5 },
      { ...good, chunks: paddedChunkCount(3) },
      { ...good, size: 3 * 1024 ** 3 },
      { ...good, size: -1 },
      { ...good, name: new A.ImmutableString('../../etc/passwd') },
      { ...good, name: new A.ImmutableString('') },
      { ...good, name: new A.ImmutableString('a\u0000b') },
      { ...good, type: new A.ImmutableString('text/html; charset=utf-8"<script>') },
      { ...good, sha: new A.ImmutableString('AB'.repeat(32)) },
      { ...good, thumb: new A.ImmutableString('A'.repeat(70_000)) },
    ]
    for (const b of bad) expect(readFileRecord(roundTrip(b))).toBeUndefined()
    expect(readFileRecord(null)).toBeUndefined()
    expect(readFileRecord('x')).toBeUndefined()
  })

  test('[A1] a list keeps the good refs, drops the bad ones, and reads at most 32', () => {
    const list = [fileRecord(ref()), { junk: 1 }, ...Array.from({ length: 40 }, () => fileRecord(ref()))]
    expect(readFileRecords(roundTrip(list))).toHaveLength(31)
    expect(readFileRecords('nope')).toBeUndefined()
  })

  test('[A1] names: a path is cut to its last part, control characters dropped; ".." is never a name', () => {
    expect(safeName('C:\\Users\\me\\report.pdf')).toBe('report.pdf')
    expect(safeName('/tmp/a/b.txt')).toBe('b.txt')
    expect(safeName('..')).toBe('file')
    expect(safeName('a\u0007b.txt')).toBe('ab.txt')
    expect(cleanName('ok.txt')).toBe(true)
    expect(cleanName('a/b')).toBe(false)
  })
})
