import { imageSize } from '../../core/files/media/imageSize.js'
import { stripMetadata } from '../../core/files/media/stripMetadata.js'
import type { Attachment } from '../../core/files/uploads.js'
import { blobSource } from './blobSource.js'
import { encodeJpeg, fit, thumbnail } from './canvas.js'
import { videoInfo, type VideoInfo } from './videoFrame.js'

/** "Standard": what consumer apps send by default. "HD": the original pixels. */
export type PhotoQuality = 'standard' | 'hd'

export interface PhotoOptions {
  readonly quality: PhotoQuality
  /** Off by default: on, the photo goes exactly as it is, location and camera data included. */
  readonly keepMetadata: boolean
}

export const DEFAULT_PHOTO_OPTIONS: PhotoOptions = { quality: 'standard', keepMetadata: false }
export const STANDARD_MAX_PX = 1600
export const STANDARD_QUALITY = 0.82
/** An HD photo that must be re-encoded (the stripper refused it) keeps up to this many pixels a side. */
const HD_REENCODE_MAX_PX = 4096
const HD_REENCODE_QUALITY = 0.92
/** Photos with more pixels are not decoded (a 40 MP bitmap is 160 MB): no thumbnail, no Standard. */
export const MAX_DECODE_PIXELS = 40_000_000

export type MediaKind = 'photo' | 'video' | 'file'
const PHOTO_TYPES = new Set(['image/jpeg', 'image/png', 'image/webp'])

export function mediaKind(file: { type: string }): MediaKind {
  if (PHOTO_TYPES.has(file.type)) return 'photo'
  return file.type.startsWith('video/') ? 'video' : 'file'
}

/** What the tray shows before sending: made once, when the file is chosen. */
export interface Preview {
  readonly kind: MediaKind
  readonly thumb?: string
  readonly width?: number
  readonly height?: number
  readonly duration?: number
}

/** [W3] The preview of a chosen file: a photo's or video's thumbnail and size; nothing for other files. */
export async function previewOf(file: File): Promise<Preview> {
  const kind = mediaKind(file)
  if (kind === 'video') return { kind, ...(await videoInfo(file).catch((): VideoInfo => ({}))) }
  if (kind !== 'photo') return { kind }
  const bitmap = await decode(file)
  if (!bitmap) return { kind }
  try {
    const thumb = await thumbnail(bitmap, bitmap.width, bitmap.height)
    return { kind, width: bitmap.width, height: bitmap.height, ...(thumb ? { thumb } : {}) }
  } finally {
    bitmap.close()
  }
}

/** The decoded photo, upright (EXIF orientation applied); undefined when too large or not decodable. */
async function decode(file: File): Promise<ImageBitmap | undefined> {
  const size = await imageSize(blobSource(file))
  if (size && size.width * size.height > MAX_DECODE_PIXELS) return undefined
  return createImageBitmap(file, { imageOrientation: 'from-image' }).catch(() => undefined)
}

const asJpegName = (name: string) => `${name.replace(/\.[A-Za-z0-9]{1,8}$/, '')}.jpg`

/** What is sent, and what the tray says was done to it. */
export interface Prepared {
  readonly attachment: Attachment
  readonly note: string
}

/**
 * [W3] A photo as it is sent. Kept metadata: the original, untouched. Standard: re-encoded as a
 * JPEG of at most 1600 px at quality 0.82 (a canvas holds no metadata). HD: the original bytes
 * with their metadata removed by [W1]; a photo the stripper refuses (WebP, a damaged JPEG) is
 * re-encoded at up to 4096 px instead. A photo that can be neither stripped nor decoded is not
 * sent without its metadata: it is refused with the reason.
 */
export async function preparePhoto(file: File, preview: Preview, options: PhotoOptions): Promise<Prepared> {
  const base = { name: file.name, type: file.type, ...(preview.thumb ? { thumb: preview.thumb } : {}) }
  const dims = preview.width && preview.height ? { width: preview.width, height: preview.height } : {}
  if (options.keepMetadata) return { attachment: { ...base, ...dims, source: blobSource(file) }, note: 'original, with location and camera data' }
  if (options.quality === 'hd') {
    const stripped = await stripMetadata(blobSource(file))
    if (stripped.ok) return { attachment: { ...base, ...dims, source: stripped.source }, note: 'HD, location and camera data removed' }
  }
  const max = options.quality === 'hd' ? HD_REENCODE_MAX_PX : STANDARD_MAX_PX
  const quality = options.quality === 'hd' ? HD_REENCODE_QUALITY : STANDARD_QUALITY
  const bitmap = await decode(file)
  if (!bitmap) throw new PhotoRefused(`The location and camera data of ${file.name} cannot be removed on this device. Choose “Keep location and camera data” to send it as it is.`)
  try {
    const size = fit(bitmap.width, bitmap.height, max)
    const blob = await encodeJpeg(bitmap, size, quality)
    const what = options.quality === 'hd' ? 'HD' : 'Standard'
    return { attachment: { ...base, name: asJpegName(file.name), type: 'image/jpeg', ...size, source: blobSource(blob) }, note: `${what}, ${size.width}×${size.height}, location and camera data removed` }
  } finally {
    bitmap.close()
  }
}

/** A photo that cannot be sent as chosen (its metadata cannot be removed here). */
export class PhotoRefused extends Error {}

/** [W3] A video or another file as it is sent: the file itself, with the video's poster and duration. */
export function prepareFile(file: File, preview: Preview): Prepared {
  const { kind: _, ...info } = preview
  const note = preview.kind === 'video' ? 'video, as recorded' : 'file, as it is'
  return { attachment: { name: file.name, type: file.type || 'application/octet-stream', source: blobSource(file), ...info }, note }
}
