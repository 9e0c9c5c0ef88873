import { writeFileSync } from 'node:fs'
import { encode } from 'uqr'

const W = 640
const H = 480

/**
 * Chromium's fake camera (`--use-file-for-fake-video-capture`) plays a Y4M file, read when a page
 * opens the camera: this writes one showing a QR code of `text`, black on white, with its quiet
 * zone, filling most of the frame, as a phone held over a colleague's screen would see it.
 */
export function writeQrVideo(path: string, text: string): void {
  const qr = encode(text, { ecc: 'M', border: 4 })
  const scale = Math.floor((Math.min(W, H) * 0.9) / qr.size)
  const left = (W - qr.size * scale) >> 1
  const top = (H - qr.size * scale) >> 1
  const luma = new Uint8Array(W * H).fill(255)
  qr.data.forEach((row, y) =>
    row.forEach((dark, x) => {
      if (!dark) return
      for (let dy = 0; dy < scale; dy++) luma.fill(0, (top + y * scale + dy) * W + left + x * scale, (top + y * scale + dy) * W + left + (x + 1) * scale)
    }),
  )
  const chroma = new Uint8Array((W / 2) * (H / 2)).fill(128)
  const frame = [Buffer.from('FRAME\n'), luma, chroma, chroma]
  writeFileSync(path, Buffer.concat([Buffer.from(`YUV4MPEG2 W${W} H${H} F10:1 Ip A1:1 C420jpeg\n`), ...frame, ...frame, ...frame]))
}

/** Chromium flags for a browser whose camera shows the file at `path` and is allowed without asking. */
export const fakeCameraArgs = (path: string): string[] => [
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  `--use-file-for-fake-video-capture=${path}`,
]
