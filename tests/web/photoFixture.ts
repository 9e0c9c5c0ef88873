/**
 * Hand-built photo pieces for the metadata tests ([W1][W2]): an EXIF segment with a GPS IFD as a
 * phone camera writes one, and JPEG / PNG files assembled from segments and chunks. Shared by
 * the Node unit tests and the Chromium e2e test (which splices the EXIF segment into a JPEG that
 * a canvas made, so the photo is real).
 */
const ascii = (s: string) => Array.from(s, (c) => c.charCodeAt(0))
const u16 = (n: number) => [(n >> 8) & 0xff, n & 0xff]
const u32 = (n: number) => [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]

/** Where the GPS IFD says the photo was taken: 52° 31' 12.34" N, 13° 24' 56.78" E. */
export const GPS_LATITUDE = [[52, 1], [31, 1], [1234, 100]] as const
export const GPS_LONGITUDE = [[13, 1], [24, 1], [5678, 100]] as const
export const CAMERA_MAKE = 'FieldCam Inc'

/** A byte sequence that only the GPS IFD holds: the latitude's rationals, big-endian. */
export const gpsNeedle = (): Uint8Array => Uint8Array.from(GPS_LATITUDE.flatMap(([a, b]) => [...u32(a), ...u32(b)]))

/**
 * A whole APP1 `Exif` segment (marker and length included), big-endian TIFF: IFD0 with Make,
 * Orientation and a GPSInfo pointer; the GPS IFD with latitude and longitude and their refs.
 */
export function exifGpsSegment(orientation = 1): Uint8Array {
  const make = [...ascii(CAMERA_MAKE), 0]
  // Layout (offsets from the TIFF header): header 8, IFD0 (3 entries) 8…50, GPS IFD (4 entries) 50…104, data after.
  const ifd0 = 8
  const gps = ifd0 + 2 + 3 * 12 + 4
  const data = gps + 2 + 4 * 12 + 4
  const makeAt = data
  const latAt = makeAt + make.length
  const lonAt = latAt + 24
  const entry = (tag: number, type: number, count: number, value: number[]) => [...u16(tag), ...u16(type), ...u32(count), ...value]
  const tiff = [
    ...ascii('MM'), ...u16(42), ...u32(ifd0),
    ...u16(3),
    ...entry(0x010f, 2, make.length, u32(makeAt)), // Make (ASCII)
    ...entry(0x0112, 3, 1, [...u16(orientation), 0, 0]), // Orientation (SHORT)
    ...entry(0x8825, 4, 1, u32(gps)), // GPSInfo IFD pointer (LONG)
    ...u32(0),
    ...u16(4),
    ...entry(0x0001, 2, 2, [...ascii('N'), 0, 0, 0]), // GPSLatitudeRef
    ...entry(0x0002, 5, 3, u32(latAt)), // GPSLatitude (RATIONAL × 3)
    ...entry(0x0003, 2, 2, [...ascii('E'), 0, 0, 0]), // GPSLongitudeRef
    ...entry(0x0004, 5, 3, u32(lonAt)), // GPSLongitude
    ...u32(0),
    ...make,
    ...GPS_LATITUDE.flatMap(([a, b]) => [...u32(a), ...u32(b)]),
    ...GPS_LONGITUDE.flatMap(([a, b]) => [...u32(a), ...u32(b)]),
  ]
  const body = [...ascii('Exif\0\0'), ...tiff]
  return Uint8Array.from([0xff, 0xe1, ...u16(body.length + 2), ...body])
}

/** A JPEG segment with a length: `marker` is the second byte (0xE0 for APP0, …). */
export const segment = (marker: number, body: readonly number[] | Uint8Array): Uint8Array =>
  Uint8Array.from([0xff, marker, ...u16(body.length + 2), ...body])

export const jfifApp0 = () => segment(0xe0, [...ascii('JFIF\0'), 1, 1, 0, 0, 1, 0, 1, 0, 0])
export const iccApp2 = () => segment(0xe2, [...ascii('ICC_PROFILE\0'), 1, 1, ...ascii('fake profile bytes')])
export const adobeApp14 = () => segment(0xee, [...ascii('Adobe'), 0, 100, 0, 0, 0, 0, 1])
export const xmpApp1 = () => segment(0xe1, [...ascii('http://ns.adobe.com/xap/1.0/\0'), ...ascii('<x:xmpmeta><exif:GPSLatitude>52,31.2N</exif:GPSLatitude></x:xmpmeta>')])
export const iptcApp13 = () => segment(0xed, [...ascii('Photoshop 3.0\0'), ...ascii('8BIM'), 4, 4, 0, 0, ...ascii('Berlin')])
export const comment = () => segment(0xfe, ascii('shot by FieldCam serial 123'))
export const app5 = () => segment(0xe5, ascii('vendor blob'))

/** The segments that decode the image (fake tables and a scan), with stuffed bytes and a restart marker in the scan. */
export function imageSegments(scanBytes = 64): Uint8Array[] {
  const dqt = segment(0xdb, [0, ...Array.from({ length: 64 }, (_, i) => i + 1)])
  const sof = segment(0xc0, [8, ...u16(8), ...u16(16), 1, 1, 0x11, 0])
  // A table body may hold 0xFF 0xD9: only the walk by lengths tells it from EOI.
  const dht = segment(0xc4, [0, ...Array.from({ length: 16 }, () => 0), 0xff, 0xd9])
  const sos = segment(0xda, [1, 1, 0, 0, 63, 0])
  const scan = Array.from({ length: scanBytes }, (_, i) => (i * 37) & 0x7f)
  scan.splice(10, 0, 0xff, 0x00) // a stuffed 0xFF
  scan.splice(20, 0, 0xff, 0xd3) // a restart marker
  scan.splice(30, 0, 0xff, 0xff, 0x00) // fill before a stuffed byte
  return [dqt, sof, dht, sos, Uint8Array.from(scan)]
}

export const SOI = Uint8Array.from([0xff, 0xd8])
export const EOI = Uint8Array.from([0xff, 0xd9])

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) out.set(p, (at += p.length) - p.length)
  return out
}

/** A PNG chunk: length, type, data and a CRC (not checked by the stripper; zeros here). */
export const pngChunk = (type: string, data: readonly number[] = []): Uint8Array => Uint8Array.from([...u32(data.length), ...ascii(type), ...data, 0, 0, 0, 0])
export const PNG_SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
export const ihdr = () => pngChunk('IHDR', [...u32(1), ...u32(1), 8, 6, 0, 0, 0])

export function indexOf(hay: Uint8Array, needle: Uint8Array | string): number {
  const n = typeof needle === 'string' ? Uint8Array.from(ascii(needle)) : needle
  outer: for (let i = 0; i <= hay.length - n.length; i++) {
    for (let j = 0; j < n.length; j++) if (hay[i + j] !== n[j]) continue outer
    return i
  }
  return -1
}
