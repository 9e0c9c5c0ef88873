import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { bytesSource, type FileSource } from '../../../client/core/files/source.js'
import { exifOrientation } from '../../../client/core/files/media/exifOrientation.js'
import { WINDOW_BYTES } from '../../../client/core/files/media/byteReader.js'
import { imageSize } from '../../../client/core/files/media/imageSize.js'
import { MAX_JPEG_SEGMENTS, StripRefusal, stripMetadata, type StripResult } from '../../../client/core/files/media/stripMetadata.js'
import {
  CAMERA_MAKE, EOI, PNG_SIGNATURE, SOI, adobeApp14, app5, comment, concat, exifGpsSegment, gpsNeedle, iccApp2, ihdr, imageSegments,
  indexOf, iptcApp13, jfifApp0, pngChunk, segment, xmpApp1,
} from '../../web/photoFixture.js'

const bytesOf = async (r: StripResult) => {
  if (!r.ok) throw new Error(`refused: ${r.code} ${r.detail}`)
  return r.source.read(0, r.source.size)
}
const strip = (bytes: Uint8Array) => stripMetadata(bytesSource(bytes))
const CODES = new Set<string>(Object.values(StripRefusal))

/** A phone photo: JFIF, EXIF with GPS, XMP, IPTC, ICC, a vendor APPn, a comment, the image, and a multi-picture trailer. */
function phonePhoto(orientation = 1) {
  const kept = { jfif: jfifApp0(), icc: iccApp2(), adobe: adobeApp14(), image: imageSegments() }
  const bytes = concat([SOI, kept.jfif, exifGpsSegment(orientation), xmpApp1(), iptcApp13(), kept.icc, app5(), comment(), kept.adobe, ...kept.image, EOI, exifGpsSegment()])
  return { bytes, kept }
}

describe('[W1] JPEG metadata removed without re-encoding', () => {
  test('[W1] EXIF (with its GPS IFD), XMP, IPTC, other APPn, comments and the trailer go; JFIF, ICC, Adobe and every image segment stay byte for byte', async () => {
    const { bytes, kept } = phonePhoto()
    const r = await strip(bytes)
    const out = await bytesOf(r)
    expect(out).toEqual(concat([SOI, kept.jfif, kept.icc, kept.adobe, ...kept.image, EOI]))
    expect(indexOf(out, gpsNeedle())).toBe(-1)
    expect(indexOf(out, 'Exif')).toBe(-1)
    expect(indexOf(out, CAMERA_MAKE)).toBe(-1)
    expect(indexOf(out, 'GPSLatitude')).toBe(-1)
    expect(r.ok && [...r.removed].sort()).toEqual(['app5', 'comment', 'exif', 'iptc', 'trailing data', 'xmp'])
  })

  test('[W2] a non-upright orientation is kept as a minimal EXIF segment holding nothing else', async () => {
    const { bytes } = phonePhoto(6)
    const r = await strip(bytes)
    const out = await bytesOf(r)
    expect(r.ok && r.orientation).toBe(6)
    expect(indexOf(out, gpsNeedle())).toBe(-1)
    expect(indexOf(out, CAMERA_MAKE)).toBe(-1)
    // It stands where the camera's EXIF stood (after JFIF), and reads back as orientation 6.
    const at = indexOf(out, 'Exif')
    expect(at).toBe(SOI.length + jfifApp0().length + 4)
    const length = (out[at - 2]! << 8) | out[at - 1]!
    expect(length).toBe(34)
    expect(exifOrientation(out.subarray(at, at - 2 + length))).toBe(6)
    // Stripping again changes nothing: the kept segment is itself clean.
    expect(await bytesOf(await strip(out))).toEqual(out)
  })

  test('[W1] segments between the scans of a progressive JPEG are walked too: an APPn there goes, the second scan stays', async () => {
    const [dqt, sof, dht, sos, scan] = imageSegments()
    const bytes = concat([SOI, dqt!, sof!, dht!, sos!, scan!, exifGpsSegment(), dht!, sos!, scan!, EOI])
    expect(await bytesOf(await strip(bytes))).toEqual(concat([SOI, dqt!, sof!, dht!, sos!, scan!, dht!, sos!, scan!, EOI]))
  })

  test('[W1] a damaged JPEG is a coded refusal, never a throw: cut short anywhere, no marker where one must be, a length below 2', async () => {
    const { bytes } = phonePhoto()
    const end = indexOf(bytes, concat([EOI, exifGpsSegment()]))
    for (let cut = 3; cut < end; cut += 7) {
      const r = await strip(bytes.subarray(0, cut))
      expect(r.ok ? 'ok' : r.code, `cut at ${cut}`).toBe(StripRefusal.TRUNCATED)
    }
    const noMarker = concat([SOI, jfifApp0(), Uint8Array.of(0x12, 0x34), EOI])
    expect(await strip(noMarker)).toMatchObject({ ok: false, code: StripRefusal.MALFORMED })
    const shortLength = concat([SOI, Uint8Array.of(0xff, 0xe1, 0, 1), EOI])
    expect(await strip(shortLength)).toMatchObject({ ok: false, code: StripRefusal.MALFORMED })
  })

  test('[W1] random damage never throws and never yields an unknown code (property)', async () => {
    const { bytes } = phonePhoto(3)
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.nat(255)), { maxLength: 8 }), fc.nat(bytes.length), async (flips, cut) => {
        const copy = Uint8Array.from(bytes.subarray(0, Math.max(3, cut)))
        copy[0] = 0xff
        copy[1] = 0xd8
        copy[2] = 0xff
        for (const [at, v] of flips) if (at >= 3 && at < copy.length) copy[at] = v
        const r = await strip(copy)
        if (r.ok) expect((await bytesOf(r)).length).toBeLessThanOrEqual(copy.length + 34)
        else expect(CODES.has(r.code)).toBe(true)
      }),
      { numRuns: 300 },
    )
  })

  test(`[W1] the work is bounded: more than ${MAX_JPEG_SEGMENTS} segments is W104`, async () => {
    const many = Array.from({ length: MAX_JPEG_SEGMENTS + 1 }, () => app5())
    expect(await strip(concat([SOI, ...many, ...imageSegments(), EOI]))).toMatchObject({ ok: false, code: StripRefusal.TOO_COMPLEX })
  })

  test('[W1] a 256 MiB JPEG is read in windows of at most 64 KiB, never whole, and comes out as a source read on demand', async () => {
    const head = concat([SOI, jfifApp0(), exifGpsSegment(), ...imageSegments(0)])
    const size = 256 * 1024 * 1024
    const reads: number[] = []
    // Scan bytes 0x11 (no 0xFF) up to EOI at the very end; nothing of it is held in memory.
    const big: FileSource = {
      size,
      async read(offset, length) {
        reads.push(length)
        const out = new Uint8Array(Math.max(0, Math.min(length, size - offset))).fill(0x11)
        if (offset < head.length) out.set(head.subarray(offset, offset + out.length))
        for (let at = Math.max(offset, size - 2); at < offset + out.length; at++) out[at - offset] = EOI[at - (size - 2)]!
        return out
      },
    }
    const r = await stripMetadata(big)
    expect(r.ok).toBe(true)
    expect(Math.max(...reads)).toBeLessThanOrEqual(WINDOW_BYTES)
    if (!r.ok) return
    expect(r.source.size).toBe(size - exifGpsSegment().length)
    const tail = await r.source.read(r.source.size - 4, 4)
    expect([...tail]).toEqual([0x11, 0x11, 0xff, 0xd9])
    expect(indexOf(await r.source.read(0, 4096), 'Exif')).toBe(-1)
  })
})

describe('[W1] PNG metadata removed', () => {
  test('[W1] eXIf, tEXt, zTXt, iTXt and tIME chunks go, everything else stays in order, nothing after IEND', async () => {
    const keep = [ihdr(), pngChunk('iCCP', [1, 2, 3]), pngChunk('PLTE', [0, 0, 0]), pngChunk('IDAT', [9, 9, 9, 9]), pngChunk('IEND')]
    const bytes = concat([
      PNG_SIGNATURE, keep[0]!, pngChunk('eXIf', [...exifGpsSegment().subarray(10)]), keep[1]!, pngChunk('tEXt', [...Buffer.from('GPS\0 52.52N')]),
      keep[2]!, pngChunk('tIME', [7, 234, 1, 1, 0, 0, 0]), keep[3]!, pngChunk('iTXt', [...Buffer.from('XML:com.adobe.xmp\0\0\0\0\0<x/>')]),
      pngChunk('zTXt', [...Buffer.from('Comment\0\0xx')]), keep[4]!, Uint8Array.from(Buffer.from('trailer with GPS')),
    ])
    const r = await strip(bytes)
    expect(await bytesOf(r)).toEqual(concat([PNG_SIGNATURE, ...keep]))
    expect(r.ok && [...r.removed].sort()).toEqual(['eXIf', 'iTXt', 'tEXt', 'tIME', 'trailing data', 'zTXt'])
  })

  test('[W1] a damaged PNG is a coded refusal: first chunk not IHDR, a bad type, cut short, no IEND', async () => {
    const good = concat([PNG_SIGNATURE, ihdr(), pngChunk('IDAT', [1]), pngChunk('IEND')])
    expect(await strip(concat([PNG_SIGNATURE, pngChunk('IDAT', [1]), pngChunk('IEND')]))).toMatchObject({ ok: false, code: StripRefusal.MALFORMED })
    expect(await strip(concat([PNG_SIGNATURE, ihdr(), pngChunk('ID@T', [1]), pngChunk('IEND')]))).toMatchObject({ ok: false, code: StripRefusal.MALFORMED })
    for (let cut = 9; cut < good.length; cut++) expect(await strip(good.subarray(0, cut)), `cut at ${cut}`).toMatchObject({ ok: false, code: StripRefusal.TRUNCATED })
  })
})

test('[W1] anything but JPEG and PNG is W101 (the app re-encodes those instead, [W3])', async () => {
  for (const head of ['GIF89a', 'RIFF\0\0\0\0WEBP', '\0\0\0\x18ftypheic', '']) {
    expect(await strip(Uint8Array.from(Buffer.from(head, 'latin1')))).toMatchObject({ ok: false, code: StripRefusal.UNSUPPORTED })
  }
  expect(await strip(concat([SOI, segment(0xe1, [1])]).subarray(0, 2))).toMatchObject({ ok: false, code: StripRefusal.UNSUPPORTED })
})

test('[W3] a photo\'s pixel size is read from its header alone (frame header, IHDR); other bytes give none', async () => {
  // imageSegments' frame header says 8 rows of 16 pixels.
  expect(await imageSize(bytesSource(concat([SOI, jfifApp0(), exifGpsSegment(), ...imageSegments(), EOI])))).toEqual({ width: 16, height: 8 })
  expect(await imageSize(bytesSource(concat([PNG_SIGNATURE, ihdr(), pngChunk('IEND')])))).toEqual({ width: 1, height: 1 })
  expect(await imageSize(bytesSource(Uint8Array.from(Buffer.from('GIF89a'))))).toBeUndefined()
  expect(await imageSize(bytesSource(concat([SOI, jfifApp0()])))).toBeUndefined()
})
