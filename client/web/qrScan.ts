/** Frames are scaled down to this width before decoding: enough for a code filling a third of the view. */
const SCAN_WIDTH = 640
const SCAN_EVERY_MS = 200

export type ScanProblem = 'denied' | 'no-camera' | 'failed'

/**
 * Reads QR codes from the device's camera: frames of a `<video>` are drawn into a canvas and
 * decoded with jsQR, five times a second, until a code is found or `stop` is called. The camera
 * is released in both cases. Nothing leaves the device.
 */
export async function scanCamera(video: HTMLVideoElement, onText: (text: string) => void): Promise<{ stop: () => void } | ScanProblem> {
  if (!navigator.mediaDevices?.getUserMedia) return 'no-camera'
  // The decoder is loaded only when someone scans (a separate chunk, precached for offline use),
  // and before the camera opens, so a failed load never leaves the camera on.
  let jsQR: Decoder
  try {
    jsQR = (await import('jsqr')).default
  } catch {
    return 'failed'
  }
  let stream: MediaStream
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false })
  } catch (err) {
    const name = (err as DOMException).name
    return name === 'NotAllowedError' || name === 'SecurityError' ? 'denied' : name === 'NotFoundError' || name === 'OverconstrainedError' ? 'no-camera' : 'failed'
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  let stopped = false
  const stop = () => {
    stopped = true
    clearTimeout(timer)
    for (const track of stream.getTracks()) track.stop()
    video.srcObject = null
  }
  video.srcObject = stream
  await video.play().catch(() => undefined)
  const canvas = document.createElement('canvas')
  const ctx = canvas.getContext('2d', { willReadFrequently: true })
  const tick = () => {
    if (stopped) return
    const text = ctx && decodeFrame(video, canvas, ctx, jsQR)
    if (text !== undefined && text !== null) {
      stop()
      return onText(text)
    }
    timer = setTimeout(tick, SCAN_EVERY_MS)
  }
  tick()
  return { stop }
}

type Decoder = typeof import('jsqr').default

function decodeFrame(video: HTMLVideoElement, canvas: HTMLCanvasElement, ctx: CanvasRenderingContext2D, jsQR: Decoder): string | undefined {
  if (video.readyState < 2 || !video.videoWidth) return undefined
  const scale = Math.min(1, SCAN_WIDTH / video.videoWidth)
  canvas.width = Math.round(video.videoWidth * scale)
  canvas.height = Math.round(video.videoHeight * scale)
  ctx.drawImage(video, 0, 0, canvas.width, canvas.height)
  const frame = ctx.getImageData(0, 0, canvas.width, canvas.height)
  return jsQR(frame.data, frame.width, frame.height, { inversionAttempts: 'attemptBoth' })?.data
}
