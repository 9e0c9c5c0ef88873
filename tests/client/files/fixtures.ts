import { deflateSync } from 'node:zlib'
import { TextReader, Uint8ArrayReader, Uint8ArrayWriter, ZipWriter } from '@zip.js/zip.js'
import { contentHasher, toHex } from '../../../crypto/index.js'
import type { FileSource } from '../../../client/core/files/check/index.js'

/**
 * Real bytes for the file checks, made here: the headers real programs and documents start with,
 * small valid images and a PDF, zips written with @zip.js/zip.js or laid out by hand where a test
 * needs an archive too large to write, and sources that make up bytes without holding them.
 */
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff)
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) out.set(p, at), (at += p.length)
  return out
}
const le16 = (n: number) => Uint8Array.from([n & 0xff, (n >>> 8) & 0xff])
const le32 = (n: number) => Uint8Array.from([n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff])
const be32 = (n: number) => Uint8Array.from([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff])

export const sha256Of = (bytes: Uint8Array): string => {
  const h = contentHasher()
  h.update(bytes)
  return toHex(h.digest())
}

/** A minimal Windows program: DOS header pointing at a PE header for x86-64. */
export function peProgram(): Uint8Array {
  const out = new Uint8Array(1024)
  out.set(ascii('MZ'), 0)
  out.set(le32(0x80), 0x3c) // e_lfanew
  out.set(ascii('This program cannot be run in DOS mode.'), 0x4e)
  out.set(concat(ascii('PE\0\0'), le16(0x8664), le16(1)), 0x80)
  return out
}

/** A minimal 64-bit little-endian ELF header (an x86-64 executable). */
export function elfProgram(): Uint8Array {
  const out = new Uint8Array(512)
  out.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0], 0)
  out.set(le16(2), 16) // ET_EXEC
  out.set(le16(0x3e), 18) // x86-64
  out.set(le32(1), 20)
  return out
}

/** A minimal 64-bit Mach-O header (arm64 executable). */
export function machOProgram(): Uint8Array {
  const out = new Uint8Array(512)
  out.set([0xcf, 0xfa, 0xed, 0xfe], 0)
  out.set(le32(0x0100000c), 4) // CPU_TYPE_ARM64
  out.set(le32(2), 12) // MH_EXECUTE
  return out
}

/** The EICAR test file, built from two halves so that this source is not itself the test file. */
export const eicar = (tail = ''): Uint8Array => ascii('X5O!P%@AP[4\\PZX54(P^)7CC)7}$' + 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*' + tail)

/** A valid 8×8 grey baseline JPEG: one block, DC difference 0, end of block (Huffman tables of one code each). */
export function jpeg(): Uint8Array {
  const seg = (marker: number, body: Uint8Array) => concat(Uint8Array.from([0xff, marker]), Uint8Array.from([((body.length + 2) >> 8) & 0xff, (body.length + 2) & 0xff]), body)
  const counts = (n1: number) => Uint8Array.from([n1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
  return concat(
    Uint8Array.from([0xff, 0xd8]),
    seg(0xe0, concat(ascii('JFIF\0'), Uint8Array.from([1, 1, 0, 0, 1, 0, 1, 0, 0]))),
    seg(0xdb, concat(Uint8Array.from([0]), new Uint8Array(64).fill(1))),
    seg(0xc0, Uint8Array.from([8, 0, 8, 0, 8, 1, 1, 0x11, 0])),
    seg(0xc4, concat(Uint8Array.from([0x00]), counts(1), Uint8Array.from([0]))), // DC table 0: category 0
    seg(0xc4, concat(Uint8Array.from([0x10]), counts(1), Uint8Array.from([0]))), // AC table 0: end of block
    seg(0xda, Uint8Array.from([1, 1, 0x00, 0, 63, 0])),
    Uint8Array.from([0x3f]), // DC code 0, EOB 0, padded with ones
    Uint8Array.from([0xff, 0xd9]),
  )
}

const CRC = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
  return c >>> 0
})
const crc32 = (bytes: Uint8Array) => {
  let c = 0xffffffff
  for (const b of bytes) c = CRC[(c ^ b) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

/** A valid 2×2 RGB PNG. */
export function png(): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => concat(be32(data.length), ascii(type), data, be32(crc32(concat(ascii(type), data))))
  const rows = Uint8Array.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255])
  return concat(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', concat(be32(2), be32(2), Uint8Array.from([8, 2, 0, 0, 0]))), chunk('IDAT', new Uint8Array(deflateSync(rows))), chunk('IEND', new Uint8Array(0)))
}

/** A valid one-page PDF with its cross-reference table. */
export function pdf(): Uint8Array {
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [3 0 R] /Count 1 >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>']
  let body = '%PDF-1.4\n'
  const offsets: number[] = []
  objects.forEach((o, i) => {
    offsets.push(body.length)
    body += `${i + 1} 0 obj\n${o}\nendobj\n`
  })
  const xref = body.length
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`
  return ascii(body)
}

/** A zip written by @zip.js/zip.js. */
export async function zipOf(entries: Record<string, string | Uint8Array>): Promise<Uint8Array> {
  const w = new ZipWriter(new Uint8ArrayWriter(), { useWebWorkers: false })
  for (const [name, content] of Object.entries(entries)) await w.add(name, typeof content === 'string' ? new TextReader(content) : new Uint8ArrayReader(content))
  return w.close()
}

/** An Office Open XML word document; with `vba`, the VBA project a macro-enabled one holds. */
export function docx(vba: boolean): Promise<Uint8Array> {
  return zipOf({
    '[Content_Types].xml': '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    '_rels/.rels': '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>',
    'word/document.xml': '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body/></w:document>',
    ...(vba ? { 'word/vbaProject.bin': concat(Uint8Array.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), new Uint8Array(504)) } : {}),
  })
}

/** A legacy OLE compound file (`.doc`) whose directory names a VBA project stream, or not. */
export function oleDocument(macros: boolean): Uint8Array {
  const out = new Uint8Array(4096)
  out.set([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], 0)
  out.set(le16(0x3e), 0x18)
  out.set(le16(3), 0x1a)
  out.set(le16(0xfffe), 0x1c)
  out.set(le16(9), 0x1e)
  const utf16 = (s: string) => Uint8Array.from([...s].flatMap((c) => [c.charCodeAt(0), 0]))
  out.set(utf16('Root Entry'), 0x600)
  out.set(utf16('WordDocument'), 0x680)
  if (macros) out.set(utf16('_VBA_PROJECT'), 0x700)
  return out
}

/** Reads counted: what a check asked of its source, to prove what it did not read. */
export interface CountingSource extends FileSource {
  readonly reads: { offset: number; length: number }[]
  readonly bytesRead: () => number
}

/**
 * A file of `size` bytes that holds only `regions` (zeros elsewhere) and makes each read up on
 * the spot: a 3 GB file costs no disk and no memory.
 */
export function syntheticSource(size: number, regions: readonly { offset: number; bytes: Uint8Array }[]): CountingSource {
  const reads: { offset: number; length: number }[] = []
  return {
    size,
    reads,
    bytesRead: () => reads.reduce((n, r) => n + r.length, 0),
    async read(offset, length) {
      const end = Math.min(size, offset + length)
      const out = new Uint8Array(Math.max(0, end - offset))
      reads.push({ offset, length: out.length })
      for (const r of regions) {
        const from = Math.max(offset, r.offset)
        const to = Math.min(end, r.offset + r.bytes.length)
        if (from < to) out.set(r.bytes.subarray(from - r.offset, to - r.offset), from - offset)
      }
      return out
    },
  }
}

export const countingBytes = (bytes: Uint8Array): CountingSource => syntheticSource(bytes.length, [{ offset: 0, bytes }])

/**
 * A zip laid out by hand: a local header at 0 for the first entry, its data as zeros up to
 * `directoryAt`, then a central directory naming `names` (all stored, all pointing at offset 0)
 * and the end record. `claimedDirectoryBytes` overrides the size the end record gives.
 */
export function handMadeZip(size: number, names: readonly string[], opts: { claimedDirectoryBytes?: number } = {}): CountingSource {
  const first = ascii(names[0] ?? 'a')
  const local = concat(le32(0x04034b50), le16(20), le16(0), le16(0), le16(0), le16(0x21), le32(0), le32(0), le32(0), le16(first.length), le16(0), first)
  const central = concat(
    ...names.map((n) => {
      const name = ascii(n)
      return concat(le32(0x02014b50), le16(20), le16(20), le16(0), le16(0), le16(0), le16(0x21), le32(0), le32(0), le32(0), le16(name.length), le16(0), le16(0), le16(0), le16(0), le32(0), le32(0), name)
    }),
  )
  const directoryAt = size - central.length - 22
  const end = concat(le32(0x06054b50), le16(0), le16(0), le16(names.length), le16(names.length), le32(opts.claimedDirectoryBytes ?? central.length), le32(directoryAt), le16(0))
  return syntheticSource(size, [{ offset: 0, bytes: local }, { offset: directoryAt, bytes: central }, { offset: directoryAt + central.length, bytes: end }])
}

/** An ISO 9660 image's head: a primary volume descriptor at sector 16. */
export function isoImage(size = 64 * 1024): CountingSource {
  return syntheticSource(size, [{ offset: 0x8000, bytes: concat(Uint8Array.from([1]), ascii('CD001'), Uint8Array.from([1])) }])
}

export { ascii, concat }
