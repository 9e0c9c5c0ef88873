import { readAt, type FileSource } from './source.js'

/**
 * [H3] Macros in a legacy Office file (OLE compound: .doc, .xls, .ppt): its VBA project is a
 * stream named `_VBA_PROJECT` (`_VBA_PROJECT_CUR` in Excel), and directory entries hold names in
 * UTF-16LE. A bounded scan for that name: the whole file up to {@link OLE_SCAN_BYTES}, else its
 * first and last half of that (where directory sectors sit in files Office writes), in pieces of
 * 1 MiB, so memory stays flat.
 */
export const OLE_SCAN_BYTES = 16 * 1024 * 1024
const PIECE = 1024 * 1024

const MARKER = Uint8Array.from([...'_VBA_PROJECT'].flatMap((c) => [c.charCodeAt(0), 0]))

export async function oleHasMacros(source: FileSource): Promise<boolean> {
  const ranges: [number, number][] = source.size <= OLE_SCAN_BYTES
    ? [[0, source.size]]
    : [[0, OLE_SCAN_BYTES / 2], [source.size - OLE_SCAN_BYTES / 2, source.size]]
  for (const [from, to] of ranges) {
    // Pieces overlap by the marker's length less one, so a marker across two pieces is found.
    for (let at = from; at < to; at += PIECE) {
      const piece = await readAt(source, at, Math.min(PIECE + MARKER.length - 1, to - at))
      if (indexOf(piece, MARKER) >= 0) return true
    }
  }
  return false
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  const first = needle[0]!
  for (let i = hay.indexOf(first); i >= 0 && i <= hay.length - needle.length; i = hay.indexOf(first, i + 1)) {
    let j = 1
    while (j < needle.length && hay[i + j] === needle[j]) j++
    if (j === needle.length) return i
  }
  return -1
}

/** [H3] An Office Open XML (or any zip) part that holds a VBA project. */
export const isVbaPart = (entry: string): boolean => /(^|\/)vbaproject\.bin$/i.test(entry)
