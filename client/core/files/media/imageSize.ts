import type { FileSource } from '../source.js'
import { ByteReader } from './byteReader.js'

/** Segments read before a JPEG's frame header is given up on. */
const MAX_HEADER_SEGMENTS = 256
/** Start-of-frame markers: every SOFn but DHT (C4), JPG (C8) and DAC (CC). */
const isSof = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc

/**
 * [W3] A JPEG's or PNG's pixel size from its header alone (the frame header, or IHDR), as
 * stored (before any EXIF rotation): the app decides from it whether decoding is affordable.
 * Undefined for other formats or a damaged header.
 */
export async function imageSize(source: FileSource): Promise<{ width: number; height: number } | undefined> {
  const r = new ByteReader(source)
  const sig = await r.u32(0)
  if (sig === 0x89504e47) {
    if ((await r.u32(12)) !== 0x49484452) return undefined // IHDR
    const width = await r.u32(16)
    const height = await r.u32(20)
    return width && height ? { width, height } : undefined
  }
  if (sig === undefined || sig >>> 16 !== 0xffd8) return undefined
  let pos = 2
  for (let n = 0; n < MAX_HEADER_SEGMENTS; n++) {
    if ((await r.byteAt(pos)) !== 0xff) return undefined
    const marker = await r.byteAt(pos + 1)
    const length = await r.u16(pos + 2)
    if (marker === undefined || length === undefined || length < 2 || marker === 0xda || marker === 0xd9) return undefined
    if (isSof(marker)) {
      const height = await r.u16(pos + 5)
      const width = await r.u16(pos + 7)
      return width && height ? { width, height } : undefined
    }
    pos += 2 + length
  }
  return undefined
}
