import { base64url } from '../base64url.js'

/** A frame to draw: a decoded photo, or a video at its current time. */
export type Frame = ImageBitmap | HTMLVideoElement

/** `width` × `height` scaled to fit `max` on its longer side (never enlarged). */
export function fit(width: number, height: number, max: number): { width: number; height: number } {
  const scale = Math.min(1, max / Math.max(width, height))
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) }
}

/**
 * A frame drawn at `size` and encoded as JPEG. A transparent PNG gets a white background (JPEG
 * has no alpha; black would hide dark drawings). Encoding never carries metadata: the canvas has
 * only pixels.
 */
export async function encodeJpeg(frame: Frame, size: { width: number; height: number }, quality: number): Promise<Blob> {
  const canvas = new OffscreenCanvas(size.width, size.height)
  const ctx = canvas.getContext('2d')
  if (!ctx) throw new Error('no 2D canvas')
  ctx.fillStyle = '#ffffff'
  ctx.fillRect(0, 0, size.width, size.height)
  ctx.imageSmoothingQuality = 'high'
  ctx.drawImage(frame, 0, 0, size.width, size.height)
  return canvas.convertToBlob({ type: 'image/jpeg', quality })
}

export const THUMB_MAX_PX = 320
export const THUMB_MAX_BYTES = 48 * 1024

/**
 * [W3] A thumbnail: JPEG at most 320 px on its longer side and 48 KiB, base64url (it travels
 * inside the encrypted message). Quality, then size, step down until it fits.
 */
export async function thumbnail(frame: Frame, width: number, height: number): Promise<string | undefined> {
  for (const max of [THUMB_MAX_PX, 240, 160]) {
    for (const quality of [0.72, 0.55, 0.4]) {
      const blob = await encodeJpeg(frame, fit(width, height, max), quality)
      if (blob.size <= THUMB_MAX_BYTES) return base64url(new Uint8Array(await blob.arrayBuffer()))
    }
  }
  return undefined
}

/** A thumbnail as an `<img>` shows it. */
export const thumbUrl = (thumb: string): string => `data:image/jpeg;base64,${thumb.replace(/-/g, '+').replace(/_/g, '/')}`
