import { createSignal, onCleanup, type Accessor } from 'solid-js'

/** Whether the browser says it has a network, kept current (for "Waiting for network"). */
export function createOnline(): Accessor<boolean> {
  const [online, setOnline] = createSignal(typeof navigator === 'undefined' ? true : navigator.onLine)
  const up = () => setOnline(true)
  const down = () => setOnline(false)
  window.addEventListener('online', up)
  window.addEventListener('offline', down)
  onCleanup(() => {
    window.removeEventListener('online', up)
    window.removeEventListener('offline', down)
  })
  return online
}
