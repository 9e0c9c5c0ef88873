import { createSignal, onCleanup, Show } from 'solid-js'
import type { Messenger } from '../../core/messenger.js'
import { messageOf } from '../binding.js'
import { QrCode } from './QrCode.js'
import { ErrorLine } from './ErrorLine.js'

/**
 * [M32] The recovery key: made on this device (offered at once to a new profile), shown once as
 * text and QR code to write down or keep in a password manager, never stored; a new one retires
 * the earlier. Says when the recovery data on the server was last brought up to date.
 */
export function RecoveryPanel(props: { messenger: Messenger }) {
  const status = () => props.messenger.recovery.status()
  const [state, setState] = createSignal(status())
  const [shown, setShown] = createSignal<string>()
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal('')
  // The blob is written in the background after membership changes: its state is read again now and then.
  const poll = setInterval(() => setState(status()), 2_000)
  onCleanup(() => clearInterval(poll))

  const create = async () => {
    setBusy(true)
    setError('')
    try {
      setShown(await props.messenger.recovery.create())
      setState(status())
    } catch (err) {
      setError(messageOf(err))
    } finally {
      setBusy(false)
    }
  }

  return (
    <details class="card recovery" open={!!shown()} data-uploaded={state().uploaded ?? 0}>
      <summary>Recovery key: {state().set ? 'set up' : 'not set up yet: set it up'}</summary>
      <Show
        when={shown()}
        fallback={
          <>
            <p class="muted small">
              {state().spent
                ? 'Your recovery key was used to recover on another device, so it no longer works. Make a new one.'
                : state().set
                ? `Recovery data ${state().uploaded ? `last brought up to date ${new Date(state().uploaded!).toLocaleString()}` : 'not yet on the server (it goes when this device is online)'}. The key is not kept here and cannot be shown again.`
                : 'With a recovery key you get your profile and all your messages back on a new device, even if you lose every device. Nobody else, not even the server, can use it.'}
            </p>
            <button type="button" disabled={busy()} onClick={() => void create()}>
              {state().set ? 'Make a new recovery key (the old one stops working)' : 'Create my recovery key'}
            </button>
          </>
        }
      >
        {(key) => (
          <div role="alert">
            <p>Your recovery key. Write it down or keep it in a password manager now: it is shown only this once.</p>
            <p class="recovery-key" data-testid="recovery-key">
              {key()}
            </p>
            <QrCode data={key()} label="Recovery key as a QR code" />
            <button type="button" onClick={() => setShown(undefined)}>
              I have kept it
            </button>
          </div>
        )}
      </Show>
      <ErrorLine message={error()} />
    </details>
  )
}
