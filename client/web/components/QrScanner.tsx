import { createSignal, onCleanup, onMount } from 'solid-js'
import { scanCamera, type ScanProblem } from '../qrScan.js'

const problemText: Record<ScanProblem, string> = {
  denied: 'Camera access was refused. You can paste the code instead.',
  'no-camera': 'No camera is available here. You can paste the code instead.',
  failed: 'The camera could not be started. You can paste the code instead.',
}

/** The camera's view while it looks for a QR code; `onText` gets the first code it reads. */
export function QrScanner(props: { label: string; onText: (text: string) => void; onClose: () => void }) {
  let video!: HTMLVideoElement
  const [message, setMessage] = createSignal('Starting the camera…')
  let stop: (() => void) | undefined
  let closed = false
  onMount(async () => {
    const session = await scanCamera(video, (text) => props.onText(text))
    if (typeof session === 'string') return setMessage(problemText[session])
    if (closed) return session.stop()
    stop = session.stop
    setMessage('Point the camera at the QR code.')
  })
  onCleanup(() => {
    closed = true
    stop?.()
  })
  return (
    <div class="scanner">
      <video ref={video} aria-label={props.label} muted playsinline />
      <p class="muted small" role="status">
        {message()}
      </p>
      <button type="button" onClick={() => props.onClose()}>
        Stop scanning
      </button>
    </div>
  )
}
