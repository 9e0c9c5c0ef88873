import type { FileSource } from '../source.js'
import { ByteReader } from './byteReader.js'
import { exifOrientation, isExifBody, orientationSegment } from './exifOrientation.js'
import { splicedSource, type Piece } from './spliced.js'
import { refuse, StripRefusal, type StripResult } from './stripResult.js'

/** Length-carrying segments a JPEG may have before the walk gives up (real photos have < 50). */
export const MAX_JPEG_SEGMENTS = 4096

const SOS = 0xda
const EOI = 0xd9
const COM = 0xfe
const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0))
const startsWith = (body: Uint8Array, sig: readonly number[]) => body.length >= sig.length && sig.every((b, i) => body[i] === b)
const JFIF = ascii('JFIF\0')
const ICC = ascii('ICC_PROFILE\0')
const ADOBE = ascii('Adobe')
const XMP = ascii('http://ns.adobe.com/xap/1.0/')
const XMP_EXTENSION = ascii('http://ns.adobe.com/xmp/extension/')
const PHOTOSHOP = ascii('Photoshop 3.0')
/** Markers with no length: TEM and the restart markers. */
const standalone = (m: number) => m === 0x01 || (m >= 0xd0 && m <= 0xd7)

/**
 * [W1] A JPEG without its metadata, byte for byte otherwise (no re-encoding): the marker
 * segments are walked from SOI through every scan to EOI. Kept: JFIF APP0, ICC APP2 (colours),
 * Adobe APP14 (the colour transform of CMYK files: dropping it changes their colours) and every
 * non-APP segment. Removed: EXIF, XMP, Photoshop/IPTC and every other APPn, comments, and all
 * that follows EOI (multi-picture and motion-photo trailers carry a second image with its own
 * EXIF). [W2] A non-upright EXIF orientation is kept as a new, minimal EXIF segment.
 * Memory holds one 64 KiB window; a damaged file is a coded refusal, never a throw.
 */
export async function stripJpeg(source: FileSource): Promise<StripResult> {
  const r = new ByteReader(source)
  if ((await r.u16(0)) !== 0xffd8) return refuse(StripRefusal.UNSUPPORTED, 'not a JPEG')
  const pieces: Piece[] = [{ from: 0, to: 2 }]
  const removed = new Set<string>()
  let orientation: number | undefined
  let exifSeen = false
  let segments = 0
  let pos = 2
  for (;;) {
    if ((await r.byteAt(pos)) !== 0xff) return (await r.byteAt(pos)) === undefined ? refuse(StripRefusal.TRUNCATED, `ends at ${pos} before EOI`) : refuse(StripRefusal.MALFORMED, `no marker at ${pos}`)
    while ((await r.byteAt(pos + 1)) === 0xff) pos++ // fill bytes before a marker
    const marker = await r.byteAt(pos + 1)
    if (marker === undefined) return refuse(StripRefusal.TRUNCATED, `ends inside the marker at ${pos}`)
    if (marker === 0x00) return refuse(StripRefusal.MALFORMED, `a stuffed byte outside a scan at ${pos}`)
    if (marker === EOI) {
      pieces.push({ from: pos, to: pos + 2 })
      if (pos + 2 < source.size) removed.add('trailing data')
      break
    }
    if (standalone(marker)) {
      pieces.push({ from: pos, to: pos + 2 })
      pos += 2
      continue
    }
    if (++segments > MAX_JPEG_SEGMENTS) return refuse(StripRefusal.TOO_COMPLEX, `more than ${MAX_JPEG_SEGMENTS} segments`)
    const length = await r.u16(pos + 2)
    if (length === undefined) return refuse(StripRefusal.TRUNCATED, `ends inside the segment at ${pos}`)
    if (length < 2) return refuse(StripRefusal.MALFORMED, `segment length ${length} at ${pos}`)
    const end = pos + 2 + length
    if (end > source.size) return refuse(StripRefusal.TRUNCATED, `the segment at ${pos} runs past the end`)
    const isApp = marker >= 0xe0 && marker <= 0xef
    if (isApp || marker === COM) {
      const body = (await r.slice(pos + 4, length - 2))!
      const kind = isApp ? appKind(marker, body) : 'comment'
      if (kind === 'keep') pieces.push({ from: pos, to: end })
      else {
        removed.add(kind)
        if (kind === 'exif' && !exifSeen) {
          // [W2] Only the first EXIF segment is the camera's; where it stood, its orientation goes.
          exifSeen = true
          orientation = exifOrientation(body)
          if (orientation) pieces.push({ bytes: orientationSegment(orientation) })
        }
      }
      pos = end
      continue
    }
    pieces.push({ from: pos, to: end })
    pos = end
    if (marker === SOS) {
      const next = await nextMarker(r, pos)
      if (next === undefined) return refuse(StripRefusal.TRUNCATED, 'a scan runs to the end without EOI')
      pieces.push({ from: pos, to: next })
      pos = next
    }
  }
  return { ok: true, format: 'jpeg', source: splicedSource(source, pieces), removed: [...removed], ...(orientation ? { orientation } : {}) }
}

/** What an APPn segment is: kept, or the label it is removed under. */
function appKind(marker: number, body: Uint8Array): 'keep' | string {
  switch (marker) {
    case 0xe0:
      return startsWith(body, JFIF) ? 'keep' : 'app0'
    case 0xe1:
      return isExifBody(body) ? 'exif' : startsWith(body, XMP) || startsWith(body, XMP_EXTENSION) ? 'xmp' : 'app1'
    case 0xe2:
      return startsWith(body, ICC) ? 'keep' : 'app2'
    case 0xed:
      return startsWith(body, PHOTOSHOP) ? 'iptc' : 'app13'
    case 0xee:
      return startsWith(body, ADOBE) ? 'keep' : 'app14'
    default:
      return `app${marker - 0xe0}`
  }
}

/**
 * The position of the marker that ends a scan's entropy-coded data: the first 0xFF followed by
 * neither a stuffed 0x00, a restart marker nor another 0xFF (fill).
 */
async function nextMarker(r: ByteReader, from: number): Promise<number | undefined> {
  let pos = from
  for (;;) {
    const ff = await r.indexOf(0xff, pos)
    if (ff === undefined) return undefined
    const after = await r.byteAt(ff + 1)
    if (after === undefined) return undefined
    if (after === 0x00 || (after >= 0xd0 && after <= 0xd7)) pos = ff + 2
    else if (after === 0xff) pos = ff + 1
    else return ff
  }
}
