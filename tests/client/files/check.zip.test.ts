import { describe, expect, test } from 'vitest'
import { bytesSource, checkFile, HEAD_BYTES, ZIP_LIMITS, type FileSource, type FileVerdict } from '../../../client/core/files/check/index.js'
import { countingBytes, docx, handMadeZip, jpeg, peProgram, zipOf } from './fixtures.js'

/** [H6] Zip archives are listed from their central directory, within bounds, and never unpacked. */
const check = (source: FileSource, name: string): Promise<FileVerdict> => checkFile(source, { name }, '0'.repeat(64))
const codes = (v: FileVerdict) => v.reasons.map((r) => r.code)
const GB = 1024 ** 3

describe('[H6] what a zip holds', () => {
  test('[H6] a zip made with @zip.js/zip.js holding setup.exe is warned: "archive holds setup.exe (executable)"', async () => {
    const v = await check(bytesSource(await zipOf({ 'readme.txt': 'Install me', 'setup.exe': peProgram() })), 'tools.zip')
    expect(v.level).toBe('warn')
    expect(v.reasons).toEqual([{ code: 'H107_ARCHIVE_DANGEROUS', level: 'warn', text: 'archive holds setup.exe (executable)' }])
    expect(v).toMatchObject({ classes: ['archive'], contains: ['executable'], archive: { kind: 'archive', listed: 2, complete: true } })
  })

  test('[H6] a zip of photos is ok', async () => {
    const v = await check(bytesSource(await zipOf({ 'a.jpg': jpeg(), 'b.jpg': jpeg() })), 'photos.zip')
    expect(v).toMatchObject({ level: 'ok', classes: ['archive'], contains: [] })
  })

  test('[H3][H6] a zip holding a program, named .pdf, is blocked as a disguise', async () => {
    const v = await check(bytesSource(await zipOf({ 'setup.exe': peProgram() })), 'statement.pdf')
    expect(v.level).toBe('block')
    expect(v.reasons[0]!.text).toBe('archive holding an executable disguised as PDF')
  })

  test('[H3][H6] an Office document holding word/vbaProject.bin is a macro document, even named .docx; one without is ok', async () => {
    const withMacros = await check(bytesSource(await docx(true)), 'report.docx')
    expect(withMacros).toMatchObject({ level: 'warn', classes: ['macro-document'], realType: { ext: 'docm' } })
    expect(codes(withMacros)).toEqual(['H106_MACRO_DOCUMENT'])
    expect(await check(bytesSource(await docx(false)), 'report.docx')).toMatchObject({ level: 'ok', realType: { ext: 'docx' }, archive: { kind: 'document' } })
  })

  test('[H3] a .docm is a macro document by its name alone', async () => {
    const v = await check(bytesSource(await docx(false)), 'report.docm')
    expect(codes(v)).toEqual(['H106_MACRO_DOCUMENT'])
  })

  test('[H6] an archive inside an archive is warned and not opened', async () => {
    const inner = await zipOf({ 'setup.exe': peProgram() })
    const v = await check(bytesSource(await zipOf({ 'inner.zip': inner })), 'outer.zip')
    expect(v.reasons).toEqual([{ code: 'H108_NESTED_ARCHIVE', level: 'warn', text: 'archive inside archive (inner.zip): what it holds was not checked' }])
  })

  test('[H6] an entry whose path leaves its folder is warned', async () => {
    const v = await check(bytesSource(await zipOf({ '../../.bashrc': 'alias ls=rm' })), 'dotfiles.zip')
    expect(codes(v)).toEqual(['H114_UNSAFE_ENTRY_NAME'])
  })

  test('[H6] entry names are quoted without control or direction characters, and cut to 80 characters', async () => {
    const v = await check(bytesSource(await zipOf({ [`\u001b[2Jinvoice\u202e${'x'.repeat(100)}.exe`]: peProgram() })), 'mail.zip')
    const text = v.reasons[0]!.text
    expect(text).toMatch(/^archive holds \[2Jinvoicex+… \(executable\)$/)
    expect(text).not.toMatch(/[\u0000-\u001f\u202e]/u)
  })

  test('[H6] a truncated or corrupt zip is a warning verdict, not a throw', async () => {
    const whole = await zipOf({ 'a.txt': 'x'.repeat(5000), 'b.exe': peProgram() })
    for (const bytes of [whole.subarray(0, 200), whole.subarray(0, whole.length - 10), Uint8Array.from([...whole.subarray(0, whole.length - 22), ...new Uint8Array(22).fill(0xff)])]) {
      const v = await check(bytesSource(bytes), 'a.zip')
      expect(v.level).toBe('warn')
      expect(codes(v)).toContain('H111_ARCHIVE_UNREADABLE')
    }
  })

  test('[H6] other archives cannot be listed here and say so', async () => {
    const gz = Uint8Array.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4])
    expect(codes(await check(bytesSource(gz), 'logs.gz'))).toEqual(['H113_ARCHIVE_UNCHECKED'])
  })
})

describe('[H1][H6] bounded in the size of the file', () => {
  test('[H6] a zip with 20,000 entries: the first 10,000 are listed, the verdict says "too large to list", within bounded reads', async () => {
    const names = Array.from({ length: 20_000 }, (_, i) => `f/${String(i).padStart(5, '0')}.txt`)
    const source = handMadeZip(4 * 1024 * 1024, names)
    const v = await check(source, 'big.zip')
    expect(v.level).toBe('warn')
    expect(codes(v)).toEqual(['H112_ARCHIVE_TOO_LARGE'])
    expect(v.reasons[0]!.text).toMatch(/^archive too large to list .*only the first 10,000 were checked$/)
    expect(v.archive).toEqual({ kind: 'archive', listed: ZIP_LIMITS.maxEntries, complete: false })
    expect(source.bytesRead()).toBeLessThan(ZIP_LIMITS.maxDirectoryBytes + ZIP_LIMITS.slackBytes + 64 * 1024)
  })

  test('[H1][H6] a 3 GB file (made up as it is read): only its head, a few probes and its central directory are read', async () => {
    const source = handMadeZip(3 * GB, ['site/video.mp4', 'site/setup.exe'])
    const v = await check(source, 'site.zip')
    expect(v.level).toBe('warn')
    expect(v.reasons[0]!.text).toBe('archive holds site/setup.exe (executable)')
    // The head, three ISO probes, the last 512 bytes, zip.js's end-record search (64 KiB) and the directory.
    expect(source.bytesRead()).toBeLessThan(HEAD_BYTES + 64 * 1024 + 4096)
    expect(source.reads.length).toBeLessThan(12)
    expect(source.reads.every((r) => r.offset < HEAD_BYTES + 0x9100 || r.offset > 3 * GB - 128 * 1024)).toBe(true)
  })

  test('[H6] an end record claiming a 200 MiB directory is "too large to list": the read is refused before it is made', async () => {
    const source = handMadeZip(3 * GB, ['video.mp4'], { claimedDirectoryBytes: 200 * 1024 * 1024 })
    const v = await check(source, 'big.zip')
    expect(codes(v)).toEqual(['H112_ARCHIVE_TOO_LARGE'])
    expect(Math.max(...source.reads.map((r) => r.length))).toBeLessThanOrEqual(ZIP_LIMITS.slackBytes)
  })

  test('[H1] a real 2 MiB zip is read in a few small pieces, never whole', async () => {
    const big = new Uint8Array(2 * 1024 * 1024).map((_, i) => (i * 2654435761) >>> 24)
    const source = countingBytes(await zipOf({ 'noise.bin': big, 'notes.txt': 'hello' }))
    await check(source, 'data.zip')
    expect(Math.max(...source.reads.map((r) => r.length))).toBeLessThanOrEqual(64 * 1024 + 22)
    expect(source.bytesRead()).toBeLessThan(128 * 1024)
  })
})
