import { createSignal, Show } from 'solid-js'
import { messageOf } from '../binding.js'
import { formatTime } from '../format.js'

/**
 * An organisation invitation was opened ([T12]): say what it is, and answer only when the person
 * asks. The answer goes to the inviting admin's device, which lets them in; until then the
 * organisation waits in the list as "Waiting for an admin to let you in".
 */
export function OrgJoinPrompt(props: { name: string; expires: number; onJoin: () => Promise<void>; onCancel: () => void }) {
  const [busy, setBusy] = createSignal(false)
  const [error, setError] = createSignal<string>()

  const join = async () => {
    setBusy(true)
    setError(undefined)
    try {
      await props.onJoin()
    } catch (err) {
      setError(messageOf(err))
      setBusy(false)
    }
  }

  return (
    <section class="card" aria-labelledby="org-join-title">
      <h2 id="org-join-title">Join {props.name}?</h2>
      <p>
        You were invited to the organisation <strong>{props.name}</strong>. Joining sends your name and this device's public keys to
        the admin who invited you; you are in once their device lets you in. The invitation works once and expires{' '}
        {formatTime(props.expires)}.
      </p>
      <Show when={error()}>
        <p class="form-error" role="alert">
          {error()}
        </p>
      </Show>
      <div class="row">
        <button type="button" class="primary" disabled={busy()} onClick={join}>
          Join {props.name}
        </button>
        <button type="button" onClick={() => props.onCancel()}>
          Not now
        </button>
      </div>
    </section>
  )
}
