/**
 * [W2] The one EXIF field a stripped JPEG keeps: its orientation (how the camera was held), so
 * an HD photo is not shown on its side. Read from IFD0 of an APP1 `Exif` body; every offset is
 * checked against the body, and anything odd reads as "no orientation".
 */
const EXIF_ID = [0x45, 0x78, 0x69, 0x66, 0, 0] // "Exif\0\0"
const ORIENTATION_TAG = 0x0112
const SHORT = 3

export const isExifBody = (body: Uint8Array): boolean => EXIF_ID.every((b, i) => body[i] === b)

/** The orientation (2–8) an APP1 `Exif` body names; undefined for 1 (upright), none or damage. */
export function exifOrientation(body: Uint8Array): number | undefined {
  if (!isExifBody(body)) return undefined
  const tiff = body.subarray(6)
  if (tiff.length < 8) return undefined
  const little = tiff[0] === 0x49 && tiff[1] === 0x49
  if (!little && !(tiff[0] === 0x4d && tiff[1] === 0x4d)) return undefined
  const view = new DataView(tiff.buffer, tiff.byteOffset, tiff.byteLength)
  if (view.getUint16(2, little) !== 42) return undefined
  const ifd = view.getUint32(4, little)
  if (ifd < 8 || ifd + 2 > tiff.length) return undefined
  const count = view.getUint16(ifd, little)
  for (let i = 0; i < count; i++) {
    const at = ifd + 2 + i * 12
    if (at + 12 > tiff.length) return undefined
    if (view.getUint16(at, little) !== ORIENTATION_TAG) continue
    if (view.getUint16(at + 2, little) !== SHORT || view.getUint32(at + 4, little) !== 1) return undefined
    const value = view.getUint16(at + 8, little)
    return value >= 2 && value <= 8 ? value : undefined
  }
  return undefined
}

/** A whole APP1 segment (marker and length included) holding only IFD0 with the orientation. */
export function orientationSegment(orientation: number): Uint8Array {
  const tiff = [
    0x4d, 0x4d, 0, 42, 0, 0, 0, 8, // big-endian TIFF header, IFD0 at 8
    0, 1, // one entry
    0x01, 0x12, 0, SHORT, 0, 0, 0, 1, 0, orientation, 0, 0, // Orientation, SHORT × 1, value
    0, 0, 0, 0, // no next IFD
  ]
  const length = 2 + EXIF_ID.length + tiff.length
  return Uint8Array.from([0xff, 0xe1, length >> 8, length & 0xff, ...EXIF_ID, ...tiff])
}
