import { createSignal, type Accessor } from 'solid-js'
import { messageOf } from '../binding.js'

/** A control's action in flight: `busy` while it runs, then its coded error's sentence in `error` if it failed. */
export function createBusyAction(): { busy: Accessor<boolean>; error: Accessor<string>; run: (work: () => Promise<unknown>) => void } {
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal('')
  const run = (work: () => Promise<unknown>) => {
    setBusy(true)
    setError('')
    work().then(
      () => setBusy(false),
      (err: unknown) => (setError(messageOf(err)), setBusy(false)),
    )
  }
  return { busy, error, run }
}
