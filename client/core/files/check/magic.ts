import { readAt, type FileSource } from './source.js'

/**
 * [H3][H4] Content signatures file-type does not judge for us, each a bounded read: EICAR, ISO
 * 9660 (`CD001` at 0x8001), Apple disk images (`koly` 512 bytes from the end), virtual disks,
 * Mach-O (thin and universal) and a script's `#!`.
 */
const ascii = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0))
const startsWith = (bytes: Uint8Array, sig: Uint8Array, at = 0) => bytes.length >= at + sig.length && sig.every((b, i) => bytes[at + i] === b)

// The 68-byte EICAR test string, in two halves so that this source file is not itself it.
const EICAR = ascii('X5O!P%@AP[4\\PZX54(P^)7CC)7}$' + 'EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*')
export const EICAR_MAX_BYTES = 128

/** [H4] The EICAR test file: the string at the start, then only whitespace, 128 bytes at most. */
export function isEicar(head: Uint8Array, size: number): boolean {
  if (size > EICAR_MAX_BYTES || size < EICAR.length || !startsWith(head, EICAR)) return false
  // Space, tab, LF, CR and Ctrl-Z: what the test file's definition lets follow the string.
  return head.subarray(EICAR.length, size).every((b) => b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0x1a)
}

const MACHO = [[0xfe, 0xed, 0xfa, 0xce], [0xfe, 0xed, 0xfa, 0xcf], [0xce, 0xfa, 0xed, 0xfe], [0xcf, 0xfa, 0xed, 0xfe]].map((m) => Uint8Array.from(m))
const FAT = Uint8Array.from([0xca, 0xfe, 0xba, 0xbe])

/** Mach-O, thin or universal. A universal header shares Java's `CAFEBABE`: there the next word is a small architecture count, in a class file a version ≥ 45. */
export function isMachO(head: Uint8Array): boolean {
  if (MACHO.some((m) => startsWith(head, m))) return true
  if (!startsWith(head, FAT) || head.length < 8) return false
  const count = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(4, false)
  return count > 0 && count < 30
}

export const isElf = (head: Uint8Array) => startsWith(head, Uint8Array.from([0x7f, 0x45, 0x4c, 0x46]))
export const isPe = (head: Uint8Array) => startsWith(head, ascii('MZ'))
export const isShebang = (head: Uint8Array) => startsWith(head, ascii('#!'))
export const isZip = (head: Uint8Array) => startsWith(head, ascii('PK\x03\x04')) || startsWith(head, ascii('PK\x05\x06'))
/** OLE compound file (legacy .doc, .xls, .ppt, .msi). */
export const isCfb = (head: Uint8Array) => startsWith(head, Uint8Array.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]))

const CD001 = ascii('CD001')
const ISO_OFFSETS = [0x8001, 0x8801, 0x9001]

export interface DiskImage { readonly ext: string; readonly mime: string }

/** [H3] A disk image by content: ISO 9660, Apple UDIF (`.dmg`), VHD or VHDX; a few small reads. */
export async function diskImageOf(source: FileSource, head: Uint8Array): Promise<DiskImage | undefined> {
  if (startsWith(head, ascii('vhdxfile'))) return { ext: 'vhdx', mime: 'application/x-vhdx' }
  if (startsWith(head, ascii('conectix'))) return { ext: 'vhd', mime: 'application/x-vhd' }
  for (const at of ISO_OFFSETS) if (startsWith(await readAt(source, at, CD001.length), CD001)) return { ext: 'iso', mime: 'application/x-iso9660-image' }
  if (source.size >= 512) {
    const trailer = await readAt(source, source.size - 512, 512)
    if (startsWith(trailer, ascii('koly'))) return { ext: 'dmg', mime: 'application/x-apple-diskimage' }
    if (startsWith(trailer, ascii('conectix'))) return { ext: 'vhd', mime: 'application/x-vhd' }
  }
  return undefined
}
