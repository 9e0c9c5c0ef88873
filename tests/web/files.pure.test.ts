import { describe, expect, test } from 'vitest'
import { blobSource } from '../../client/web/files/blobSource.js'
import { fit, thumbUrl, THUMB_MAX_BYTES, THUMB_MAX_PX } from '../../client/web/files/canvas.js'
import { formatBytes, formatDuration, percent, typeLabel } from '../../client/web/files/format.js'
import { DEFAULT_PHOTO_OPTIONS, mediaKind, STANDARD_MAX_PX, STANDARD_QUALITY } from '../../client/web/files/media.js'
import { sendable, type TrayItem } from '../../client/web/files/uploadBinding.js'
import type { FileVerdict } from '../../client/core/files/check/index.js'

describe('[W3] photo sizes and choices', () => {
  test('[W3] thumbnails fit 320 px and 48 KiB; Standard fits 1600 px at quality 0.82; nothing is enlarged', () => {
    expect([THUMB_MAX_PX, THUMB_MAX_BYTES, STANDARD_MAX_PX, STANDARD_QUALITY]).toEqual([320, 48 * 1024, 1600, 0.82])
    expect(fit(4032, 3024, THUMB_MAX_PX)).toEqual({ width: 320, height: 240 })
    expect(fit(3024, 4032, STANDARD_MAX_PX)).toEqual({ width: 1200, height: 1600 })
    expect(fit(640, 480, STANDARD_MAX_PX)).toEqual({ width: 640, height: 480 })
    expect(fit(100_000, 1, THUMB_MAX_PX)).toEqual({ width: 320, height: 1 })
  })

  test('[W3] location and camera data are dropped unless the sender keeps them; Standard by default', () => {
    expect(DEFAULT_PHOTO_OPTIONS).toEqual({ quality: 'standard', keepMetadata: false })
  })

  test('[W3] JPEG, PNG and WebP are photos (Standard/HD), video types are videos, anything else a file', () => {
    expect(['image/jpeg', 'image/png', 'image/webp'].map((type) => mediaKind({ type }))).toEqual(['photo', 'photo', 'photo'])
    expect(['video/mp4', 'video/webm', 'video/quicktime'].map((type) => mediaKind({ type }))).toEqual(['video', 'video', 'video'])
    expect(['image/heic', 'image/gif', 'application/pdf', ''].map((type) => mediaKind({ type }))).toEqual(['file', 'file', 'file', 'file'])
  })

  test('[W6] a thumbnail is shown from its base64url as a JPEG data URL', () => {
    expect(thumbUrl('_-8A')).toBe('data:image/jpeg;base64,/+8A')
  })
})

describe('[W8] the tray and the rows say what is happening in words', () => {
  const verdict = (level: FileVerdict['level']): FileVerdict => ({ level, reasons: [], name: 'f', size: 1, sha256: '', classes: [], contains: [] })
  const item = (over: Partial<TrayItem>): TrayItem => ({ id: 1, file: new File(['x'], 'f'), kind: 'file', options: DEFAULT_PHOTO_OPTIONS, confirmed: false, ...over })

  test('[W8] a file goes when checked and not blocked; a warned one only after "Send anyway"', () => {
    expect(sendable(item({}))).toBe(false)
    expect(sendable(item({ verdict: verdict('ok') }))).toBe(true)
    expect(sendable(item({ verdict: verdict('warn') }))).toBe(false)
    expect(sendable(item({ verdict: verdict('warn'), confirmed: true }))).toBe(true)
    expect(sendable(item({ verdict: verdict('block'), confirmed: true }))).toBe(false)
  })

  test('[W8] sizes, durations, percents and type labels', () => {
    expect([0, 999, 1000, 48_000, 3_200_000, 1_500_000_000].map(formatBytes)).toEqual(['0 B', '999 B', '1.0 KB', '48 KB', '3.2 MB', '1.5 GB'])
    expect([0, 59.6, 61, 3725].map(formatDuration)).toEqual(['0:00', '1:00', '1:01', '1:02:05'])
    expect([percent(0, 10), percent(5, 10), percent(10, 10), percent(11, 10), percent(0, 0)]).toEqual([0, 50, 100, 100, 100])
    expect([typeLabel('application/pdf', 'manual.pdf'), typeLabel('application/pdf', 'manual'), typeLabel('', 'x')]).toEqual(['PDF', 'PDF', 'File'])
  })
})

test('[W4] a chosen file is read by slices at any offset, never whole; past its end a read is empty', async () => {
  const blob = new Blob([Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff)])
  let sliced = 0
  const slice = blob.slice.bind(blob)
  blob.slice = (...args: Parameters<Blob['slice']>) => (sliced++, slice(...args))
  const source = blobSource(blob)
  expect(source.size).toBe(1000)
  expect([...(await source.read(998, 10))]).toEqual([998 & 0xff, 999 & 0xff])
  expect([...(await source.read(256, 3))]).toEqual([0, 1, 2])
  expect((await source.read(2000, 10)).length).toBe(0)
  expect(sliced).toBe(3)
})
