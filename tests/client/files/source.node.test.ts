import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { blobSource, bytesSource, checkFile, type FileSource } from '../../../client/core/files/check/index.js'
import { fileHandleSource, sha256Of } from '../../../client/cli/fileCheckCommand.js'
import { docx, sha256Of as wholeSha256, zipOf, peProgram } from './fixtures.js'

/** [H1] One engine over every kind of source: bytes, a Blob (as a browser File), a Node file handle. */
const dir = mkdtempSync(join(tmpdir(), 'fieldchat-sources-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('[H1] file sources', () => {
  test('[H1] bytes, a Blob and a file handle give the same verdict for the same file', async () => {
    const bytes = await zipOf({ 'setup.exe': peProgram(), 'doc.docx': await docx(false) })
    const path = join(dir, 'tools.zip')
    writeFileSync(path, bytes)
    const handle = await open(path, 'r')
    try {
      const sources: FileSource[] = [bytesSource(bytes), blobSource(new Blob([new Uint8Array(bytes)])), fileHandleSource(handle, bytes.length)]
      const verdicts = await Promise.all(sources.map((s) => checkFile(s, { name: 'tools.zip' }, wholeSha256(bytes))))
      expect(verdicts[0]!.level).toBe('warn')
      expect(verdicts[1]).toEqual(verdicts[0])
      expect(verdicts[2]).toEqual(verdicts[0])
    } finally {
      await handle.close()
    }
  })

  test('[H1] a read past the end is cut to the file; a read at the end is empty', async () => {
    const bytes = Uint8Array.from({ length: 100 }, (_, i) => i)
    for (const s of [bytesSource(bytes), blobSource(new Blob([new Uint8Array(bytes)]))]) {
      expect([...(await s.read(90, 50))]).toEqual([90, 91, 92, 93, 94, 95, 96, 97, 98, 99])
      expect((await s.read(100, 10)).length).toBe(0)
    }
  })

  test('[H1] the CLI hashes a file in 1 MiB reads, and the hash is the plain SHA-256 of it (crypto [F5])', async () => {
    const bytes = new Uint8Array(3.5 * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24)
    const path = join(dir, 'video.bin')
    writeFileSync(path, bytes)
    const handle = await open(path, 'r')
    try {
      const inner = fileHandleSource(handle, bytes.length)
      const reads: number[] = []
      const counted: FileSource = { size: inner.size, read: (o, n) => (reads.push(n), inner.read(o, n)) }
      expect(await sha256Of(counted)).toBe(wholeSha256(bytes))
      expect(reads).toEqual([1, 1, 1, 1].map(() => 1024 * 1024))
    } finally {
      await handle.close()
    }
  })
})
