import { describe, expect, test } from 'vitest'
import { bytesSource, checkFile, type FileVerdict } from '../../../client/core/files/check/index.js'
import { ascii, concat, elfProgram, eicar, isoImage, jpeg, machOProgram, oleDocument, pdf, peProgram, png, sha256Of, type CountingSource } from './fixtures.js'

/**
 * [H1]–[H5] What a file's content says against its name and declared type. Every file here is
 * real bytes made by fixtures.ts: program headers, a valid JPEG, PNG and PDF, the EICAR string.
 */
async function verdict(bytes: Uint8Array | CountingSource, name: string, type?: string): Promise<FileVerdict> {
  const source = bytes instanceof Uint8Array ? bytesSource(bytes) : bytes
  return checkFile(source, { name, ...(type ? { type } : {}) }, bytes instanceof Uint8Array ? sha256Of(bytes) : '0'.repeat(64))
}
const codes = (v: FileVerdict) => v.reasons.map((r) => r.code)
const texts = (v: FileVerdict) => v.reasons.map((r) => r.text)

describe('[H2] the real type against the name and the declared type', () => {
  test('[H2] a real JPEG, PNG and PDF, correctly named and declared, are ok', async () => {
    for (const [bytes, name, type, ext] of [[jpeg(), 'site-photo.jpg', 'image/jpeg', 'jpg'], [png(), 'part.png', 'image/png', 'png'], [pdf(), 'manual.pdf', 'application/pdf', 'pdf']] as const) {
      const v = await verdict(bytes, name, type)
      expect(v).toMatchObject({ level: 'ok', reasons: [], realType: { ext } })
      expect(v.sha256).toBe(sha256Of(bytes))
    }
  })

  test('[H2] names of one family are no mismatch: a JPEG named .jpeg, a PDF declared as application/pdf under .ai', async () => {
    expect((await verdict(jpeg(), 'photo.JPEG')).level).toBe('ok')
    expect((await verdict(pdf(), 'logo.ai', 'application/pdf')).level).toBe('ok')
  })

  test('[H2] a JPEG named .pdf is a warned mismatch, naming both types', async () => {
    const v = await verdict(jpeg(), 'manual.pdf')
    expect(v.level).toBe('warn')
    expect(v.reasons).toEqual([{ code: 'H101_TYPE_MISMATCH', level: 'warn', text: 'named .pdf but the content is JPG' }])
  })

  test('[H2] a declared type that is not the content is a mismatch too; a generic one claims nothing', async () => {
    expect(texts(await verdict(png(), 'scan', 'application/pdf'))).toEqual(['declared as application/pdf but the content is PNG'])
    expect((await verdict(png(), 'scan', 'application/octet-stream')).level).toBe('ok')
  })

  test('[H2] a name that promises a signed type whose content has none is a mismatch; an unknown extension promises nothing', async () => {
    expect(texts(await verdict(ascii('just some notes\n'), 'notes.pdf'))).toEqual(['named .pdf but the content is not PDF'])
    expect((await verdict(ascii('just some notes\n'), 'notes.txt')).level).toBe('ok')
    expect((await verdict(ascii('binary blob'), 'data.xyz123')).level).toBe('ok')
  })
})

describe('[H3] dangerous content, and dangerous content in disguise', () => {
  test('[H3] an .exe renamed .pdf is flagged as executable and blocked: "executable disguised as PDF"', async () => {
    const v = await verdict(peProgram(), 'invoice.pdf', 'application/pdf')
    expect(v.level).toBe('block')
    expect(v.realType).toEqual({ ext: 'exe', mime: 'application/x-msdownload' })
    expect(v.classes).toEqual(['executable'])
    expect(v.reasons[0]).toEqual({ code: 'H109_DISGUISED', level: 'block', text: 'executable disguised as PDF' })
    expect(codes(v)).toEqual(['H109_DISGUISED', 'H101_TYPE_MISMATCH', 'H102_EXECUTABLE'])
  })

  test('[H3] the same program under its own name is a warning, not a block', async () => {
    const v = await verdict(peProgram(), 'setup.exe')
    expect(v.level).toBe('warn')
    expect(codes(v)).toEqual(['H102_EXECUTABLE'])
    expect((await verdict(peProgram(), 'helper.dll')).level).toBe('warn')
  })

  test('[H3] an ELF and a Mach-O program are executables by content: warned without a name, blocked under an image name', async () => {
    const elf = await verdict(elfProgram(), 'update')
    expect(elf).toMatchObject({ level: 'warn', classes: ['executable'], realType: { ext: 'elf' } })
    const macho = await verdict(machOProgram(), 'holiday.png')
    expect(macho.level).toBe('block')
    expect(macho.reasons[0]!.text).toBe('executable disguised as PNG')
  })

  test('[H3] dangerous names without content to show it: a script, an installer, a disk image, a macro document', async () => {
    const cases = [['cleanup.ps1', 'H103_SCRIPT'], ['run.bat', 'H103_SCRIPT'], ['Shortcut.lnk', 'H103_SCRIPT'], ['tool.msix', 'H104_INSTALLER'], ['disk.vhdx', 'H105_DISK_IMAGE'], ['budget.xlsm', 'H106_MACRO_DOCUMENT']] as const
    for (const [name, code] of cases) {
      const v = await verdict(ascii('x'), name)
      expect(v.level, name).toBe('warn')
      expect(codes(v), name).toContain(code)
    }
  })

  test('[H3] trailing dots and spaces do not hide an extension (Windows drops them)', async () => {
    expect(codes(await verdict(peProgram(), 'setup.exe. . '))).toContain('H102_EXECUTABLE')
  })

  test('[H3] a dangerous extension behind a harmless one is blocked: "executable named to look like PDF"', async () => {
    const v = await verdict(peProgram(), 'invoice.pdf.exe')
    expect(v.level).toBe('block')
    expect(v.reasons[0]!.text).toBe('executable named to look like PDF')
    expect((await verdict(peProgram(), 'python-3.12.0.exe')).level).toBe('warn')
  })

  test('[H3] a right-to-left override in the name is blocked', async () => {
    const v = await verdict(pdf(), 'annexe\u202Efdp.exe')
    expect(v.level).toBe('block')
    expect(codes(v)[0]).toBe('H115_DECEPTIVE_NAME')
  })

  test('[H3] an ISO 9660 image (CD001 at 0x8001) is a disk image; named .jpg it is blocked', async () => {
    expect(await verdict(isoImage(), 'install.iso')).toMatchObject({ level: 'warn', classes: ['disk-image'], realType: { ext: 'iso' } })
    const disguised = await verdict(isoImage(), 'holiday.jpg')
    expect(disguised.level).toBe('block')
    expect(disguised.reasons[0]!.text).toBe('disk image disguised as JPG')
  })

  test('[H3] a legacy OLE document naming a VBA project stream has macros; one without does not', async () => {
    expect(codes(await verdict(oleDocument(true), 'minutes.doc'))).toEqual(['H106_MACRO_DOCUMENT'])
    expect((await verdict(oleDocument(false), 'minutes.doc')).level).toBe('ok')
  })

  test('[H3] a shell script by its #! when the name has no extension; a .txt note starting with #! is left alone', async () => {
    expect(codes(await verdict(ascii('#!/bin/sh\nrm -rf ~\n'), 'install'))).toEqual(['H103_SCRIPT'])
    expect((await verdict(ascii('#!/bin/sh\nrm -rf ~\n'), 'snippet.txt')).level).toBe('ok')
  })
})

describe('[H4] the EICAR test file', () => {
  test('[H4] the EICAR string is recognised as "EICAR test file (antivirus test signature)" and blocked, with trailing whitespace too', async () => {
    for (const tail of ['', '\r\n', '  \t\n\x1a']) {
      const v = await verdict(eicar(tail), 'eicar.txt')
      expect(v.level).toBe('block')
      expect(v.reasons[0]).toEqual({ code: 'H110_EICAR', level: 'block', text: 'EICAR test file (antivirus test signature)' })
    }
  })

  test('[H4] not EICAR: the string followed by other text, in a file over 128 bytes, or not at the start', async () => {
    for (const bytes of [eicar(' more'), concat(eicar(), new Uint8Array(61).fill(0x20)), concat(ascii(' '), eicar())]) {
      expect(codes(await verdict(bytes, 'eicar.txt'))).not.toContain('H110_EICAR')
    }
  })
})

describe('[H1] bounded reads', () => {
  test('[H1] an empty file is ok and reads nothing', async () => {
    expect(await verdict(new Uint8Array(0), 'empty.pdf')).toMatchObject({ level: 'ok', size: 0 })
  })
})
