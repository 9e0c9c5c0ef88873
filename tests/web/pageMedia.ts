import type { Page } from 'playwright-core'

/**
 * Real media made inside Chromium for the e2e tests ([W1][W7]): nothing large ships in the
 * repository. The bytes come back to Node as base64.
 */

/** A JPEG the browser's own encoder made from a drawing (a real, decodable photo with no EXIF). */
export async function canvasJpeg(page: Page, width: number, height: number): Promise<Buffer> {
  const b64 = await page.evaluate(
    async ([w, h]) => {
      const canvas = new OffscreenCanvas(w, h)
      const ctx = canvas.getContext('2d')!
      const g = ctx.createLinearGradient(0, 0, w, h)
      g.addColorStop(0, '#1f5f8b')
      g.addColorStop(1, '#f4a261')
      ctx.fillStyle = g
      ctx.fillRect(0, 0, w, h)
      ctx.fillStyle = '#fff'
      ctx.font = '48px sans-serif'
      ctx.fillText('valve 7', 40, h / 2)
      const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer())
      let s = ''
      for (const b of bytes) s += String.fromCharCode(b)
      return btoa(s)
    },
    [width, height] as const,
  )
  return Buffer.from(b64, 'base64')
}

/**
 * A WebM recorded with MediaRecorder from a canvas of random noise (which does not compress), so
 * a few seconds make a file of several MiB: more than one streaming window.
 */
export async function recordWebm(page: Page, seconds: number, bitsPerSecond: number): Promise<Buffer> {
  const b64 = await page.evaluate(
    async ([secs, bps]) => {
      const canvas = document.createElement('canvas')
      canvas.width = 640
      canvas.height = 360
      const ctx = canvas.getContext('2d')!
      const image = ctx.createImageData(canvas.width, canvas.height)
      const draw = () => {
        for (let at = 0; at < image.data.length; at += 65_536) crypto.getRandomValues(image.data.subarray(at, at + 65_536))
        ctx.putImageData(image, 0, 0)
      }
      draw()
      const stream = canvas.captureStream(25)
      const recorder = new MediaRecorder(stream, { mimeType: 'video/webm;codecs=vp8', videoBitsPerSecond: bps })
      const parts: Blob[] = []
      recorder.ondataavailable = (e) => parts.push(e.data)
      const stopped = new Promise((r) => (recorder.onstop = r))
      recorder.start(250)
      const timer = setInterval(draw, 40)
      await new Promise((r) => setTimeout(r, secs * 1000))
      clearInterval(timer)
      recorder.stop()
      await stopped
      stream.getTracks().forEach((t) => t.stop())
      const bytes = new Uint8Array(await new Blob(parts, { type: 'video/webm' }).arrayBuffer())
      let s = ''
      for (let i = 0; i < bytes.length; i += 32_768) s += String.fromCharCode(...bytes.subarray(i, i + 32_768))
      return btoa(s)
    },
    [seconds, bitsPerSecond] as const,
  )
  return Buffer.from(b64, 'base64')
}

/** A minimal Windows executable header: `MZ`, the PE offset, `PE\0\0` and an i386 machine. */
export function minimalPe(size = 4096): Buffer {
  const b = Buffer.alloc(size)
  b.write('MZ', 0, 'latin1')
  b.writeUInt32LE(0x80, 0x3c)
  b.write('PE\0\0', 0x80, 'latin1')
  b.writeUInt16LE(0x014c, 0x84)
  b.write('This program cannot be run in DOS mode.', 0x4e, 'latin1')
  return b
}
